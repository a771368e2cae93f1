"""What an import answers: counts, and each bad row with the column, the rule and what to do — never a value."""

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from app.domain.errors import DomainError

Mode = Literal["validate", "commit"]


@dataclass(frozen=True)
class RowError:
    row: int  # where it is in the file: the spreadsheet's row (header = 1), or the NDJSON line
    record: int  # the n-th data row (the same in every format)
    column: str | None  # the header as the file has it
    rule: str  # the problem type's code (urn:coso:problem:<rule>)
    message: str


@dataclass
class Counts:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0


@dataclass
class Report:
    kind: str
    format: str
    mode: Mode
    atomic: bool
    committed: bool = False
    counts: Counts = field(default_factory=Counts)
    errors: list[RowError] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class ImportRejected(DomainError):
    """An atomic import with a bad row writes nothing: 422, with the whole report."""

    code = "import_rejected"
    title = "The import was rejected"
