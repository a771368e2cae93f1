"""Webhook deliveries through a real worker to a real receiver (tests/support/webhooks.py): signed and verifiable,
in the feed's order, as the subscriber sees the feed; a receiver down for a while gets everything afterwards, at
least once and in order; a subscription failing too long is paused and resumed; a replay delivers again; a URL that
became private is refused at delivery."""

import asyncio
import os
import time
from collections import defaultdict
from typing import Any

import httpx
from fastapi import FastAPI

from tests.support.builders import ClientWith, InsertKey
from tests.support.webhooks import Receiver, StartWorker, eventually, feed_after, key_of, subscribe

MEMBERS = "/api/v1/members"
HOOKS = "/api/v1/webhooks"
# How long the receiver stays down in the outage test (the acceptance: 120; by hand:
# COSO_TEST_WEBHOOK_DOWN_SECONDS=120 pytest tests/webhooks -k down -s).
DOWN_SECONDS = float(os.environ.get("COSO_TEST_WEBHOOK_DOWN_SECONDS", "6"))


async def new_member(client: httpx.AsyncClient, cell: dict[str, Any], name: str, citizen_id: str) -> str:
    body = {
        "full_name": name,
        "gender": "female",
        "birth_date": "1985-03-04",
        "status": "official",
        "organization_id": cell["id"],
        "admission_decision_date": "2010-06-01",
        "citizen_id": citizen_id,
    }
    response = await client.post(MEMBERS, json=body)
    assert response.status_code == 201, response.text
    member_id: str = response.json()["id"]
    return member_id


async def rename(client: httpx.AsyncClient, member_id: str, hometown: str) -> None:
    response = await client.patch(f"{MEMBERS}/{member_id}", json={"hometown": hometown})
    assert response.status_code == 200, response.text


def once_each(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The changes received, each once (a batch sent again repeats them), in the order first received."""
    seen: set[str] = set()
    firsts = []
    for item in items:
        if item["cursor"] not in seen:
            seen.add(item["cursor"])
            firsts.append(item)
    return firsts


def in_order_per_record(items: list[dict[str, Any]]) -> bool:
    """Each record's versions never go back (a repeat of the same version is a redelivery, allowed)."""
    last: dict[str, int] = {}
    for item in items:
        version = item["version"] or 0
        if version < last.get(item["id"], 0) and not item["tombstone"]:
            return False
        last[item["id"]] = version
    return True


async def test_deliveries_are_signed_in_order_and_scoped_to_the_subscriber(
    hooks_app: FastAPI,
    hooks_client: httpx.AsyncClient,
    hooks_worker: StartWorker,
    client_with: ClientWith,
    insert_key: InsertKey,
    receiver: Receiver,
    communes: dict[str, dict[str, Any]],
) -> None:
    await hooks_worker()
    admin = await subscribe(hooks_client, receiver, "/admin")
    a_key = await insert_key(role="editor", scopes=[communes["A"]["id"]], pii=False)
    async with client_with(hooks_app, a_key) as a_client:
        a_hook = await subscribe(a_client, receiver, "/a", entities=["member"])
        assert (a_hook["scopes"], a_hook["pii"], a_hook["entities"]) == ([communes["A"]["id"]], False, ["member"])
        members = []
        for i in range(6):
            cell = communes["A-DU-CB" if i % 2 == 0 else "B-DU-CB"]
            members.append(await new_member(hooks_client, cell, f"Người thứ {i}", f"00118500{i:04d}"))
        for i, member in enumerate(members):
            await rename(hooks_client, member, f"Quê {i}")
        unit = await hooks_client.patch(f"/api/v1/organizations/{communes['A-DU']['id']}", json={"name": "Trường A"})
        assert unit.status_code == 200, unit.text
        expected_admin = [key_of(i) for i in await feed_after(hooks_client, admin["cursor"])]
        expected_a = [key_of(i) for i in await feed_after(a_client, a_hook["cursor"]) if i["entity"] == "member"]
        assert len(expected_admin) == 6 * 2 + 1 and len(expected_a) == 3 * 2

        await eventually(lambda: len(receiver.items("/admin")) >= len(expected_admin), what="the admin's deliveries")
        await eventually(lambda: len(receiver.items("/a")) >= len(expected_a), what="commune A's deliveries")
        assert all(r.verified for r in receiver.received), "every signature verifies"
        # Nothing was sent twice (the receiver was up), in the feed's order, batches of at most 7.
        assert [key_of(i) for i in receiver.items("/admin")] == expected_admin
        assert [key_of(i) for i in receiver.items("/a")] == expected_a
        assert max(len(r.body["data"]["items"]) for r in receiver.delivered("/admin") if r.body) <= 7
        # Commune A's key sees its own members only, without their citizen IDs.
        a_items = receiver.items("/a")
        assert {i["id"] for i in a_items} == set(members[0::2])
        assert all(i["data"] is None or i["data"]["citizen_id"] is None for i in a_items)
        assert all(i["data"]["citizen_id"] for i in receiver.items("/admin") if i["entity"] == "member")
        body = receiver.delivered("/a")[0].body
        assert body is not None and body["type"] == "coso.changes" and body["timestamp"]

        async def logged() -> bool:
            # The receiver has the last batch a moment before the worker records that it arrived.
            log = (await a_client.get(f"{HOOKS}/{a_hook['id']}/deliveries")).json()["items"]
            return len(log) == len(receiver.delivered("/a")) and all(d["status"] == "succeeded" for d in log)

        await eventually(logged, seconds=10, what="commune A's deliveries logged")
        seen = await a_client.get(f"{HOOKS}/{a_hook['id']}")
        assert seen.status_code == 200, seen.text
        shown = seen.json()
        assert "secret" not in shown and a_hook["secret"] not in seen.text
        assert (shown["status"], shown["consecutive_failures"], shown["last_error"]) == ("active", 0, None)
        assert shown["last_success_at"] is not None
        log = (await a_client.get(f"{HOOKS}/{a_hook['id']}/deliveries")).json()["items"]
        assert {(d["status"], d["attempts"]) for d in log} == {("succeeded", 1)}
        assert [d["id"] for d in reversed(log)] == [r.webhook_id for r in receiver.delivered("/a")]
        assert sum(d["entries"] for d in log) == 6
        last = receiver.delivered("/a")[-1].body
        assert last is not None and log[0]["next_cursor"] == last["data"]["next_cursor"]


async def test_a_receiver_down_for_a_while_then_back_gets_every_change_at_least_once_in_order(
    hooks_client: httpx.AsyncClient,
    hooks_worker: StartWorker,
    receiver: Receiver,
    communes: dict[str, dict[str, Any]],
) -> None:
    """Down: first it refuses connections, then it answers 503; meanwhile writers keep changing records. Back up:
    every change arrives, each record's in order, every signature verifies, and a batch keeps its webhook-id
    across its attempts."""
    await hooks_worker(webhook_max_failures=100_000, webhook_retry_max_seconds=min(2.0, DOWN_SECONDS / 4))
    hook = await subscribe(hooks_client, receiver, "/sync")
    cells = [communes["A-DU-CB"], communes["B-DU-CB"]]
    members = [await new_member(hooks_client, cells[i % 2], f"Người {i}", f"00118501{i:04d}") for i in range(4)]
    await eventually(lambda: len(receiver.items("/sync")) >= 4, what="the first deliveries")

    await receiver.stop()
    started = time.monotonic()
    writes = 0
    while time.monotonic() - started < DOWN_SECONDS:
        if receiver.mode == "down" and time.monotonic() - started > DOWN_SECONDS / 2:
            await receiver.start()
            receiver.mode = "503"
        await rename(hooks_client, members[writes % len(members)], f"Quê {writes}")
        writes += 1
        if writes % 5 == 0:
            members.append(await new_member(hooks_client, cells[writes % 2], f"Mới {writes}", f"0011860{writes:05d}"))
        await asyncio.sleep(0.1)
    down = (await hooks_client.get(f"{HOOKS}/{hook['id']}")).json()
    assert down["status"] == "active" and down["consecutive_failures"] >= 2, down
    assert down["last_error"].startswith(("HTTP 503", "connection refused")), down

    receiver.mode = "up"
    back = time.monotonic()
    expected = await feed_after(hooks_client, hook["cursor"])
    await eventually(
        lambda: {i["cursor"] for i in receiver.items("/sync")} >= {i["cursor"] for i in expected},
        seconds=30 + DOWN_SECONDS,
        what="catching up",
    )
    caught_up = time.monotonic() - back
    items = receiver.items("/sync")
    assert all(r.verified for r in receiver.received), "every signature verifies"
    assert [key_of(i) for i in once_each(items)] == [key_of(i) for i in expected]
    assert in_order_per_record(items)
    # The same batch kept its webhook-id across attempts: some id was refused, then accepted.
    attempts: dict[str, set[int]] = defaultdict(set)
    batches: dict[str, set[tuple[Any, ...]]] = defaultdict(set)
    for r in receiver.received:
        attempts[r.webhook_id].add(r.answered)
        if r.body:  # the changes of the batch (their `data` is the record as it is at the attempt)
            batches[r.webhook_id].add(tuple((i["cursor"], *key_of(i)) for i in r.body["data"]["items"]))
    retried = [i for i, answers in attempts.items() if answers == {503, 200}]
    assert retried, attempts
    assert all(len(batches[i]) == 1 for i in retried), "a retry carries the same changes"

    async def delivery_log() -> list[dict[str, Any]]:
        answer = await hooks_client.get(f"{HOOKS}/{hook['id']}/deliveries", params={"limit": 500})
        found: list[dict[str, Any]] = answer.json()["items"]
        return found

    async def all_logged() -> bool:
        # The receiver has the last batch a moment before the worker records that it arrived.
        return all(d["status"] == "succeeded" for d in await delivery_log())

    await eventually(all_logged, seconds=10, what="every delivery logged as succeeded")
    log = await delivery_log()
    assert all(d["status"] == "succeeded" for d in log)
    assert max(d["attempts"] for d in log) >= 2
    assert max(d["entries"] for d in log) == 7, "the backlog went in full batches"
    print(
        f"\nreceiver down {DOWN_SECONDS:g} s; {len(expected)} changes ({writes} updates); "
        f"{len(receiver.received)} POSTs, {len(log)} deliveries, {len(items) - len(expected)} changes received "
        f"twice; caught up {caught_up:.1f} s after it came back"
    )


async def test_a_subscription_failing_too_often_is_paused_and_resume_goes_on_from_there(
    hooks_client: httpx.AsyncClient,
    hooks_worker: StartWorker,
    receiver: Receiver,
    communes: dict[str, dict[str, Any]],
) -> None:
    await hooks_worker(webhook_max_failures=3)
    hook = await subscribe(hooks_client, receiver, "/flaky")
    receiver.mode = "503"
    member = await new_member(hooks_client, communes["A-DU-CB"], "Người kiên nhẫn", "001185020001")

    async def paused() -> bool:
        shown = (await hooks_client.get(f"{HOOKS}/{hook['id']}")).json()
        return bool(shown["status"] == "paused")

    await eventually(paused, what="the pause")
    shown = (await hooks_client.get(f"{HOOKS}/{hook['id']}")).json()
    assert shown["paused_reason"].startswith("3 deliveries failed in a row (the last: HTTP 503"), shown
    assert shown["consecutive_failures"] == 3 and shown["cursor"] == hook["cursor"]
    log = (await hooks_client.get(f"{HOOKS}/{hook['id']}/deliveries")).json()["items"]
    assert [(d["status"], d["attempts"], d["response_status"]) for d in log] == [("failed", 3, 503)]
    assert log[0]["last_error"].startswith("HTTP 503: Service Unavailable")
    posts = len(receiver.received)
    await asyncio.sleep(1)
    assert len(receiver.received) == posts, "nothing is sent while paused"

    receiver.mode = "up"
    await rename(hooks_client, member, "Quê mới")
    resumed = await hooks_client.post(f"{HOOKS}/{hook['id']}/resume")
    assert resumed.status_code == 200, resumed.text
    assert (resumed.json()["status"], resumed.json()["paused_reason"]) == ("active", None)
    await eventually(lambda: len(receiver.items("/flaky")) >= 2, what="the deliveries after the resume")
    assert [(i["change"], i["version"]) for i in receiver.items("/flaky")] == [("created", 1), ("updated", 2)]
    shown = (await hooks_client.get(f"{HOOKS}/{hook['id']}")).json()
    assert (shown["consecutive_failures"], shown["status"]) == (0, "active")


async def test_a_replay_delivers_again_from_a_cursor(
    hooks_client: httpx.AsyncClient,
    hooks_worker: StartWorker,
    receiver: Receiver,
    communes: dict[str, dict[str, Any]],
) -> None:
    await hooks_worker()
    hook = await subscribe(hooks_client, receiver, "/replay", entities=["member"])
    for i in range(3):
        await new_member(hooks_client, communes["B-DU-CB"], f"Người {i}", f"00118503{i:04d}")
    await eventually(lambda: len(receiver.items("/replay")) >= 3, what="the deliveries")
    first = receiver.items("/replay")
    replayed = await hooks_client.post(f"{HOOKS}/{hook['id']}/replay", json={"after": first[0]["cursor"]})
    assert replayed.status_code == 200, replayed.text
    await eventually(lambda: len(receiver.items("/replay")) >= 5, what="the replay")
    again = receiver.items("/replay")[3:]
    assert [key_of(i) for i in again] == [key_of(i) for i in first[1:]]
    ids = [r.webhook_id for r in receiver.delivered("/replay")]
    assert len(set(ids)) == len(ids), "a replay is a new delivery"
    bad = await hooks_client.post(f"{HOOKS}/{hook['id']}/replay", json={"after": "not-a-cursor"})
    assert bad.status_code == 400 and bad.json()["type"] == "urn:coso:problem:invalid_cursor"


async def test_an_address_refused_at_delivery_is_not_connected_to(
    hooks_client: httpx.AsyncClient,
    hooks_worker: StartWorker,
    receiver: Receiver,
    communes: dict[str, dict[str, Any]],
) -> None:
    """Made while loopback was allowed; the worker does not allow it: every attempt fails without a connection."""
    await hooks_worker(webhook_allow_private=False, webhook_max_failures=2)
    hook = await subscribe(hooks_client, receiver, "/private")
    await new_member(hooks_client, communes["A-DU-CB"], "Người", "001185040001")

    async def paused() -> bool:
        return bool((await hooks_client.get(f"{HOOKS}/{hook['id']}")).json()["status"] == "paused")

    await eventually(paused, what="the pause")
    shown = (await hooks_client.get(f"{HOOKS}/{hook['id']}")).json()
    assert "127.0.0.1, a loopback address" in shown["last_error"], shown
    assert receiver.received == []


async def test_a_revoked_keys_subscription_stops(
    hooks_app: FastAPI,
    hooks_client: httpx.AsyncClient,
    hooks_worker: StartWorker,
    client_with: ClientWith,
    insert_key: InsertKey,
    receiver: Receiver,
    communes: dict[str, dict[str, Any]],
) -> None:
    """What a subscription delivers is what its key may read: a revoked key's subscription is paused, and says
    why, before anything more is sent."""
    await hooks_worker()
    key = await insert_key(role="editor", pii=True, name="soon revoked")
    async with client_with(hooks_app, key) as c:
        hook = await subscribe(c, receiver, "/revoked")
    key_uuid = next(
        k["id"] for k in (await hooks_client.get("/api/v1/keys")).json()["items"] if k["name"] == "soon revoked"
    )
    assert (await hooks_client.post(f"/api/v1/keys/{key_uuid}/revoke")).status_code == 200
    await new_member(hooks_client, communes["A-DU-CB"], "Người", "001185050001")

    async def paused() -> bool:
        return bool((await hooks_client.get(f"{HOOKS}/{hook['id']}")).json()["status"] == "paused")

    await eventually(paused, what="the pause")
    shown = (await hooks_client.get(f"{HOOKS}/{hook['id']}")).json()
    assert shown["paused_reason"].startswith("the API key that made it was revoked"), shown
    assert receiver.received == []


async def test_a_new_url_gets_the_waiting_batch_at_once(
    hooks_client: httpx.AsyncClient,
    hooks_worker: StartWorker,
    receiver: Receiver,
    communes: dict[str, dict[str, Any]],
) -> None:
    """A batch waiting a long back-off goes to the corrected URL at once, with the same webhook-id."""
    await hooks_worker(webhook_retry_base_seconds=600, webhook_retry_max_seconds=600)
    hook = await subscribe(hooks_client, receiver, "/old")
    receiver.mode = "503"
    await new_member(hooks_client, communes["A-DU-CB"], "Người", "001185060001")

    async def waiting() -> bool:
        return bool((await hooks_client.get(f"{HOOKS}/{hook['id']}")).json()["next_attempt_at"])

    await eventually(waiting, what="the first failure")
    assert [r.answered for r in receiver.received] == [503]
    corrected = Receiver(secrets={"/new": hook["secret"]})
    await corrected.start()
    try:
        moved = await hooks_client.patch(f"{HOOKS}/{hook['id']}", json={"url": corrected.url("/new")})
        assert moved.status_code == 200 and moved.json()["next_attempt_at"] is None, moved.text
        await eventually(lambda: corrected.items("/new"), what="the delivery to the new URL")
        assert [r.webhook_id for r in corrected.received] == [receiver.received[0].webhook_id]
    finally:
        await corrected.stop()
