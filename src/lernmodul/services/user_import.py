"""User import from CSV: decode, parse, plan against the database, apply in one transaction.

The personnel number is the key: a second run of the same file changes nothing. Any bad
line refuses the whole file (nothing is written). Lookups go in chunks, never one query per
row. New users get no password; nothing is e-mailed. Reading the file is
`user_import_csv`; the HR scope of imported HR roles is `user_import_scope`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, text, update
from sqlalchemy.orm import Session

from lernmodul.db.models import AuditLog, Role, User, UserRole
from lernmodul.services.audit import record_event
from lernmodul.services.org_units import UnitIndex
from lernmodul.services.user_import_csv import (
    PROBLEM_TEXTS,
    ImportFileError,
    ImportRow,
    LineProblem,
    decode,
    parse,
    problem_text,
)
from lernmodul.services.user_import_scope import (
    HR,
    HrScope,
    ScopePlan,
    ScopePlanner,
    ScopeValue,
    parse_scope,
    scope_text,
)

__all__ = ["PROBLEM_TEXTS", "ImportFileError", "ImportReport", "LineProblem", "decode",
           "import_users", "parse", "problem_text", "report_lines"]

ANALYZE_AFTER = 1_000  # new users after which PostgreSQL's planner statistics are refreshed
CHUNK = 500  # values per IN (...) lookup: far below every backend's parameter limit
PROFILE_FIELDS = ("name", "email", "org_unit", "roles", "hr_scope")


@dataclass(frozen=True, slots=True)
class RowChange:
    line: int
    personnel_number: str
    name: str
    action: str  # "create" | "update" | "unchanged"
    fields: tuple[str, ...] = ()
    is_inactive: bool = False  # listed, but the account is deactivated (not reactivated)
    hr_scope: HrScope | None = None  # the HR scope after the import (None: no HR role)


@dataclass(frozen=True, slots=True)
class Deactivation:
    personnel_number: str
    name: str


@dataclass
class ImportReport:
    dry_run: bool
    problems: list[LineProblem] = field(default_factory=list)
    changes: list[RowChange] = field(default_factory=list)
    units_created: list[str] = field(default_factory=list)
    deactivated: list[Deactivation] = field(default_factory=list)

    @property
    def is_ok(self) -> bool:
        return not self.problems

    def count(self, action: str) -> int:
        return sum(1 for c in self.changes if c.action == action)

    @property
    def created(self) -> int:
        return self.count("create")

    @property
    def updated(self) -> int:
        return self.count("update")

    @property
    def unchanged(self) -> int:
        return self.count("unchanged")

    @property
    def change_count(self) -> int:
        return self.created + self.updated + len(self.deactivated) + len(self.units_created)

    @property
    def inactive_listed(self) -> list[RowChange]:
        return [c for c in self.changes if c.is_inactive]


# --- planning and applying -----------------------------------------------------------------


def _chunks(values: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(values), CHUNK):
        yield values[start:start + CHUNK]


def _users_by_personnel_number(session: Session, numbers: Sequence[str]) -> dict[str, User]:
    found: dict[str, User] = {}
    for chunk in _chunks(numbers):
        for user in session.scalars(select(User).where(User.personnel_number.in_(chunk))):
            assert user.personnel_number is not None
            found[user.personnel_number] = user
    return found


def _email_owners(session: Session, emails: Sequence[str]) -> dict[str, str | None]:
    """e-mail -> the personnel number of the account that has it (None: an account without)."""
    owners: dict[str, str | None] = {}
    for chunk in _chunks(emails):
        for email, number in session.execute(
            select(User.email, User.personnel_number).where(User.email.in_(chunk))
        ):
            owners[email] = number
    return owners


def _changed_fields(
    row: ImportRow, user: User, unit_id: int | None, unit_exists: bool, scope_changes: bool
) -> tuple[str, ...]:
    changed = []
    if user.name != row.name:
        changed.append("name")
    if user.email != row.email:
        changed.append("email")
    if row.unit_path is not None and (not unit_exists or user.org_unit_id != unit_id):
        changed.append("org_unit")
    if row.roles is not None and user.role_names != row.roles:
        changed.append("roles")
    elif scope_changes:
        changed.append("hr_scope")
    return tuple(changed)


Planned = tuple[ImportRow, User | None, tuple[str, ...], ScopePlan | None]


def import_users(
    session: Session,
    data: bytes,
    *,
    dry_run: bool,
    now: datetime,
    deactivate_missing: bool = False,
    actor_id: int | None = None,
    hr_scope_default: str = "",
) -> ImportReport:
    """Reads the CSV bytes and creates or updates users by personnel number.

    An HR role the import gives covers the person's own unit with its sub-units, unless the
    row's HR scope or `hr_scope_default` (the column's syntax; ScopeValueError when it is
    not valid) says otherwise; see `user_import_scope`. With problems, or with `dry_run`,
    nothing is written (the report says what would change). Raises ImportFileError when
    the file cannot be read at all. Flushes, never commits."""
    default: ScopeValue | None = parse_scope(hr_scope_default)
    report = ImportReport(dry_run=dry_run)
    rows, problems = parse(decode(data))
    report.problems.extend(problems)
    numbers = [r.personnel_number for r in rows]
    existing = _users_by_personnel_number(session, numbers)
    owners = _email_owners(session, [r.email for r in rows])
    actor = session.get(User, actor_id) if actor_id is not None else None
    index = UnitIndex(session)
    scopes = ScopePlanner(index, [r.unit_path for r in rows if r.unit_path], default)
    scope_plans: dict[int, ScopePlan | None] = {}
    for row in rows:
        owner = owners.get(row.email, row.personnel_number)
        if row.email in owners and owner != row.personnel_number:
            report.problems.append(LineProblem(row.line, "email_taken", row.email))
        user = existing.get(row.personnel_number)
        if (user is not None and actor is not None and user.id == actor.id and row.roles is not None
                and Role.ADMIN.value in user.role_names and Role.ADMIN.value not in row.roles):
            report.problems.append(LineProblem(row.line, "self_lockout"))
        scope_plans[row.line], scope_problems = scopes.plan(
            roles=row.roles, scope=row.hr_scope, unit_path=row.unit_path, user=user)
        report.problems.extend(LineProblem(row.line, p.code, p.value) for p in scope_problems)
    if report.problems:
        report.problems.sort(key=lambda p: p.line)
        return report

    missing_units: list[str] = []
    seen_missing: set[tuple[str, ...]] = set()
    for row in rows:
        if row.unit_path:
            for depth in range(index.missing_prefix(list(row.unit_path)) + 1,
                               len(row.unit_path) + 1):
                key = tuple(part.casefold() for part in row.unit_path[:depth])
                if key not in seen_missing:
                    seen_missing.add(key)
                    missing_units.append(" / ".join(row.unit_path[:depth]))
    plan: list[Planned] = []
    for row in rows:
        user = existing.get(row.personnel_number)
        scope = scope_plans[row.line]
        shown = scope.shown if scope is not None else None
        if user is None:
            report.changes.append(RowChange(row.line, row.personnel_number, row.name, "create",
                                            hr_scope=shown))
            plan.append((row, None, (), scope))
            continue
        unit_id = index.find(list(row.unit_path)) if row.unit_path else None
        unit_exists = not row.unit_path or unit_id is not None
        changed = _changed_fields(row, user, unit_id, unit_exists,
                                  scope is not None and scopes.grants_differ(scope, user))
        action = "update" if changed else "unchanged"
        report.changes.append(RowChange(row.line, row.personnel_number, row.name, action,
                                        changed, is_inactive=not user.is_active, hr_scope=shown))
        plan.append((row, user, changed, scope))
    listed = set(numbers)
    leaving: list[tuple[int, str, str]] = []
    if deactivate_missing:
        for user_id, number, name in session.execute(
            select(User.id, User.personnel_number, User.name)
            .where(User.personnel_number.is_not(None), User.is_active.is_(True))
            .order_by(User.personnel_number)
        ):
            if number not in listed and user_id != actor_id:
                assert number is not None
                leaving.append((user_id, number, name))
        report.deactivated = [Deactivation(number, name) for _id, number, name in leaving]
    report.units_created = missing_units
    if dry_run:
        return report
    _apply(session, plan, leaving, index, now=now, actor_id=actor_id)
    record_event(session, action="user.import", at=now, actor_id=actor_id, detail={
        "created": report.created, "updated": report.updated, "unchanged": report.unchanged,
        "deactivated": len(report.deactivated), "org_units_created": len(missing_units)})
    return report


def _apply(
    session: Session,
    plan: list[Planned],
    leaving: list[tuple[int, str, str]],
    index: UnitIndex,
    *,
    now: datetime,
    actor_id: int | None,
) -> None:
    unit_ids: dict[tuple[str, ...], int] = {}
    for row, _user, _changed, _scope in plan:
        if row.unit_path and row.unit_path not in unit_ids:
            unit_ids[row.unit_path], _created = index.ensure(
                session, list(row.unit_path), now=now, actor_id=actor_id)
    new_rows: list[dict[str, Any]] = []
    new_roles: dict[str, list[tuple[str, int | None]]] = {}
    events: list[dict[str, Any]] = []
    for row, user, changed, scope in plan:
        unit_id = unit_ids.get(row.unit_path) if row.unit_path else None
        if user is None:
            new_rows.append({"personnel_number": row.personnel_number, "name": row.name,
                             "email": row.email, "org_unit_id": unit_id,
                             "password_hash": None,  # no password, not a secret  # nosec B105
                             "created_at": now})
            roles = row.roles or frozenset({Role.LEARNER.value})
            new_roles[row.personnel_number] = [
                *((role, None) for role in sorted(roles - {HR})),
                *((HR, unit) for unit in _hr_units(scope, index))]
            continue
        if not changed:
            continue
        detail: dict[str, Any] = {"fields": list(changed), "source": "import"}
        if "name" in changed:
            user.name = row.name
        if "email" in changed:
            user.email = row.email
        if "org_unit" in changed:
            detail["org_unit"] = {"from": user.org_unit_id, "to": unit_id}
            user.org_unit_id = unit_id
        if "roles" in changed and row.roles is not None:
            # Roles the file keeps stay as they are (with their scope); others go, new
            # ones other than HR come unscoped.
            for grant in [g for g in user.roles if g.role not in row.roles]:
                user.roles.remove(grant)
            for role in sorted(row.roles - user.role_names - {HR}):
                user.roles.append(UserRole(role=role, org_unit_id=None))
            detail["roles"] = sorted(row.roles)
        if scope is not None and not scope.keep:
            wanted = _hr_units(scope, index)
            for grant in [g for g in user.roles if g.role == HR and g.org_unit_id not in wanted]:
                user.roles.remove(grant)
            held = {g.org_unit_id for g in user.roles if g.role == HR}
            for unit in wanted:
                if unit not in held:
                    user.roles.append(UserRole(role=HR, org_unit_id=unit))
            if "hr_scope" in changed or "roles" in changed:
                detail["hr_scope"] = wanted
        events.append(_event(now, actor_id, "user.update", user.id, detail))
    session.flush()
    # Bulk statements: batched on every backend (an ORM flush inserts row by row on SQLite,
    # which cannot return generated keys in parameter order; here the personnel number
    # tells which id belongs to whom).
    role_rows: list[dict[str, Any]] = []
    for start in range(0, len(new_rows), CHUNK):
        for user_id, number in session.execute(
            insert(User).returning(User.id, User.personnel_number), new_rows[start:start + CHUNK]
        ):
            assert number is not None
            role_rows.extend({"user_id": user_id, "role": role, "org_unit_id": unit}
                             for role, unit in new_roles[number])
            events.append(_event(now, actor_id, "user.create", user_id, {"source": "import"}))
    if role_rows:
        session.execute(insert(UserRole), role_rows)
    leaving_ids = [user_id for user_id, _number, _name in leaving]
    for start in range(0, len(leaving_ids), CHUNK):
        chunk = leaving_ids[start:start + CHUNK]
        # Deactivated and signed out at once: the bumped version invalidates their sessions.
        session.execute(
            update(User).where(User.id.in_(chunk))
            .values(is_active=False, session_version=User.session_version + 1)
            .execution_options(synchronize_session="fetch"))
    events.extend(_event(now, actor_id, "user.deactivate", user_id, {"source": "import"})
                  for user_id in leaving_ids)
    if events:
        session.execute(insert(AuditLog), events)
    if len(new_rows) >= ANALYZE_AFTER and session.get_bind().dialect.name == "postgresql":
        # Fresh statistics: until autovacuum's next ANALYZE, PostgreSQL plans lookups on
        # the grown tables as sequential scans (a second import of 20,000 rows: 34 s -> 5 s).
        for table in ("users", "user_roles", "org_units"):
            session.execute(text(f"ANALYZE {table}"))


def _hr_units(scope: ScopePlan | None, index: UnitIndex) -> list[int | None]:
    """The units of the HR grants a plan gives (None: all units), once the units exist."""
    if scope is None:
        return []
    if scope.is_all:
        return [None]
    units: list[int | None] = list(scope.unit_ids)
    for path in scope.paths:
        unit = index.find(list(path))
        assert unit is not None, "scope paths exist or were created by the import"
        if unit not in units:
            units.append(unit)
    return units


def _event(
    now: datetime, actor_id: int | None, action: str, user_id: int, detail: dict[str, Any]
) -> dict[str, Any]:
    return {"at": now, "actor_id": actor_id, "action": action, "target": f"user:{user_id}",
            "detail": detail}


def report_lines(report: ImportReport) -> list[str]:
    """The report as English text lines (the command line's output)."""
    if report.problems:
        lines = [f"line {p.line}: {problem_text(p)}" for p in report.problems]
        lines.append(f"{len({p.line for p in report.problems})} bad line(s); "
                     "nothing was imported. Correct the file and run the import again.")
        return lines
    lines = []
    would = "would be " if report.dry_run else ""
    for path in report.units_created:
        lines.append(f"org unit {would}created: {path}")
    for change in report.changes:
        if change.action == "create":
            lines.append(f"line {change.line}: {change.personnel_number} {change.name}: "
                         f"{would}created")
        elif change.action == "update":
            lines.append(f"line {change.line}: {change.personnel_number} {change.name}: "
                         f"{would}updated ({', '.join(change.fields)})")
        if change.hr_scope is not None:
            lines.append(f"line {change.line}: {change.personnel_number} {change.name}: "
                         f"HR scope: {scope_text(change.hr_scope)}")
        if change.is_inactive:
            lines.append(f"line {change.line}: {change.personnel_number} {change.name}: "
                         "account is deactivated; the import does not reactivate it")
    for gone in report.deactivated:
        lines.append(f"{gone.personnel_number} {gone.name}: {would}deactivated (not in the file)")
    lines.append(
        f"{report.created} created, {report.updated} updated, {report.unchanged} unchanged, "
        f"{len(report.deactivated)} deactivated, {len(report.units_created)} org units created"
        + (" (dry run: nothing was written)" if report.dry_run else ""))
    if report.created:
        lines.append("New users have no password: they cannot sign in until an administrator "
                     "sets one on the user's page. No e-mail was sent.")
    return lines


FILE_ERROR_TEXTS = {
    "empty": "the file is empty",
    "binary": "this is not a CSV text file",
    "encoding": "the file is neither UTF-8 nor Windows-1252 text",
}
