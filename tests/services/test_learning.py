"""Learner use cases on a real database: progress, attempts, exam rules, completion, and
idempotent submission under concurrency (SECURITY G2, G3, G4, G5, G6)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from lernmodul.core.attempts import GRACE
from lernmodul.db.learning import Attempt, AttemptResult, UnitProgress
from lernmodul.db.models import CourseVersion, Enrolment
from lernmodul.services import learning
from lernmodul.services.courses import CompiledCourses

from .concurrency import run_concurrently

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
CACHE = CompiledCourses()


@pytest.fixture
def learner(make_user):
    return make_user(("learner",))


def load(session, version_id):
    version = session.get(CourseVersion, version_id)
    return version, CACHE.get(version, "media/")


def right_answers(course, attempt):
    """The correct response for every drawn question."""
    answers = {}
    questions = course.questions()
    for qid, _order in attempt.questions:
        q = questions[qid]
        kind = q.type.value
        if kind in ("single", "truefalse"):
            answers[qid] = next(o.id for o in q.options if o.is_correct)
        elif kind == "multiple":
            answers[qid] = frozenset(o.id for o in q.options if o.is_correct)
        elif kind == "order":
            answers[qid] = tuple(o.id for o in q.options)
        elif kind == "match":
            answers[qid] = {o.id: o.id for o in q.options}
        elif kind == "number":
            answers[qid] = str(q.number_answers[0].value)
        elif kind == "cloze":
            from lernmodul.services.demo_answers import right_answer

            answers[qid] = right_answer(q)
        else:
            answers[qid] = q.text_answers[0]
    return answers


def enrolled(session, learner, sample_version):
    version, course = load(session, sample_version)
    enrolment = learning.start_course(session, learner.id, version, NOW)
    return enrolment, course


def pass_all_units(session, enrolment, course):
    for unit in course.units:
        learning.mark_unit_read(session, enrolment, course, unit.id, NOW)
        attempt = learning.start_attempt(session, enrolment=enrolment, course=course,
                                         unit_id=unit.id, seed=1, now=NOW)
        outcome = learning.submit_attempt(session, attempt, course,
                                          right_answers(course, attempt), 0, NOW)
        assert outcome.result.is_passed


def test_start_course_fixes_the_version_and_is_idempotent(session, learner, sample_version):
    enrolment, _ = enrolled(session, learner, sample_version)
    again, _ = enrolled(session, learner, sample_version)
    assert enrolment.id == again.id and enrolment.course_version_id == sample_version
    assert session.scalar(select(func.count()).select_from(Enrolment)) == 1


def test_quiz_attempt_grades_once_and_double_submit_returns_the_same_result(
        session, learner, sample_version):
    enrolment, course = enrolled(session, learner, sample_version)
    attempt = learning.start_attempt(session, enrolment=enrolment, course=course,
                                     unit_id="grundlagen", seed=5, now=NOW)
    assert len(attempt.questions) == 3  # draw: 3
    again = learning.start_attempt(session, enrolment=enrolment, course=course,
                                   unit_id="grundlagen", seed=6, now=NOW)
    assert again.id == attempt.id  # one open attempt per quiz
    first = learning.submit_attempt(session, attempt, course, right_answers(course, attempt),
                                    0, NOW)
    second = learning.submit_attempt(session, attempt, course, {}, 0, NOW)
    assert first.result.id == second.result.id and first.result.is_passed
    assert session.scalar(select(func.count()).select_from(AttemptResult)) == 1
    progress = learning.progress_by_unit(session, enrolment.id)
    assert progress["grundlagen"].quiz_passed_at == NOW


def test_unit_progress_keeps_the_first_pass_and_read_and_the_newest_score(
        session, learner, sample_version):
    enrolment, course = enrolled(session, learner, sample_version)
    passed = learning.start_attempt(session, enrolment=enrolment, course=course,
                                    unit_id="grundlagen", seed=5, now=NOW)
    learning.submit_attempt(session, passed, course, right_answers(course, passed), 0, NOW)
    later = NOW + timedelta(hours=1)
    failed = learning.start_attempt(session, enrolment=enrolment, course=course,
                                    unit_id="grundlagen", seed=6, now=later)
    outcome = learning.submit_attempt(session, failed, course, {}, 0, later)
    assert not outcome.result.is_passed
    learning.mark_unit_read(session, enrolment, course, "grundlagen", NOW)
    learning.mark_unit_read(session, enrolment, course, "grundlagen", later)
    row = learning.progress_by_unit(session, enrolment.id)["grundlagen"]
    assert row.quiz_passed_at == NOW and row.read_at == NOW  # the first time stays
    assert row.last_quiz_points == 0 and row.last_quiz_max_points == outcome.result.max_points
    assert session.scalar(select(func.count()).select_from(UnitProgress)) == 1


def test_stale_form_cannot_overwrite_newer_answers(session, learner, sample_version):
    enrolment, course = enrolled(session, learner, sample_version)
    attempt = learning.start_attempt(session, enrolment=enrolment, course=course,
                                     unit_id="grundlagen", seed=5, now=NOW)
    qid = attempt.questions[0][0]
    learning.save_responses(session, attempt, {qid: None}, 0, NOW)
    assert attempt.revision == 1
    with pytest.raises(learning.StaleAttempt):
        learning.save_responses(session, attempt, {qid: None}, 0, NOW)
    with pytest.raises(learning.StaleAttempt):
        learning.submit_attempt(session, attempt, course, {}, 0, NOW)
    assert learning.submit_attempt(session, attempt, course, {}, 1, NOW).state == "submitted"


def test_exam_opens_only_after_all_units_and_completes_the_course(
        session, learner, sample_version):
    enrolment, course = enrolled(session, learner, sample_version)
    with pytest.raises(learning.LearningError) as locked:
        learning.start_attempt(session, enrolment=enrolment, course=course, unit_id=None,
                               seed=1, now=NOW)
    assert locked.value.code == "exam_locked"
    pass_all_units(session, enrolment, course)
    assert enrolment.completed_at is None
    exam = learning.start_attempt(session, enrolment=enrolment, course=course, unit_id=None,
                                  seed=1, now=NOW)
    assert len(exam.questions) == 5 and exam.deadline_at == NOW + timedelta(minutes=30)
    outcome = learning.submit_attempt(session, exam, course, right_answers(course, exam), 0,
                                      NOW + timedelta(minutes=10))
    assert outcome.result.is_passed
    assert enrolment.exam_passed_at == enrolment.completed_at == NOW + timedelta(minutes=10)
    with pytest.raises(learning.LearningError) as done:
        learning.start_attempt(session, enrolment=enrolment, course=course, unit_id=None,
                               seed=2, now=NOW)
    assert done.value.code == "already_passed"


def test_server_clock_and_extra_time_decide_the_deadline(session, learner, sample_version):
    enrolment, course = enrolled(session, learner, sample_version)
    pass_all_units(session, enrolment, course)
    exam = learning.start_attempt(session, enrolment=enrolment, course=course, unit_id=None,
                                  seed=1, now=NOW, extra_time_percent=50)
    assert exam.deadline_at == NOW + timedelta(minutes=45)
    late = NOW + timedelta(minutes=45) + GRACE + timedelta(seconds=1)
    outcome = learning.submit_attempt(session, exam, course, right_answers(course, exam), 0, late)
    assert outcome.state == "expired" and outcome.result is None
    assert enrolment.exam_passed_at is None


def test_attempt_limit(session, learner, sample_version):
    enrolment, course = enrolled(session, learner, sample_version)
    pass_all_units(session, enrolment, course)
    for seed in range(3):  # max_attempts: 3
        exam = learning.start_attempt(session, enrolment=enrolment, course=course,
                                      unit_id=None, seed=seed, now=NOW)
        learning.submit_attempt(session, exam, course, {}, 0, NOW)
    with pytest.raises(learning.LearningError) as used_up:
        learning.start_attempt(session, enrolment=enrolment, course=course, unit_id=None,
                               seed=9, now=NOW)
    assert used_up.value.code == "no_attempts_left"


def test_other_learners_attempts_do_not_exist_for_them(session, make_user, sample_version):
    owner, other = make_user(("learner",)), make_user(("learner",))
    enrolment, course = enrolled(session, owner, sample_version)
    attempt = learning.start_attempt(session, enrolment=enrolment, course=course,
                                     unit_id="grundlagen", seed=5, now=NOW)
    assert learning.get_attempt_and_version(session, attempt.id, owner.id)[0] is attempt
    with pytest.raises(LookupError):
        learning.get_attempt_and_version(session, attempt.id, other.id)[0]


def test_concurrent_submits_grade_each_attempt_once(sessions, make_user, sample_version):
    """8 threads, each its own connection, submit the same attempts at once (G3)."""
    attempts = []
    users = [make_user(("learner",)) for _ in range(5)]  # before `setup` holds the write lock
    setup = sessions()
    for user in users:
        enrolment, course = enrolled(setup, user, sample_version)
        attempt = learning.start_attempt(setup, enrolment=enrolment, course=course,
                                         unit_id="grundlagen", seed=3, now=NOW)
        attempts.append(attempt.id)
    setup.commit()
    setup.close()
    outcomes = []

    def submit(index):
        for attempt_id in attempts:
            s = sessions()
            try:
                attempt = s.get(Attempt, attempt_id)
                _, course = load(s, sample_version)
                outcome = learning.submit_attempt(s, attempt, course,
                                                  right_answers(course, attempt), 0, NOW)
                s.commit()
                outcomes.append((attempt_id, outcome.result.id if outcome.result else None))
            finally:
                s.close()

    errors = run_concurrently(8, submit)
    assert errors == []
    check = sessions()
    results = check.scalars(select(AttemptResult)).all()
    assert sorted(r.attempt_id for r in results) == sorted(attempts)
    by_attempt = {r.attempt_id: r.id for r in results}
    assert all(result_id == by_attempt[a] for a, result_id in outcomes)
    check.close()


def one_exam_attempt_left(sessions, learner, sample_version):
    """Units passed and two of the exam's three attempts used, committed; returns the
    enrolment id and the compiled course."""
    setup = sessions()
    enrolment, course = enrolled(setup, learner, sample_version)
    pass_all_units(setup, enrolment, course)
    for seed in range(2):  # max_attempts: 3
        exam = learning.start_attempt(setup, enrolment=enrolment, course=course, unit_id=None,
                                      seed=seed, now=NOW)
        learning.submit_attempt(setup, exam, course, {}, 0, NOW)
    setup.commit()
    enrolment_id = enrolment.id
    setup.close()
    return enrolment_id, course


def test_concurrent_starts_at_the_limit_open_exactly_one(sessions, learner, sample_version):
    """10 concurrent starts with one attempt left open exactly one attempt (G6)."""
    enrolment_id, _course = one_exam_attempt_left(sessions, learner, sample_version)
    opened = []

    def start(index):
        s = sessions()
        try:
            own = s.get(Enrolment, enrolment_id)
            _, c = load(s, sample_version)
            attempt = learning.start_attempt(s, enrolment=own, course=c, unit_id=None,
                                             seed=100 + index, now=NOW)
            s.commit()
            opened.append(attempt.id)
        finally:
            s.close()

    errors = run_concurrently(10, start)
    assert errors == []  # nobody is told "all attempts used" while the last one is open
    check = sessions()
    assert check.scalar(select(func.count()).select_from(Attempt).where(
        Attempt.kind == "exam")) == 3
    assert len(set(opened)) == 1
    check.close()


def test_concurrent_quiz_starts_open_one_attempt_and_a_later_visit_gets_it(
        sessions, learner, sample_version):
    """A quiz's open attempt is opened by one INSERT … ON CONFLICT DO NOTHING: 8 tabs at the
    same moment open exactly one, all of them get it, and so does the next visit (with a
    different seed: the questions drawn first stay)."""
    setup = sessions()
    enrolment, course = enrolled(setup, learner, sample_version)
    setup.commit()
    enrolment_id, unit_id = enrolment.id, next(u.id for u in course.units if u.quiz)
    setup.close()
    opened = []

    def start(index, seed=None):
        s = sessions()
        try:
            attempt = learning.start_attempt(s, enrolment=s.get(Enrolment, enrolment_id),
                                             course=load(s, sample_version)[1],
                                             unit_id=unit_id, seed=seed or 100 + index, now=NOW)
            s.commit()
            opened.append((attempt.id, attempt.seed))
        finally:
            s.close()

    assert run_concurrently(8, start) == []
    start(0, seed=999)
    assert len(set(opened)) == 1
    check = sessions()
    assert check.scalar(select(func.count()).select_from(Attempt)) == 1
    check.close()


def test_a_start_that_races_the_last_attempt_gets_that_attempt(
        request_sessions, sessions, learner, sample_version):
    """Start B looks for an open attempt (none), then start A opens and commits the last
    allowed one, then B counts the attempts: B answers with A's attempt, not with "all
    attempts used". The interleaving is forced at B's count statement (B reads without a
    lock, as a request does, on both databases)."""
    from sqlalchemy import event

    enrolment_id, course = one_exam_attempt_left(sessions, learner, sample_version)
    a, b = sessions(), request_sessions()
    b_enrolment = b.get(Enrolment, enrolment_id)
    b_connection = b.connection()
    opened_by_a = []

    def before(conn, _cursor, statement, *_args):
        if conn is b_connection and not opened_by_a and "count(*)" in statement.lower():
            own = a.get(Enrolment, enrolment_id)
            attempt = learning.start_attempt(a, enrolment=own, course=course, unit_id=None,
                                             seed=77, now=NOW)
            a.commit()
            opened_by_a.append(attempt.id)

    engine = b.get_bind()
    event.listen(engine, "before_cursor_execute", before)
    try:
        attempt = learning.start_attempt(b, enrolment=b_enrolment, course=course, unit_id=None,
                                         seed=78, now=NOW)
    finally:
        event.remove(engine, "before_cursor_execute", before)
        a.close()
    assert opened_by_a and attempt.id == opened_by_a[0]
    b.rollback()
    b.close()


def test_a_new_round_counts_exam_attempts_afresh(session, learner, sample_version):
    enrolment, course = enrolled(session, learner, sample_version)
    pass_all_units(session, enrolment, course)
    for seed in range(3):
        exam = learning.start_attempt(session, enrolment=enrolment, course=course,
                                      unit_id=None, seed=seed, now=NOW)
        learning.submit_attempt(session, exam, course, {}, 0, NOW)
    enrolment.started_at = NOW + timedelta(days=700)  # a renewal starts a new round
    later = NOW + timedelta(days=701)
    assert learning.count_attempts(session, enrolment.id, learning.EXAM, "",
                                   since=enrolment.started_at) == 0
    exam = learning.start_attempt(session, enrolment=enrolment, course=course, unit_id=None,
                                  seed=7, now=later)
    assert exam.started_at == later
