"""The Charter's member rules through the API: probation from the ceremony, the ceremony after the decision, no
expulsion of a probationary member, where a registered member is placed and from when."""

from typing import Any

import httpx
import pytest

from tests.support.builders import CreateOrg, Snapshot
from tests.support.problems import assert_problem

MEMBERS = "/api/v1/members"


@pytest.fixture
async def cell(client: httpx.AsyncClient, create_org: CreateOrg) -> dict[str, Any]:
    hy = await create_org(client, "HY", "provincial_committee", valid_from="2015-01-01")
    x1 = await create_org(client, "HY-X1", "upper_level_committee", hy, valid_from="2015-01-01", category="commune")
    return await create_org(client, "HY-X1-C1", "grassroots_cell", x1, valid_from="2020-01-01")


async def register(client: httpx.AsyncClient, cell: dict[str, Any], name: str, **extra: Any) -> httpx.Response:
    body = {
        "full_name": name,
        "gender": "male",
        "birth_date": "1980-01-01",
        "status": "official",
        "organization_id": cell["id"],
        "admission_decision_date": "2005-06-01",
        **extra,
    }
    return await client.post(MEMBERS, json=body)


async def candidate(client: httpx.AsyncClient, cell: dict[str, Any], **extra: Any) -> dict[str, Any]:
    sponsors = [(await register(client, cell, n)).json()["id"] for n in ("Lê Văn Một", "Phạm Văn Hai")]
    created = await client.post(
        MEMBERS,
        json={
            "full_name": "Nguyễn Văn Ba",
            "gender": "male",
            "birth_date": "2000-05-05",
            "status": "candidate",
            "organization_id": cell["id"],
            "sponsor_ids": sponsors,
            "sponsor_since": {s: "2023-06-01" for s in sponsors},
            "training_certificate_date": "2024-10-01",
            **extra,
        },
    )
    assert created.status_code == 201, created.text
    body: dict[str, Any] = created.json()
    return body


async def event(client: httpx.AsyncClient, member_id: str, kind: str, day: str, **extra: Any) -> httpx.Response:
    return await client.post(f"{MEMBERS}/{member_id}/events", json={"kind": kind, "date": day, **extra})


async def test_probation_counts_from_the_ceremony(
    client: httpx.AsyncClient, cell: dict[str, Any], snapshot: Snapshot
) -> None:
    person = await candidate(client, cell, since="2024-09-01")
    admitted = await event(client, person["id"], "admit", "2025-01-10", ceremony_date="2025-02-20")
    assert admitted.status_code == 201, admitted.text
    before = await snapshot()
    # a year after the decision, but not after the ceremony
    body = assert_problem(await event(client, person["id"], "recognize", "2026-01-15"), 409, "probation_not_over")
    assert "2026-02-20" in body["detail"]
    assert await snapshot() == before
    recognized = await event(client, person["id"], "recognize", "2026-02-23")
    assert recognized.status_code == 201, recognized.text
    assert recognized.json()["official_date"] == "2026-02-20"
    assert recognized.json()["status"] == "official"
    # a corrected ceremony moves the official date with it
    corrected = await client.patch(f"{MEMBERS}/{person['id']}", json={"admission_ceremony_date": "2025-02-18"})
    assert corrected.status_code == 200 and corrected.json()["official_date"] == "2026-02-18"


async def test_probation_without_a_recorded_ceremony_counts_from_the_decision(
    client: httpx.AsyncClient, cell: dict[str, Any]
) -> None:
    person = await candidate(client, cell, since="2024-09-01")
    assert (await event(client, person["id"], "admit", "2025-01-10")).status_code == 201
    assert_problem(await event(client, person["id"], "recognize", "2026-01-09"), 409, "probation_not_over")
    recognized = await event(client, person["id"], "recognize", "2026-01-12")
    assert recognized.status_code == 201 and recognized.json()["official_date"] == "2026-01-10"


async def test_a_registered_official_member_is_official_from_a_year_after_the_ceremony(
    client: httpx.AsyncClient, cell: dict[str, Any]
) -> None:
    created = await register(
        client, cell, "Trần Văn Bốn", admission_decision_date="2020-03-02", admission_ceremony_date="2020-03-25"
    )
    assert created.status_code == 201, created.text
    assert created.json()["official_date"] == "2021-03-25"


async def test_the_ceremony_cannot_precede_the_decision(
    client: httpx.AsyncClient, cell: dict[str, Any], snapshot: Snapshot
) -> None:
    person = await candidate(client, cell, since="2024-09-01")
    before = await snapshot()
    assert_problem(
        await event(client, person["id"], "admit", "2025-01-10", ceremony_date="2025-01-09"),
        409,
        "ceremony_before_decision",
    )
    assert_problem(
        await register(
            client, cell, "Trần Văn Năm", admission_decision_date="2020-03-02", admission_ceremony_date="2020-03-01"
        ),
        409,
        "ceremony_before_decision",
    )
    assert await snapshot() == before
    assert (await event(client, person["id"], "admit", "2025-01-10")).status_code == 201
    before = await snapshot()
    assert_problem(
        await client.patch(f"{MEMBERS}/{person['id']}", json={"admission_ceremony_date": "2024-12-31"}),
        409,
        "ceremony_before_decision",
    )
    assert await snapshot() == before
    fixed = await client.patch(f"{MEMBERS}/{person['id']}", json={"admission_ceremony_date": "2025-01-10"})
    assert fixed.status_code == 200, fixed.text


async def test_a_probationary_member_cannot_be_expelled(
    client: httpx.AsyncClient, cell: dict[str, Any], snapshot: Snapshot
) -> None:
    person = await candidate(client, cell, since="2024-09-01")
    assert (await event(client, person["id"], "admit", "2025-01-10", ceremony_date="2025-01-20")).status_code == 201
    before = await snapshot()
    assert_problem(await event(client, person["id"], "expel", "2025-06-01"), 409, "probationary_cannot_be_expelled")
    assert await snapshot() == before
    # discipline short of expulsion, and failing probation, remain open
    assert (await event(client, person["id"], "suspend", "2025-06-01")).status_code == 201
    failed = await event(client, person["id"], "fail_probation", "2025-07-01")
    assert failed.status_code == 201 and failed.json()["status"] == "struck_off"


async def test_a_registered_member_is_placed_in_the_cell_from_since(
    client: httpx.AsyncClient, cell: dict[str, Any]
) -> None:
    created = await register(
        client,
        cell,
        "Đỗ Văn Sáu",
        admission_decision_date="2021-03-02",
        admission_ceremony_date="2021-03-10",
        since="2021-06-01",
    )
    assert created.status_code == 201, created.text
    mid = created.json()["id"]
    assert (await client.get(f"{MEMBERS}/{mid}", params={"as_of": "2021-05-31"})).status_code == 404
    then = (await client.get(f"{MEMBERS}/{mid}", params={"as_of": "2021-06-01"})).json()
    assert (then["status"], then["organization_id"]) == ("probationary", cell["id"])
    later = (await client.get(f"{MEMBERS}/{mid}", params={"as_of": "2022-03-10"})).json()
    assert later["status"] == "official"


async def test_a_member_is_never_placed_before_the_cell_was_founded(
    client: httpx.AsyncClient, cell: dict[str, Any], snapshot: Snapshot
) -> None:
    before = await snapshot()
    assert_problem(await register(client, cell, "Đỗ Văn Bảy", since="2019-12-31"), 409, "before_organization_founded")
    assert_problem(await candidate_body(client, cell, since="2019-06-01"), 409, "before_organization_founded")
    assert await snapshot() == before
    # without `since`, a member admitted before the cell existed is placed there from its founding
    created = await register(client, cell, "Đỗ Văn Tám")
    assert created.status_code == 201, created.text
    mid = created.json()["id"]
    assert (await client.get(f"{MEMBERS}/{mid}", params={"as_of": "2019-12-31"})).status_code == 404
    assert (await client.get(f"{MEMBERS}/{mid}", params={"as_of": "2020-01-01"})).json()["status"] == "official"


async def candidate_body(client: httpx.AsyncClient, cell: dict[str, Any], **extra: Any) -> httpx.Response:
    return await client.post(
        MEMBERS,
        json={
            "full_name": "Vũ Thị Chín",
            "gender": "female",
            "birth_date": "1995-05-05",
            "status": "candidate",
            "organization_id": cell["id"],
            **extra,
        },
    )


async def test_since_cannot_precede_the_admission(
    client: httpx.AsyncClient, cell: dict[str, Any], snapshot: Snapshot
) -> None:
    before = await snapshot()
    assert_problem(
        await register(client, cell, "Đỗ Văn Mười", admission_decision_date="2021-03-02", since="2021-01-01"),
        422,
        "since_before_admission",
    )
    assert await snapshot() == before


async def test_a_candidate_registered_without_since_can_be_admitted_on_an_earlier_date(
    client: httpx.AsyncClient, cell: dict[str, Any]
) -> None:
    person = await candidate(client, cell)  # since: today
    admitted = await event(client, person["id"], "admit", "2025-01-10", ceremony_date="2025-01-20")
    assert admitted.status_code == 201, admitted.text
    history = (await client.get(f"{MEMBERS}/{person['id']}/history")).json()["items"]
    assert [(e["kind"], e["event_date"]) for e in history] == [("proposed", "2025-01-10"), ("admit", "2025-01-10")]
    then = await client.get(f"{MEMBERS}/{person['id']}", params={"as_of": "2025-01-10"})
    assert then.json()["status"] == "probationary"


async def test_a_candidate_with_a_given_since_keeps_event_order(
    client: httpx.AsyncClient, cell: dict[str, Any], snapshot: Snapshot
) -> None:
    person = await candidate(client, cell, since="2025-03-01")
    before = await snapshot()
    assert_problem(await event(client, person["id"], "admit", "2025-01-10"), 409, "out_of_order")
    assert await snapshot() == before


async def test_sponsors_must_have_worked_with_the_candidate_for_a_year(
    client: httpx.AsyncClient, cell: dict[str, Any], snapshot: Snapshot
) -> None:
    person = await candidate(client, cell, since="2024-09-01")
    sponsors = person["sponsor_ids"]
    assert person["sponsor_since"] == {s: "2023-06-01" for s in sponsors}
    recent = await client.patch(
        f"{MEMBERS}/{person['id']}", json={"sponsor_since": {sponsors[0]: "2023-06-01", sponsors[1]: "2024-03-01"}}
    )
    assert recent.status_code == 200, recent.text
    before = await snapshot()
    body = assert_problem(
        await event(client, person["id"], "admit", "2025-01-10"), 409, "sponsor_acquaintance_too_short"
    )
    assert sponsors[1] in body["detail"] and sponsors[0] not in body["detail"]
    assert await snapshot() == before
    assert (await event(client, person["id"], "admit", "2025-03-01")).status_code == 201  # 12 months reached


async def test_sponsor_since_names_only_the_sponsors(
    client: httpx.AsyncClient, cell: dict[str, Any], snapshot: Snapshot
) -> None:
    person = await candidate(client, cell, since="2024-09-01")
    before = await snapshot()
    stranger = "00000000-0000-4000-8000-000000000001"
    assert_problem(
        await client.patch(f"{MEMBERS}/{person['id']}", json={"sponsor_since": {stranger: "2020-01-01"}}),
        422,
        "invalid_sponsors",
    )
    assert await snapshot() == before


async def test_an_introduction_by_the_youth_union_or_trade_union_stands_for_one_sponsor(
    client: httpx.AsyncClient, cell: dict[str, Any], snapshot: Snapshot
) -> None:
    person = await candidate(client, cell, since="2024-09-01")
    one = person["sponsor_ids"][:1]
    cut = await client.patch(f"{MEMBERS}/{person['id']}", json={"sponsor_ids": one})
    assert cut.status_code == 200 and cut.json()["sponsor_since"] == {one[0]: "2023-06-01"}
    before = await snapshot()
    assert_problem(await event(client, person["id"], "admit", "2025-01-10"), 409, "sponsors_required")
    assert await snapshot() == before
    for introducer in ("youth_union", "trade_union"):
        introduced = await client.patch(f"{MEMBERS}/{person['id']}", json={"introduced_by": introducer})
        assert introduced.status_code == 200 and introduced.json()["introduced_by"] == introducer
    admitted = await event(client, person["id"], "admit", "2025-01-10")
    assert admitted.status_code == 201, admitted.text
    # an introduction still needs one sponsor of its own
    other = await candidate_body(client, cell, since="2024-09-01", introduced_by="youth_union")
    assert other.status_code == 201
    assert_problem(await event(client, other.json()["id"], "admit", "2025-01-10"), 409, "sponsors_required")


async def test_as_of_shows_the_record_as_it_stood_that_day(client: httpx.AsyncClient, cell: dict[str, Any]) -> None:
    person = await candidate(client, cell, since="2024-09-01")
    assert (await event(client, person["id"], "admit", "2025-01-10", ceremony_date="2025-02-20")).status_code == 201
    assert (await event(client, person["id"], "recognize", "2026-03-02")).status_code == 201

    async def on(day: str) -> tuple[Any, ...]:
        got = await client.get(f"{MEMBERS}/{person['id']}", params={"as_of": day})
        assert got.status_code == 200, got.text
        listed = await client.get(MEMBERS, params={"as_of": day, "organization_id": cell["id"], "q": "Ba"})
        assert [m for m in listed.json()["items"] if m["id"] == person["id"]] == [got.json()]
        b = got.json()
        fields = ("status", "training_certificate_date", "admission_decision_date", "admission_ceremony_date")
        return (*(b[f] for f in fields), b["official_date"])

    assert await on("2024-09-15") == ("candidate", None, None, None, None)
    assert await on("2024-10-01") == ("candidate", "2024-10-01", None, None, None)
    assert await on("2025-01-10") == ("probationary", "2024-10-01", "2025-01-10", None, None)
    assert await on("2025-02-20") == ("probationary", "2024-10-01", "2025-01-10", "2025-02-20", None)
    # the official date is known from the recognition on, though it lies earlier
    assert await on("2026-02-25") == ("probationary", "2024-10-01", "2025-01-10", "2025-02-20", None)
    assert await on("2026-03-02") == ("official", "2024-10-01", "2025-01-10", "2025-02-20", "2026-02-20")
    now = (await client.get(f"{MEMBERS}/{person['id']}")).json()
    assert (now["admission_ceremony_date"], now["official_date"]) == ("2025-02-20", "2026-02-20")


async def test_lists_leave_out_ended_records_unless_asked(
    client: httpx.AsyncClient, cell: dict[str, Any], create_org: CreateOrg
) -> None:
    ids = {}
    for name in ("Sống Một", "Mất Hai", "Bỏ Ba", "Xóa Bốn", "Khai Trừ Năm", "Chuyển Sáu"):
        created = await register(client, cell, f"Nguyễn Văn {name}", since="2020-01-01")
        ids[name] = created.json()["id"]
    for name, kind, extra in (
        ("Mất Hai", "die", {}),
        ("Bỏ Ba", "resign", {}),
        ("Xóa Bốn", "strike_off", {}),
        ("Khai Trừ Năm", "expel", {}),
        ("Chuyển Sáu", "transfer", {"destination": "Đảng bộ tỉnh Thái Bình"}),
    ):
        assert (await event(client, ids[name], kind, "2024-06-01", **extra)).status_code == 201

    async def names(**params: Any) -> set[str]:
        listed = await client.get(MEMBERS, params={"organization_id": cell["id"], **params})
        assert listed.status_code == 200, listed.text
        return {m["full_name"].removeprefix("Nguyễn Văn ") for m in listed.json()["items"]}

    assert await names() == {"Sống Một"}
    assert await names(include_ended="true") == set(ids)
    assert await names(status=["deceased", "expelled"]) == {"Mất Hai", "Khai Trừ Năm"}
    assert await names(as_of="2024-05-31") == set(ids)  # all still members then
    assert await names(as_of="2024-06-01") == {"Sống Một"}
    assert await names(q="nguyen van") == {"Sống Một"}


async def test_hosted_lists_temporarily_attached_members_at_their_host(
    client: httpx.AsyncClient, cell: dict[str, Any], create_org: CreateOrg, snapshot: Snapshot
) -> None:
    host = await create_org(client, "HY-X1-C2", "grassroots_cell", {"id": cell["parent_id"]}, valid_from="2020-01-01")
    guest = (await register(client, cell, "Trần Văn Khách", since="2020-01-01")).json()
    moved = await event(client, guest["id"], "temporary_transfer", "2024-03-01", to_organization_id=host["id"])
    assert moved.status_code == 201, moved.text

    async def at_host(**params: Any) -> list[str]:
        listed = await client.get(MEMBERS, params={"organization_id": host["id"], **params})
        assert listed.status_code == 200, listed.text
        return [m["id"] for m in listed.json()["items"]]

    assert await at_host() == []
    assert await at_host(hosted="true") == [guest["id"]]
    assert await at_host(hosted="true", as_of="2024-02-29") == []
    assert await at_host(hosted="true", as_of="2024-03-01") == [guest["id"]]
    # still counted at home, not at the host
    stats = await client.get("/api/v1/statistics/members", params={"organization_id": host["id"]})
    assert stats.status_code == 200, stats.text
    assert stats.json()["total"] == 0
    home_stats = await client.get("/api/v1/statistics/members", params={"organization_id": cell["id"]})
    assert home_stats.json()["total"] == 1
    assert_problem(await client.get(MEMBERS, params={"hosted": "true"}), 422, "hosted_needs_organization")


async def test_unknown_query_parameters_are_refused_by_name(client: httpx.AsyncClient) -> None:
    body = assert_problem(await client.get(MEMBERS, params={"bogus": "1"}), 422)
    assert "bogus" in str(body)
