"""The app's routes as one flat list (this FastAPI keeps an included router behind a wrapper), and which of them
own a path: `/organizations/merge` is the merge operation's, though `/organizations/{organization_id}` matches it
too. The route with the fewest parameters owns a path."""

from collections.abc import Iterable
from typing import Any


def flat_routes(routes: Iterable[Any]) -> list[Any]:
    found: list[Any] = []
    for route in routes:
        inner = getattr(route, "original_router", None)
        found += flat_routes(inner.routes) if inner is not None else [route]
    return found


def _parameters(route: Any) -> int:
    return len(getattr(route, "param_convertors", {}))


def owners(routes: Iterable[Any], path: str) -> list[Any]:
    """The routes that own `path` (those matching it with the fewest parameters)."""
    matching = [
        r
        for r in routes
        if getattr(r, "path_regex", None) is not None and getattr(r, "methods", None) and r.path_regex.match(path)
    ]
    fewest = min((_parameters(r) for r in matching), default=0)
    return [r for r in matching if _parameters(r) == fewest]


def allowed_methods(routes: Iterable[Any], path: str) -> list[str]:
    return sorted({m for r in owners(routes, path) for m in r.methods})


def shadowing(route: Any, routes: Iterable[Any]) -> list[Any]:
    """Routes with fewer parameters whose paths `route` also matches (the literal `merge` for `{organization_id}`)."""
    return [
        r
        for r in routes
        if r is not route
        and getattr(r, "path_regex", None) is not None
        and getattr(r, "methods", None)
        and _parameters(r) < _parameters(route)
        and route.path_regex.match(r.path)
    ]
