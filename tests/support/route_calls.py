"""One call of every operation under /api/v1, aimed at commune B of the `communes` world (tests/support/worlds.py):
the route-walking tests (tests/access/test_scoping.py, tests/api/test_contract.py) make each of them. `{NAME}`
stands for an id of `b_names`; an operation missing here fails those tests, so a new one cannot land unchecked."""

from typing import Any

from fastapi import FastAPI

API = "/api/v1/organizations"
OLD = "2020-01-01"


ROUTE_CALLS: dict[tuple[str, str], dict[str, Any]] = {
    ("GET", "/api/v1/members"): {"params": {"organization_id": "{B-DU-CB}"}, "status": 200, "empty": True},
    ("POST", "/api/v1/members"): {
        "json": {
            "full_name": "Người mới",
            "gender": "male",
            "birth_date": "1990-01-01",
            "status": "candidate",
            "organization_id": "{B-DU-CB}",
        }
    },
    ("GET", "/api/v1/members/{member_id}"): {"path": {"member_id": "{B_MEMBER}"}},
    ("PATCH", "/api/v1/members/{member_id}"): {"path": {"member_id": "{B_MEMBER}"}, "json": {"hometown": "X"}},
    ("POST", "/api/v1/members/{member_id}/events"): {
        "path": {"member_id": "{B_MEMBER}"},
        "json": {"kind": "exempt", "date": "2025-01-01"},
    },
    ("GET", "/api/v1/members/{member_id}/history"): {"path": {"member_id": "{B_MEMBER}"}},
    ("GET", "/api/v1/reference/members"): {"status": 200, "public_data": True},
    ("GET", "/api/v1/organizations"): {"params": {"within": "{B}"}, "status": 422},
    ("POST", "/api/v1/organizations"): {
        "json": {"code": "N", "name": "N", "kind": "grassroots_cell", "parent_id": "{B}"},
        "status": 422,
    },
    ("GET", "/api/v1/organizations/by_code/{code}"): {"path": {"code": "B"}},
    ("GET", "/api/v1/organizations/by_external_id/{external_id}"): {"path": {"external_id": "csdl:B"}},
    ("POST", "/api/v1/organizations/merge"): {"json": {"source_ids": ["{B-DU}"], "into_id": "{B}"}},
    ("GET", "/api/v1/organizations/{organization_id}"): {},
    ("PATCH", "/api/v1/organizations/{organization_id}"): {"json": {"name": "X"}},
    ("GET", "/api/v1/organizations/{organization_id}/children"): {},
    ("GET", "/api/v1/organizations/{organization_id}/ancestors"): {},
    ("GET", "/api/v1/organizations/{organization_id}/subtree"): {},
    ("GET", "/api/v1/organizations/{organization_id}/lineage"): {},
    ("POST", "/api/v1/organizations/{organization_id}/move"): {"json": {"parent_id": "{P}"}},
    ("POST", "/api/v1/organizations/{organization_id}/dissolve"): {"json": {}},
    ("POST", "/api/v1/organizations/{organization_id}/split"): {
        "json": {"parts": [{"code": "S1", "name": "S1", "children": ["{B-DU}"]}, {"code": "S2", "name": "S2"}]}
    },
    ("GET", "/api/v1/reference/organizations"): {"status": 200, "public_data": True},
    ("POST", "/api/v1/keys"): {"json": {"name": "k", "role": "viewer", "scopes": ["{B}"]}, "status": 422},
    ("GET", "/api/v1/keys"): {"status": 200, "empty": True},
    ("GET", "/api/v1/keys/{key_id}"): {"path": {"key_id": "{B_KEY}"}},
    ("POST", "/api/v1/keys/{key_id}/revoke"): {"path": {"key_id": "{B_KEY}"}},
    ("GET", "/api/v1/audit"): {"status": 200, "empty": True},
    # The feed's next_cursor follows the database's horizon, which any write moves (a key's last use too).
    ("GET", "/api/v1/changes"): {"status": 200, "params": {"entity": "member"}, "volatile": ["next_cursor"]},
    ("GET", "/api/v1/bodies"): {"status": 200, "empty": True},
    ("POST", "/api/v1/bodies"): {"json": {"name": "Cơ quan mới", "organization_id": "{B}"}},
    ("GET", "/api/v1/bodies/{body_id}"): {"path": {"body_id": "{B_BODY}"}},
    ("POST", "/api/v1/bodies/{body_id}/aliases"): {"path": {"body_id": "{B_BODY}"}, "json": {"alias": "X"}},
    ("GET", "/api/v1/plans"): {"status": 200, "empty": True},
    ("POST", "/api/v1/plans"): {"json": {"organization_id": "{B}", "title": "Kế hoạch"}},
    ("POST", "/api/v1/plans/import"): {"params": {"organization_id": "{B}"}, "content": "1. Việc\n"},
    ("GET", "/api/v1/plans/{plan_id}"): {"path": {"plan_id": "{B_PLAN}"}},
    ("PATCH", "/api/v1/plans/{plan_id}"): {"path": {"plan_id": "{B_PLAN}"}, "json": {"status": "issued"}},
    ("GET", "/api/v1/plans/{plan_id}/tasks"): {"path": {"plan_id": "{B_PLAN}"}},
    ("POST", "/api/v1/plans/{plan_id}/tasks"): {"path": {"plan_id": "{B_PLAN}"}, "json": {"code": "9", "title": "x"}},
    ("GET", "/api/v1/plans/{plan_id}/summary"): {"path": {"plan_id": "{B_PLAN}"}},
    ("GET", "/api/v1/plans/{plan_id}/events"): {"path": {"plan_id": "{B_PLAN}"}},
    ("PUT", "/api/v1/plans/{plan_id}/events/{event_id}"): {
        "path": {"plan_id": "{B_PLAN}", "event_id": "{B_EVENT}"},
        "json": {"happened_on": "2024-01-01"},
    },
    ("POST", "/api/v1/members/import"): {
        # B's member corrected by id, and a member registered in B's cell: both rows refused, as for ids unknown.
        "content": "id,full_name,gender,birth_date,status,organization,admission_decision_date,hometown\n"
        "{B_MEMBER},,,,,,,Quê mới\n,Người mới,Nam,01/01/1990,official,{B-DU-CB},01/01/2015,\n",
        "content_type": "text/csv",
        "status": 200,
    },
    ("GET", "/api/v1/members/import/template"): {"params": {"format": "csv"}, "status": 200, "public_data": True},
    ("POST", "/api/v1/organizations/import"): {
        # B's unit corrected by id, and a unit created under it: both rows refused, as for ids unknown.
        "content": "id,code,name,kind,parent_id\n{B-DU},,Tên mới,,\n,N-1,Chi bộ mới,subordinate_cell,{B-DU}\n",
        "content_type": "text/csv",
        "status": 200,
    },
    ("GET", "/api/v1/organizations/import/template"): {
        "params": {"format": "csv"},
        "status": 200,
        "public_data": True,
    },
    ("POST", "/api/v1/members/events/import"): {
        "content": "member_id,kind,date\n{B_MEMBER},exempt,2025-01-01\n",
        "content_type": "text/csv",
        "status": 200,
    },
    ("GET", "/api/v1/members/events/import/template"): {
        "params": {"format": "csv"},
        "status": 200,
        "public_data": True,
    },
    ("POST", "/api/v1/members/ratings/import"): {
        "content": "member_id,period,rating\n{B_MEMBER},2024,good\n",
        "content_type": "text/csv",
        "status": 200,
    },
    ("GET", "/api/v1/members/ratings/import/template"): {
        "params": {"format": "csv"},
        "status": 200,
        "public_data": True,
    },
    ("POST", "/api/v1/organizations/positions/import"): {
        "content": "member_id,organization,position,valid_from\n{B_MEMBER},{B-DU-CB},secretary,2024-01-01\n",
        "content_type": "text/csv",
        "status": 200,
    },
    ("POST", "/api/v1/members/posts/import"): {
        "content": "member_id,post,organization,valid_from\n{B_MEMBER},village_head,{B-DU-CB},2024-01-01\n",
        "content_type": "text/csv",
        "status": 200,
    },
    ("GET", "/api/v1/members/posts/import/template"): {
        "params": {"format": "csv"},
        "status": 200,
        "public_data": True,
    },
    ("GET", "/api/v1/organizations/positions/import/template"): {
        "params": {"format": "csv"},
        "status": 200,
        "public_data": True,
    },
    ("POST", "/api/v1/tasks/reports/import"): {
        "content": "task_id,body,reported_on,status\n{B_TASK},{B_BODY},2024-01-01,done\n",
        "content_type": "text/csv",
        "status": 200,
    },
    ("GET", "/api/v1/tasks/reports/import/template"): {
        "params": {"format": "csv"},
        "status": 200,
        "public_data": True,
    },
    ("GET", "/api/v1/tasks"): {"params": {"body_id": "{B_BODY}"}},
    ("GET", "/api/v1/tasks/{task_id}"): {"path": {"task_id": "{B_TASK}"}},
    ("PATCH", "/api/v1/tasks/{task_id}"): {"path": {"task_id": "{B_TASK}"}, "json": {"title": "Việc đã sửa"}},
    ("POST", "/api/v1/tasks/{task_id}/reports"): {
        "path": {"task_id": "{B_TASK}"},
        "json": {"body_id": "{B_BODY}", "reported_on": "2024-01-01", "status": "done"},
    },
}


# Positions, posts, ratings, organisation records, compliance (tests/positions/test_positions.py and friends).
ROUTE_CALLS.update(
    {
        ("GET", "/api/v1/reference/positions"): {"status": 200, "public_data": True},
        ("POST", "/api/v1/organizations/{organization_id}/positions"): {
            "json": {"member_id": "{B_MEMBER}", "position": "deputy_secretary", "valid_from": "2024-01-01"}
        },
        ("GET", "/api/v1/organizations/{organization_id}/positions"): {},
        ("POST", "/api/v1/organizations/{organization_id}/positions/{position_id}/end"): {
            "path": {"position_id": "{B_POSITION}"},
            "json": {"valid_to": "2025-01-01"},
        },
        ("GET", "/api/v1/organizations/{organization_id}/leadership"): {},
        ("GET", "/api/v1/members/{member_id}/positions"): {"path": {"member_id": "{B_MEMBER}"}},
        ("POST", "/api/v1/members/{member_id}/posts"): {
            "path": {"member_id": "{B_MEMBER}"},
            "json": {"post": "commune_chair", "place": "Xã B", "valid_from": "2024-01-01"},
        },
        ("POST", "/api/v1/members/{member_id}/posts/{post_id}/end"): {
            "path": {"member_id": "{B_MEMBER}", "post_id": "{B_POST}"},
            "json": {"valid_to": "2025-01-01"},
        },
        ("POST", "/api/v1/members/{member_id}/ratings"): {
            "path": {"member_id": "{B_MEMBER}"},
            "json": {"period": "2023", "score": 80},
        },
        ("PUT", "/api/v1/members/{member_id}/ratings/{period}"): {
            "path": {"member_id": "{B_MEMBER}", "period": "2024"},
            "json": {"score": 10},
        },
        ("GET", "/api/v1/members/{member_id}/ratings"): {"path": {"member_id": "{B_MEMBER}"}},
        ("POST", "/api/v1/organizations/{organization_id}/ratings"): {"json": {"period": "2023", "score": 80}},
        ("PUT", "/api/v1/organizations/{organization_id}/ratings/{period}"): {
            "path": {"period": "2024"},
            "json": {"score": 10},
        },
        ("GET", "/api/v1/organizations/{organization_id}/ratings"): {},
        ("GET", "/api/v1/organizations/{organization_id}/ratings/summary"): {"params": {"period": "2024"}},
        ("GET", "/api/v1/organizations/{organization_id}/member_ratings"): {"params": {"period": "2024"}},
        ("POST", "/api/v1/organizations/{organization_id}/regulations"): {
            "json": {"issued_on": "2024-01-01", "reference": "1-QC"}
        },
        ("GET", "/api/v1/organizations/{organization_id}/regulations"): {},
        ("POST", "/api/v1/organizations/{organization_id}/inspections"): {
            "json": {"inspecting_body": "UBKT", "year": 2024}
        },
        ("GET", "/api/v1/organizations/{organization_id}/inspections"): {},
        ("POST", "/api/v1/organizations/{organization_id}/terms"): {
            "json": {"label": "2030-2035", "starts_on": "2030-01-01"}
        },
        ("GET", "/api/v1/organizations/{organization_id}/terms"): {},
        ("GET", "/api/v1/compliance"): {"params": {"within": "{B}"}, "status": 422},
    }
)


# Background jobs (tests/jobs): B_JOB is the whole-tree administrator's; anyone else's answer is a random id's.
ROUTE_CALLS.update(
    {
        ("GET", "/api/v1/jobs"): {"status": 200, "empty": True},
        ("GET", "/api/v1/jobs/{job_id}"): {"path": {"job_id": "{B_JOB}"}},
        ("GET", "/api/v1/jobs/{job_id}/errors"): {"path": {"job_id": "{B_JOB}"}},
        ("POST", "/api/v1/jobs/{job_id}/cancel"): {"path": {"job_id": "{B_JOB}"}},
    }
)


# Webhooks (tests/webhooks): B_WEBHOOK is the whole-tree administrator's; anyone else's answer is a random id's. A
# new subscription to an internal address is refused (the contract's success call gives a public one).
ROUTE_CALLS.update(
    {
        ("POST", "/api/v1/webhooks"): {"json": {"url": "http://169.254.169.254/"}, "status": 422},
        ("GET", "/api/v1/webhooks"): {"status": 200, "empty": True},
        ("GET", "/api/v1/webhooks/{webhook_id}"): {"path": {"webhook_id": "{B_WEBHOOK}"}},
        ("PATCH", "/api/v1/webhooks/{webhook_id}"): {
            "path": {"webhook_id": "{B_WEBHOOK}"},
            "json": {"description": "X"},
        },
        ("DELETE", "/api/v1/webhooks/{webhook_id}"): {"path": {"webhook_id": "{B_WEBHOOK}"}},
        ("POST", "/api/v1/webhooks/{webhook_id}/pause"): {"path": {"webhook_id": "{B_WEBHOOK}"}},
        ("POST", "/api/v1/webhooks/{webhook_id}/resume"): {"path": {"webhook_id": "{B_WEBHOOK}"}},
        ("POST", "/api/v1/webhooks/{webhook_id}/replay"): {"path": {"webhook_id": "{B_WEBHOOK}"}, "json": {}},
        ("POST", "/api/v1/webhooks/{webhook_id}/rotate_secret"): {"path": {"webhook_id": "{B_WEBHOOK}"}},
        ("GET", "/api/v1/webhooks/{webhook_id}/deliveries"): {"path": {"webhook_id": "{B_WEBHOOK}"}},
    }
)


# Statistics (tests/statistics/test_statistics.py).
ROUTE_CALLS.update(
    {
        ("GET", "/api/v1/statistics/members"): {"params": {"organization_id": "{B}"}},
        ("GET", "/api/v1/statistics/organizations"): {"params": {"organization_id": "{B}"}},
    }
)


# Indicators (tests/indicators/test_indicators.py).
ROUTE_CALLS.update(
    {
        ("GET", "/api/v1/indicators"): {"status": 200, "public_data": True},
        ("GET", "/api/v1/indicators/{code}"): {"path": {"code": "members"}, "status": 200, "public_data": True},
        ("GET", "/api/v1/indicators/analytics"): {
            "params": {"indicator": "members", "period": "2024", "organization_id": "{B}"}
        },
        ("GET", "/api/v1/indicators/{code}/targets"): {"path": {"code": "admission_rate"}, "status": 200},
        ("POST", "/api/v1/indicators/{code}/targets"): {
            "path": {"code": "admission_rate"},
            "json": {"organization_id": "{B}", "year_from": 2030, "comparator": "gte", "value": 5},
        },
        ("DELETE", "/api/v1/indicators/{code}/targets/{target_id}"): {
            "path": {"code": "admission_rate", "target_id": "{B_TARGET}"}
        },
        ("GET", "/api/v1/plans/{plan_id}/targets"): {"path": {"plan_id": "{B_PLAN}"}},
        ("PUT", "/api/v1/plans/{plan_id}/targets"): {
            "path": {"plan_id": "{B_PLAN}"},
            "json": {"targets": [{"indicator": "admission_rate"}]},
        },
    }
)


B_UNIT_DATA = ["07-QC/CBB", "Mục tiêu của xã B", "Ủy ban Kiểm tra xã B", "Kết luận về xã B"]


# Commune B's member's sensitive values: never in an answer to a caller without pii (nor to one outside B).
B_SENSITIVE = {
    "citizen_id": "001080012345",
    "phone": "0912 345 678",
    "residence": "Thôn Bến Đò, xã B",
    "ethnicity": "Tày-Bê-ẩn",
    "religion": "Đạo-Bê-ẩn",
}


def api_routes(app: FastAPI) -> list[tuple[str, str, Any]]:
    found = []
    for route in app.openapi()["paths"]:
        if not route.startswith("/api/v1"):
            continue
        for method in app.openapi()["paths"][route]:
            found.append((method.upper(), route, app.openapi()["paths"][route][method]))
    return found


def fill_call(call: dict[str, Any], values: dict[str, str], *, code: str, external_id: str) -> dict[str, Any]:
    """The call's path values, query parameters and body (JSON, or the text of a file), with `{NAME}` replaced from
    `values`."""

    def fill(value: Any) -> Any:
        if isinstance(value, str) and value.startswith("{") and value.endswith("}"):
            return values[value[1:-1]]
        if isinstance(value, dict):
            return {k: fill(v) for k, v in value.items()}
        if isinstance(value, list):
            return [fill(v) for v in value]
        return value

    path = fill(call.get("path", {}))
    path = {k: code if k == "code" and v == "B" else external_id if k == "external_id" else v for k, v in path.items()}
    content = call.get("content")
    if content is not None:
        for name, value in values.items():
            content = content.replace("{" + name + "}", value)
    return {
        "path": path,
        "params": fill(call.get("params")),
        "json": fill(call.get("json")),
        "content": content,
        "content_type": call.get("content_type", "text/plain"),
    }
