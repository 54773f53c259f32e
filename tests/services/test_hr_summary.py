"""The HR summary tables (kept by database triggers) agree with a count of the enrolments
themselves, after random writes of every kind (ORM and bulk statements) and after the
services that write: assignments, completion, certificates, revocation, renewal, deactivation
and moves. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, select, update

from lernmodul.db.certificates import Certificate
from lernmodul.db.hr_summary import HrCourseCount, HrDueCount, HrExpiryCount, HrUnitPersons
from lernmodul.db.models import CourseVersion, Enrolment, OrgUnit, User
from lernmodul.services import hr

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
COURSES = ("k1", "k2", "k3")


def clocks(session) -> list[hr.Clock]:
    """Clocks exactly at stored due times and one second later (the `<` boundary), and
    around stored expiry dates (both ends of the window)."""
    dues = sorted(session.scalars(select(Enrolment.due_at).where(Enrolment.due_at.is_not(None))
                                  .distinct()))[:4]
    expiries = sorted(session.scalars(select(Certificate.valid_until)
                                      .where(Certificate.valid_until.is_not(None)).distinct()))[:2]
    moments = [NOW, *dues, *(d + timedelta(seconds=1) for d in dues)]
    for day in expiries:
        noon = datetime(day.year, day.month, day.day, 11, 0, tzinfo=UTC)
        moments += [noon, noon + timedelta(days=1), noon - timedelta(days=10),
                    noon - timedelta(days=11)]
    return [hr.Clock(now=m, timezone=BERLIN, expiring_days=10) for m in moments]


def assert_agrees(session, units: list[int]) -> None:
    session.flush()
    scopes = [None, set(units[: len(units) // 2])]
    for clock in clocks(session):
        for scope in scopes:
            for course in (None, *COURSES):
                summary = hr._counts_by_unit(session, scope, course, clock)
                assert summary == hr.recount_by_unit(session, scope, course, clock), \
                    (clock.now, scope, course)
    # no leftover rows at zero, no negative counts
    for table, column in ((HrCourseCount, HrCourseCount.enrolments),
                          (HrDueCount, HrDueCount.enrolments),
                          (HrExpiryCount, HrExpiryCount.enrolments),
                          (HrUnitPersons, HrUnitPersons.persons)):
        assert session.scalar(select(func.count()).select_from(table).where(column <= 0)) == 0


def test_summary_agrees_with_a_recount_after_random_writes(session) -> None:
    rng = random.Random(20261127)
    city = OrgUnit(name="Stadt")
    session.add(city)
    session.flush()
    units = [city.id]
    for i in range(5):
        unit = OrgUnit(name=f"Amt {i}", parent_id=rng.choice(units))
        session.add(unit)
        session.flush()
        units.append(unit.id)
    versions = {}
    for course in COURSES:
        version = CourseVersion(course_id=course, version="1", title=course, sources={})
        session.add(version)
        session.flush()
        versions[course] = version.id
    users: list[User] = []
    enrolments: list[Enrolment] = []
    serial = iter(range(1, 10**6))

    def when() -> datetime:
        return NOW + timedelta(minutes=15 * rng.randint(-40, 40))

    def add_user() -> None:
        user = User(name=f"P{next(serial)}", email=f"p{next(serial)}@example.org",
                    org_unit_id=rng.choice([*units, None]), is_active=rng.random() < 0.85)
        session.add(user)
        session.flush()
        users.append(user)

    def add_enrolment() -> None:
        user = rng.choice(users)
        taken = {e.course_id for e in enrolments if e.user_id == user.id}
        free = [c for c in COURSES if c not in taken]
        if not free:
            return
        completed = when() if rng.random() < 0.4 else None
        enrolment = Enrolment(user_id=user.id, course_id=rng.choice(free),
                              is_mandatory=rng.random() < 0.8, assigned_at=NOW,
                              due_at=when() if rng.random() < 0.8 else None,
                              completed_at=completed)
        session.add(enrolment)
        session.flush()
        enrolments.append(enrolment)

    def current(enrolment: Enrolment) -> Certificate | None:
        return session.scalars(select(Certificate).where(
            Certificate.enrolment_id == enrolment.id,
            Certificate.superseded_at.is_(None))).first()

    def issue() -> None:
        done = [e for e in enrolments if e.completed_at is not None]
        if not done:
            return
        enrolment = rng.choice(done)
        old = current(enrolment)
        if old is not None:
            session.execute(update(Certificate).where(Certificate.id == old.id)
                            .values(superseded_at=NOW))
        code = next(serial)
        valid = NOW.date() + timedelta(days=rng.randint(-5, 25)) if rng.random() < 0.8 else None
        session.add(Certificate(
            code=f"C{code:010d}", user_id=enrolment.user_id, enrolment_id=enrolment.id,
            course_id=enrolment.course_id, course_version_id=versions[enrolment.course_id],
            course_title="t", course_version="1", duration_minutes=1, certificate_title="z",
            signatory="", participant_name="x", completed_at=enrolment.completed_at,
            completed_on=NOW.date(), valid_until=valid, issued_at=NOW, language="de",
            verify_url="https://example.org/v", credential={}))
        session.flush()
        session.expire_all()

    def revoke() -> None:
        rows = session.scalars(select(Certificate).where(Certificate.superseded_at.is_(None),
                                                         Certificate.revoked_at.is_(None))).all()
        if rows:
            rng.choice(rows).revoked_at = NOW

    def drop_certificate() -> None:
        referenced = select(Certificate.superseded_by_id).where(
            Certificate.superseded_by_id.is_not(None))
        rows = session.scalars(select(Certificate).where(Certificate.id.not_in(referenced))).all()
        if rows:
            session.delete(rng.choice(rows))

    def change_enrolment() -> None:
        if not enrolments:
            return
        enrolment = rng.choice(enrolments)
        what = rng.choice(("complete", "reopen", "due", "mandatory"))

        if what == "complete":
            enrolment.completed_at = when()
        elif what == "reopen":
            enrolment.completed_at = None
        elif what == "due":
            enrolment.due_at = when() if rng.random() < 0.8 else None
        else:
            enrolment.is_mandatory = not enrolment.is_mandatory

    def bulk_due() -> None:
        chosen = [e.id for e in rng.sample(enrolments, min(len(enrolments), 5))]
        session.execute(update(Enrolment).where(Enrolment.id.in_(chosen))
                        .values(due_at=when()).execution_options(synchronize_session=False))
        session.expire_all()

    def change_user() -> None:
        user = rng.choice(users)
        if rng.random() < 0.5:
            user.org_unit_id = rng.choice([*units, None])
        else:
            user.is_active = not user.is_active

    def bulk_activity() -> None:
        chosen = [u.id for u in rng.sample(users, min(len(users), 4))]
        session.execute(update(User).where(User.id.in_(chosen))
                        .values(is_active=rng.random() < 0.8)
                        .execution_options(synchronize_session=False))
        session.expire_all()

    def delete_enrolment() -> None:
        free = [e for e in enrolments if session.scalar(select(func.count()).select_from(
            Certificate).where(Certificate.enrolment_id == e.id)) == 0]
        if free:
            enrolment = rng.choice(free)
            enrolments.remove(enrolment)
            session.execute(delete(Enrolment).where(Enrolment.id == enrolment.id))
            session.expire_all()

    def delete_user() -> None:
        free = [u for u in users if session.scalar(select(func.count()).select_from(
            Certificate).where(Certificate.user_id == u.id)) == 0]
        if free:
            user = rng.choice(free)
            users.remove(user)
            enrolments[:] = [e for e in enrolments if e.user_id != user.id]
            session.execute(delete(User).where(User.id == user.id))  # enrolments cascade
            session.expire_all()

    for _ in range(40):
        add_user()
    for _ in range(80):
        add_enrolment()
    assert_agrees(session, units)
    operations = [add_user, add_user, add_enrolment, add_enrolment, add_enrolment, issue, issue,
                  revoke, drop_certificate, change_enrolment, change_enrolment, change_enrolment,
                  bulk_due, change_user, change_user, bulk_activity, delete_enrolment, delete_user]
    for step in range(240):
        rng.choice(operations)()
        if step % 40 == 39:
            assert_agrees(session, units)
    assert_agrees(session, units)
    # the figures compared are not trivially empty
    assert session.scalar(select(func.count()).select_from(HrDueCount)) > 10
    assert session.scalar(select(func.count()).select_from(HrExpiryCount)) > 2
    assert session.scalar(select(func.sum(HrUnitPersons.persons))) > 10


def test_summary_follows_the_services(session, sample_version) -> None:
    from lernmodul.services import assignments, learning, user_admin
    from lernmodul.services import certificates as certificate_service
    from lernmodul.services.courses import CompiledCourses

    from .test_certificates_service import ISSUER

    city = OrgUnit(name="Stadt")
    session.add(city)
    session.flush()
    a, b = OrgUnit(name="A", parent_id=city.id), OrgUnit(name="B", parent_id=city.id)
    session.add_all([a, b])
    session.flush()
    people = []
    for i in range(8):
        user = User(name=f"P{i}", email=f"p{i}@example.org", org_unit_id=(a if i < 5 else b).id,
                    created_at=NOW - timedelta(days=100))
        session.add(user)
        session.flush()
        people.append(user)
    course = "beispielkurs"
    _assignment, outcome = assignments.create_assignment(
        session, course_id=course, org_unit_id=city.id, scope=None,
        due_at=NOW + timedelta(days=3), due_days=None, actor_id=None, now=NOW)
    assert outcome.enrolled == 8

    def agrees() -> None:
        session.flush()
        for moment in (NOW, NOW + timedelta(days=3), NOW + timedelta(days=4),
                       NOW + timedelta(days=700)):
            for days in (10, 400):
                clock = hr.Clock(now=moment, timezone=BERLIN, expiring_days=days)
                for chosen in (None, course):
                    assert hr._counts_by_unit(session, None, chosen, clock) == \
                        hr.recount_by_unit(session, None, chosen, clock)

    agrees()
    assert session.get(HrUnitPersons, a.id).persons == 5
    version = session.get(CourseVersion, sample_version)
    compiled = CompiledCourses().get(version, "media/")
    certificates = []
    for user in people[:3]:
        enrolment = learning.start_course(session, user.id, version, NOW)
        enrolment.completed_at = NOW + timedelta(hours=1)
        agrees()
        certificate = certificate_service.issue_certificate(
            session, enrolment=enrolment, version=version, course=compiled,
            participant_name=user.name, language="de", issuer=ISSUER, now=NOW + timedelta(hours=1))
        certificates.append(certificate)
        agrees()
    assert certificates[0] is not None and certificates[0].valid_until is not None
    expiring = hr.Clock(now=datetime.combine(certificates[0].valid_until, datetime.min.time(),
                                             tzinfo=UTC) - timedelta(days=1),
                        timezone=BERLIN)
    assert hr._counts_by_unit(session, None, course, expiring)[a.id][3] == 3
    certificate_service.revoke_certificate(session, certificates[1], reason="Fehler",
                                           actor_id=people[7].id, now=NOW + timedelta(hours=2))
    agrees()
    assert hr._counts_by_unit(session, None, course, expiring)[a.id][3] == 2
    certificate_service.start_renewal(session, certificates[0], version=version,
                                      renewal_days=30, now=NOW + timedelta(hours=3),
                                      today=certificates[0].valid_until - timedelta(days=1))
    agrees()
    user_admin.deactivate(session, people[0], now=NOW, actor_id=None)
    agrees()
    people[5].org_unit_id = a.id  # a move
    agrees()
    assert session.get(HrUnitPersons, a.id).persons == 5
    user_admin.reactivate(session, people[0], now=NOW, actor_id=None)
    agrees()
    assert session.get(HrUnitPersons, a.id).persons == 6
    # P2 only: P0 renews (open again), P1's revoked certificate opened the course again
    assert session.get(HrCourseCount, (a.id, course)).completed == 1
