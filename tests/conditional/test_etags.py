"""ETags name a representation (version, pii view, structure date); If-None-Match on a GET answers 304 (RFC 9110
§13.1.2, weak comparison), through the FastAPI routes and the organisation fast lane alike."""

import httpx
import pytest
from fastapi import FastAPI

from tests.support.builders import ClientWith, InsertKey

# One GET of a single versioned record per kind, by its name in the `b_names` world.
SINGLE_GETS = {
    "organization": "/api/v1/organizations/{B}",
    "organization by code": "/api/v1/organizations/by_code/B",
    "organization by external id": "/api/v1/organizations/by_external_id/csdl:B",
    "member": "/api/v1/members/{B_MEMBER}",
    "plan": "/api/v1/plans/{B_PLAN}",
    "task": "/api/v1/tasks/{B_TASK}",
    "body": "/api/v1/bodies/{B_BODY}",
}


def _url(template: str, names: dict[str, str]) -> str:
    for name, value in names.items():
        template = template.replace("{" + name + "}", value)
    return template


@pytest.mark.parametrize("kind", sorted(SINGLE_GETS))
async def test_a_get_with_the_current_etag_is_not_modified(
    client: httpx.AsyncClient, b_names: dict[str, str], kind: str
) -> None:
    url = _url(SINGLE_GETS[kind], b_names)
    first = await client.get(url)
    assert first.status_code == 200, first.text
    tag = first.headers["etag"]
    assert tag.startswith(f'"{first.json()["version"]}')
    for sent in (tag, f"W/{tag}", "*", f'"nothing-of-ours", {tag}', f'"x",W/{tag}'):
        again = await client.get(url, headers={"If-None-Match": sent})
        assert again.status_code == 304, (sent, again.text)
        assert again.content == b""
        assert again.headers["etag"] == tag
    other = await client.get(url, headers={"If-None-Match": '"999", W/"998"'})
    assert other.status_code == 200
    assert other.json() == first.json()
    assert other.headers["etag"] == tag


async def test_a_change_makes_the_old_etag_fetch_the_new_representation(
    client: httpx.AsyncClient, b_names: dict[str, str]
) -> None:
    url = f"/api/v1/members/{b_names['B_MEMBER']}"
    old = (await client.get(url)).headers["etag"]
    changed = await client.patch(url, json={"hometown": "Làng mới"}, headers={"If-Match": old})
    assert changed.status_code == 200, changed.text
    new = changed.headers["etag"]
    assert new != old
    fresh = await client.get(url, headers={"If-None-Match": old})
    assert fresh.status_code == 200
    assert fresh.json()["hometown"] == "Làng mới"
    assert fresh.headers["etag"] == new
    assert (await client.get(url, headers={"If-None-Match": new})).status_code == 304


async def test_the_view_without_personal_data_has_its_own_etag(
    app: FastAPI,
    client: httpx.AsyncClient,
    client_with: ClientWith,
    insert_key: InsertKey,
    b_names: dict[str, str],
) -> None:
    """A member read with pii and without are two representations: their tags differ, and a tag of one never
    answers 304 for the other. If-Match takes either: a write is to the record."""
    url = f"/api/v1/members/{b_names['B_MEMBER']}"
    with_pii = await client.get(url)
    token = await insert_key(role="editor", pii=False, name="no pii")
    async with client_with(app, token) as plain:
        without = await plain.get(url)
        assert without.json()["citizen_id"] is None
        assert without.headers["etag"] != with_pii.headers["etag"]
        assert with_pii.headers["etag"] == f'"{with_pii.json()["version"]}-p"'
        assert without.headers["etag"] == f'"{without.json()["version"]}"'
        assert (await plain.get(url, headers={"If-None-Match": with_pii.headers["etag"]})).status_code == 200
        assert (await plain.get(url, headers={"If-None-Match": without.headers["etag"]})).status_code == 304
        changed = await plain.patch(url, json={"hometown": "X"}, headers={"If-Match": without.headers["etag"]})
        assert changed.status_code == 200, changed.text
    stale = await client.patch(url, json={"hometown": "Y"}, headers={"If-Match": with_pii.headers["etag"]})
    assert stale.status_code == 412
    fresh = await client.patch(url, json={"hometown": "Y"}, headers={"If-Match": changed.headers["etag"]})
    assert fresh.status_code == 200, fresh.text


async def test_a_structure_date_is_part_of_the_etag(client: httpx.AsyncClient, b_names: dict[str, str]) -> None:
    """A unit read on a structure date (through the organisation fast lane) is tagged with that date."""
    url = f"/api/v1/organizations/{b_names['B']}"
    today = await client.get(url)
    then = await client.get(url, params={"as_of": "2021-06-01"})
    assert then.headers["etag"] == f'"{then.json()["version"]}-p@2021-06-01"'
    assert then.headers["etag"] != today.headers["etag"]
    assert (await client.get(url, headers={"If-None-Match": then.headers["etag"]})).status_code == 200
    again = await client.get(url, params={"as_of": "2021-06-01"}, headers={"If-None-Match": then.headers["etag"]})
    assert again.status_code == 304
    # The tag a structure-date read gave still guards a write: If-Match compares the version.
    moved = await client.patch(url, json={"name": "Xã B mới"}, headers={"If-Match": then.headers["etag"]})
    assert moved.status_code == 200, moved.text


async def test_a_task_read_on_another_day_is_another_representation(
    client: httpx.AsyncClient, b_names: dict[str, str]
) -> None:
    """A task's obligations are in a state on a day (due soon, overdue): its tag names the day it was read on."""
    url = f"/api/v1/tasks/{b_names['B_TASK']}"
    on_day = await client.get(url, params={"as_of": "2030-01-01"})
    assert on_day.headers["etag"].endswith('@2030-01-01"')
    default = await client.get(url)
    assert default.headers["etag"] != on_day.headers["etag"]
    assert (await client.get(url, headers={"If-None-Match": on_day.headers["etag"]})).status_code == 200


async def test_writes_answer_the_etag_of_what_they_wrote(client: httpx.AsyncClient, b_names: dict[str, str]) -> None:
    """A lifecycle event answers the record's new tag, which the next GET confirms with a 304."""
    url = f"/api/v1/members/{b_names['B_MEMBER']}"
    event = await client.post(f"{url}/events", json={"kind": "exempt", "date": "2025-01-01"})
    assert event.status_code == 201, event.text
    assert (await client.get(url, headers={"If-None-Match": event.headers["etag"]})).status_code == 304
    rated = await client.post(f"{url}/ratings", json={"period": "2023", "score": 80})
    assert rated.status_code == 201, rated.text
    assert rated.headers["etag"] == f'"{rated.json()["version"]}-p"'
