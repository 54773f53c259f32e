"""The learner's course: enrolling and starting it, reading units, the progress per unit
and the completion. The attempts at quizzes and the exam build on it (services/learning.py,
which offers every name of this module too).

Every function takes the Session and the time; none commits. The request edge reads without
a lock and takes the write lock at the first write (see `lernmodul.web.database`), so each
write checks again what it depends on: the course's start and completion are conditional
UPDATEs on the column still being empty; enrolling and a unit's progress row are INSERT …
ON CONFLICT statements (a second tab at the same moment neither fails nor counts twice)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import Executable, bindparam, func, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from lernmodul.core.model import Course
from lernmodul.core.progress import CourseState, course_is_complete
from lernmodul.db.engine import on_conflict_insert, on_conflict_insert_for
from lernmodul.db.learning import UnitProgress
from lernmodul.db.models import CourseVersion, Enrolment
from lernmodul.services.score_return import queue_completion_score

#: Session.info key: ids of the enrolments completed in the session's transaction.
COMPLETED_KEY = "lernmodul.completed_enrolments"
#: Session.info key: the learning events of the session's transaction, in order, as
#: (event, id) pairs — ("course_started", enrolment id), ("course_completed", enrolment id),
#: ("exam_graded", attempt id). Read before the commit (learning records, lernmodul.xapi).
EVENTS_KEY = "lernmodul.learning_events"
COURSE_STARTED = "course_started"
COURSE_COMPLETED = "course_completed"
EXAM_GRADED = "exam_graded"


def note_event(session: Session, event: str, row_id: int) -> None:
    """Records a learning event of this transaction for whoever reads EVENTS_KEY at commit."""
    session.info.setdefault(EVENTS_KEY, []).append((event, row_id))


class LearningError(Exception):
    """A refusal with a code the edge turns into a message (and a 4xx)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


# --- enrolments ----------------------------------------------------------------------------


class _Unread:
    """The enrolment was not read yet (start_course reads it)."""


UNREAD = _Unread()


def find_enrolment(session: Session, user_id: int, course_id: str) -> Enrolment | None:
    """The learner's enrolment in the course, if any."""
    return session.scalars(select(Enrolment).where(
        Enrolment.user_id == user_id, Enrolment.course_id == course_id)).first()


# Statements of every learner page, built once: building one costs about as much as running it.
_ENROLMENT_VERSION_PROGRESS = (
    select(Enrolment, CourseVersion, UnitProgress)
    .outerjoin(CourseVersion, CourseVersion.id == Enrolment.course_version_id)
    .outerjoin(UnitProgress, UnitProgress.enrolment_id == Enrolment.id)
    .where(Enrolment.user_id == bindparam("user_id"),
           Enrolment.course_id == bindparam("course_id")))
# populate_existing: rows written by record_progress's upsert are read as they are now
_PROGRESS = (select(UnitProgress).where(UnitProgress.enrolment_id == bindparam("enrolment_id"))
             .execution_options(populate_existing=True))


def find_enrolment_and_version(
        session: Session, user_id: int, course_id: str
) -> tuple[Enrolment | None, CourseVersion | None, dict[str, UnitProgress]]:
    """The learner's enrolment, the version they take and their progress by unit: one query."""
    rows = session.execute(_ENROLMENT_VERSION_PROGRESS,
                           {"user_id": user_id, "course_id": course_id}).all()
    if not rows:
        return None, None, {}
    progress = {row[2].unit_id: row[2] for row in rows if row[2] is not None}
    return rows[0][0], rows[0][1], progress


def list_enrolments(session: Session, user_id: int) -> list[Enrolment]:
    """Every enrolment of the learner."""
    return list(session.scalars(select(Enrolment).where(Enrolment.user_id == user_id)))


def start_course(session: Session, user_id: int, version: CourseVersion, now: datetime, *,
                 enrolment: Enrolment | _Unread | None = UNREAD) -> Enrolment:
    """Enrols (if not assigned already) and fixes the version the learner will take.

    `enrolment`: the learner's enrolment in the course as the caller read it in this request
    (None: there was none), so that it is not read again. Enrolling and starting is one
    INSERT … ON CONFLICT DO NOTHING; a second tab that enrolled at the same moment makes it
    insert nothing, and the enrolment is read and started as an existing one."""
    if isinstance(enrolment, _Unread):
        enrolment = find_enrolment(session, user_id, version.course_id)
    if enrolment is None:
        enrolment = session.scalars(
            on_conflict_insert(session, Enrolment)
            .values(user_id=user_id, course_id=version.course_id, assigned_at=now,
                    is_mandatory=False, course_version_id=version.id, started_at=now)
            .on_conflict_do_nothing(index_elements=["user_id", "course_id"])
            .returning(Enrolment)).first()
        if enrolment is not None:
            note_event(session, COURSE_STARTED, enrolment.id)
            return enrolment
        enrolment = find_enrolment(session, user_id, version.course_id)
        assert enrolment is not None  # the other tab's
    if enrolment.course_version_id is None:
        # only if nobody (a second tab) started it since it was read
        started = set_if_empty(session, enrolment, Enrolment.course_version_id,
                               course_version_id=version.id, started_at=now)
        if started:
            note_event(session, COURSE_STARTED, enrolment.id)
    return enrolment


def set_if_empty(session: Session, enrolment: Enrolment, column: Any, **values: Any) -> bool:
    """UPDATE enrolments SET values WHERE id = … AND column IS NULL. Whether this transaction
    set them; if another one did first, the enrolment is read again."""
    changed = session.execute(update(Enrolment).where(
        Enrolment.id == enrolment.id, column.is_(None)).values(**values).execution_options(
        synchronize_session=False)).rowcount  # type: ignore[attr-defined]
    if changed != 1:
        session.refresh(enrolment)
        return False
    for name, value in values.items():
        set_committed_value(enrolment, name, value)
    return True


# --- progress ------------------------------------------------------------------------------


def progress_by_unit(session: Session, enrolment_id: int) -> dict[str, UnitProgress]:
    """The enrolment's progress rows by unit id, as they are now in the database."""
    rows = session.scalars(_PROGRESS, {"enrolment_id": enrolment_id})
    return {row.unit_id: row for row in rows}


def progress_for(session: Session, enrolment_ids: list[int]) -> dict[int, list[UnitProgress]]:
    """The progress rows of several enrolments (one query): enrolment id → rows."""
    found: dict[int, list[UnitProgress]] = {i: [] for i in enrolment_ids}
    if enrolment_ids:
        for row in session.scalars(select(UnitProgress).where(
                UnitProgress.enrolment_id.in_(enrolment_ids))):
            found[row.enrolment_id].append(row)
    return found


def course_state(enrolment: Enrolment, rows: list[UnitProgress] | Mapping[str, UnitProgress]
                 ) -> CourseState:
    """What the core's rules need of an enrolment: units read, quizzes passed, exam passed."""
    values = list(rows.values()) if isinstance(rows, Mapping) else rows
    return CourseState(
        read_units=frozenset(r.unit_id for r in values if r.read_at is not None),
        passed_quizzes=frozenset(r.unit_id for r in values if r.quiz_passed_at is not None),
        exam_passed=enrolment.exam_passed_at is not None)


def record_progress(session: Session, enrolment_id: int, unit_id: str, *,
                    keep_first: Mapping[str, datetime | None] = {},
                    replace: Mapping[str, float | None] = {}) -> None:
    """One statement for a unit's progress row, whether it exists or not (INSERT … ON
    CONFLICT DO UPDATE, atomic against a second tab): the columns of `keep_first` (read_at,
    quiz_passed_at) keep the first time set, those of `replace` take the new values."""
    statement = _progress_upsert(session.get_bind().dialect.name, tuple(keep_first),
                                 tuple(replace))
    session.execute(statement, {"p_enrolment_id": enrolment_id, "p_unit_id": unit_id,
                                **{f"p_{name}": value for name, value in keep_first.items()},
                                **{f"p_{name}": value for name, value in replace.items()}})


@lru_cache(maxsize=16)
def _progress_upsert(dialect: str, keep_first: tuple[str, ...], replace: tuple[str, ...]
                     ) -> Executable:
    """record_progress's statement for these columns, built once per database kind (building
    it costs more than running it); the values are bound parameters p_<column>."""
    table = UnitProgress.__table__
    insert = on_conflict_insert_for(dialect, table)
    names = ("enrolment_id", "unit_id", *keep_first, *replace)
    set_: dict[str, Any] = {name: func.coalesce(table.c[name], insert.excluded[name])
                            for name in keep_first}
    set_.update({name: insert.excluded[name] for name in replace})
    return (insert.values({name: bindparam(f"p_{name}", type_=table.c[name].type)
                           for name in names})
            .on_conflict_do_update(index_elements=["enrolment_id", "unit_id"], set_=set_))


def mark_unit_read(session: Session, enrolment: Enrolment, course: Course, unit_id: str,
                   now: datetime) -> None:
    """Marks the unit read (the first time stays) and completes the course if that was all
    it needed."""
    if course.unit(unit_id) is None:
        raise LearningError("no_unit")
    record_progress(session, enrolment.id, unit_id, keep_first={"read_at": now})
    refresh_completion(session, enrolment, course, now)


def refresh_completion(session: Session, enrolment: Enrolment, course: Course,
                       now: datetime, *, queue_score: bool = True) -> bool:
    """Records the completion once the course's rules are met, and queues its score for the
    learner's LTI platforms (unless the caller queues its own). Returns whether complete."""
    if enrolment.completed_at is not None:
        return True
    state = course_state(enrolment, progress_by_unit(session, enrolment.id))
    if course_is_complete(course, state):
        if not set_if_empty(session, enrolment, Enrolment.completed_at, completed_at=now):
            return enrolment.completed_at is not None  # another request completed it
        # tells the caller's edge that this transaction completed a course (certificates)
        session.info.setdefault(COMPLETED_KEY, set()).add(enrolment.id)
        note_event(session, COURSE_COMPLETED, enrolment.id)
        if queue_score:
            queue_completion_score(session, enrolment, now)
        return True
    return False
