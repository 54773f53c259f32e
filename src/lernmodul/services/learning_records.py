"""Learning records: the learning events of a transaction become xAPI statements in the outbox.

`learning` notes each event in `Session.info` (EVENTS_KEY) as it writes it. `install` hooks a
session factory so that, just before each commit, `enqueue_statements` turns that
transaction's events into statements (`lernmodul.xapi`, pure) and queues them in the delivery
outbox (kind "xapi", key = statement id) in the same transaction: a statement exists exactly
when its result was committed, and is queued once however often the event is seen.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction, sessionmaker

from lernmodul import xapi
from lernmodul.db.learning import Attempt, AttemptResult
from lernmodul.db.models import CourseVersion, Enrolment, User
from lernmodul.outbox import enqueue
from lernmodul.services.learning import (
    COURSE_COMPLETED,
    COURSE_STARTED,
    EVENTS_KEY,
    EXAM,
    EXAM_GRADED,
    find_result,
)

KIND = "xapi"
logger = logging.getLogger("lernmodul.xapi")


@dataclass(frozen=True, slots=True)
class RecordSettings:
    """What the instance sends: who it is (and how it names learners), and whether each exam
    question gets a statement of its own (only with the staff council's consent)."""

    sender: xapi.Sender
    item_statements: bool = False


def _learner(session: Session, user_id: int) -> xapi.Learner:
    user = session.get(User, user_id)
    assert user is not None
    return xapi.Learner(user_id=user.id, name=user.name, email=user.email or "")


def _course(session: Session, version_id: int) -> xapi.CourseRef:
    version = session.get(CourseVersion, version_id)
    assert version is not None
    return xapi.CourseRef(course_id=version.course_id, title=version.title, version=version.version)


def _enrolment(session: Session, enrolment_id: int) -> Enrolment | None:
    # populate_existing: a renewal reopens the enrolment with a bulk UPDATE
    return session.get(Enrolment, enrolment_id, populate_existing=True)


def statements_for(session: Session, settings: RecordSettings, kind: str,
                   row_id: int) -> list[dict[str, Any]]:
    """The statements of one noted event, built from the rows as this transaction wrote them."""
    sender = settings.sender
    if kind in (COURSE_STARTED, COURSE_COMPLETED):
        enrolment = _enrolment(session, row_id)
        if enrolment is None or enrolment.started_at is None or enrolment.course_version_id is None:
            return []
        learner = _learner(session, enrolment.user_id)
        course = _course(session, enrolment.course_version_id)
        course_round = xapi.Round(enrolment.id, enrolment.started_at)
        if kind == COURSE_STARTED:
            return [xapi.course_started(sender, learner, course, course_round)]
        if enrolment.completed_at is None:
            return []
        return [xapi.course_completed(sender, learner, course, course_round, enrolment.completed_at)]
    if kind == EXAM_GRADED:
        return _exam_statements(session, settings, row_id)
    return []


def _exam_statements(session: Session, settings: RecordSettings,
                     attempt_id: int) -> list[dict[str, Any]]:
    attempt = session.get(Attempt, attempt_id)
    result: AttemptResult | None = find_result(session, attempt_id)
    if attempt is None or attempt.kind != EXAM or result is None:
        return []
    enrolment = _enrolment(session, attempt.enrolment_id)
    if enrolment is None or enrolment.started_at is None:
        return []
    learner = _learner(session, attempt.user_id)
    course = _course(session, attempt.course_version_id)
    course_round = xapi.Round(enrolment.id, enrolment.started_at)
    exam = xapi.ExamResult(attempt_id=attempt.id, started_at=attempt.started_at,
                           graded_at=result.graded_at, points=result.points,
                           max_points=result.max_points, passed=result.is_passed)
    found = [xapi.exam_graded(settings.sender, learner, course, course_round, exam)]
    if settings.item_statements:
        for question_id, _order in attempt.questions:  # in the order drawn
            score = result.scores.get(question_id)
            if score is None:
                continue
            item = xapi.ItemResult(question_id, float(score["points"]), float(score["max"]))
            found.append(xapi.item_answered(settings.sender, learner, course, course_round, exam, item))
    return found


def enqueue_statements(session: Session, settings: RecordSettings) -> int:
    """Queues the statements of this transaction's learning events (and forgets the events).
    Returns how many were newly queued."""
    events: list[tuple[str, int]] = session.info.pop(EVENTS_KEY, [])
    added = 0
    for kind, row_id in events:
        for statement in statements_for(session, settings, kind, row_id):
            added += enqueue(session, kind=KIND, key=statement["id"], payload=statement)
    return added


def queue_pending(session: Session, settings: RecordSettings) -> None:
    """`enqueue_statements` in a savepoint: a statement that cannot be built is logged and
    skipped, and the learner's result is committed all the same (it is the record; the
    statement only reports it)."""
    if not session.info.get(EVENTS_KEY):
        return
    try:
        with session.begin_nested():
            enqueue_statements(session, settings)
    except Exception:
        session.info.pop(EVENTS_KEY, None)
        logger.exception("xAPI statements not queued")


def install(factory: sessionmaker[Session], settings: RecordSettings) -> None:
    """Every commit of a session from `factory` first queues its learning events' statements."""

    def before_commit(session: Session) -> None:
        queue_pending(session, settings)

    def after_transaction_end(session: Session, transaction: SessionTransaction) -> None:
        if transaction.parent is None:  # the outermost transaction: its events are done
            session.info.pop(EVENTS_KEY, None)

    event.listen(factory, "before_commit", before_commit)
    event.listen(factory, "after_transaction_end", after_transaction_end)
