"""The attempt state machine under random sequences of actions (SECURITY G2): only
in_progress → submitted | expired, a final attempt never changes, at most one result per
attempt, stale forms are refused, only the owner finds their attempt."""

from __future__ import annotations

import itertools
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from sqlalchemy import func, select

from lernmodul.core.attempts import GRACE, TRANSITIONS, AttemptState
from lernmodul.db import migrate
from lernmodul.db.engine import make_engine, make_session_factory
from lernmodul.db.learning import Attempt, AttemptResult
from lernmodul.db.models import CourseVersion, User
from lernmodul.services import learning
from lernmodul.services.courses import CompiledCourses, import_course_folder

from .conftest import SAMPLE

START = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
NAMES = itertools.count()


@pytest.fixture(scope="module")
def factory():
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'machine.sqlite'}")
        migrate.upgrade(engine)
        sessions = make_session_factory(engine)
        with sessions() as session:
            import_course_folder(session, SAMPLE)
            session.commit()
        yield sessions
        engine.dispose()


class AttemptMachine(RuleBasedStateMachine):
    sessions = None  # set by the test

    @initialize()
    def setup(self) -> None:
        self.session = self.sessions()
        n = next(NAMES)
        self.owner = User(name=f"Owner {n}", email=f"owner{n}@example.org")
        self.other = User(name=f"Other {n}", email=f"other{n}@example.org")
        self.session.add_all([self.owner, self.other])
        self.session.flush()
        version = self.session.scalars(select(CourseVersion)).one()
        self.course = CompiledCourses().get(version, "media/")
        self.enrolment = learning.start_course(self.session, self.owner.id, version, START)
        for unit in self.course.units:
            learning.mark_unit_read(self.session, self.enrolment, self.course, unit.id, START)
        self.now = START
        self.seen: dict[int, tuple[str, dict]] = {}  # attempt id -> last observed state

    def teardown(self) -> None:
        self.session.rollback()
        self.session.close()

    def attempts(self) -> list[Attempt]:
        return list(self.session.scalars(select(Attempt).where(
            Attempt.enrolment_id == self.enrolment.id).order_by(Attempt.id)))

    @rule(unit=st.sampled_from(["grundlagen", "praxis", None]), seed=st.integers(0, 2**31 - 1))
    def start(self, unit, seed) -> None:
        try:
            learning.start_attempt(self.session, enrolment=self.enrolment, course=self.course,
                                   unit_id=unit, seed=seed, now=self.now)
        except learning.LearningError as error:
            assert error.code in ("exam_locked", "already_passed", "no_attempts_left")

    @rule(pick=st.integers(0, 20), stale=st.booleans(), save=st.booleans())
    def act(self, pick, stale, save) -> None:
        attempts = self.attempts()
        if not attempts:
            return
        attempt = attempts[pick % len(attempts)]
        revision = attempt.revision - 1 if stale else attempt.revision
        try:
            if save:
                learning.save_responses(self.session, attempt, {}, revision, self.now)
            else:
                learning.submit_attempt(self.session, attempt, self.course, {}, revision,
                                        self.now)
        except learning.StaleAttempt:
            assert stale and attempt.state == AttemptState.IN_PROGRESS

    @rule(minutes=st.integers(1, 45))
    def wait(self, minutes) -> None:
        self.now += timedelta(minutes=minutes) + GRACE

    @rule(pick=st.integers(0, 20))
    def intruder(self, pick) -> None:
        attempts = self.attempts()
        if attempts:
            attempt = attempts[pick % len(attempts)]
            with pytest.raises(LookupError):
                learning.get_attempt_and_version(self.session, attempt.id, self.other.id)[0]

    @invariant()
    def states_only_move_forward(self) -> None:
        if not hasattr(self, "session"):
            return
        for attempt in self.attempts():
            state = AttemptState(attempt.state)
            before = self.seen.get(attempt.id)
            if before is not None:
                old_state, old_responses = before
                old = AttemptState(old_state)
                assert state == old or state in TRANSITIONS[old]
                if old != AttemptState.IN_PROGRESS:
                    assert attempt.responses == old_responses  # final attempts never change
            self.seen[attempt.id] = (attempt.state, dict(attempt.responses))

    @invariant()
    def one_result_per_submitted_attempt(self) -> None:
        if not hasattr(self, "session"):
            return
        for attempt in self.attempts():
            results = self.session.scalar(select(func.count()).select_from(AttemptResult)
                                          .where(AttemptResult.attempt_id == attempt.id))
            assert results == (1 if attempt.state == AttemptState.SUBMITTED else 0)

    @invariant()
    def one_open_attempt_per_quiz(self) -> None:
        if not hasattr(self, "session"):
            return
        open_keys = [(a.kind, a.unit_key) for a in self.attempts()
                     if a.state == AttemptState.IN_PROGRESS]
        assert len(open_keys) == len(set(open_keys))


def test_attempt_state_machine(factory) -> None:
    AttemptMachine.sessions = factory
    AttemptMachine.TestCase.settings = settings(
        max_examples=40, stateful_step_count=25, deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
    AttemptMachine.TestCase().runTest()
