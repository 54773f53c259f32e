"""A revoked certificate opens its mandatory course again, on SQLite and PostgreSQL: HR's
person list, filter and figures say "revoked – to be retaken", the learner is reminded, takes
the course again and a new certificate makes it completed again."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select

from lernmodul.db.learning import Attempt, UnitProgress
from lernmodul.db.models import CourseVersion, Enrolment, OrgUnit, User, UserRole
from lernmodul.services import certificates, hr, learning, reminders
from lernmodul.services.courses import CompiledCourses

BERLIN = ZoneInfo("Europe/Berlin")
COMPLETED = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
REVOKED = datetime(2026, 4, 1, 9, 0, tzinfo=UTC)
ISSUER = certificates.Issuer(Ed25519PrivateKey.generate(),
                             lambda code: f"https://lernen.example.de/verify/{code}", BERLIN)
CACHE = CompiledCourses()


def clock(at: datetime) -> hr.Clock:
    return hr.Clock(now=at, timezone=BERLIN)


def issue(session, enrolment, at):
    version = session.get(CourseVersion, enrolment.course_version_id)
    return certificates.issue_certificate(
        session, enrolment=enrolment, version=version, course=CACHE.get(version, "media/"),
        participant_name="P", language="de", issuer=ISSUER, now=at)


@pytest.fixture
def unit_of_five(session, sample_version):
    """Five people of one unit, each with the sample course completed and certified; an HR
    officer of the unit; the course was due on 1 March (before the completions)."""
    unit = OrgUnit(name="Bürgeramt Süd")
    session.add(unit)
    session.flush()
    version = session.get(CourseVersion, sample_version)
    people = []
    for i in range(5):
        user = User(name=f"Person {i}", email=f"p{i}@example.org", org_unit_id=unit.id)
        session.add(user)
        session.flush()
        session.add(Enrolment(user_id=user.id, course_id=version.course_id, is_mandatory=True,
                              assigned_at=COMPLETED - timedelta(days=30),
                              due_at=datetime(2026, 6, 30, 21, 59, tzinfo=UTC)))
        session.flush()
        enrolment = learning.start_course(session, user.id, version, COMPLETED)
        enrolment.completed_at = COMPLETED
        enrolment.exam_passed_at = COMPLETED
        session.flush()
        people.append((user, enrolment, issue(session, enrolment, COMPLETED)))
    officer = User(name="HR Süd", email="hr@example.org", org_unit_id=unit.id,
                   roles=[UserRole(role="hr", org_unit_id=unit.id)])
    admin = User(name="Admin", email="admin@example.org", roles=[UserRole(role="admin")])
    session.add_all([officer, admin])
    session.flush()
    return unit, people, admin


def revoke(session, certificate, admin):
    certificates.revoke_certificate(session, certificate, reason="Täuschung festgestellt",
                                    actor_id=admin.id, now=REVOKED)


def rows_by_name(session, at, **filters):
    return {r.name: r for r in hr.person_rows(session, None, hr.PersonFilter(**filters), clock(at))}


def test_a_revocation_opens_the_course_again_and_hr_sees_it(session, unit_of_five, sample_version):
    _unit, people, admin = unit_of_five
    user, enrolment, certificate = people[0]
    session.add(UnitProgress(enrolment_id=enrolment.id, unit_id="grundlagen", read_at=COMPLETED))
    session.add(Attempt(user_id=user.id, enrolment_id=enrolment.id,
                        course_version_id=sample_version, kind="quiz", unit_key="praxis", seed=1,
                        questions=[], responses={}, state="in_progress", started_at=COMPLETED))
    session.flush()
    revoke(session, certificate, admin)
    session.refresh(enrolment)
    assert (enrolment.completed_at, enrolment.exam_passed_at, enrolment.started_at,
            enrolment.course_version_id) == (None, None, None, None)
    assert session.scalars(select(UnitProgress).where(
        UnitProgress.enrolment_id == enrolment.id)).all() == []
    assert session.scalars(select(Attempt.state)).all() == ["expired"]
    row = rows_by_name(session, REVOKED)["Person 0"]
    assert (row.status, row.completed, row.expires) == (hr.REVOKED, None, None)
    assert rows_by_name(session, REVOKED)["Person 1"].status == hr.COMPLETED
    assert set(rows_by_name(session, REVOKED, status=hr.REVOKED)) == {"Person 0"}
    assert "Person 0" not in rows_by_name(session, REVOKED, status=hr.COMPLETED)
    # past the due date it stays "revoked – to be retaken", not a second status
    late = datetime(2026, 7, 15, 9, 0, tzinfo=UTC)
    assert rows_by_name(session, late)["Person 0"].status == hr.REVOKED
    assert rows_by_name(session, late, status=hr.OVERDUE) == {}


def test_the_dashboard_counts_the_revocation(session, unit_of_five):
    unit, people, admin = unit_of_five
    board = hr.dashboard(session, None, unit_id=None, course_id=None, clock=clock(REVOKED))
    assert (board.units[0].completion_rate, board.units[0].revoked) == (100, 0)
    revoke(session, people[0][2], admin)
    for at in (REVOKED, datetime(2026, 7, 15, 9, 0, tzinfo=UTC)):
        figures = hr.dashboard(session, None, unit_id=None, course_id=None, clock=clock(at)).units[0]
        assert (figures.enrolments, figures.completion_rate, figures.revoked, figures.overdue,
                figures.expiring) == (5, 80, 1, 0, 0)
        assert hr._counts_by_unit(session, None, None, clock(at)) == \
            hr.recount_by_unit(session, None, None, clock(at))
    assert hr._counts_by_unit(session, None, None, clock(REVOKED))[unit.id][5] == 1


def test_the_learner_is_reminded_and_hr_digest_lists_it(session, unit_of_five):
    _unit, people, admin = unit_of_five
    user, _enrolment, certificate = people[0]
    rules = reminders.Rules(clock=clock(REVOKED + timedelta(hours=1)))
    assert [r for r in reminders.plan_reminders(session, rules).reminders
            if r.kind != reminders.HR_DIGEST] == []
    revoke(session, certificate, admin)
    plan = reminders.plan_reminders(session, rules)
    learner = [r for r in plan.reminders if r.recipient.user_id == user.id]
    assert [(r.kind, r.event_key, r.due) for r in learner] == [
        (reminders.REVOKED, f"certificate:{certificate.id}:revoked", date(2026, 6, 30))]
    digest = next(r for r in plan.reminders if r.kind == reminders.HR_DIGEST).digest
    assert digest.revoked_total == 1 and [r.name for r in digest.revoked] == ["Person 0"]
    assert digest.revoked[0].status == hr.REVOKED
    assert reminders.claim_reminder(session, learner[0], REVOKED)
    again = reminders.plan_reminders(session, rules)
    assert [r for r in again.reminders if r.recipient.user_id == user.id] == []
    # like any open course: reminded before the due date
    soon = reminders.Rules(clock=clock(datetime(2026, 6, 26, 9, 0, tzinfo=UTC)))
    assert [r.kind for r in reminders.plan_reminders(session, soon).reminders
            if r.recipient.user_id == user.id] == [reminders.DUE_SOON]


def test_a_retake_makes_it_completed_with_the_new_certificate(session, unit_of_five,
                                                               sample_version):
    _unit, people, admin = unit_of_five
    user, enrolment, certificate = people[0]
    revoke(session, certificate, admin)
    assert certificates.pending_completions(session, user.id) == []
    version = session.get(CourseVersion, sample_version)
    again = datetime(2026, 4, 20, 9, 0, tzinfo=UTC)
    enrolment = learning.start_course(session, user.id, version, again)
    assert (enrolment.course_version_id, enrolment.started_at) == (version.id, again)
    assert rows_by_name(session, again)["Person 0"].status == hr.REVOKED
    course = CACHE.get(version, "media/")
    for unit in course.units:  # read again, every quiz passed again
        session.add(UnitProgress(enrolment_id=enrolment.id, unit_id=unit.id, read_at=again,
                                 quiz_passed_at=again))
    session.flush()
    exam = learning.start_attempt(session, enrolment=enrolment, course=course, unit_id=None,
                                  seed=7, now=again)
    assert exam.state == "in_progress"  # the exam is open again
    enrolment.exam_passed_at = again
    enrolment.completed_at = again
    session.flush()
    new = issue(session, enrolment, again)
    session.refresh(certificate)
    assert new.id != certificate.id and certificate.superseded_by_id == new.id
    assert new.valid_until == date(2028, 4, 20)
    row = rows_by_name(session, again)["Person 0"]
    assert (row.status, row.completed, row.expires) == (hr.COMPLETED, date(2026, 4, 20),
                                                        date(2028, 4, 20))
    figures = hr.dashboard(session, None, unit_id=None, course_id=None, clock=clock(again)).units[0]
    assert (figures.completion_rate, figures.revoked) == (100, 0)


def test_revoking_a_superseded_certificate_leaves_the_completion(session, unit_of_five):
    _unit, people, admin = unit_of_five
    _user, enrolment, certificate = people[1]
    new = certificates.reissue_certificate(
        session, certificate, participant_name="Q", language="de", reason="Name",
        actor_id=admin.id, issuer=ISSUER, now=REVOKED)
    revoke(session, certificate, admin)
    session.refresh(enrolment)
    assert enrolment.completed_at == COMPLETED
    assert rows_by_name(session, REVOKED)["Person 1"].expires == new.valid_until
