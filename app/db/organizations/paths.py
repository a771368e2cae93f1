"""Materialised paths: "/<segment>/<segment>/…/", one segment per unit from the root down.

A segment is the unit's `node` in hexadecimal behind one character giving its length ('1'…'9', then ':'…'@'),
so that byte order ("C" collation) is numeric order: siblings list in creation order, and "10" never sorts before
"9". Every character of a segment sorts after '/', so the paths below "/a/b/" are exactly those in
["/a/b/", "/a/b0"). The SQL function coso_path_segment(bigint) computes the same, for set-based loaders."""


def segment(node: int) -> str:
    digits = format(node, "x")
    return chr(48 + len(digits)) + digits


def child_path(parent_path: str | None, node: int) -> str:
    return (parent_path or "/") + segment(node) + "/"


def nodes_of(path: str) -> list[int]:
    return [int(part[1:], 16) for part in path.strip("/").split("/")]


def subtree_bounds(path: str) -> tuple[str, str]:
    return path, path[:-1] + "0"
