"""The sortable spreadsheet written as CSV or as an Excel workbook (openpyxl)."""

from __future__ import annotations

import csv
import io

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

CSV = "text/csv"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EXTENSIONS = {CSV: "csv", XLSX: "xlsx"}


def fsma_csv(headings: list[str], rows: list[list]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headings)
    writer.writerows(rows)
    # UTF-8 with a byte order mark so spreadsheet programs read non-ASCII addresses correctly.
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def fsma_xlsx(headings: list[str], rows: list[list]) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "FSMA 204"
    sheet.append(headings)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(row)
    # Sortable: a filter on the header row, the header kept in view.
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(headings))}{max(len(rows) + 1, 1)}"
    sheet.freeze_panes = "A2"
    for index, heading in enumerate(headings, start=1):
        width = max([len(str(heading))] + [len(str(row[index - 1])) for row in rows[:500]])
        sheet.column_dimensions[get_column_letter(index)].width = min(max(width + 2, 10), 60)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def fsma_export(media_type: str, headings: list[str], rows: list[list]) -> bytes:
    return fsma_xlsx(headings, rows) if media_type == XLSX else fsma_csv(headings, rows)
