"""Mandatory-course assignments: create and remove them, give the people they cover an
enrolment (`apply_assignments` for one person, `apply_all_assignments` for everybody) and
re-assign courses whose certificate is about to expire (`reassign_expiring`).

Call `apply_assignments(session, user, now)` whenever a user is created or moves to another
org unit (user import, admin pages): it enrols them in every course assigned to their unit
or a unit above it. Everything here is idempotent, flushes and never commits."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

from sqlalchemy import and_, delete, insert, select, update
from sqlalchemy.orm import Session

from lernmodul.db.assignments import Assignment
from lernmodul.db.certificates import Certificate
from lernmodul.db.learning import Attempt, UnitProgress
from lernmodul.db.models import CourseVersion, Enrolment, OrgUnit, User
from lernmodul.services.audit import record_event
from lernmodul.services.org_units import descendant_ids

MAX_DUE_DAYS = 3650
INSERT_BATCH = 4000  # rows; 5 parameters each stay below SQLite's 32,766


class AssignmentError(Exception):
    """A refusal with a code the edge turns into a message (and a 4xx)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True, slots=True)
class ApplyOutcome:
    enrolled: int = 0  # new enrolments
    made_mandatory: int = 0  # voluntary enrolments that became mandatory
    reassigned: int = 0  # completions re-assigned for recertification

    def __add__(self, other: ApplyOutcome) -> ApplyOutcome:
        return ApplyOutcome(self.enrolled + other.enrolled,
                            self.made_mandatory + other.made_mandatory,
                            self.reassigned + other.reassigned)


# --- rules ---------------------------------------------------------------------------------


def due_for(assignment: Assignment, joined_at: datetime) -> datetime:
    """The due date of `assignment` for somebody who joined at `joined_at`: the fixed date, or
    `due_days` after joining, counted from the assignment for people who were there before."""
    if assignment.due_at is not None:
        return assignment.due_at
    assert assignment.due_days is not None
    return max(joined_at, assignment.created_at) + timedelta(days=assignment.due_days)


def end_of_day(day: date, timezone: tzinfo) -> datetime:
    """The last second of `day` in `timezone` (a due date entered as a day means "by then")."""
    return datetime.combine(day, time(23, 59, 59), tzinfo=timezone)


# --- queries -------------------------------------------------------------------------------


def ancestor_ids(session: Session, unit_id: int) -> set[int]:
    """The unit and every unit above it, in one recursive query."""
    up = select(OrgUnit.id.label("id"), OrgUnit.parent_id.label("parent_id")).where(
        OrgUnit.id == unit_id).cte("up", recursive=True)
    up = up.union_all(select(OrgUnit.id, OrgUnit.parent_id).where(OrgUnit.id == up.c.parent_id))
    return set(session.scalars(select(up.c.id)))


def list_assignments(session: Session, scope: set[int] | None) -> list[Assignment]:
    """The assignments on units in `scope` (None: all), by course and unit."""
    query = select(Assignment).order_by(Assignment.course_id, Assignment.org_unit_id)
    if scope is not None:
        query = query.where(Assignment.org_unit_id.in_(scope))
    return list(session.scalars(query))


def get_assignment(session: Session, assignment_id: int, scope: set[int] | None) -> Assignment:
    """The assignment if it lies in `scope`; LookupError otherwise (the edge answers 404)."""
    assignment = session.get(Assignment, assignment_id)
    if assignment is None or (scope is not None and assignment.org_unit_id not in scope):
        raise LookupError("no such assignment")
    return assignment


# --- changes -------------------------------------------------------------------------------


def create_assignment(session: Session, *, course_id: str, org_unit_id: int,
                      scope: set[int] | None, due_at: datetime | None, due_days: int | None,
                      actor_id: int | None, now: datetime) -> tuple[Assignment, ApplyOutcome]:
    """Assigns the course to the unit (and its sub-units) and enrols everybody it covers.

    `scope` is what the actor may manage (None: everything); exactly one of `due_at` and
    `due_days` is given."""
    if scope is not None and org_unit_id not in scope:
        raise AssignmentError("out_of_scope")
    if session.get(OrgUnit, org_unit_id) is None:
        raise AssignmentError("no_unit")
    if session.scalars(select(CourseVersion.id).where(CourseVersion.course_id == course_id)
                       .limit(1)).first() is None:
        raise AssignmentError("no_course")
    if (due_at is None) == (due_days is None):
        raise AssignmentError("one_due_rule")
    if due_days is not None and not 1 <= due_days <= MAX_DUE_DAYS:
        raise AssignmentError("due_days_range")
    if due_at is not None and due_at <= now:
        raise AssignmentError("due_in_past")
    existing = session.scalars(select(Assignment).where(
        Assignment.course_id == course_id, Assignment.org_unit_id == org_unit_id)).first()
    if existing is not None:
        raise AssignmentError("exists")
    assignment = Assignment(course_id=course_id, org_unit_id=org_unit_id, due_at=due_at,
                            due_days=due_days, created_at=now, created_by_id=actor_id)
    session.add(assignment)
    session.flush()
    outcome = _apply_course(session, course_id, descendant_ids(session, [org_unit_id]), now)
    record_event(session, action="assignment.create", at=now, actor_id=actor_id,
                 target=f"assignment:{assignment.id}",
                 detail={"course_id": course_id, "org_unit_id": org_unit_id,
                         "due_at": due_at.isoformat() if due_at else None, "due_days": due_days,
                         "enrolled": outcome.enrolled})
    return assignment, outcome


def delete_assignment(session: Session, assignment: Assignment, *, actor_id: int | None,
                      now: datetime) -> None:
    """Ends the assignment for people who join later; existing enrolments (and their
    completions) stay as they are."""
    record_event(session, action="assignment.delete", at=now, actor_id=actor_id,
                 target=f"assignment:{assignment.id}",
                 detail={"course_id": assignment.course_id,
                         "org_unit_id": assignment.org_unit_id})
    session.delete(assignment)
    session.flush()


def apply_assignments(session: Session, user: User, now: datetime) -> ApplyOutcome:
    """Enrols `user` in every course assigned to their unit or a unit above it (the earliest
    due date wins when several assignments cover the same course). Idempotent; call it after
    creating a user or moving them to another unit."""
    if user.org_unit_id is None or not user.is_active:
        return ApplyOutcome()
    session.flush()
    units = ancestor_ids(session, user.org_unit_id)
    assignments = list(session.scalars(select(Assignment).where(Assignment.org_unit_id.in_(units))))
    outcome = ApplyOutcome()
    for course_id in sorted({a.course_id for a in assignments}):
        outcome += _apply_course(session, course_id, {user.org_unit_id}, now,
                                 user_ids=[user.id])
    return outcome


def apply_all_assignments(session: Session, now: datetime) -> ApplyOutcome:
    """Brings every active user up to date with every assignment (idempotent)."""
    course_ids = session.scalars(select(Assignment.course_id).distinct()
                                 .order_by(Assignment.course_id))
    outcome = ApplyOutcome()
    for course_id in list(course_ids):
        assignments = session.scalars(select(Assignment).where(Assignment.course_id == course_id))
        roots = [a.org_unit_id for a in assignments]
        outcome += _apply_course(session, course_id, descendant_ids(session, roots), now)
    return outcome


def _covering(session: Session, course_id: str, units: set[int]) -> dict[int, list[Assignment]]:
    """For each unit in `units`: the assignments of the course on it or a unit above it."""
    assignments = list(session.scalars(select(Assignment).where(Assignment.course_id == course_id)))
    covering: dict[int, list[Assignment]] = {}
    for assignment in assignments:
        for unit_id in descendant_ids(session, [assignment.org_unit_id]) & units:
            covering.setdefault(unit_id, []).append(assignment)
    return covering


def _apply_course(session: Session, course_id: str, units: set[int], now: datetime,
                  user_ids: Sequence[int] | None = None) -> ApplyOutcome:
    """Enrols the active users of `units` (or just `user_ids`) who lack an enrolment in the
    course, and makes voluntary enrolments mandatory. Mandatory enrolments keep their due date."""
    if not units:
        return ApplyOutcome()
    covering = _covering(session, course_id, units)
    if not covering:
        return ApplyOutcome()
    query = (select(User.id, User.org_unit_id, User.created_at, Enrolment.id, Enrolment.is_mandatory)
             .outerjoin(Enrolment, and_(Enrolment.user_id == User.id,
                                        Enrolment.course_id == course_id))
             .where(User.is_active.is_(True), User.org_unit_id.in_(list(covering)))
             .where((Enrolment.id.is_(None)) | (Enrolment.is_mandatory.is_(False))))
    if user_ids is not None:
        query = query.where(User.id.in_(list(user_ids)))
    new_rows: list[dict[str, object]] = []
    upgrades: list[dict[str, object]] = []
    for user_id, unit_id, joined_at, enrolment_id, _mandatory in session.execute(query):
        assert unit_id is not None  # the query selects users of covered units only
        due = min(due_for(a, joined_at) for a in covering[unit_id])
        if enrolment_id is None:
            new_rows.append({"user_id": user_id, "course_id": course_id, "due_at": due,
                             "is_mandatory": True, "assigned_at": now})
        else:
            upgrades.append({"id": enrolment_id, "due_at": due})
    # one multi-row INSERT per batch: an executemany would send one statement per row to
    # PostgreSQL, and the HR summary triggers run once per statement
    for start in range(0, len(new_rows), INSERT_BATCH):
        session.execute(insert(Enrolment).values(new_rows[start:start + INSERT_BATCH]))
    for row in upgrades:
        session.execute(update(Enrolment).where(Enrolment.id == row["id"])
                        .values(is_mandatory=True, due_at=row["due_at"])
                        .execution_options(synchronize_session=False))
    session.flush()
    return ApplyOutcome(enrolled=len(new_rows), made_mandatory=len(upgrades))


# --- recertification -----------------------------------------------------------------------


def reassign_expiring(session: Session, *, today: date, renewal_days: int, timezone: tzinfo,
                      now: datetime) -> ApplyOutcome:
    """Re-assigns mandatory courses whose current certificate is in its renewal window: the
    enrolment is open again, due at the end of the certificate's last valid day. The old
    round's progress is cleared, open attempts expire, attempts and certificates stay as
    records. Idempotent: an enrolment is re-assigned once per completion."""
    horizon = today + timedelta(days=renewal_days)
    rows = session.execute(
        select(Enrolment.id, Enrolment.user_id, Enrolment.completed_at, Certificate.id,
               Certificate.valid_until)
        .join(Certificate, and_(Certificate.enrolment_id == Enrolment.id,
                                Certificate.superseded_at.is_(None)))
        .where(Enrolment.is_mandatory.is_(True), Enrolment.completed_at.is_not(None),
               Certificate.completed_at == Enrolment.completed_at,
               Certificate.revoked_at.is_(None), Certificate.valid_until.is_not(None),
               Certificate.valid_until <= horizon)).all()
    reassigned = 0
    for enrolment_id, user_id, completed_at, certificate_id, valid_until in rows:
        if valid_until is None:  # pragma: no cover - the query selects expiring ones only
            continue
        changed = session.execute(
            update(Enrolment).where(Enrolment.id == enrolment_id,
                                    Enrolment.completed_at == completed_at)
            .values(completed_at=None, exam_passed_at=None, course_version_id=None,
                    started_at=None, assigned_at=now,
                    due_at=end_of_day(valid_until, timezone))
            .execution_options(synchronize_session=False)).rowcount  # type: ignore[attr-defined]
        if changed != 1:
            continue
        session.execute(delete(UnitProgress).where(UnitProgress.enrolment_id == enrolment_id)
                        .execution_options(synchronize_session=False))
        session.execute(update(Attempt).where(Attempt.enrolment_id == enrolment_id,
                                              Attempt.state == "in_progress")
                        .values(state="expired", submitted_at=now)
                        .execution_options(synchronize_session=False))
        record_event(session, action="assignment.recertify", at=now, actor_id=None,
                     target=f"enrolment:{enrolment_id}",
                     detail={"user_id": user_id, "certificate_id": certificate_id,
                             "due_on": valid_until.isoformat()})
        reassigned += 1
    session.flush()
    return ApplyOutcome(reassigned=reassigned)


def course_titles(session: Session, course_ids: Iterable[str] | None = None) -> dict[str, str]:
    """Course id -> title of its newest version (all courses, or the given ones)."""
    newest = select(CourseVersion.course_id, CourseVersion.title).order_by(CourseVersion.id)
    if course_ids is not None:
        newest = newest.where(CourseVersion.course_id.in_(list(course_ids)))
    return {course_id: title for course_id, title in session.execute(newest)}

