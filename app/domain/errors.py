"""Domain errors. They name the rule that was broken (`code`) and say what to do (`detail`); the API layer maps
each kind to an HTTP status and an RFC 9457 problem in one place (app/api/problems.py)."""

from typing import Any


class DomainError(Exception):
    code = "error"
    title = "Request cannot be processed"

    def __init__(self, detail: str, *, code: str | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        if code is not None:
            self.code = code
        self.extra = extra


class NotFound(DomainError):
    code = "not_found"
    title = "Not found"


class Conflict(DomainError):
    """The request is well-formed but clashes with the current state (a duplicate, a later change, …)."""

    code = "conflict"
    title = "Conflict with the current state"


class RuleViolation(DomainError):
    """The request breaks a rule of the domain (which kind may sit under which, probation, a file's columns, …)."""

    code = "rule_violation"
    title = "The request breaks a rule"


class PreconditionFailed(DomainError):
    code = "version_mismatch"
    title = "The resource has changed"


def stale_version(what: str, current: int, expected: int) -> PreconditionFailed:
    """If-Match named `expected` (negative: no version of ours, e.g. a mistyped tag) but `what` is at `current`."""
    sent = "an If-Match that names none of its versions" if expected < 0 else f"If-Match version {expected}"
    return PreconditionFailed(
        f"{what} is at version {current}, and you sent {sent}: someone changed it since you read it. "
        "Read it again (its ETag is its version) and reapply your change.",
        current_version=current,
    )


class PreconditionRequired(DomainError):
    """A write to a versioned resource without If-Match where the service requires one (COSO_REQUIRE_IF_MATCH)."""

    code = "precondition_required"
    title = "If-Match is required"


class InvalidCursor(DomainError):
    code = "invalid_cursor"
    title = "Invalid cursor"
