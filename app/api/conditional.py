"""Conditional requests (RFC 9110 §8.8.3, §13): the ETag of a versioned resource, If-None-Match on its reads.

A route answers a versioned resource with `ETag: "<version>"` (`types.document_response`, `versioned_response`).
The version alone is not a strong validator of what was sent: the same version reads differently for a caller with
`pii` (personal fields shown) and without, and on another structure date (`as_of`). So the route class (and the
fast lane) finish the tag with the representation's variant before the answer leaves: `"7"`, `"7-p"` (with pii),
`"7@2024-01-01"`, `"7-p@2024-01-01"`. Two representations never share a tag, so a strong comparison is honest.
If-Match compares the version part only (`types.if_match_version`): a write concerns the record, whichever view of
it the caller read. If-None-Match on a GET answers 304 (no body, the tag repeated) when the tag matches, by the weak
comparison RFC 9110 prescribes (`W/` ignored on both sides), `*` matching any.

The endpoint still runs for a 304 (a read of one row by key): the saving is the body on the wire and the client's
work, which is where a follower's polling costs."""

import re

from starlette.requests import Request
from starlette.responses import Response

# Answer headers a 304 repeats (RFC 9110 §15.4.5: those a 200 would have sent that matter to a cache).
_KEPT = ("etag", "cache-control", "content-location", "date", "expires", "vary")


_ROUTE_TAG = re.compile(r'^"([0-9]+)(@[0-9]{4}-[0-9]{2}-[0-9]{2})?"$')


def variant(request: Request, version_tag: str) -> str:
    """`"7"` → `"7-p@2024-01-01"` for the caller and structure date of this request. A route whose answer depends
    on the day even without `as_of` (a task's obligations: due soon, overdue) names the day itself (`"7@…"`)."""
    found = _ROUTE_TAG.match(version_tag)
    if found is None:
        return version_tag
    caller = getattr(request.state, "caller", None)
    pii = "-p" if caller is not None and caller.pii else ""
    as_of = request.query_params.get("as_of") if request.method in ("GET", "HEAD") else None
    day = found[2] or (f"@{as_of}" if as_of else "")
    return f'"{found[1]}{pii}{day}"'


def none_match(header: str | None, tag: str) -> bool:
    """If-None-Match by weak comparison: `*`, or one of the listed tags equal to `tag` once `W/` is set aside."""
    if header is None:
        return False
    opaque = tag.removeprefix("W/")
    return any(t == "*" or t.removeprefix("W/") == opaque for t in (t.strip() for t in header.split(",")))


def finish(request: Request, response: Response) -> Response:
    """The answer with its ETag completed, or a 304 when the GET's If-None-Match names it."""
    tag = response.headers.get("etag")
    if tag is None:
        return response
    tag = variant(request, tag)
    response.headers["etag"] = tag
    if request.method in ("GET", "HEAD") and response.status_code == 200:
        if none_match(request.headers.get("if-none-match"), tag):
            kept = {k: v for k, v in response.headers.items() if k in _KEPT}
            return Response(status_code=304, headers=kept)
    return response
