"""HR summary: per-unit counts of mandatory enrolments kept by triggers

The HR dashboard counts a million enrolments of a city administration. These tables hold the
same figures grouped by org unit and course, changed by database triggers in the very
transaction of each write (enrolments, users, certificates), whichever code path writes:

- hr_course_counts: mandatory enrolments and completions per unit and course;
- hr_due_counts: open mandatory enrolments per unit, course and due time (overdue is
  `due_at < now`, counted at query time);
- hr_expiry_counts: completed mandatory enrolments per unit, course and expiry date of the
  current (neither superseded nor revoked) certificate;
- hr_unit_persons: active people with at least one mandatory enrolment per unit.

Only active users in a unit count. Rows whose count reaches 0 are deleted. On SQLite a later
batch migration that copies users, enrolments or certificates drops their triggers: such a
migration must call `create_triggers` again (tests/services/test_hr_summary.py notices).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-27
"""

# ruff: noqa: S608 - every statement is assembled from constant fragments of this file

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COUNT_TABLES = ("hr_course_counts", "hr_due_counts", "hr_expiry_counts", "hr_unit_persons")

# --- what one enrolment contributes -------------------------------------------------------
# Each source yields (org_unit_id, course_id, done, due_at, valid_until, sign) for the
# enrolments a change touches, in the state before (sign -1) or after (sign +1) it. `ref` is
# OLD or NEW of a row trigger (SQLite), or the alias of a transition table `rows` of a
# statement trigger (PostgreSQL: one set-based statement per bulk insert or update). A
# statement changes one table only, so "before" is the old row read against the current
# state of the others.


def _current_valid_until(enrolment: str) -> str:
    return (f"(SELECT c.valid_until FROM certificates c WHERE c.enrolment_id = {enrolment}.id "  # nosec B608
            "AND c.superseded_at IS NULL AND c.revoked_at IS NULL)")


def _enrolment_columns(enrolment: str, sign: int) -> str:
    return (f"{enrolment}.course_id AS course_id, "
            f"CASE WHEN {enrolment}.completed_at IS NULL THEN 0 ELSE 1 END AS done, "
            f"CASE WHEN {enrolment}.completed_at IS NULL THEN {enrolment}.due_at END AS due_at, "
            f"CASE WHEN {enrolment}.completed_at IS NOT NULL THEN "
            f"{_current_valid_until(enrolment)} END AS valid_until, {sign} AS sign")


def _joined(rows: str | None, ref: str, join: str, on: str) -> tuple[str, str]:
    """FROM clause and first condition: `join` ON `on`, from the transition table if any."""
    if rows:
        return f"{rows} {ref} JOIN {join} ON {on}", "true"
    return join, on


def from_enrolment(ref: str, sign: int, rows: str | None = None) -> str:
    """The enrolment row(s) `ref` with their user as stored now."""
    tables, joined = _joined(rows, ref, "users u", f"u.id = {ref}.user_id")
    return (f"SELECT u.org_unit_id AS org_unit_id, {_enrolment_columns(ref, sign)} "  # nosec B608
            f"FROM {tables} WHERE {joined} AND {ref}.is_mandatory "
            "AND u.is_active AND u.org_unit_id IS NOT NULL")


def from_user(ref: str, sign: int, rows: str | None = None) -> str:
    """Every mandatory enrolment of the user row(s) `ref`."""
    tables, joined = _joined(rows, ref, "enrolments e", f"e.user_id = {ref}.id")
    return (f"SELECT {ref}.org_unit_id AS org_unit_id, {_enrolment_columns('e', sign)} "  # nosec B608
            f"FROM {tables} WHERE {joined} AND e.is_mandatory "
            f"AND {ref}.is_active AND {ref}.org_unit_id IS NOT NULL")


def from_certificate(ref: str, sign: int, rows: str | None = None) -> str:
    """The certificate row(s) `ref` that are the current one of a completion."""
    tables, joined = _joined(rows, ref, "enrolments e", f"e.id = {ref}.enrolment_id")
    return (f"SELECT u.org_unit_id AS org_unit_id, e.course_id AS course_id, 1 AS done, "  # nosec B608
            f"NULL AS due_at, {ref}.valid_until AS valid_until, {sign} AS sign "
            f"FROM {tables} JOIN users u ON u.id = e.user_id "
            f"WHERE {joined} AND e.is_mandatory AND e.completed_at IS NOT NULL "
            f"AND u.is_active AND u.org_unit_id IS NOT NULL "
            f"AND {ref}.superseded_at IS NULL AND {ref}.revoked_at IS NULL")


def apply_counts(source: str, *, certificate: bool = False, grows: bool = False) -> list[str]:
    """Statements that add the signed rows of `source` to the count tables (a certificate
    changes only the expiry counts). Rows at 0 are deleted unless counts only `grow`."""
    statements = []
    if not certificate:
        statements.append(
            "INSERT INTO hr_course_counts (org_unit_id, course_id, enrolments, completed) "  # nosec B608
            "SELECT org_unit_id, course_id, SUM(sign), SUM(done * sign) "
            f"FROM ({source}) AS d WHERE true GROUP BY org_unit_id, course_id "
            "HAVING SUM(sign) <> 0 OR SUM(done * sign) <> 0 "
            "ON CONFLICT (org_unit_id, course_id) DO UPDATE SET "
            "enrolments = hr_course_counts.enrolments + excluded.enrolments, "
            "completed = hr_course_counts.completed + excluded.completed")
        if not grows:
            statements.append("DELETE FROM hr_course_counts WHERE enrolments = 0")
    for table, column in (("hr_due_counts", "due_at"), ("hr_expiry_counts", "valid_until")):
        if certificate and table == "hr_due_counts":
            continue
        statements.append(
            f"INSERT INTO {table} (course_id, {column}, org_unit_id, enrolments) "  # nosec B608
            f"SELECT course_id, {column}, org_unit_id, SUM(sign) FROM ({source}) AS d "
            f"WHERE {column} IS NOT NULL GROUP BY course_id, {column}, org_unit_id "
            "HAVING SUM(sign) <> 0 "
            f"ON CONFLICT (course_id, {column}, org_unit_id) DO UPDATE SET "
            f"enrolments = {table}.enrolments + excluded.enrolments")
        if not grows:
            statements.append(f"DELETE FROM {table} WHERE enrolments = 0")  # nosec B608
    return statements


# --- people with at least one mandatory enrolment -----------------------------------------


def _mandatory_count(user_id: str) -> str:
    return f"(SELECT COUNT(*) FROM enrolments m WHERE m.user_id = {user_id} AND m.is_mandatory)"  # nosec B608


def persons_after_enrolment_change(user_ref: str, old: str | None, new: str | None,
                                   only_if: str = "true") -> str:
    """+1/-1 for the unit of the user `user_ref`.user_id whose mandatory enrolments went
    from (now − new row + old row) to now."""
    user_id = f"{user_ref}.user_id"
    before = "k.n"
    if new:
        before += (f" - CASE WHEN {new}.is_mandatory AND {new}.user_id = {user_id} "
                   "THEN 1 ELSE 0 END")
    if old:
        before += (f" + CASE WHEN {old}.is_mandatory AND {old}.user_id = {user_id} "
                   "THEN 1 ELSE 0 END")
    delta = f"(CASE WHEN k.n > 0 THEN 1 ELSE 0 END) - (CASE WHEN {before} > 0 THEN 1 ELSE 0 END)"
    return (
        "INSERT INTO hr_unit_persons (org_unit_id, persons) "  # nosec B608
        f"SELECT u.org_unit_id, {delta} FROM users u, (SELECT {_mandatory_count(user_id)} AS n) k "
        f"WHERE u.id = {user_id} AND u.is_active AND u.org_unit_id IS NOT NULL "
        f"AND {delta} <> 0 AND {only_if} "
        "ON CONFLICT (org_unit_id) DO UPDATE SET persons = hr_unit_persons.persons "
        "+ excluded.persons")


def persons_after_enrolment_rows(old_rows: str | None, new_rows: str | None) -> str:
    """The same for a statement: per user, mandatory rows now, and now − new + old before."""
    sides = [f"SELECT user_id, {d} AS d FROM {rows} WHERE is_mandatory"  # nosec B608
             for rows, d in ((old_rows, 1), (new_rows, -1)) if rows]
    delta = "(CASE WHEN c.n > 0 THEN 1 ELSE 0 END) - (CASE WHEN c.n + c.d > 0 THEN 1 ELSE 0 END)"
    changes = (f"SELECT x.user_id, SUM(x.d) AS d, {_mandatory_count('x.user_id')} AS n "  # nosec B608
               f"FROM ({' UNION ALL '.join(sides)}) x GROUP BY x.user_id")
    return ("INSERT INTO hr_unit_persons (org_unit_id, persons) "  # nosec B608
            f"SELECT u.org_unit_id, SUM({delta}) FROM ({changes}) c "
            "JOIN users u ON u.id = c.user_id WHERE u.is_active AND u.org_unit_id IS NOT NULL "
            f"GROUP BY u.org_unit_id HAVING SUM({delta}) <> 0 "
            "ON CONFLICT (org_unit_id) DO UPDATE SET persons = hr_unit_persons.persons "
            "+ excluded.persons")


def persons_after_user_change(old: str | None, new: str | None,
                              rows: tuple[str, str] | None = None) -> str:
    sides = []
    for ref, sign, table in ((old, -1, rows and rows[0]), (new, 1, rows and rows[1])):
        if ref:
            source = f"FROM {table} {ref} " if table else ""
            sides.append(f"SELECT {ref}.org_unit_id AS org_unit_id, {sign} AS sign {source}"
                         f"WHERE {ref}.is_active AND {ref}.org_unit_id IS NOT NULL "
                         f"AND {_mandatory_count(ref + '.id')} > 0")
    return ("INSERT INTO hr_unit_persons (org_unit_id, persons) "  # nosec B608
            f"SELECT org_unit_id, SUM(sign) FROM ({' UNION ALL '.join(sides)}) AS d "
            "WHERE true GROUP BY org_unit_id HAVING SUM(sign) <> 0 "
            "ON CONFLICT (org_unit_id) DO UPDATE SET persons = hr_unit_persons.persons "
            "+ excluded.persons")


DELETE_EMPTY_PERSONS = "DELETE FROM hr_unit_persons WHERE persons = 0"

# --- the triggers ---------------------------------------------------------------------------

ENROLMENT_COLUMNS = ("user_id", "course_id", "is_mandatory", "completed_at", "due_at")
USER_COLUMNS = ("org_unit_id", "is_active")
CERTIFICATE_COLUMNS = ("enrolment_id", "superseded_at", "revoked_at", "valid_until")


def _union(*sources: str) -> str:
    return " UNION ALL ".join(sources)


Trigger = tuple[str, str, str, str, tuple[str, ...], list[str]]


def _row_triggers() -> list[Trigger]:
    """(name, timing, event, table, columns compared for UPDATE, statements): per row."""
    return [
        ("hr_enrolment_insert", "AFTER", "INSERT", "enrolments", (), [
            *apply_counts(from_enrolment("NEW", 1), grows=True),
            persons_after_enrolment_change("NEW", None, "NEW")]),
        ("hr_enrolment_update", "AFTER", "UPDATE", "enrolments", ENROLMENT_COLUMNS, [
            *apply_counts(_union(from_enrolment("OLD", -1), from_enrolment("NEW", 1))),
            persons_after_enrolment_change("OLD", "OLD", "NEW"),
            # the new user too, if the row moved to another person
            persons_after_enrolment_change("NEW", "OLD", "NEW", "NEW.user_id <> OLD.user_id"),
            DELETE_EMPTY_PERSONS]),
        ("hr_enrolment_delete", "AFTER", "DELETE", "enrolments", (), [
            *apply_counts(from_enrolment("OLD", -1)),
            persons_after_enrolment_change("OLD", "OLD", None), DELETE_EMPTY_PERSONS]),
        ("hr_user_update", "AFTER", "UPDATE", "users", USER_COLUMNS, [
            *apply_counts(_union(from_user("OLD", -1), from_user("NEW", 1))),
            persons_after_user_change("OLD", "NEW"), DELETE_EMPTY_PERSONS]),
        USER_DELETE,
        ("hr_certificate_insert", "AFTER", "INSERT", "certificates", (), [
            *apply_counts(from_certificate("NEW", 1), certificate=True, grows=True)]),
        ("hr_certificate_update", "AFTER", "UPDATE", "certificates", CERTIFICATE_COLUMNS, [
            *apply_counts(_union(from_certificate("OLD", -1), from_certificate("NEW", 1)),
                          certificate=True)]),
        ("hr_certificate_delete", "AFTER", "DELETE", "certificates", (), [
            *apply_counts(from_certificate("OLD", -1), certificate=True)]),
    ]


# before: a cascade deletes the enrolments after the user row is gone (a row trigger on
# both databases; deleting users is rare)
USER_DELETE: Trigger = ("hr_user_delete", "BEFORE", "DELETE", "users", (), [
    *apply_counts(from_user("OLD", -1)),
    persons_after_user_change("OLD", None), DELETE_EMPTY_PERSONS])
OLD_ROWS, NEW_ROWS = "old_rows", "new_rows"


def _statement_triggers() -> list[Trigger]:
    """The same per statement with transition tables (PostgreSQL): an assignment that
    enrols a whole city runs each statement once, not once per row."""
    return [
        ("hr_enrolment_insert", "AFTER", "INSERT", "enrolments", (), [
            *apply_counts(from_enrolment("n", 1, NEW_ROWS), grows=True),
            persons_after_enrolment_rows(None, NEW_ROWS)]),
        ("hr_enrolment_update", "AFTER", "UPDATE", "enrolments", (), [
            *apply_counts(_union(from_enrolment("o", -1, OLD_ROWS),
                                 from_enrolment("n", 1, NEW_ROWS))),
            persons_after_enrolment_rows(OLD_ROWS, NEW_ROWS), DELETE_EMPTY_PERSONS]),
        ("hr_enrolment_delete", "AFTER", "DELETE", "enrolments", (), [
            *apply_counts(from_enrolment("o", -1, OLD_ROWS)),
            persons_after_enrolment_rows(OLD_ROWS, None), DELETE_EMPTY_PERSONS]),
        ("hr_user_update", "AFTER", "UPDATE", "users", (), [
            *apply_counts(_union(from_user("o", -1, OLD_ROWS), from_user("n", 1, NEW_ROWS))),
            persons_after_user_change("o", "n", (OLD_ROWS, NEW_ROWS)), DELETE_EMPTY_PERSONS]),
        ("hr_certificate_insert", "AFTER", "INSERT", "certificates", (), [
            *apply_counts(from_certificate("n", 1, NEW_ROWS), certificate=True, grows=True)]),
        ("hr_certificate_update", "AFTER", "UPDATE", "certificates", (), [
            *apply_counts(_union(from_certificate("o", -1, OLD_ROWS),
                                 from_certificate("n", 1, NEW_ROWS)), certificate=True)]),
        ("hr_certificate_delete", "AFTER", "DELETE", "certificates", (), [
            *apply_counts(from_certificate("o", -1, OLD_ROWS), certificate=True)]),
    ]


GUARDED_COLUMNS = {"enrolments": ("id", *ENROLMENT_COLUMNS), "users": ("id", *USER_COLUMNS),
                   "certificates": ("id", *CERTIFICATE_COLUMNS)}


def _statement_guard(event: str, table: str) -> str:
    """Returns early from a statement that changes nothing counted (a learner's progress,
    a password): the counted columns of the old and new rows are the same."""
    if event != "UPDATE":
        return ""
    columns = ", ".join(GUARDED_COLUMNS[table])
    return (f"IF NOT EXISTS (SELECT {columns} FROM {OLD_ROWS} EXCEPT ALL "  # nosec B608
            f"SELECT {columns} FROM {NEW_ROWS}) THEN RETURN NULL; END IF;\n")


def _all_triggers(dialect: str) -> list[Trigger]:
    return [*_statement_triggers(), USER_DELETE] if dialect == "postgresql" else _row_triggers()


def create_triggers(dialect: str) -> None:
    if dialect == "postgresql":
        for name, timing, event, table, _columns, statements in _statement_triggers():
            body = ";\n".join(statements)
            guard = _statement_guard(event, table)
            # The planner cannot know how few rows a transition table holds and would hash
            # whole tables for a statement of a thousand rows: index lookups per row instead.
            op.execute(f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql "
                       "SET enable_hashjoin = off SET enable_mergejoin = off AS $$\n"
                       f"BEGIN\n{guard}{body};\nRETURN NULL;\nEND\n$$")
            tables = [f"{kind} TABLE AS {alias}" for kind, alias in
                      (("OLD", OLD_ROWS), ("NEW", NEW_ROWS))
                      if (kind == "OLD" and event != "INSERT")
                      or (kind == "NEW" and event != "DELETE")]
            op.execute(f"CREATE TRIGGER {name} {timing} {event} ON {table} "
                       f"REFERENCING {' '.join(tables)} FOR EACH STATEMENT "
                       f"EXECUTE FUNCTION {name}()")
        name, timing, event, table, _columns, statements = USER_DELETE
        body = ";\n".join(statements)
        op.execute(f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$\n"
                   f"BEGIN\n{body};\nRETURN OLD;\nEND\n$$")
        op.execute(f"CREATE TRIGGER {name} {timing} {event} ON {table} FOR EACH ROW "
                   f"EXECUTE FUNCTION {name}()")
        return
    for name, timing, event, table, columns, statements in _row_triggers():
        changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in columns)
        of = f" OF {', '.join(columns)}" if columns else ""
        when = f" WHEN {changed}" if columns else ""
        body = "".join(f"{s};\n" for s in statements)
        op.execute(f"CREATE TRIGGER {name} {timing} {event}{of} ON {table} FOR EACH ROW"
                   f"{when} BEGIN\n{body}END")


def drop_triggers(dialect: str) -> None:
    for name, _timing, _event, table, _columns, _statements in _all_triggers(dialect):
        if dialect == "postgresql":
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
            op.execute(f"DROP FUNCTION IF EXISTS {name}()")
        else:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")


def fill_counts() -> None:
    """The counts computed from scratch (the triggers keep them from here on)."""
    for table in COUNT_TABLES:
        op.execute(f"DELETE FROM {table}")  # nosec B608
    everything = ("SELECT u.org_unit_id AS org_unit_id, "  # nosec B608
                  f"{_enrolment_columns('e', 1)} FROM enrolments e JOIN users u "
                  "ON u.id = e.user_id WHERE e.is_mandatory AND u.is_active "
                  "AND u.org_unit_id IS NOT NULL")
    for statement in apply_counts(everything):
        if not statement.startswith("DELETE"):
            op.execute(statement)
    op.execute("INSERT INTO hr_unit_persons (org_unit_id, persons) "
               "SELECT u.org_unit_id, COUNT(*) FROM users u WHERE u.is_active "
               "AND u.org_unit_id IS NOT NULL AND EXISTS (SELECT 1 FROM enrolments e "
               "WHERE e.user_id = u.id AND e.is_mandatory) GROUP BY u.org_unit_id")


def upgrade() -> None:
    op.create_table(
        "hr_course_counts",
        sa.Column("org_unit_id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.String(length=100), nullable=False),
        sa.Column("enrolments", sa.Integer(), nullable=False),
        sa.Column("completed", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("org_unit_id", "course_id", name=op.f("pk_hr_course_counts")),
    )
    op.create_table(
        "hr_due_counts",
        sa.Column("course_id", sa.String(length=100), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("org_unit_id", sa.Integer(), nullable=False),
        sa.Column("enrolments", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("course_id", "due_at", "org_unit_id",
                                name=op.f("pk_hr_due_counts")),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "hr_expiry_counts",
        sa.Column("course_id", sa.String(length=100), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=False),
        sa.Column("org_unit_id", sa.Integer(), nullable=False),
        sa.Column("enrolments", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("course_id", "valid_until", "org_unit_id",
                                name=op.f("pk_hr_expiry_counts")),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "hr_unit_persons",
        sa.Column("org_unit_id", sa.Integer(), nullable=False),
        sa.Column("persons", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("org_unit_id", name=op.f("pk_hr_unit_persons")),
    )
    # "DELETE … WHERE enrolments = 0" after each change reads only these (nearly empty) indexes
    for table, column in (("hr_course_counts", "enrolments"), ("hr_due_counts", "enrolments"),
                          ("hr_expiry_counts", "enrolments"), ("hr_unit_persons", "persons")):
        op.create_index(f"ix_{table}_empty", table, [column], unique=False,
                        sqlite_where=sa.text(f"{column} = 0"),
                        postgresql_where=sa.text(f"{column} = 0"))
    fill_counts()
    create_triggers(op.get_bind().dialect.name)


def downgrade() -> None:
    drop_triggers(op.get_bind().dialect.name)
    for table in reversed(COUNT_TABLES):
        op.drop_index(f"ix_{table}_empty", table_name=table)
        op.drop_table(table)
