"""A row of an import, checked by the very models that check a body of POST /members and PATCH /members/{id}: the
same patterns, lengths, date range and NFC normalisation, whichever way a record arrives."""

from typing import Any, Literal

from pydantic import ValidationError

from app.api.members.models import MemberCreate, MemberFields
from app.api.types import Day, DecisionRef
from app.domain.imports.rows import Checked, Problem


class ImportedMember(MemberFields):
    """Any subset of a member's fields (an update names only what it corrects); a creation is then checked
    against MemberCreate for what it requires."""

    status: Literal["candidate", "probationary", "official"] | None = None
    organization_id: Any = None  # resolved from an id or a code before the check
    admission_decision_date: Day | None = None
    official_date: Day | None = None
    since: Day | None = None
    decision_ref: DecisionRef | None = None


def _problems(error: ValidationError, *, creating: bool) -> list[Problem]:
    found: list[Problem] = []
    for e in error.errors(include_input=False):
        name = str(e["loc"][0]) if e["loc"] else ""
        if e["type"] == "missing" and creating:
            found.append((name, "required", "a new member needs this value (the row matches no record to update)."))
        else:
            found.append((name, "validation_error", e["msg"]))
    return found


def check_member_row(values: dict[str, Any]) -> Checked:
    try:
        given = ImportedMember.model_validate(values).model_dump(exclude_unset=True)
    except ValidationError as error:
        return Checked(values={}, errors=_problems(error, creating=False))
    try:
        MemberCreate.model_validate(given)
    except ValidationError as error:
        return Checked(values=given, missing=_problems(error, creating=True))
    return Checked(values=given)
