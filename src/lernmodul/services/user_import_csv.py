"""Reading a user import file: decode, find the columns, parse each line without the database.

Every problem found here names its line; the planning in `user_import` adds those that need
the database."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass

from lernmodul.db.models import Role
from lernmodul.services.accounts import normalise_email
from lernmodul.services.org_units import MAX_NAME_LENGTH, OrgUnitError, split_path
from lernmodul.services.user_admin import is_valid_email
from lernmodul.services.user_import_scope import ScopeValue, ScopeValueError, parse_scope

MAX_PERSONNEL_NUMBER_LENGTH = 64
ROLE_NAMES = frozenset(r.value for r in Role)
DELIMITERS = (";", ",", "\t")

# header (case-insensitive, without spaces, '-' and '_') -> column
HEADERS = {
    "personalnummer": "personnel_number",
    "personnelnumber": "personnel_number",
    "name": "name",
    "email": "email",
    "organisationseinheit": "org_unit",
    "orgunit": "org_unit",
    "rollen": "roles",
    "roles": "roles",
    "hrbereich": "hr_scope",
    "hrscope": "hr_scope",
}
REQUIRED_COLUMNS = ("personnel_number", "name", "email")


class ImportFileError(Exception):
    """The file as a whole cannot be read: "empty", "encoding" (neither UTF-8 nor
    Windows-1252), "binary" (NUL bytes)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True, slots=True)
class LineProblem:
    """A bad line. `code` names the reason; `value` and `other_line` fill in the message."""

    line: int
    code: str
    value: str = ""
    other_line: int | None = None


# English texts for the command line; the web edge translates the codes itself.
PROBLEM_TEXTS = {
    "no_rows": "the file has a header but no data rows",
    "unknown_column": "unknown column '{value}'",
    "duplicate_column": "column '{value}' appears twice",
    "missing_column": "required column '{value}' is missing",
    "too_many_fields": "more fields than columns in the header",
    "field_too_long": "a field is longer than {value} KiB: this is not a file of people",
    "unreadable_line": "the line cannot be read as CSV",
    "personnel_number_missing": "personnel number is missing",
    "personnel_number_too_long": "personnel number is longer than 64 characters",
    "personnel_number_duplicate": "personnel number {value} appears already on line {other_line}",
    "name_missing": "name is missing",
    "name_too_long": "name is longer than 200 characters",
    "email_invalid": "'{value}' is not a valid e-mail address",
    "email_duplicate": "e-mail address {value} appears already on line {other_line}",
    "email_taken": "e-mail address {value} belongs to another person already",
    "org_unit_invalid": "org unit path '{value}' has an empty or too long part",
    "org_unit_too_deep": "the org unit path has more than 12 levels",
    "role_unknown": "unknown role '{value}' (allowed: learner, trainer, hr, admin)",
    "self_lockout": "this would take the admin role from the person running the import",
    "hr_scope_invalid": "HR scope '{value}' is not valid: unit paths separated by '|', "
                        "or '*' for all units",
    "hr_scope_unknown": "HR scope: org unit '{value}' does not exist and is not created by "
                        "this file",
    "hr_scope_without_hr": "an HR scope is given, but the person has no HR role",
    "hr_scope_no_unit": "an HR role needs an org unit or an HR scope (HR-Bereich); "
                        "'*' gives all units",
}


def problem_text(problem: LineProblem) -> str:
    """The problem as English text (the command line's report)."""
    text = PROBLEM_TEXTS.get(problem.code, problem.code)
    return text.format(value=problem.value, other_line=problem.other_line)


@dataclass(frozen=True, slots=True)
class ImportRow:
    line: int
    personnel_number: str
    name: str
    email: str
    # None: the file has no such column (the field stays as it is); () means no unit
    unit_path: tuple[str, ...] | None
    roles: frozenset[str] | None
    # None: the file has no such column or the field is empty (the default applies)
    hr_scope: ScopeValue | None = None


def decode(data: bytes) -> str:
    """UTF-8 (with or without BOM), else Windows-1252."""
    if b"\x00" in data:
        raise ImportFileError("binary")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            raise ImportFileError("encoding") from None
    if not text.strip():
        raise ImportFileError("empty")
    return text


def _sniff_delimiter(header_line: str) -> str:
    counts = {d: header_line.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def _header_key(text: str) -> str:
    return "".join(ch for ch in text.strip().casefold() if ch not in " -_\ufeff")


class _UnreadableRecord(Exception):
    """The csv module gave up on a record (a field over its limit of 128 KiB, say)."""

    def __init__(self, line: int, code: str) -> None:
        super().__init__(code)
        self.line = line
        self.code = code


def _records(text: str, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    """(line number where the record starts, fields); blank lines skipped. Raises
    _UnreadableRecord where the csv module cannot go on."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)
    line = 1
    while True:
        start = line
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            too_long = "field larger than field limit" in str(error)
            raise _UnreadableRecord(start, "field_too_long" if too_long
                                    else "unreadable_line") from None
        line = reader.line_num + 1
        if not record or all(not value.strip() for value in record):
            continue
        yield start, record


def parse(text: str) -> tuple[list[ImportRow], list[LineProblem]]:
    """The rows of a decoded file and every problem found without the database. A record
    the csv module cannot read (a field longer than 128 KiB: no file of people has one)
    refuses the file with that one problem."""
    try:
        return _parse(text)
    except _UnreadableRecord as error:
        return [], [LineProblem(error.line, error.code,
                                str(csv.field_size_limit() // 1024))]


def _parse(text: str) -> tuple[list[ImportRow], list[LineProblem]]:
    first_line = next((ln for ln in text.splitlines() if ln.strip()), "")
    records = _records(text, _sniff_delimiter(first_line))
    header_line, header = next(records, (1, []))
    problems: list[LineProblem] = []
    columns: list[str | None] = []
    for raw in header:
        column = HEADERS.get(_header_key(raw))
        if column is None:
            if raw.strip():
                problems.append(LineProblem(header_line, "unknown_column", raw.strip()))
        elif column in columns:
            problems.append(LineProblem(header_line, "duplicate_column", raw.strip()))
        columns.append(column)
    for required in REQUIRED_COLUMNS:
        if required not in columns:
            problems.append(LineProblem(header_line, "missing_column", required))
    if problems:
        return [], problems
    rows: list[ImportRow] = []
    seen_numbers: dict[str, int] = {}
    seen_emails: dict[str, int] = {}
    for line, record in records:
        row, row_problems = _parse_record(line, record, columns)
        if row is not None:
            if row.personnel_number in seen_numbers:
                row_problems.append(LineProblem(line, "personnel_number_duplicate",
                                                row.personnel_number,
                                                seen_numbers[row.personnel_number]))
            else:
                seen_numbers[row.personnel_number] = line
            if row.email in seen_emails:
                row_problems.append(LineProblem(line, "email_duplicate", row.email,
                                                seen_emails[row.email]))
            else:
                seen_emails[row.email] = line
        problems.extend(row_problems)
        if row is not None and not row_problems:
            rows.append(row)
    if not rows and not problems:
        problems.append(LineProblem(header_line, "no_rows"))
    return rows, problems


def _parse_record(
    line: int, record: list[str], columns: list[str | None]
) -> tuple[ImportRow | None, list[LineProblem]]:
    problems: list[LineProblem] = []
    if len(record) > len(columns) and any(v.strip() for v in record[len(columns):]):
        return None, [LineProblem(line, "too_many_fields")]
    values = {c: (record[i].strip() if i < len(record) else "")
              for i, c in enumerate(columns) if c is not None}
    number = values["personnel_number"]
    if not number:
        problems.append(LineProblem(line, "personnel_number_missing"))
    elif len(number) > MAX_PERSONNEL_NUMBER_LENGTH:
        problems.append(LineProblem(line, "personnel_number_too_long"))
    name = " ".join(values["name"].split())
    if not name:
        problems.append(LineProblem(line, "name_missing"))
    elif len(name) > MAX_NAME_LENGTH:
        problems.append(LineProblem(line, "name_too_long"))
    email = normalise_email(values["email"])
    if not is_valid_email(email):
        problems.append(LineProblem(line, "email_invalid", values["email"][:100]))
    unit_path: tuple[str, ...] | None = None
    if "org_unit" in values:
        unit_path = ()
        if values["org_unit"]:
            try:
                unit_path = tuple(split_path(values["org_unit"]))
            except OrgUnitError as error:
                problems.append(LineProblem(
                    line, "org_unit_too_deep" if error.code == "too_deep" else "org_unit_invalid",
                    values["org_unit"][:100]))
    roles: frozenset[str] | None = None
    if "roles" in values:
        names = [r.strip().casefold() for r in values["roles"].split(",")]
        names = [r for r in names if r]
        for unknown in [r for r in names if r not in ROLE_NAMES]:
            problems.append(LineProblem(line, "role_unknown", unknown[:50]))
        roles = frozenset(names) or frozenset({Role.LEARNER.value})
    hr_scope: ScopeValue | None = None
    if values.get("hr_scope"):
        try:
            hr_scope = parse_scope(values["hr_scope"])
        except ScopeValueError as error:
            problems.append(LineProblem(line, error.code, error.value))
    row = ImportRow(line, number, name, email, unit_path, roles, hr_scope)
    if problems:
        return (row if number else None), problems
    return row, []
