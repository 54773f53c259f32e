"""CSV and XLSX of the person list, produced chunk by chunk so memory stays flat.

Cells that a spreadsheet would read as a formula (starting with = + - @, tab or carriage
return) are prefixed with an apostrophe (row D4). No Flask here: the edge wraps the chunks
in a streamed response."""

from __future__ import annotations

import csv
import io
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date

import xlsxwriter  # type: ignore[import-untyped]

from lernmodul.services.hr import PERSON_FIELDS, PersonRow

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
CSV_BATCH = 500
FILE_CHUNK = 64 * 1024


def neutralise(value: str) -> str:
    """The text with an apostrophe in front if a spreadsheet would evaluate it."""
    return "'" + value if value.startswith(FORMULA_TRIGGERS) else value


def cells(row: PersonRow, status_label: Callable[[str], str]) -> list[str]:
    """The row's allowlisted fields as text, in PERSON_FIELDS order."""
    values: list[str] = []
    for name in PERSON_FIELDS:
        value = getattr(row, name)
        if name == "status":
            value = status_label(value)
        elif isinstance(value, date):
            value = value.isoformat()
        elif value is None:
            value = ""
        values.append(neutralise(str(value)))
    return values


def csv_chunks(rows: Iterable[PersonRow], header: Sequence[str],
               status_label: Callable[[str], str]) -> Iterator[str]:
    """UTF-8 CSV with a byte-order mark and ';' (what spreadsheet programs in Germany open)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    buffer.write("\ufeff")
    writer.writerow([neutralise(h) for h in header])
    for count, row in enumerate(rows, 1):
        writer.writerow(cells(row, status_label))
        if count % CSV_BATCH == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def xlsx_chunks(rows: Iterable[PersonRow], header: Sequence[str],
                status_label: Callable[[str], str], sheet_name: str = "Export") -> Iterator[bytes]:
    """An XLSX workbook written row by row in constant-memory mode to a temporary file,
    then read back in chunks (a zip file can only be finished at its end)."""
    handle, path = tempfile.mkstemp(suffix=".xlsx")
    os.close(handle)
    try:
        workbook = xlsxwriter.Workbook(path, {"constant_memory": True,
                                              "strings_to_formulas": False,
                                              "strings_to_urls": False,
                                              "strings_to_numbers": False})
        sheet = workbook.add_worksheet(sheet_name[:31])
        bold = workbook.add_format({"bold": True})
        for column, title in enumerate(header):
            sheet.write_string(0, column, neutralise(title), bold)
        for number, row in enumerate(rows, 1):
            for column, value in enumerate(cells(row, status_label)):
                sheet.write_string(number, column, value)
        workbook.close()
        with open(path, "rb") as source:
            while chunk := source.read(FILE_CHUNK):
                yield chunk
    finally:
        os.unlink(path)
