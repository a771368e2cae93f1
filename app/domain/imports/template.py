"""The template an office fills in: the columns' Vietnamese headers, one example row, and (in .xlsx) drop-down
lists of the enumerated columns, written with xlsxwriter (write-only; the later exports stream with it too)."""

import csv
import io

import xlsxwriter

from app.domain.imports.columns import MEMBERS
from app.domain.imports.sheet import Layout, vietnamese_header


def template_csv(layout: Layout = MEMBERS) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([vietnamese_header(c) for c in layout.columns])
    writer.writerow([c.example for c in layout.columns])
    return "\ufeff".join(("", out.getvalue())).encode("utf-8")  # with a BOM: Excel then reads UTF-8


def template_xlsx(layout: Layout = MEMBERS) -> bytes:
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_numbers": False, "strings_to_formulas": False})
    sheet = book.add_worksheet(layout.sheet)
    lists = book.add_worksheet("Danh mục")
    lists.hide()
    bold = book.add_format({"bold": True})
    text = book.add_format({"num_format": "@"})  # text cells: a citizen ID keeps its leading zeros
    for i, column in enumerate(layout.columns):
        sheet.write_string(0, i, vietnamese_header(column), bold)
        sheet.write_string(1, i, column.example)
        sheet.set_column(i, i, 22, text)
        choices = layout.choices.get(column.field, [])
        if choices:
            for j, choice in enumerate(choices):
                lists.write_string(j, i, choice)
            letter = xlsxwriter.utility.xl_col_to_name(i)
            sheet.data_validation(
                1,
                i,
                20_000,
                i,
                {
                    "validate": "list",
                    "source": f"='Danh mục'!${letter}$1:${letter}${len(choices)}",
                    "error_type": "warning",
                },
            )
    sheet.freeze_panes(1, 0)
    book.close()
    return out.getvalue()
