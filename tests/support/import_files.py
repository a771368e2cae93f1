"""Files for the import tests of every kind: the same rows as CSV, XLSX or NDJSON, and the upload."""

import csv
import io
from typing import Any

import httpx
import orjson
import xlsxwriter

CSV = "text/csv"
NDJSON = "application/x-ndjson"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def csv_bytes(header: list[str], rows: list[list[str]], *, delimiter: str = ",") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode()


def xlsx_bytes(header: list[str], rows: list[list[str]]) -> bytes:
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_numbers": False})
    sheet = book.add_worksheet()
    for i, row in enumerate([header, *rows]):
        for j, value in enumerate(row):
            if value:
                sheet.write_string(i, j, value)
    book.close()
    return out.getvalue()


def ndjson_bytes(header: list[str], rows: list[list[str]]) -> bytes:
    return b"".join(orjson.dumps({h: v for h, v in zip(header, row, strict=True) if v}) + b"\n" for row in rows)


FORMATS = {"csv": (csv_bytes, CSV), "xlsx": (xlsx_bytes, XLSX), "ndjson": (ndjson_bytes, NDJSON)}


async def upload(client: httpx.AsyncClient, url: str, body: bytes, media: str = CSV, **params: str) -> httpx.Response:
    return await client.post(url, content=body, headers={"Content-Type": media}, params=params)


def rules(report: dict[str, Any]) -> list[tuple[int, str | None, str]]:
    """(record, column, rule) of each error of a report."""
    return [(e["record"], e["column"], e["rule"]) for e in report["errors"]]
