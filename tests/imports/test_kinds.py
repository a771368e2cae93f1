"""The registry of import kinds: every kind exposes the trio a background job calls, with one signature."""

import inspect

from app.domain.imports import kinds


def test_every_kind_runs_its_rows_through_the_same_trio() -> None:
    assert set(kinds.KINDS) == {
        "members",
        "organizations",
        "member_events",
        "ratings",
        "positions",
        "posts",
        "task_reports",
    }
    members = kinds.KINDS["members"]
    for name, kind in kinds.KINDS.items():
        assert kind.name == name and kind.layout.kind == name
        assert (
            inspect.signature(kind.run_rows).parameters.keys() == inspect.signature(members.run_rows).parameters.keys()
        ), name
        assert list(inspect.signature(kind.finish).parameters) == ["tx", "report", "options"], name
        assert list(inspect.signature(kind.new_report).parameters) == ["options", "media"], name


def test_no_two_columns_of_a_kind_share_a_header_and_each_has_a_template_path() -> None:
    for name, kind in kinds.KINDS.items():
        layout = kind.layout
        assert layout.template.endswith("/import/template"), name
        assert len(layout.headers) == sum(1 + len(c.aliases) for c in layout.columns), name
        assert set(layout.sensitive) <= {c.field for c in layout.columns}, name
