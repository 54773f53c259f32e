"""What a learner's write depends on is checked again inside the write: a request reads
without a lock and takes the write lock at its first write (as `request_sessions` do), so
another request may have changed the rows in between (a second tab, a double click)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import event, func, select

from lernmodul.db.learning import Attempt
from lernmodul.db.models import Enrolment
from lernmodul.services import learning

from .test_learning import NOW, enrolled, load, one_exam_attempt_left, pass_all_units


@pytest.fixture
def learner(make_user):
    return make_user(("learner",))


def _events(session):
    return session.info.get(learning.EVENTS_KEY, [])


def test_a_course_started_meanwhile_is_not_started_again(
        request_sessions, sessions, learner, sample_version):
    setup = sessions()
    version, _course = load(setup, sample_version)
    setup.add(Enrolment(user_id=learner.id, course_id=version.course_id, assigned_at=NOW,
                        is_mandatory=True))
    setup.commit()
    setup.close()
    late = request_sessions()
    stale = learning.find_enrolment(late, learner.id, "beispielkurs")  # read: not started
    assert stale.course_version_id is None
    first = sessions()
    learning.start_course(first, learner.id, load(first, sample_version)[0], NOW)
    first.commit()
    first.close()

    later = NOW + timedelta(minutes=5)
    enrolment = learning.start_course(late, learner.id, load(late, sample_version)[0], later)
    events = list(_events(late))
    late.commit()
    late.close()
    assert enrolment.started_at == NOW  # the first start stands
    assert events == []  # and is reported once


def test_a_self_enrolment_made_meanwhile_is_taken_not_made_again(
        request_sessions, sessions, learner, sample_version):
    late = request_sessions()
    assert learning.find_enrolment(late, learner.id, "beispielkurs") is None  # read: none
    first = sessions()
    learning.start_course(first, learner.id, load(first, sample_version)[0], NOW)
    first.commit()
    first.close()

    later = NOW + timedelta(minutes=5)
    enrolment = learning.start_course(late, learner.id, load(late, sample_version)[0], later,
                                      enrolment=None)
    events = list(_events(late))
    late.commit()
    assert enrolment.started_at == NOW and enrolment.course_version_id is not None
    assert events == []
    assert late.scalar(select(func.count()).select_from(Enrolment)
                       .where(Enrolment.user_id == learner.id)) == 1
    late.close()


def test_a_first_start_enrols_and_starts_in_one_statement(sessions, learner, sample_version):
    session = sessions()
    version = load(session, sample_version)[0]
    statements: list[str] = []
    event.listen(session.get_bind(), "before_cursor_execute",
                 lambda _c, _cur, sql, *_a: statements.append(sql.split()[0]))
    enrolment = learning.start_course(session, learner.id, version, NOW, enrolment=None)
    assert statements == ["INSERT"]
    assert (enrolment.course_version_id, enrolment.started_at) == (version.id, NOW)
    assert _events(session) == [(learning.COURSE_STARTED, enrolment.id)]
    session.commit()
    session.close()


def test_a_course_completed_meanwhile_is_not_completed_again(
        request_sessions, sessions, learner, sample_version):
    setup = sessions()
    enrolment, course = enrolled(setup, learner, sample_version)
    pass_all_units(setup, enrolment, course)
    setup.commit()
    enrolment_id = enrolment.id
    setup.close()
    late = request_sessions()
    stale = late.get(Enrolment, enrolment_id)
    assert stale.completed_at is None and stale.exam_passed_at is None
    first = sessions()
    own = first.get(Enrolment, enrolment_id)
    own.exam_passed_at = NOW
    assert learning.refresh_completion(first, own, course, NOW)
    first.commit()
    first.close()

    later = NOW + timedelta(minutes=5)
    stale.exam_passed_at = later  # e.g. a second exam attempt graded in another tab
    assert learning.refresh_completion(late, stale, course, later)
    events, completed = list(_events(late)), late.info.get(learning.COMPLETED_KEY)
    late.commit()
    late.close()
    assert stale.completed_at == NOW  # one completion, one event, one certificate
    assert completed is None and events == []


def test_an_attempt_opened_and_closed_since_the_count_is_counted_again_in_the_write(
        request_sessions, sessions, learner, sample_version):
    """Start B counts two of three attempts used; before B inserts, A opens the last one and
    submits it. B's count inside the write finds four: B is refused, three attempts stay."""
    enrolment_id, course = one_exam_attempt_left(sessions, learner, sample_version)
    b = request_sessions()
    b_enrolment = b.get(Enrolment, enrolment_id)
    b_connection = b.connection()
    done_by_a = []

    def before(conn, _cursor, statement, *_args):
        # before B's first write (the savepoint of its insert), ahead of B's write lock
        if conn is b_connection and not done_by_a and statement.startswith("SAVEPOINT"):
            a = sessions()
            own = a.get(Enrolment, enrolment_id)
            attempt = learning.start_attempt(a, enrolment=own, course=course, unit_id=None,
                                             seed=77, now=NOW)
            learning.submit_attempt(a, attempt, course, {}, 0, NOW)
            a.commit()
            a.close()
            done_by_a.append(attempt.id)

    engine = b.get_bind()
    event.listen(engine, "before_cursor_execute", before, insert=True)
    try:
        with pytest.raises(learning.LearningError) as refused:
            learning.start_attempt(b, enrolment=b_enrolment, course=course, unit_id=None,
                                   seed=78, now=NOW)
    finally:
        event.remove(engine, "before_cursor_execute", before)
        b.rollback()  # also when the test fails: no locks left for the database's clean-up
        b.close()
    assert done_by_a and refused.value.code == "no_attempts_left"
    check = sessions()
    assert check.scalar(select(func.count()).select_from(Attempt).where(
        Attempt.kind == "exam")) == 3
    check.close()
