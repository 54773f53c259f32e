"""The learner's use cases: enrol, read units, take quizzes and the exam, complete a course
(enrolments, progress and completion live in services/progress.py; this module offers its
names too).

Every function takes the Session and the time; none commits. Submissions are idempotent: a
conditional UPDATE moves an attempt out of `in_progress` exactly once, and a unique key allows
one result per attempt, so double clicks, second tabs and concurrent workers grade once.

The request edge reads without a lock and takes the write lock at the first write (see
`lernmodul.web.database`), so what was read before a write may have changed by the time it
runs. Each write therefore checks again what it depends on: the attempt's state and revision
(conditional UPDATE), the course's start and completion (conditional UPDATE on the column
still being empty), one open attempt (a partial unique key) and the exam's attempt limit (a
count after the insert)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, func, insert, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from lernmodul.core import attempts as rules
from lernmodul.core.grading import (
    DrawnQuestion,
    Response,
    Result,
    assemble_exam,
    assemble_quiz,
    grade_attempt,
)
from lernmodul.core.model import Course, Question
from lernmodul.core.progress import exam_is_open
from lernmodul.core.responses import describe, from_json, to_json
from lernmodul.db.engine import on_conflict_insert
from lernmodul.db.learning import Attempt, AttemptResult
from lernmodul.db.models import CourseVersion, Enrolment
from lernmodul.services.progress import (
    COMPLETED_KEY,
    COURSE_COMPLETED,
    COURSE_STARTED,
    EVENTS_KEY,
    EXAM_GRADED,
    UNREAD,
    LearningError,
    course_state,
    find_enrolment,
    find_enrolment_and_version,
    list_enrolments,
    mark_unit_read,
    note_event,
    progress_by_unit,
    progress_for,
    record_progress,
    refresh_completion,
    start_course,
)
from lernmodul.services.score_return import queue_scores

# this module's names and those of services/progress.py it offers (one import for the edge)
__all__ = [
    "COMPLETED_KEY",
    "COURSE_COMPLETED",
    "COURSE_STARTED",
    "EVENTS_KEY",
    "EXAM",
    "EXAM_GRADED",
    "OPEN_ATTEMPTS",
    "QUIZ",
    "UNREAD",
    "LearningError",
    "Outcome",
    "StaleAttempt",
    "count_attempts",
    "course_state",
    "drawn_questions",
    "find_enrolment",
    "find_enrolment_and_version",
    "find_open_attempt",
    "find_result",
    "get_attempt_and_version",
    "list_enrolments",
    "mark_unit_read",
    "note_event",
    "open_attempt_data",
    "progress_by_unit",
    "progress_for",
    "refresh_completion",
    "save_responses",
    "start_attempt",
    "start_course",
    "stored_responses",
    "submit_attempt",
]

QUIZ = "quiz"
EXAM = "exam"


class StaleAttempt(LearningError):
    """The form was older than the attempt's newest saved state (back button, second tab)."""

    def __init__(self) -> None:
        super().__init__("stale")


# --- attempts ------------------------------------------------------------------------------


def drawn_questions(attempt: Attempt) -> tuple[DrawnQuestion, ...]:
    return tuple(DrawnQuestion(qid, tuple(order)) for qid, order in attempt.questions)


def stored_responses(attempt: Attempt, questions: Mapping[str, Question]) -> dict[str, Response]:
    return {qid: from_json(questions[qid], value) for qid, value in attempt.responses.items()
            if qid in questions}


def open_attempt_data(attempt: Attempt, course: Course) -> dict[str, Any]:
    """An open attempt in a learner's copy of their data: which questions were drawn (sorted,
    not in display order) and the saved answers in the words shown. No display order of the
    options: with it and the option ids, the answers could be worked out."""
    questions = course.questions()
    saved = stored_responses(attempt, questions)
    return {"questions": sorted(qid for qid, _order in attempt.questions),
            "responses": {qid: describe(questions[qid], response)
                          for qid, response in sorted(saved.items())}}


def find_open_attempt(session: Session, enrolment_id: int, kind: str,
                      unit_key: str) -> Attempt | None:
    return session.scalars(select(Attempt).where(
        Attempt.enrolment_id == enrolment_id, Attempt.kind == kind,
        Attempt.unit_key == unit_key, Attempt.state == rules.AttemptState.IN_PROGRESS)).first()


def count_attempts(session: Session, enrolment_id: int, kind: str, unit_key: str,
                   since: datetime | None = None) -> int:
    """Attempts at one quiz (or the exam), counting from `since` (the start of the current
    round: a renewal starts the attempt count afresh)."""
    query = select(func.count()).select_from(Attempt).where(
        Attempt.enrolment_id == enrolment_id, Attempt.kind == kind, Attempt.unit_key == unit_key)
    if since is not None:
        query = query.where(Attempt.started_at >= since)
    return session.scalar(query) or 0


def start_attempt(session: Session, *, enrolment: Enrolment, course: Course,
                  unit_id: str | None, seed: int, now: datetime,
                  extra_time_percent: int = 0) -> Attempt:
    """Opens an attempt at a unit quiz (unit_id) or the final exam (None), or returns the one
    that is open already. Enforces the exam's gate, attempt limit and time limit."""
    if enrolment.course_version_id is None:
        raise LearningError("not_started")
    kind = QUIZ if unit_id else EXAM
    unit_key = unit_id or ""
    # a quiz's open attempt is found by its INSERT below (one statement when there is none)
    open_attempt = None if kind == QUIZ else find_open_attempt(session, enrolment.id, kind,
                                                              unit_key)
    if open_attempt is not None:
        return open_attempt
    deadline_at = None
    if kind == QUIZ:
        unit = course.unit(unit_key)
        if unit is None or unit.quiz is None:
            raise LearningError("no_quiz")
        drawn = assemble_quiz(unit, seed)
    else:
        if course.exam is None:
            raise LearningError("no_exam")
        if enrolment.exam_passed_at is not None:
            raise LearningError("already_passed")
        state = course_state(enrolment, progress_by_unit(session, enrolment.id))
        if not exam_is_open(course, state):
            raise LearningError("exam_locked")
        limit = course.exam.max_attempts
        if limit and count_attempts(session, enrolment.id, EXAM, "",
                                    since=enrolment.started_at) >= limit:
            # A concurrent start may have opened the last attempt after the look-up above
            # (PostgreSQL reads each statement's latest commit): that one is the learner's.
            opened_meanwhile = find_open_attempt(session, enrolment.id, kind, unit_key)
            if opened_meanwhile is not None:
                return opened_meanwhile
            raise LearningError("no_attempts_left")
        drawn = assemble_exam(course, seed)
        deadline_at = rules.deadline(now, course.exam.time_limit, extra_time_percent)
    values = dict(
        user_id=enrolment.user_id, enrolment_id=enrolment.id,
        course_version_id=enrolment.course_version_id, kind=kind, unit_key=unit_key, seed=seed,
        questions=[[d.question_id, list(d.option_order)] for d in drawn], responses={},
        revision=0, state=rules.AttemptState.IN_PROGRESS, started_at=now,
        deadline_at=deadline_at)
    if kind == QUIZ:
        # one statement: the new open attempt, unless one is open already (the partial
        # unique index of open attempts: an earlier visit, or another tab in the same
        # moment), which is then the learner's
        inserted = session.scalars(
            on_conflict_insert(session, Attempt).values(**values)
            .on_conflict_do_nothing(index_elements=["enrolment_id", "kind", "unit_key"],
                                    index_where=OPEN_ATTEMPTS)
            .returning(Attempt)).first()
        if inserted is not None:
            return inserted
        existing = find_open_attempt(session, enrolment.id, kind, unit_key)
        if existing is None:
            raise LearningError("stale")  # submitted meanwhile in another tab: try once more
        return existing
    attempt = Attempt(**values)
    try:
        with session.begin_nested():
            session.add(attempt)
            session.flush()
            # counted again in the write: an attempt opened and closed since the count above
            if kind == EXAM and course.exam is not None and course.exam.max_attempts and (
                    count_attempts(session, enrolment.id, EXAM, "", since=enrolment.started_at)
                    > course.exam.max_attempts):
                raise _OverLimit()
    except IntegrityError:  # another request opened one in the same moment: use that one
        existing = find_open_attempt(session, enrolment.id, kind, unit_key)
        if existing is None:
            raise
        return existing
    except _OverLimit:
        raise LearningError("no_attempts_left") from None
    return attempt


# the predicate of the partial unique index of open attempts (db/learning.py), as it is written
# there: the database matches ON CONFLICT … WHERE against it literally
OPEN_ATTEMPTS = text("state = 'in_progress'")


class _OverLimit(Exception):
    """The attempt just inserted is one too many: its savepoint is rolled back."""


# built once, as the statements of every submission: building one costs about as much as
# running it
_ATTEMPT_AND_VERSION = (
    select(Attempt, CourseVersion)
    .join(CourseVersion, CourseVersion.id == Attempt.course_version_id)
    .where(Attempt.id == bindparam("attempt_id"), Attempt.user_id == bindparam("user_id")))
_ATTEMPTS = cast(Table, Attempt.__table__)
_SUBMIT = (
    update(_ATTEMPTS)
    .where(_ATTEMPTS.c.id == bindparam("attempt_id"),
           _ATTEMPTS.c.state == rules.AttemptState.IN_PROGRESS,
           _ATTEMPTS.c.revision == bindparam("expected_revision"))
    .values(state=rules.AttemptState.SUBMITTED,
            submitted_at=bindparam("now", type_=_ATTEMPTS.c.submitted_at.type),
            revision=bindparam("next_revision", type_=_ATTEMPTS.c.revision.type),
            responses=bindparam("new_responses", type_=_ATTEMPTS.c.responses.type)))
_RESULTS = cast(Table, AttemptResult.__table__)
_RESULT_COLUMNS = ("points", "max_points", "is_passed", "scores", "graded_at")
_INSERT_RESULT = insert(_RESULTS).returning(_RESULTS.c.id)
# PostgreSQL: the conditional UPDATE and the result INSERT in one statement (one round trip
# less); the INSERT takes its attempt id from the UPDATE's row, so no row, no result
_SUBMITTED = _SUBMIT.returning(_ATTEMPTS.c.id).cte("submitted")
_SUBMIT_AND_RECORD = (
    insert(_RESULTS)
    .from_select(["attempt_id", *_RESULT_COLUMNS], select(
        _SUBMITTED.c.id,
        *(bindparam(f"result_{name}", type_=_RESULTS.c[name].type) for name in _RESULT_COLUMNS)))
    .returning(_RESULTS.c.id))


def get_attempt_and_version(session: Session, attempt_id: int, user_id: int
                            ) -> tuple[Attempt, CourseVersion]:
    """The caller's own attempt and its course version, in one statement (every attempt page
    needs both); another learner's attempt does not exist for them."""
    row = session.execute(_ATTEMPT_AND_VERSION, {"attempt_id": attempt_id,
                                                 "user_id": user_id}).first()
    if row is None:
        raise LookupError("no such attempt")
    return row[0], row[1]


def find_result(session: Session, attempt_id: int) -> AttemptResult | None:
    return session.scalars(select(AttemptResult).where(
        AttemptResult.attempt_id == attempt_id)).first()


@dataclass(frozen=True, slots=True)
class Outcome:
    state: str  # submitted | expired | saved
    result: AttemptResult | None = None


def _expire(session: Session, attempt: Attempt, now: datetime) -> Outcome:
    session.execute(update(Attempt).where(
        Attempt.id == attempt.id, Attempt.state == rules.AttemptState.IN_PROGRESS
    ).values(state=rules.AttemptState.EXPIRED, submitted_at=now).execution_options(
        synchronize_session=False))
    session.refresh(attempt)
    return Outcome(attempt.state)


def _final_outcome(session: Session, attempt: Attempt) -> Outcome:
    return Outcome(attempt.state, find_result(session, attempt.id))


def save_responses(session: Session, attempt: Attempt, responses: Mapping[str, Response],
                   expected_revision: int, now: datetime) -> Outcome:
    """Stores answers without submitting (exam: 'save and continue later')."""
    if attempt.state != rules.AttemptState.IN_PROGRESS:
        return _final_outcome(session, attempt)
    if rules.is_overdue(now, attempt.deadline_at):
        return _expire(session, attempt, now)
    values = {**attempt.responses, **{qid: to_json(r) for qid, r in responses.items()}}
    changed = session.execute(update(Attempt).where(
        Attempt.id == attempt.id, Attempt.state == rules.AttemptState.IN_PROGRESS,
        Attempt.revision == expected_revision,
    ).values(responses=values, revision=expected_revision + 1).execution_options(
        synchronize_session=False)).rowcount  # type: ignore[attr-defined]
    if changed != 1:
        session.refresh(attempt)
        if attempt.state != rules.AttemptState.IN_PROGRESS:
            return _final_outcome(session, attempt)
        raise StaleAttempt()
    set_committed_value(attempt, "responses", values)
    set_committed_value(attempt, "revision", expected_revision + 1)
    return Outcome("saved")


def submit_attempt(session: Session, attempt: Attempt, course: Course,
                   responses: Mapping[str, Response], expected_revision: int,
                   now: datetime) -> Outcome:
    """Grades the attempt exactly once. A second submit of the same attempt returns the first
    result; a form older than the newest save raises StaleAttempt; a late one expires."""
    if attempt.state != rules.AttemptState.IN_PROGRESS:
        return _final_outcome(session, attempt)
    if rules.is_overdue(now, attempt.deadline_at):
        return _expire(session, attempt, now)
    questions = course.questions()
    drawn = drawn_questions(attempt)
    merged: dict[str, Response] = {**stored_responses(attempt, questions), **responses}
    pass_mark = _pass_mark(course, attempt)
    graded: Result = grade_attempt(questions, drawn, merged, pass_mark)
    responses_json = {qid: to_json(r) for qid, r in merged.items() if r is not None}
    row: dict[str, Any] = {
        "points": graded.points, "max_points": graded.max_points, "is_passed": graded.passed,
        "scores": {qid: _score_json(score) for qid, score in graded.scores}, "graded_at": now}
    result_id = _submit_and_record(session, {
        "attempt_id": attempt.id, "expected_revision": expected_revision, "now": now,
        "next_revision": expected_revision + 1, "new_responses": responses_json}, row)
    if result_id is None:
        session.refresh(attempt)
        if attempt.state != rules.AttemptState.IN_PROGRESS:
            return _final_outcome(session, attempt)  # the other click won; same result
        raise StaleAttempt()
    # this UPDATE made the row what these values say: no need to read it back
    for name, value in (("state", rules.AttemptState.SUBMITTED), ("submitted_at", now),
                        ("revision", expected_revision + 1), ("responses", responses_json)):
        set_committed_value(attempt, name, value)
    result = AttemptResult(id=result_id, attempt_id=attempt.id, **row)
    make_transient_to_detached(result)  # the row just inserted, without a flush
    session.add(result)
    if attempt.kind == EXAM:
        note_event(session, EXAM_GRADED, attempt.id)
    else:
        record_progress(session, attempt.enrolment_id, attempt.unit_key,
                        keep_first={"quiz_passed_at": now if graded.passed else None},
                        replace={"last_quiz_points": graded.points,
                                 "last_quiz_max_points": graded.max_points})
    if not graded.passed and attempt.kind != EXAM:
        return Outcome(rules.AttemptState.SUBMITTED, result)  # the enrolment is as it was
    enrolment = session.get(Enrolment, attempt.enrolment_id)
    assert enrolment is not None
    if graded.passed:
        if attempt.kind == EXAM and enrolment.exam_passed_at is None:
            enrolment.exam_passed_at = now
            session.flush()
        refresh_completion(session, enrolment, course, now, queue_score=attempt.kind != EXAM)
    if attempt.kind == EXAM:  # passed or failed: the platform's gradebook gets the attempt
        queue_scores(session, user_id=enrolment.user_id, course_id=enrolment.course_id,
                     result_key=f"attempt:{attempt.id}", given=graded.points,
                     maximum=graded.max_points, completed=enrolment.completed_at is not None, at=now)
    return Outcome(rules.AttemptState.SUBMITTED, result)


def _submit_and_record(session: Session, submit: dict[str, Any],
                       row: dict[str, Any]) -> int | None:
    """Moves the attempt out of `in_progress` (if it is still there at the expected
    revision) and inserts its result; the new result's id, or None when the UPDATE matched
    no row. PostgreSQL: one statement; SQLite (no UPDATE in a WITH clause): two."""
    if session.get_bind().dialect.name == "postgresql":
        params = {**submit, **{f"result_{name}": value for name, value in row.items()}}
        return session.execute(_SUBMIT_AND_RECORD, params).scalar()
    if session.execute(_SUBMIT, submit).rowcount != 1:  # type: ignore[attr-defined]
        return None
    result_id: int = session.execute(
        _INSERT_RESULT, {"attempt_id": submit["attempt_id"], **row}).scalar_one()
    return result_id


def _pass_mark(course: Course, attempt: Attempt) -> float:
    if attempt.kind == EXAM:
        assert course.exam is not None
        return course.exam.pass_mark
    unit = course.unit(attempt.unit_key)
    if unit is None or unit.quiz is None:
        raise LearningError("no_quiz")
    return unit.quiz.pass_mark


def _score_json(score: Any) -> dict[str, Any]:
    return {"points": score.points, "max": score.max_points,
            "marks": dict(score.marks)}

