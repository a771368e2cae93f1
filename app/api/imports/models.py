"""The import report (documentation of what the endpoint answers; built by the domain)."""

from typing import Literal

from pydantic import BaseModel, Field


class ImportRowError(BaseModel):
    row: int = Field(
        description="Where the row is in the file: the spreadsheet's row number (the header is row 1), "
        "or the line of an NDJSON file"
    )
    record: int = Field(description="The n-th data row (1-based), the same whatever the format")
    column: str | None = Field(description="The column as the file names it (null: the row as a whole)")
    rule: str = Field(description="The rule broken: the code of the problem type the API would answer")
    message: str = Field(description="What to correct; never a value of the row")


class ImportCounts(BaseModel):
    rows: int = Field(description="Data rows read (blank rows are not rows)")
    created: int
    updated: int
    unchanged: int = Field(description="Rows identical to the stored record: nothing written, no audit entry")
    failed: int


class ImportReport(BaseModel):
    kind: Literal["members", "organizations", "member_events", "ratings", "positions", "posts", "task_reports"]
    format: str = Field(description="The media type the file was read as")
    mode: Literal["validate", "commit"]
    atomic: bool
    committed: bool = Field(
        description="true: the good rows were written. false: nothing was (validate, which does every write and "
        "rolls it back, so that the counts are what a commit would do)"
    )
    counts: ImportCounts
    errors: list[ImportRowError]
