"""The file as it was sent, with a column of each row's errors: what an office wants back to correct its file.

Values are written back as they were read (text, and dates of .xlsx as dates); only blank rows are left out. The
errors are the report's messages, which name columns and never values."""

import csv
import io
from collections import defaultdict

import orjson
import xlsxwriter

from app.domain.imports.files import NDJSON, XLSX, Table
from app.domain.imports.report import RowError

ERRORS_COLUMN = "Lỗi"  # "errors": the office reads Vietnamese (read past when the file comes back: columns.IGNORED)


def _by_row(errors: list[RowError]) -> dict[int, str]:
    found: dict[int, list[str]] = defaultdict(list)
    for error in errors:
        found[error.row].append(error.message)
    return {row: "; ".join(messages) for row, messages in found.items()}


def annotated(table: Table, media: str, errors: list[RowError]) -> bytes:
    said = _by_row(errors)
    if media == NDJSON:
        return b"".join(
            orjson.dumps({**row.cells, "_errors": said.get(row.row, "")}, default=str) + b"\n" for row in table.rows
        )
    header = [*table.header, ERRORS_COLUMN]
    lines = [[*(row.cells.get(h) for h in table.header), said.get(row.row, "")] for row in table.rows]
    if media == XLSX:
        out = io.BytesIO()
        book = xlsxwriter.Workbook(
            out,
            {"in_memory": True, "strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False},
        )
        sheet = book.add_worksheet()
        day = book.add_format({"num_format": "dd/mm/yyyy"})
        for j, name in enumerate(header):
            sheet.write_string(0, j, name)
        for i, line in enumerate(lines, start=1):
            for j, value in enumerate(line):
                if value is None or value == "":
                    continue
                if isinstance(value, str):
                    sheet.write_string(i, j, value)
                else:
                    sheet.write_datetime(i, j, value, day)
        book.close()
        return out.getvalue()
    text = io.StringIO()
    writer = csv.writer(text, delimiter=table.delimiter, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([["" if v is None else v for v in line] for line in lines])
    return ("\ufeff" + text.getvalue()).encode("utf-8")  # with a BOM: Excel reads it as UTF-8
