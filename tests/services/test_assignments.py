"""Assignments: enrolment of the people a unit covers, new users, idempotence, recertification."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event, func, select

from lernmodul.db.assignments import Assignment
from lernmodul.db.certificates import Certificate
from lernmodul.db.models import AuditLog, Enrolment, OrgUnit, User
from lernmodul.services import assignments as service

NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
COURSE = "beispielkurs"
BERLIN = ZoneInfo("Europe/Berlin")


def tree(session):
    city = OrgUnit(name="Stadt")
    d2 = OrgUnit(name="Dezernat II", parent=city)
    office = OrgUnit(name="Bürgeramt", parent=d2)
    d3 = OrgUnit(name="Dezernat III", parent=city)
    session.add_all([city, d2, office, d3])
    session.flush()
    return city, d2, office, d3


def person(session, unit, name, joined=NOW - timedelta(days=400), active=True):
    user = User(name=name, email=f"{name.lower()}@example.org", org_unit_id=unit.id,
                created_at=joined, is_active=active)
    session.add(user)
    session.flush()
    return user


def enrolment(session, user):
    return session.scalars(select(Enrolment).where(Enrolment.user_id == user.id,
                                                   Enrolment.course_id == COURSE)).first()


def test_assignment_enrols_the_unit_and_its_sub_units_only(session, sample_version) -> None:
    _city, d2, office, d3 = tree(session)
    in_d2, in_office = person(session, d2, "Anna"), person(session, office, "Ben")
    outside, gone = person(session, d3, "Cem"), person(session, office, "Dora", active=False)
    due = NOW + timedelta(days=30)
    assignment, outcome = service.create_assignment(
        session, course_id=COURSE, org_unit_id=d2.id, scope=None, due_at=due, due_days=None,
        actor_id=None, now=NOW)
    assert outcome.enrolled == 2
    for user in (in_d2, in_office):
        row = enrolment(session, user)
        assert row.is_mandatory and row.due_at == due and row.assigned_at == NOW
    assert enrolment(session, outside) is None
    assert enrolment(session, gone) is None
    assert session.scalars(select(AuditLog.action)).all() == ["assignment.create"]
    # idempotent
    assert service.apply_all_assignments(session, NOW + timedelta(days=1)).enrolled == 0
    assert service.apply_assignments(session, in_office, NOW).enrolled == 0
    assert session.scalar(select(func.count()).select_from(Enrolment)) == 2
    assert assignment.id is not None


def test_new_users_get_their_assignments_with_the_days_rule(session, sample_version) -> None:
    city, _d2, office, _d3 = tree(session)
    service.create_assignment(session, course_id=COURSE, org_unit_id=city.id, scope=None,
                              due_at=None, due_days=30, actor_id=None, now=NOW)
    joined = NOW + timedelta(days=10)
    newcomer = person(session, office, "Eva", joined=joined)
    outcome = service.apply_assignments(session, newcomer, joined)
    assert outcome.enrolled == 1
    assert enrolment(session, newcomer).due_at == joined + timedelta(days=30)
    assert service.apply_assignments(session, newcomer, joined).enrolled == 0


def test_people_who_were_there_before_count_from_the_assignment(session, sample_version) -> None:
    city, _d2, office, _d3 = tree(session)
    veteran = person(session, office, "Vera", joined=NOW - timedelta(days=3000))
    service.create_assignment(session, course_id=COURSE, org_unit_id=city.id, scope=None,
                              due_at=None, due_days=14, actor_id=None, now=NOW)
    assert enrolment(session, veteran).due_at == NOW + timedelta(days=14)


def test_the_earliest_due_date_wins_and_voluntary_enrolments_become_mandatory(
        session, sample_version) -> None:
    city, _d2, office, _d3 = tree(session)
    user = person(session, office, "Finn")
    session.add(Enrolment(user_id=user.id, course_id=COURSE, is_mandatory=False, assigned_at=NOW))
    session.add_all([
        Assignment(course_id=COURSE, org_unit_id=city.id, due_at=NOW + timedelta(days=90),
                   created_at=NOW),
        Assignment(course_id=COURSE, org_unit_id=office.id, due_at=NOW + timedelta(days=20),
                   created_at=NOW)])
    session.flush()
    outcome = service.apply_assignments(session, user, NOW)
    assert (outcome.enrolled, outcome.made_mandatory) == (0, 1)
    row = enrolment(session, user)
    assert row.is_mandatory and row.due_at == NOW + timedelta(days=20)


@pytest.mark.parametrize(("fields", "code"), [
    ({"due_at": None, "due_days": None}, "one_due_rule"),
    ({"due_at": NOW + timedelta(days=1), "due_days": 3}, "one_due_rule"),
    ({"due_at": None, "due_days": 0}, "due_days_range"),
    ({"due_at": NOW - timedelta(days=1), "due_days": None}, "due_in_past"),
    ({"course_id": "nope", "due_at": None, "due_days": 3}, "no_course"),
    ({"org_unit_id": 999999, "scope": None, "due_at": None, "due_days": 3}, "no_unit"),
])
def test_bad_assignments_are_refused(session, sample_version, fields, code) -> None:
    _city, d2, _office, _d3 = tree(session)
    arguments = {"course_id": COURSE, "org_unit_id": d2.id, "scope": None, "actor_id": None,
                 "now": NOW, **fields}
    with pytest.raises(service.AssignmentError) as error:
        service.create_assignment(session, **arguments)
    assert error.value.code == code


def test_hr_assigns_only_within_its_scope_and_twice_is_refused(session, sample_version) -> None:
    _city, d2, office, d3 = tree(session)
    scope = {d2.id, office.id}
    with pytest.raises(service.AssignmentError, match="out_of_scope"):
        service.create_assignment(session, course_id=COURSE, org_unit_id=d3.id, scope=scope,
                                  due_at=None, due_days=5, actor_id=None, now=NOW)
    assignment, _ = service.create_assignment(
        session, course_id=COURSE, org_unit_id=office.id, scope=scope, due_at=None, due_days=5,
        actor_id=None, now=NOW)
    with pytest.raises(service.AssignmentError, match="exists"):
        service.create_assignment(session, course_id=COURSE, org_unit_id=office.id, scope=scope,
                                  due_at=None, due_days=5, actor_id=None, now=NOW)
    with pytest.raises(LookupError):
        service.get_assignment(session, assignment.id, {d3.id})
    assert service.list_assignments(session, {d3.id}) == []
    assert service.list_assignments(session, scope) == [assignment]
    service.delete_assignment(session, service.get_assignment(session, assignment.id, scope),
                              actor_id=None, now=NOW)
    assert service.list_assignments(session, None) == []


def _certificate(session, row, valid_until):
    cert = Certificate(
        code=f"CODE-{row.id}", user_id=row.user_id, enrolment_id=row.id, course_id=COURSE,
        course_version_id=row.course_version_id, course_title="T", course_version="1",
        duration_minutes=1, certificate_title="T", participant_name="P",
        completed_at=row.completed_at, completed_on=row.completed_at.date(),
        valid_until=valid_until, language="de", verify_url="https://example.org/v",
        credential={})
    session.add(cert)
    session.flush()
    return cert


def test_recertification_reassigns_once_in_the_renewal_window(session, sample_version) -> None:
    city, _d2, office, _d3 = tree(session)
    user = person(session, office, "Gil")
    service.create_assignment(session, course_id=COURSE, org_unit_id=city.id, scope=None,
                              due_at=None, due_days=30, actor_id=None, now=NOW)
    row = enrolment(session, user)
    row.course_version_id = sample_version
    row.started_at = row.completed_at = NOW
    session.flush()
    _certificate(session, row, date(2028, 3, 1))
    early = service.reassign_expiring(session, today=date(2027, 12, 1), renewal_days=60,
                                      timezone=BERLIN, now=NOW)
    assert early.reassigned == 0
    later = datetime(2028, 1, 5, tzinfo=UTC)
    outcome = service.reassign_expiring(session, today=date(2028, 1, 5), renewal_days=60,
                                        timezone=BERLIN, now=later)
    assert outcome.reassigned == 1
    session.refresh(row)
    assert row.completed_at is None and row.started_at is None and row.course_version_id is None
    assert row.due_at == datetime(2028, 3, 1, 23, 59, 59, tzinfo=BERLIN)
    assert row.assigned_at == later
    again = service.reassign_expiring(session, today=date(2028, 1, 6), renewal_days=60,
                                      timezone=BERLIN, now=later)
    assert again.reassigned == 0
    assert session.scalars(select(AuditLog.action).order_by(AuditLog.id)).all()[-1] \
        == "assignment.recertify"


def test_enrolments_are_inserted_in_batches_with_one_statement_each(
        session, sample_version, monkeypatch) -> None:
    """Multi-row INSERTs per batch (one trigger run per statement on PostgreSQL), none lost at
    the batch edges."""
    city, _d2, office, _d3 = tree(session)
    people = [person(session, office if i % 2 else city, f"P{i:02d}") for i in range(7)]
    monkeypatch.setattr(service, "INSERT_BATCH", 3)
    inserts: list[int] = []

    def count_inserts(conn, cursor, statement, parameters, context, executemany) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO ENROLMENTS"):
            inserts.append(int(executemany))

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", count_inserts)
    try:
        _assignment, outcome = service.create_assignment(
            session, course_id=COURSE, org_unit_id=city.id, scope=None,
            due_at=NOW + timedelta(days=30), due_days=None, actor_id=None, now=NOW)
    finally:
        event.remove(engine, "before_cursor_execute", count_inserts)
    assert outcome.enrolled == 7
    assert inserts == [0, 0, 0]  # 3 + 3 + 1 rows, each one statement, no executemany
    assert all(enrolment(session, user) is not None for user in people)
