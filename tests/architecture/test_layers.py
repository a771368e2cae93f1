"""The shape of the code base, checked: imports point one way (app/api → app/domain → app/db), demo data is not
runtime code, and no module grows past a size a person can read."""

import ast
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parents[2] / "app"
MAX_LINES = 400

# What each layer may not import. The composition root (app/main.py, app/cli*.py) may import anything.
FORBIDDEN = {
    "app.api": ("app.db", "app.demo"),
    "app.domain": ("app.api", "app.demo"),
    "app.db": ("app.api", "app.domain", "app.demo"),
    "app.demo": ("app.api",),
}


def _module(path: Path) -> str:
    return ".".join(path.relative_to(APP.parent).with_suffix("").parts).removesuffix(".__init__")


def _imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found += [(node.lineno, node.module)]
            found += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
    return found


def _sources() -> list[Path]:
    return sorted(APP.rglob("*.py"))


def test_the_layers_import_one_way() -> None:
    wrong = []
    for path in _sources():
        module = _module(path)
        for layer, banned in FORBIDDEN.items():
            if module == layer or module.startswith(layer + "."):
                wrong += [
                    f"{path.relative_to(APP.parent)}:{line} imports {name}"
                    for line, name in _imports(path)
                    if any(name == b or name.startswith(b + ".") for b in banned)
                ]
    assert not wrong, "imports against the direction api → domain → db:\n" + "\n".join(wrong)


def test_the_check_would_catch_a_wrong_import(tmp_path: Path) -> None:
    """The walk above sees `from app.db import …` in a route (it is not a check that cannot fail)."""
    route = tmp_path / "route.py"
    route.write_text("from app.db.members import reads\nimport app.db.sql\n")
    assert [name for _, name in _imports(route)] == ["app.db.members", "app.db.members.reads", "app.db.sql"]


@pytest.mark.parametrize("path", _sources(), ids=lambda p: str(p.relative_to(APP.parent)))
def test_modules_stay_small(path: Path) -> None:
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{path.relative_to(APP.parent)} has {lines} lines; split it (at most {MAX_LINES})"


def test_every_feature_has_the_same_name_in_each_layer() -> None:
    """organizations, members, … are folders in app/api, app/domain and app/db alike (where the layer has
    anything of them), and no layer has a feature folder of a name the others do not know."""
    layers = {
        layer: {p.name for p in (APP / layer).iterdir() if p.is_dir() and p.name != "__pycache__"}
        for layer in ("api", "domain", "db")
    }
    features = {
        "organizations",
        "members",
        "positions",
        "ratings",
        "records",
        "plans",
        "indicators",
        "statistics",
        "access",
        "audit",
        "jobs",
        "idempotency",
        "changes",
        "webhooks",
    }
    # Features that have nothing of their own in some layer. imports: files are read in the domain and written
    # through the members' queries (the background imports' tables are the jobs feature's). exports: the
    # formats are written in the domain; the rows are each feature's queries and the routes its list endpoints.
    partial = {"imports": ("api", "domain"), "exports": ("domain",)}
    for layer, present in layers.items():
        assert features <= present, f"app/{layer} lacks {sorted(features - present)}"
        expected = {name for name, where in partial.items() if layer in where}
        assert expected <= present, f"app/{layer} lacks {sorted(expected - present)}"
        strangers = present - features - set(partial)
        assert not strangers, f"app/{layer} has feature folders no other layer knows: {sorted(strangers)}"


# SQLAlchemy declares the tables for Alembic (autogenerate, `alembic check`) and runs the migrations; queries are
# written through app/db/sql.py only (ARCHITECTURE.md, "One way to write SQL").
SQLALCHEMY_ALLOWED = ("app.db.metadata", "app.db.schema", "app.db.migrations")


def test_sqlalchemy_only_declares_tables_and_migrates() -> None:
    wrong = []
    for path in _sources():
        module = _module(path)
        if module in SQLALCHEMY_ALLOWED or module.endswith(".tables"):
            continue
        wrong += [
            f"{path.relative_to(APP.parent)}:{line} imports {name}"
            for line, name in _imports(path)
            if name == "sqlalchemy" or name.startswith("sqlalchemy.") or name.startswith("sqlmodel")
        ]
    assert not wrong, "queries go through app/db/sql.py:\n" + "\n".join(wrong)


TESTS = APP.parent / "tests"


def test_no_test_imports_another_test_module() -> None:
    """Shared builders are fixtures (tests/conftest.py) or helpers in tests/support; a test module is never
    imported, nor is a conftest."""
    wrong = []
    for path in sorted(TESTS.rglob("*.py")):
        for line, name in _imports(path):
            last = name.split(".")[-1]
            if name.startswith("tests.") and (
                last.startswith("test_") or last == "conftest" or ".test_" in name or ".conftest" in name
            ):
                wrong.append(f"{path.relative_to(APP.parent)}:{line} imports {name}")
    assert not wrong, "\n".join(wrong)
