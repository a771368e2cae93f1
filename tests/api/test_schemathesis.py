"""Schemathesis in the suite, bounded to a few minutes: every operation, a few generated requests each (real ids
from the demo data and random ones), stateful sequences along the OpenAPI links, against a real `coso serve`
process. `make fuzz` runs the long version (100 examples an operation)."""

import asyncio

from fuzz.run import run


async def test_schemathesis_finds_no_server_error_and_no_schema_violation(database_url: str) -> None:
    code = await asyncio.to_thread(
        run,
        database_url=database_url,
        max_examples=5,
        phases=["examples", "coverage", "fuzzing", "stateful"],
        seed=20261207,
    )
    assert code == 0, "schemathesis found failures: see its report above (and fuzz/report/)"
