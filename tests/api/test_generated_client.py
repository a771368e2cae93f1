"""What an integrator does: generate a Python client from openapi.yaml with openapi-python-client, and use it against
a running service — list with paging, create, update with the ETag (and be refused with a stale one), submit an
import job and follow it, follow the change feed."""

import datetime
import importlib
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.serve import admin_key, coso_serve

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = "coso_generated_client"


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The client package generated from the committed openapi.yaml, importable."""
    out = tmp_path_factory.mktemp("client")
    generator = shutil.which("openapi-python-client", path=str(Path(sys.executable).parent))
    assert generator, "openapi-python-client is installed by the dev lock"
    done = subprocess.run(  # noqa: S603 - our own command line
        [
            generator,
            "generate",
            "--path",
            str(ROOT / "openapi.yaml"),
            "--meta",
            "none",
            "--output-path",
            str(out / PACKAGE),
        ],
        capture_output=True,
        text=True,
        env={"PATH": str(Path(sys.executable).parent)},
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    # What the generator cannot take is said as a warning; the only ones left are the file formats it has no type
    # for, and each of those operations also takes application/octet-stream, which it does.
    skipped = [line for line in done.stdout.splitlines() if "will not be generated" in line or "Unable" in line]
    assert not skipped, done.stdout
    sys.path.insert(0, str(out))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(out))
        for name in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]:
            del sys.modules[name]


def _module(name: str) -> Any:
    return importlib.import_module(f"{PACKAGE}.{name}")


def test_a_generated_client_lists_creates_updates_imports_and_follows(
    generated: Any, database_url: str, tmp_path: Path
) -> None:
    token = admin_key(database_url, "generated client")
    orgs = _module("api.organizations")
    with coso_serve(database_url, tmp_path) as base:
        client = generated.AuthenticatedClient(base_url=base, token=token, raise_on_unexpected_status=True)
        feed = importlib.import_module(f"{PACKAGE}.api.changes.list_changes")
        start = feed.sync(client=client, after="now")
        assert start.items == []

        # Create a province and three communes, then page through them two at a time.
        models = _module("models")
        create = importlib.import_module(f"{PACKAGE}.api.organizations.create_organization")
        province = create.sync(
            client=client,
            body=models.OrganizationCreate(
                code="GC",
                name="Đảng bộ tỉnh Khách",
                kind=models.Kind.PROVINCIAL_COMMITTEE,
                valid_from=datetime.date(2015, 1, 1),
            ),
        )
        for n in range(3):
            created = create.sync(
                client=client,
                body=models.OrganizationCreate(
                    code=f"GC-{n}",
                    name=f"Đảng bộ xã {n}",
                    kind=models.Kind.UPPER_LEVEL_COMMITTEE,
                    parent_id=uuid.UUID(str(province.id)),
                    valid_from=datetime.date(2015, 1, 1),
                ),
            )
            assert created.code == f"GC-{n}"
        cell = create.sync(
            client=client,
            body=models.OrganizationCreate(
                code="GC-2-CB",
                name="Chi bộ thôn Khách",
                kind=models.Kind.GRASSROOTS_CELL,
                parent_id=uuid.UUID(str(created.id)),
                valid_from=datetime.date(2015, 1, 1),
            ),
        )
        assert cell.code == "GC-2-CB"
        listing = importlib.import_module(f"{PACKAGE}.api.organizations.list_organizations")
        codes, cursor = [], None
        while True:
            page = listing.sync(client=client, within="GC", limit=2, **({"cursor": cursor} if cursor else {}))
            codes += [o.code for o in page.items]
            cursor = page.next_cursor
            if not cursor:
                break
        assert sorted(codes) == ["GC", "GC-0", "GC-1", "GC-2", "GC-2-CB"]

        # Update with the ETag read; the same (now stale) ETag again is a 412 problem.
        read = importlib.import_module(f"{PACKAGE}.api.organizations.get_organization").sync_detailed(
            client=client, organization_id=uuid.UUID(str(province.id))
        )
        etag = read.headers["etag"]
        update = importlib.import_module(f"{PACKAGE}.api.organizations.update_organization")
        changed = update.sync_detailed(
            client=client,
            organization_id=uuid.UUID(str(province.id)),
            body=models.OrganizationUpdate(name="Đảng bộ tỉnh Khách Mới"),
            if_match=etag,
        )
        assert changed.status_code == 200 and changed.parsed.name == "Đảng bộ tỉnh Khách Mới"
        stale = update.sync_detailed(
            client=client,
            organization_id=uuid.UUID(str(province.id)),
            body=models.OrganizationUpdate(name="Lạc hậu"),
            if_match=etag,
        )
        assert stale.status_code == 412 and "version_mismatch" in stale.parsed.type_
        assert orgs is not None

        # A member import as a background job (Prefer: respond-async), followed to its end.
        csv = "full_name,gender,birth_date,status,organization,admission_decision_date\n" + "\n".join(
            f"Khách Hàng Số {i},male,1990-01-{i + 10:02d},official,GC-2-CB,2015-02-03" for i in range(5)
        )
        types = _module("types")
        submit = importlib.import_module(f"{PACKAGE}.api.imports.import_members")
        job = submit.sync_detailed(
            client=client,
            body=types.File(payload=csv.encode(), file_name="members.csv"),
            mode=models.ImportMembersMode.COMMIT,
            prefer="respond-async",
        )
        assert job.status_code == 202, job.content
        follow = importlib.import_module(f"{PACKAGE}.api.jobs.get_job")
        deadline = time.monotonic() + 60
        state = job.parsed
        while str(state.status) not in ("succeeded", "failed", "cancelled") and time.monotonic() < deadline:
            time.sleep(0.2)
            state = follow.sync(client=client, job_id=uuid.UUID(str(job.parsed.id)))
        assert str(state.status) == "succeeded" and state.counts.created == 5, state.problem

        # The change feed, from the cursor taken at the start: the units, the update, the five members.
        seen: list[tuple[str, str]] = []
        cursor = start.next_cursor
        while True:
            page = feed.sync(client=client, after=cursor, limit=3)
            seen += [(str(i.entity), str(i.change)) for i in page.items]
            cursor = page.next_cursor
            if len(page.items) < 3:
                break
        assert seen.count(("organization", "created")) == 5
        assert ("organization", "updated") in seen
        assert seen.count(("member", "created")) == 5
