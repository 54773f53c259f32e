"""What HR sees: per-unit aggregates (k-suppressed) and the person list of mandatory courses.

Privacy by design: a person row carries exactly the allowlisted fields (`PERSON_FIELDS`:
name, org unit, course, course version, status, due, completed, expires) and nothing about scores, answers,
attempts or time spent. Every query is limited to a scope of org units (None: all) that the
edge takes from `role_scope`; a unit outside the scope raises `OutOfScope` (403).
The learner's own transparency page uses the same `person_rows` with `user_id` set."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, fields
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from sqlalchemy import Select, and_, case, func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from lernmodul.core.attempts import AttemptState
from lernmodul.core.model import Course
from lernmodul.core.review import reviewed_scores
from lernmodul.db.certificates import Certificate
from lernmodul.db.hr_summary import HrCourseCount, HrDueCount, HrExpiryCount, HrUnitPersons
from lernmodul.db.learning import Attempt, AttemptResult, UnitProgress
from lernmodul.db.models import CourseVersion, Enrolment, OrgUnit, User
from lernmodul.services.assignments import course_titles
from lernmodul.services.learning import open_attempt_data
from lernmodul.services.reviews import review_details

ASSIGNED = "assigned"
IN_PROGRESS = "in_progress"
COMPLETED = "completed"
OVERDUE = "overdue"
# open again: the certificate of the completion was revoked, the course is to be retaken
# (until then it is neither overdue, in progress nor assigned)
REVOKED = "revoked"
EXPIRING = "expiring"  # a filter only: completed, certificate expires within the window
STATUSES = (ASSIGNED, IN_PROGRESS, COMPLETED, OVERDUE, REVOKED)
FILTER_STATUSES = (*STATUSES, EXPIRING)
PAGE_SIZE = 50
DEFAULT_MIN_GROUP_SIZE = 5
DEFAULT_EXPIRING_DAYS = 60


class OutOfScope(Exception):
    """The request names a unit outside the viewer's scope (the edge answers 403)."""


@dataclass(frozen=True, slots=True)
class PersonRow:
    """One person and one mandatory course: the allowlisted fields, nothing else."""

    name: str
    org_unit: str
    course: str
    course_version: str | None  # the version taken or completed (None: not started)
    status: str
    due: date | None
    completed: date | None
    expires: date | None


PERSON_FIELDS = tuple(f.name for f in fields(PersonRow))


@dataclass(frozen=True, slots=True)
class Clock:
    """The moment of the query and the local calendar it is shown in."""

    now: datetime
    timezone: tzinfo
    expiring_days: int = DEFAULT_EXPIRING_DAYS

    @property
    def today(self) -> date:
        return self.now.astimezone(self.timezone).date()

    @property
    def horizon(self) -> date:
        return self.today + timedelta(days=self.expiring_days)


@dataclass(frozen=True, slots=True)
class PersonFilter:
    course_id: str | None = None
    unit_id: int | None = None  # the unit and its sub-units
    status: str | None = None
    user_id: int | None = None  # the transparency page: one person

    def as_detail(self) -> dict[str, Any]:
        return {k: v for k, v in (("course_id", self.course_id), ("unit_id", self.unit_id),
                                  ("status", self.status), ("user_id", self.user_id)) if v}


@dataclass(frozen=True, slots=True)
class PersonPage:
    rows: list[PersonRow]
    user_ids: list[int]  # whom the page shows (for the audit log), never rendered
    page: int
    has_next: bool


@dataclass(frozen=True, slots=True)
class UnitFigures:
    """Aggregates of one unit with its sub-units; None where the group is too small."""

    unit_id: int
    name: str
    has_children: bool
    persons: int
    suppressed: bool
    enrolments: int | None
    completion_rate: int | None  # percent
    overdue: int | None
    expiring: int | None
    revoked: int | None = None  # revoked, to be retaken
    protects_others: bool = False  # hidden although the group is large enough


@dataclass(frozen=True, slots=True)
class Dashboard:
    root: UnitFigures | None  # the chosen unit (None: the top of the scope)
    units: list[UnitFigures] = field(default_factory=list)


# --- the tree ------------------------------------------------------------------------------


def unit_tree(session: Session) -> dict[int, tuple[str, int | None]]:
    """Every unit: id -> (name, parent id). One query; the tree has hundreds of rows."""
    return {i: (n, p) for i, n, p in session.execute(
        select(OrgUnit.id, OrgUnit.name, OrgUnit.parent_id))}


def unit_paths(tree: dict[int, tuple[str, int | None]]) -> dict[int, str]:
    """id -> 'Stadt / Dezernat / Amt' for every unit. Iterative, so that no depth of the tree
    (even one stored before the depth limit) can exhaust Python's recursion limit."""
    paths: dict[int, str] = {}
    for start in tree:
        # climb to the first unit with a known path (or the top), then name the way down
        way: list[int] = []
        unit_id: int | None = start
        while unit_id is not None and unit_id in tree and unit_id not in paths \
                and unit_id not in way:  # `not in way`: a cycle (impossible) ends the climb
            way.append(unit_id)
            unit_id = tree[unit_id][1]
        above = paths.get(unit_id) if unit_id is not None else None
        for step in reversed(way):
            name = tree[step][0]
            above = paths[step] = name if above is None else f"{above} / {name}"
    return paths


def _subtree(tree: dict[int, tuple[str, int | None]], root: int) -> set[int]:
    children: dict[int | None, list[int]] = {}
    for unit_id, (_name, parent) in tree.items():
        children.setdefault(parent, []).append(unit_id)
    found, todo = set(), [root]
    while todo:
        unit_id = todo.pop()
        found.add(unit_id)
        todo.extend(children.get(unit_id, []))
    return found


def visible_units(session: Session, scope: set[int] | None, unit_id: int | None) -> set[int] | None:
    """The units a query may read: the scope, narrowed to `unit_id` and its sub-units.
    Raises OutOfScope for a unit outside the scope (or one that does not exist)."""
    if unit_id is None:
        return scope
    if scope is not None and unit_id not in scope:
        raise OutOfScope(unit_id)
    tree = unit_tree(session)
    if unit_id not in tree:
        raise OutOfScope(unit_id)
    return _subtree(tree, unit_id)


# --- status --------------------------------------------------------------------------------


def status_of(*, due_at: datetime | None, started_at: datetime | None,
              completed_at: datetime | None, now: datetime, is_revoked: bool = False) -> str:
    """The HR status of a mandatory enrolment; `is_revoked`: its current certificate is
    revoked (an open enrolment is then to be retaken, whatever its dates)."""
    if completed_at is not None:
        return COMPLETED
    if is_revoked:
        return REVOKED
    if due_at is not None and due_at < now:
        return OVERDUE
    return IN_PROGRESS if started_at is not None else ASSIGNED


def _status_condition(status: str, clock: Clock) -> ColumnElement[bool]:
    not_due = or_(Enrolment.due_at.is_(None), Enrolment.due_at >= clock.now)
    revoked = Certificate.revoked_at.is_not(None)
    # open and not revoked (the outer join gives NULL without a certificate)
    open_ = and_(Enrolment.completed_at.is_(None), Certificate.revoked_at.is_(None))
    conditions: dict[str, ColumnElement[bool]] = {
        COMPLETED: Enrolment.completed_at.is_not(None),
        REVOKED: and_(Enrolment.completed_at.is_(None), revoked),
        OVERDUE: and_(open_, Enrolment.due_at < clock.now),
        IN_PROGRESS: and_(open_, Enrolment.started_at.is_not(None), not_due),
        ASSIGNED: and_(open_, Enrolment.started_at.is_(None), not_due),
        EXPIRING: and_(Enrolment.completed_at.is_not(None), Certificate.revoked_at.is_(None),
                       Certificate.valid_until.between(clock.today, clock.horizon)),
    }
    return conditions[status]


def _current_certificate() -> ColumnElement[bool]:
    """The enrolment's certificate that is not superseded (at most one; it may be revoked)."""
    return and_(Certificate.enrolment_id == Enrolment.id, Certificate.superseded_at.is_(None))


def _base(columns: Sequence[Any], units: set[int] | None, person_filter: PersonFilter,
          clock: Clock) -> Select[Any]:
    query = (select(*columns).select_from(Enrolment)
             .join(User, User.id == Enrolment.user_id)
             .outerjoin(Certificate, _current_certificate())
             .where(Enrolment.is_mandatory.is_(True), User.is_active.is_(True)))
    if units is not None:
        query = query.where(User.org_unit_id.in_(sorted(units)))
    if person_filter.course_id:
        query = query.where(Enrolment.course_id == person_filter.course_id)
    if person_filter.user_id is not None:
        query = query.where(User.id == person_filter.user_id)
    if person_filter.status:
        if person_filter.status not in FILTER_STATUSES:
            raise ValueError(f"unknown status {person_filter.status!r}")
        query = query.where(_status_condition(person_filter.status, clock))
    return query


# --- the person list -----------------------------------------------------------------------

_PERSON_COLUMNS = (User.id, User.name, User.org_unit_id, Enrolment.course_id, CourseVersion.version,
                   Enrolment.due_at, Enrolment.started_at, Enrolment.completed_at,
                   Certificate.valid_until, Certificate.revoked_at)


def _person_query(session: Session, scope: set[int] | None, person_filter: PersonFilter,
                  clock: Clock) -> Select[Any]:
    units = visible_units(session, scope, person_filter.unit_id)
    return (_base(_PERSON_COLUMNS, units, person_filter, clock)
            .outerjoin(CourseVersion, CourseVersion.id == Enrolment.course_version_id)
            .order_by(User.name, User.id, Enrolment.course_id))


class _RowMaker:
    def __init__(self, session: Session, clock: Clock) -> None:
        self.paths = unit_paths(unit_tree(session))
        self.titles = course_titles(session)
        self.clock = clock

    def __call__(self, row: Any) -> PersonRow:
        (_uid, name, unit_id, course_id, version, due_at, started_at, completed_at, valid_until,
         revoked_at) = row
        zone = self.clock.timezone
        return PersonRow(
            name=name, org_unit=self.paths.get(unit_id, "") if unit_id is not None else "",
            course=self.titles.get(course_id, course_id), course_version=version,
            status=status_of(due_at=due_at, started_at=started_at, completed_at=completed_at,
                             now=self.clock.now, is_revoked=revoked_at is not None),
            due=due_at.astimezone(zone).date() if due_at else None,
            completed=completed_at.astimezone(zone).date() if completed_at else None,
            expires=valid_until if revoked_at is None else None)


def person_page(session: Session, scope: set[int] | None, person_filter: PersonFilter,
                clock: Clock, page: int = 1, page_size: int = PAGE_SIZE) -> PersonPage:
    """One page of the person list (ordered by name); no total count, so it stays fast."""
    page = max(page, 1)
    query = _person_query(session, scope, person_filter, clock)
    rows = session.execute(query.limit(page_size + 1).offset((page - 1) * page_size)).all()
    make = _RowMaker(session, clock)
    shown = rows[:page_size]
    return PersonPage(rows=[make(r) for r in shown], user_ids=sorted({r[0] for r in shown}),
                      page=page, has_next=len(rows) > page_size)


def person_rows(session: Session, scope: set[int] | None, person_filter: PersonFilter,
                clock: Clock, batch: int = 2000) -> Iterator[PersonRow]:
    """Every row of the person list, read in batches (memory stays flat for exports)."""
    query = _person_query(session, scope, person_filter, clock)
    make = _RowMaker(session, clock)
    for partition in session.execute(query.execution_options(yield_per=batch)).partitions():
        for row in partition:
            yield make(row)


def rows_of_person(session: Session, user_id: int, clock: Clock) -> list[PersonRow]:
    """Exactly what HR sees of one person (the transparency page)."""
    return list(person_rows(session, None, PersonFilter(user_id=user_id), clock))


# --- the dashboard -------------------------------------------------------------------------


ALL_COURSES = ""  # the key of the figures over all courses
# enrolments, completed, overdue, expiring, persons, revoked (to be retaken)
Figures = tuple[int, int, int, int, int, int]
Counts = dict[int, Figures]
Cell = tuple[int, str]  # (unit id, course id or ALL_COURSES)
ZERO: Figures = (0, 0, 0, 0, 0, 0)


def dashboard(session: Session, scope: set[int] | None, *, unit_id: int | None,
              course_id: str | None, clock: Clock,
              min_group_size: int = DEFAULT_MIN_GROUP_SIZE) -> Dashboard:
    """Figures for the chosen unit and each unit directly below it (each with its sub-units),
    or for the top units of the scope. Groups of fewer than `min_group_size` people are
    suppressed, and so many more (`protect_small_groups`) that no suppressed figure can be
    worked out by subtraction from figures shown on any dashboard page."""
    tree = unit_tree(session)
    units = visible_units(session, scope, unit_id)
    children = _children(tree)
    if unit_id is not None:
        shown = children.get(unit_id, [])
    elif scope is None:
        shown = children.get(None, [])
    else:
        shown = [u for u in scope if tree.get(u, ("", None))[1] not in scope]
    shown = [u for u in shown if units is None or u in units]
    shown.sort(key=lambda u: tree[u][0].casefold())
    # the same cells are hidden for every viewer and every page: computed over the whole tree
    totals, hidden = protect_small_groups(tree, _direct_counts(session, clock), min_group_size)
    key = course_id or ALL_COURSES

    def figures(root: int) -> UnitFigures:
        enrolments, completed, overdue, expiring, persons, revoked = totals.get((root, key), ZERO)
        small = (root, key) in hidden or persons < min_group_size  # also a course nobody has
        return UnitFigures(
            unit_id=root, name=tree[root][0], has_children=bool(children.get(root)),
            persons=persons, suppressed=small,
            enrolments=None if small else enrolments,
            completion_rate=None if small or not enrolments else
            round(100 * completed / enrolments),
            overdue=None if small else overdue, expiring=None if small else expiring,
            revoked=None if small else revoked, protects_others=small and persons >= min_group_size)

    root = figures(unit_id) if unit_id is not None else None
    return Dashboard(root=root, units=[figures(u) for u in shown])


def _children(tree: dict[int, tuple[str, int | None]]) -> dict[int | None, list[int]]:
    children: dict[int | None, list[int]] = {}
    for uid, (_name, parent) in tree.items():
        children.setdefault(parent if parent in tree else None, []).append(uid)
    return children


def _direct_counts(session: Session, clock: Clock) -> dict[Cell, Figures]:
    """Figures of the members of each unit (sub-units not included) per course and over all
    courses, read from the summary tables that triggers keep (a few thousand rows instead of
    every enrolment)."""
    cells: dict[Cell, list[int]] = {}
    for unit_id, course, enrolments, completed in session.execute(select(
            HrCourseCount.org_unit_id, HrCourseCount.course_id, HrCourseCount.enrolments,
            HrCourseCount.completed)):
        # one enrolment per person and course: the course's people are its enrolments
        cells[(unit_id, course)] = [enrolments, completed, 0, 0, enrolments, 0]
    if not cells:
        return {}
    # naming the courses lets both databases read each course's range of the primary key
    courses = sorted({course for _unit, course in cells})
    for index, table, condition in (
            (2, HrDueCount, HrDueCount.due_at < clock.now),
            (3, HrExpiryCount, HrExpiryCount.valid_until.between(clock.today, clock.horizon))):
        rows = session.execute(select(table.org_unit_id, table.course_id,
                                      func.sum(table.enrolments))
                               .where(table.course_id.in_(courses), condition)
                               .group_by(table.org_unit_id, table.course_id))
        for unit_id, course, count in rows:
            if (unit_id, course) in cells:
                cells[(unit_id, course)][index] += int(count)
    for unit_id, course, revoked, revoked_overdue in _revoked_counts(session, clock):
        if (unit_id, course) in cells:
            cells[(unit_id, course)][5] += revoked
            cells[(unit_id, course)][2] -= revoked_overdue  # to be retaken, not overdue
    persons = {unit_id: count for unit_id, count in session.execute(
        select(HrUnitPersons.org_unit_id, HrUnitPersons.persons))}
    result: dict[Cell, Figures] = {}
    for (unit_id, course), values in cells.items():
        result[(unit_id, course)] = (values[0], values[1], values[2], values[3], values[4],
                                     values[5])
        everything = result.get((unit_id, ALL_COURSES),
                                (0, 0, 0, 0, persons.get(unit_id, 0), 0))
        result[(unit_id, ALL_COURSES)] = (everything[0] + values[0], everything[1] + values[1],
                                          everything[2] + values[2], everything[3] + values[3],
                                          everything[4], everything[5] + values[5])
    return result


def _revoked_counts(session: Session, clock: Clock) -> Iterator[tuple[int, str, int, int]]:
    """Per unit and course: open mandatory enrolments whose current certificate is revoked,
    and how many of them are past their due date (the summary tables count those as
    overdue). Read through the partial index of revoked current certificates: a handful of
    rows, never the whole table."""
    past_due = case((Enrolment.due_at < clock.now, 1), else_=0)
    rows = session.execute(
        select(User.org_unit_id, Enrolment.course_id, func.count(), func.sum(past_due))
        .select_from(Certificate)
        .join(Enrolment, Enrolment.id == Certificate.enrolment_id)
        .join(User, User.id == Enrolment.user_id)
        .where(Certificate.revoked_at.is_not(None), Certificate.superseded_at.is_(None),
               Enrolment.completed_at.is_(None), Enrolment.is_mandatory.is_(True),
               User.is_active.is_(True), User.org_unit_id.is_not(None))
        .group_by(User.org_unit_id, Enrolment.course_id))
    for unit_id, course, count, overdue in rows:
        yield int(unit_id), str(course), int(count), int(overdue or 0)


def _counts_by_unit(session: Session, units: set[int] | None, course_id: str | None,
                    clock: Clock) -> Counts:
    """Per unit of the members: enrolments, completed, overdue, expiring, persons (from the
    summary tables)."""
    key = course_id or ALL_COURSES
    return {unit_id: figures for (unit_id, course), figures in _direct_counts(session, clock)
            .items() if course == key and (units is None or unit_id in units)}


# --- no suppressed figure by subtraction ---------------------------------------------------
#
# Every unit's figures (with its sub-units) appear on some page, per course and over all
# courses. They add up along two kinds of lines: a unit = its sub-units + its own members
# (who are never shown as a row of their own), and all courses = each course. A line with
# exactly one unknown figure gives that figure away by subtraction, and a figure found so
# may complete another line. `protect_small_groups` follows these chains and hides one more
# figure (the smallest group of the line) until no group of fewer than k people can be
# found. Groups of 0 people count as known.

_Node = tuple[str, int, str]  # ("unit", id, key): a unit with its sub-units; ("own", id, key)


def protect_small_groups(tree: dict[int, tuple[str, int | None]],
                         direct: dict[Cell, Figures], k: int
                         ) -> tuple[dict[Cell, Figures], set[Cell]]:
    """The figures of every unit with its sub-units, and the cells to hide: those of fewer
    than k people, and complementary ones so that none of those can be computed from the
    cells shown (by subtraction along the lines above, also chained)."""
    children = _children(tree)
    courses = sorted({course for _unit, course in direct if course != ALL_COURSES})
    keys = [ALL_COURSES, *courses]
    sums: dict[Cell, list[int]] = {}
    order: list[int] = []  # parents before their sub-units
    todo = list(children.get(None, []))
    while todo:
        unit_id = todo.pop()
        order.append(unit_id)
        todo.extend(children.get(unit_id, []))
    for unit_id in reversed(order):
        for key in keys:
            values = list(direct.get((unit_id, key), ZERO))
            for child in children.get(unit_id, []):
                below = sums[(child, key)]
                values = [a + b for a, b in zip(values, below, strict=True)]
            sums[(unit_id, key)] = values
    totals: dict[Cell, Figures] = {cell: (v[0], v[1], v[2], v[3], v[4], v[5])
                                   for cell, v in sums.items()}
    persons: dict[_Node, int] = {}
    lines: list[tuple[_Node, list[_Node]]] = []  # (total, parts)
    for unit_id in tree:
        kids = children.get(unit_id, [])
        for key in keys:
            persons[("unit", unit_id, key)] = totals[(unit_id, key)][4]
            if kids:
                persons[("own", unit_id, key)] = direct.get((unit_id, key), ZERO)[4]
                lines.append((("unit", unit_id, key),
                              [("unit", c, key) for c in kids] + [("own", unit_id, key)]))
        for kind in ("unit", "own") if kids else ("unit",):
            lines.append(((kind, unit_id, ALL_COURSES), [(kind, unit_id, c) for c in courses]))
    hidden = {node for node, count in persons.items() if node[0] == "unit" and count < k}
    while True:
        known, found_by = _derivable(persons, lines, hidden)
        leak = next((node for node in found_by if 0 < persons[node] < k), None)
        if leak is None:
            break
        extra = _complement(leak, lines, known, found_by, hidden, persons, set())
        if extra is None:  # pragma: no cover - the line total can always be hidden
            raise RuntimeError(f"cannot protect {leak}")
        hidden.add(extra)
    return totals, {(unit_id, key) for _kind, unit_id, key in hidden}


def _derivable(persons: dict[_Node, int], lines: list[tuple[_Node, list[_Node]]],
               hidden: set[_Node]) -> tuple[set[_Node], dict[_Node, int]]:
    """Known nodes (shown, empty, or found by subtraction) and the line each was found by."""
    known = {node for node, count in persons.items()
             if count == 0 or (node[0] == "unit" and node not in hidden)}
    members = [[total, *parts] for total, parts in lines]
    lines_of: dict[_Node, list[int]] = {}
    unknown = []
    for index, nodes in enumerate(members):
        for node in nodes:
            lines_of.setdefault(node, []).append(index)
        unknown.append(sum(node not in known for node in nodes))
    found_by: dict[_Node, int] = {}
    todo = [index for index, count in enumerate(unknown) if count == 1]
    while todo:
        index = todo.pop()
        if unknown[index] != 1:
            continue
        node = next(n for n in members[index] if n not in known)
        known.add(node)
        found_by[node] = index
        for other in lines_of[node]:
            unknown[other] -= 1
            if unknown[other] == 1:
                todo.append(other)
    return known, found_by


def _complement(node: _Node, lines: list[tuple[_Node, list[_Node]]], known: set[_Node],
                found_by: dict[_Node, int], hidden: set[_Node], persons: dict[_Node, int],
                seen: set[int]) -> _Node | None:
    """A shown node to hide so that `node` is no longer found by its line: the smallest
    non-empty group of that line (parts before the total), or one that makes such a group
    unknown in turn."""
    index = found_by[node]
    if index in seen:
        return None
    seen.add(index)
    total, parts = lines[index]
    others = [n for n in (*parts, total) if n != node and n in known and persons[n] > 0]
    others.sort(key=lambda n: (n == total, persons[n], n))
    for other in others:
        if other in found_by:  # found by another line: hide a figure of that line
            found = _complement(other, lines, known, found_by, hidden, persons, seen)
            if found is not None:
                return found
        elif other[0] == "unit" and other not in hidden:
            return other
    return None


def recount_by_unit(session: Session, units: set[int] | None, course_id: str | None,
                    clock: Clock) -> Counts:
    """The same figures as `_counts_by_unit`, counted from the enrolments themselves: the
    reference the summary is checked against (slow at city scale)."""
    completed = Enrolment.completed_at.is_not(None)
    columns = (
        User.org_unit_id,
        func.count(),
        func.sum(case((completed, 1), else_=0)),
        func.sum(case((_status_condition(OVERDUE, clock), 1), else_=0)),
        func.sum(case((_status_condition(EXPIRING, clock), 1), else_=0)),
        func.count(func.distinct(User.id)),
        func.sum(case((_status_condition(REVOKED, clock), 1), else_=0)),
    )
    query = _base(columns, units, PersonFilter(course_id=course_id), clock).group_by(
        User.org_unit_id)
    return {row[0]: (int(row[1]), int(row[2] or 0), int(row[3] or 0), int(row[4] or 0),
                     int(row[5]), int(row[6] or 0))
            for row in session.execute(query) if row[0] is not None}


# --- a copy of one's own data (Art. 15 DSGVO) ----------------------------------------------


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _columns(row: Any, names: Sequence[str]) -> dict[str, Any]:
    return {name: _plain(getattr(row, name)) for name in names}


def personal_data(session: Session, user: User,
                  course_of: Callable[[int], Course]) -> dict[str, Any]:
    """Everything stored about `user` as learner: profile, enrolments, progress, attempts with
    responses and results, certificates. No password hash, no session data. `course_of`
    gives the compiled course of a version id (open attempts are described with it).

    A result shows as much as its review page (`review`: full, verdicts or score): while a
    final exam's key is withheld, its per-question marks (which chosen option is right) or
    all per-question scores are left out, so that the copy does not hand out the key."""
    enrolments = list(session.scalars(select(Enrolment).where(Enrolment.user_id == user.id)
                                      .order_by(Enrolment.id)))
    ids = [e.id for e in enrolments]
    progress = list(session.scalars(select(UnitProgress).where(
        UnitProgress.enrolment_id.in_(ids)).order_by(UnitProgress.id))) if ids else []
    attempts = session.execute(
        select(Attempt, AttemptResult).outerjoin(AttemptResult,
                                                 AttemptResult.attempt_id == Attempt.id)
        .where(Attempt.user_id == user.id).order_by(Attempt.id)).all()
    certificates = list(session.scalars(select(Certificate).where(
        Certificate.user_id == user.id).order_by(Certificate.id)))
    paths = unit_paths(unit_tree(session))
    details = review_details(session, [a for a, _r in attempts], course_of)
    return {
        "profile": {
            **_columns(user, ("id", "personnel_number", "name", "email", "locale", "is_active",
                              "extra_time_percent", "created_at")),
            "org_unit": paths.get(user.org_unit_id) if user.org_unit_id else None,
            "roles": sorted(user.role_names),
        },
        "enrolments": [_columns(e, ("id", "course_id", "is_mandatory", "assigned_at", "due_at",
                                    "started_at", "completed_at", "exam_passed_at"))
                       for e in enrolments],
        "progress": [_columns(p, ("enrolment_id", "unit_id", "read_at", "quiz_passed_at",
                                  "last_quiz_points", "last_quiz_max_points"))
                     for p in progress],
        "attempts": [{
            **_columns(a, ("id", "enrolment_id", "kind", "unit_key", "state", "started_at",
                           "deadline_at", "submitted_at")),
            **(open_attempt_data(a, course_of(a.course_version_id))
               if a.state == AttemptState.IN_PROGRESS
               else _columns(a, ("questions", "responses"))),
            "review": details[a.id].value,
            "result": None if r is None else {
                **_columns(r, ("points", "max_points", "is_passed", "graded_at")),
                "scores": reviewed_scores(details[a.id], r.scores)},
        } for a, r in attempts],
        "certificates": [_columns(c, ("code", "course_id", "course_title", "course_version",
                                      "participant_name", "completed_on", "valid_until",
                                      "issued_at", "revoked_at", "revoked_reason",
                                      "superseded_at", "verify_url"))
                         for c in certificates],
    }
