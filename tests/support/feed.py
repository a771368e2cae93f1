"""Reading the change feed to its end, as a follower does (tests/changes)."""

from typing import Any

import httpx

CHANGES = "/api/v1/changes"


async def read_all(
    client: httpx.AsyncClient, after: str | None = None, **params: Any
) -> tuple[list[dict[str, Any]], str]:
    """Every change after `after`, page by page (small pages by default, to cross page boundaries: `limit=` for
    others), and the last next_cursor."""
    items: list[dict[str, Any]] = []
    while True:
        query = {"limit": 3, **params, **({"after": after} if after else {})}
        response = await client.get(CHANGES, params=query)
        assert response.status_code == 200, response.text
        page = response.json()
        items += page["items"]
        after = page["next_cursor"]
        assert after
        if len(page["items"]) < query["limit"]:
            return items, after
