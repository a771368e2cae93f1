"""Worlds several feature folders build on, as fixtures (registered by tests/conftest.py): two communes of one
province, and commune B with one record of every kind."""

from typing import Any

import httpx
import pytest

from tests.support.builders import CreateOrg
from tests.support.route_calls import B_SENSITIVE

API = "/api/v1/organizations"
OLD = "2020-01-01"


@pytest.fixture
async def communes(client: httpx.AsyncClient, create_org: CreateOrg) -> dict[str, dict[str, Any]]:
    """Province P with communes A and B, each with a grassroots committee and a cell."""
    p = await create_org(client, "P", "provincial_committee", valid_from=OLD, name="Đảng bộ tỉnh")
    units = {"P": p}
    for c in ("A", "B"):
        commune = await create_org(
            client, c, "upper_level_committee", p, valid_from=OLD, name=f"Đảng bộ xã {c}", external_ids=[f"csdl:{c}"]
        )
        du = await create_org(
            client,
            f"{c}-DU",
            "grassroots_committee",
            commune,
            valid_from=OLD,
            name=f"Đảng bộ Trường {c}",
            external_ids=[f"csdl:{c}-DU"],
        )
        cb = await create_org(client, f"{c}-DU-CB", "subordinate_cell", du, valid_from=OLD, name=f"Chi bộ Tổ {c}")
        units |= {c: commune, f"{c}-DU": du, f"{c}-DU-CB": cb}
    return units


async def _b_unit_records(
    client: httpx.AsyncClient, communes: dict[str, dict[str, Any]], b_member: str
) -> dict[str, str]:
    """Commune B's seats, posts, ratings and records, for the scoping test."""
    cell, commune = communes["B-DU-CB"]["id"], communes["B"]["id"]
    created = []
    for url, body in (
        (f"{API}/{cell}/positions", {"member_id": b_member, "position": "secretary", "valid_from": "2021-01-01"}),
        (
            f"/api/v1/members/{b_member}/posts",
            {"post": "village_head", "organization_id": cell, "valid_from": "2021-01-01"},
        ),
        (f"/api/v1/members/{b_member}/ratings", {"period": "2024", "score": 95}),
        (f"{API}/{commune}/ratings", {"period": "2024", "score": 91}),
        (f"{API}/{cell}/regulations", {"issued_on": "2021-02-01", "reference": "07-QC/CBB"}),
        (
            f"{API}/{cell}/inspections",
            {"inspecting_body": "Ủy ban Kiểm tra xã B", "year": 2024, "conclusion": "Kết luận về xã B"},
        ),
        (f"{API}/{commune}/terms", {"label": "2020-2025", "starts_on": "2020-09-01"}),
    ):
        response = await client.post(url, json=body)
        assert response.status_code == 201, response.text
        created.append(response.json()["id"])
    target = await client.post(
        "/api/v1/indicators/admission_rate/targets",
        json={
            "organization_id": commune,
            "year_from": 2025,
            "comparator": "between",
            "value": 3,
            "value_high": 4,
            "note": "Mục tiêu của xã B",
        },
    )
    assert target.status_code == 201, target.text
    return {"B_POSITION": created[0], "B_POST": created[1], "B_TARGET": target.json()["id"]}


@pytest.fixture
async def b_names(client: httpx.AsyncClient, communes: dict[str, dict[str, Any]]) -> dict[str, str]:
    """Commune B's key, plan, task, body, event, member (every sensitive field filled) and records, by name."""
    b_key = (
        await client.post("/api/v1/keys", json={"name": "B app", "role": "viewer", "scopes": [communes["B"]["id"]]})
    ).json()["id"]
    await client.patch(f"{API}/{communes['B']['id']}", json={"name": "Đảng bộ xã B (sửa)"})
    b_plan = (
        await client.post(
            "/api/v1/plans",
            json={"organization_id": communes["B"]["id"], "title": "Kế hoạch của xã B", "issuer": "Ban Thường vụ B"},
        )
    ).json()["id"]
    b_task = (
        await client.post(
            f"/api/v1/plans/{b_plan}/tasks",
            json={
                "code": "1",
                "title": "Việc của xã B",
                "deadline": "Sau 1 tháng kể từ khi có hướng dẫn của tỉnh",
                "assignments": [{"body": "Văn phòng Đảng ủy xã B", "roles": ["lead"]}],
            },
        )
    ).json()
    b_event = (await client.get(f"/api/v1/plans/{b_plan}/events")).json()["items"][0]["id"]
    b_body = b_task["assignments"][0]["body_id"]
    b_member = (
        await client.post(
            "/api/v1/members",
            json={
                "full_name": "Trần Văn Bê",
                "gender": "male",
                "birth_date": "1980-05-05",
                "status": "official",
                "organization_id": communes["B-DU-CB"]["id"],
                "admission_decision_date": "2010-01-01",
                **B_SENSITIVE,
            },
        )
    ).json()["id"]
    names = {
        **{k: v["id"] for k, v in communes.items()},
        "B_KEY": b_key,
        "B_PLAN": b_plan,
        "B_TASK": b_task["id"],
        "B_BODY": b_body,
        "B_EVENT": b_event,
        "B_MEMBER": b_member,
    }
    names |= await _b_unit_records(client, communes, b_member)
    # A background import of B's cell (no worker runs in the shared app: it stays queued).
    names["B_JOB"] = (
        await client.post(
            "/api/v1/members/import",
            content="full_name,organization\nNgười của B,B-DU-CB\n".encode(),
            headers={"Content-Type": "text/csv", "Prefer": "respond-async"},
        )
    ).json()["id"]
    # A webhook subscription of the whole-tree administrator (a public address; no worker delivers it here).
    names["B_WEBHOOK"] = (
        await client.post("/api/v1/webhooks", json={"url": "https://93.184.215.14/coso", "description": "B"})
    ).json()["id"]
    return names
