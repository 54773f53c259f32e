"""The development demo: the city administration of services.demo_city with the flagship
course assigned and a spread of progress, and the printed demo accounts working in it.

`seed_demo_authority` is for development only (the caller checks the environment). It
writes in the caller's transaction and never commits. The units, the demo accounts and the
assignments go through the services; the few hundred people, their enrolments, progress and
graded attempts are bulk inserts (a handful of statements instead of tens of thousands).
Idempotent: once the first demo person exists, a run only keeps the demo accounts as they
are; the dates were set relative to the day of the first run."""

from __future__ import annotations

import contextlib
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from argon2 import PasswordHasher
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from lernmodul.core.model import Course
from lernmodul.db.assignments import Assignment
from lernmodul.db.learning import Attempt, AttemptResult, UnitProgress
from lernmodul.db.models import CourseVersion, Enrolment, OrgUnit, Role, User, UserRole
from lernmodul.services import assignments as assigning
from lernmodul.services import certificates as certifying
from lernmodul.services.accounts import DEMO_ACCOUNTS, DemoAccount, ensure_demo_accounts
from lernmodul.services.courses import compile_version, find_latest_version
from lernmodul.services.demo_answers import GradedRun, Simulation
from lernmodul.services.demo_city import (
    DEZERNAT_II,
    DEZERNAT_III,
    FIRST_NUMBER,
    HOME,
    ROOT,
    SEED,
    TREE,
    DemoPerson,
    Outcome,
    demo_people,
)
from lernmodul.services.org_units import OrgUnitError, create_unit, delete_unit

COURSE_ID = "bedrohungsmanagement"
# the units of the demo before the city existed: removed once they are empty
FORMER_UNITS = ("Bürgeramt (Demo)", "Stadtverwaltung (Demo)")
PILOT_DAYS_AGO = 790  # Dezernat II got the course first, due 90 days after
PILOT_DUE_DAYS = 90
ROLLOUT_DAYS_AGO = 45  # then the whole city, due on one day
ROLLOUT_DUE_IN_DAYS = 75
REVOKE_REASON = ("Irrtümlich ausgestellt: Die Prüfung wurde unter dem Konto einer anderen "
                 "Person abgelegt.")

Path = tuple[str, ...]  # () is the city, then Dezernat, Amt, Sachgebiet


@dataclass(frozen=True, slots=True)
class SeedOutcome:
    status: str  # "created" | "present" | "no_course"
    people: int = 0


def ensure_demo_tree(session: Session, now: datetime) -> dict[Path, int]:
    """The city's units (found by name under their parent, or created): path -> id."""
    existing = {(name, parent): uid for uid, name, parent in session.execute(
        select(OrgUnit.id, OrgUnit.name, OrgUnit.parent_id))}
    ids: dict[Path, int] = {}

    def unit(path: Path, name: str, parent: int | None) -> int:
        found = existing.get((name, parent))
        if found is None:
            found = create_unit(session, name=name, parent_id=parent, now=now).id
        ids[path] = found
        return found

    root = unit((), ROOT, None)
    for dezernat, amts in TREE:
        top = unit((dezernat,), dezernat, root)
        for amt, leaves in amts:
            middle = unit((dezernat, amt), amt, top)
            for leaf in leaves:
                unit((dezernat, amt, leaf), leaf, middle)
    return ids


def _retire_former_units(session: Session, now: datetime) -> None:
    for name in FORMER_UNITS:
        for unit in session.scalars(select(OrgUnit).where(OrgUnit.name == name)):
            with contextlib.suppress(OrgUnitError):  # somebody uses it: it stays
                delete_unit(session, unit, now=now)


def seed_demo_authority(session: Session, *, hasher: PasswordHasher,
                        issuer: certifying.Issuer, now: datetime
                        ) -> tuple[tuple[DemoAccount, ...], SeedOutcome]:
    """Ensures the demo city and accounts; seeds people and progress on the first run."""
    units = ensure_demo_tree(session, now)
    accounts = ensure_demo_accounts(session, hasher=hasher, now=now, home_unit_id=units[HOME],
                                    hr_scope_id=units[()])
    _retire_former_units(session, now)
    if session.scalar(select(User.id).where(User.personnel_number == FIRST_NUMBER)) is not None:
        return accounts, SeedOutcome("present")
    version = find_latest_version(session, COURSE_ID)
    if version is None:
        return accounts, SeedOutcome("no_course")
    result = compile_version(version, "")
    if result.course is None:
        return accounts, SeedOutcome("no_course")
    demo_ids = {a.role: _user_id(session, a.email) for a in DEMO_ACCOUNTS}
    rules = _assign(session, units, demo_ids[Role.HR], now, issuer)
    rng = random.Random(SEED)  # noqa: S311 (a demo that looks the same every time)  # nosec B311
    people = demo_people(rng)
    _seed_people(session, people, units, rules, version, result.course, rng, now, issuer,
                 demo_ids[Role.ADMIN])
    return accounts, SeedOutcome("created", len(people))


def _user_id(session: Session, email: str) -> int:
    user_id = session.scalar(select(User.id).where(User.email == email))
    assert user_id is not None
    return user_id


def _assign(session: Session, units: dict[Path, int], hr_id: int, now: datetime,
            issuer: certifying.Issuer) -> dict[str, list[Assignment]]:
    """The pilot in Dezernat II and the roll-out to the city, as the HR person made them
    (the demo accounts, who exist already, are enrolled by the service)."""
    pilot, _ = assigning.create_assignment(
        session, course_id=COURSE_ID, org_unit_id=units[(DEZERNAT_II,)], scope=None,
        due_at=None, due_days=PILOT_DUE_DAYS, actor_id=hr_id,
        now=now - timedelta(days=PILOT_DAYS_AGO))
    due_day = (now + timedelta(days=ROLLOUT_DUE_IN_DAYS)).astimezone(issuer.timezone).date()
    rollout, _ = assigning.create_assignment(
        session, course_id=COURSE_ID, org_unit_id=units[()], scope=None,
        due_at=assigning.end_of_day(due_day, issuer.timezone), due_days=None, actor_id=hr_id,
        now=now - timedelta(days=ROLLOUT_DAYS_AGO))
    return {DEZERNAT_II: [pilot, rollout], "": [rollout]}


@dataclass(slots=True)
class _Plan:
    person: DemoPerson
    joined_at: datetime
    assigned_at: datetime
    due_at: datetime
    started_at: datetime | None = None
    completed_at: datetime | None = None
    exam_passed_at: datetime | None = None
    progress: Sequence[dict[str, Any]] = ()
    runs: Sequence[GradedRun] = ()


def _plan(person: DemoPerson, rules: dict[str, list[Assignment]], simulation: Simulation,
          rng: random.Random, now: datetime, issuer: certifying.Issuer) -> _Plan:
    joined_at = now - timedelta(days=person.joined_days_ago, hours=rng.randint(0, 8))
    covering = rules.get(person.unit[0], rules[""])
    # the service's rules: the earliest due date of the assignments that cover the person
    due_at = min(assigning.due_for(a, joined_at) for a in covering)
    assigned_at = max(joined_at, min(a.created_at for a in covering))
    plan = _Plan(person, joined_at, assigned_at, due_at)
    units = len(simulation.course.units)
    outcome = person.outcome
    if outcome is Outcome.NOT_STARTED:
        return plan
    if outcome is Outcome.COMPLETED_LONG_AGO:
        expires = (now.astimezone(issuer.timezone).date() + timedelta(days=rng.randint(5, 55)))
        completed_on = certifying.add_months(expires, -24)
        end = datetime.combine(completed_on, time(rng.randint(9, 15), rng.randint(0, 59)),
                               tzinfo=issuer.timezone)
    elif outcome is Outcome.COMPLETED:
        earliest = max(assigned_at + timedelta(days=2), now - timedelta(days=640))
        end = earliest + (now - timedelta(hours=2) - earliest) * rng.random()
    else:
        end = now - timedelta(hours=rng.randint(1, 30))
    start = max(assigned_at + timedelta(hours=1),
                end - timedelta(days=rng.randint(1, 21), hours=rng.randint(0, 6)))
    if outcome is Outcome.STARTED:
        start = assigned_at + (end - assigned_at) * rng.uniform(0.1, 0.8)
        read = rng.randint(1, units)
        exam = "fail" if read == units and rng.random() < 0.5 else "none"
    else:
        read, exam = units, "pass"
    journey = simulation.journey(skill=person.skill, start=start, end=end, units_read=read,
                                 exam=exam)
    plan.started_at, plan.progress, plan.runs = start, journey.progress, journey.runs
    plan.exam_passed_at = journey.exam_passed_at
    if exam == "pass":
        plan.completed_at = journey.exam_passed_at
    return plan


def _returning_ids(session: Session, model: Any, rows: list[dict[str, Any]]) -> list[int]:
    """Inserts `rows` (batched by SQLAlchemy) and returns their ids in the order given."""
    if not rows:
        return []
    table = model.__table__  # Core: no ORM bookkeeping for rows that are not loaded
    statement = insert(table).returning(table.c.id, sort_by_parameter_order=True)
    return list(session.scalars(statement, rows))


def _seed_people(session: Session, people: list[DemoPerson], units: dict[Path, int],
                 rules: dict[str, list[Assignment]], version: CourseVersion, course: Course,
                 rng: random.Random, now: datetime, issuer: certifying.Issuer,
                 admin_id: int) -> None:
    simulation = Simulation(course, rng)
    plans = [_plan(p, rules, simulation, rng, now, issuer) for p in people]
    user_ids = _returning_ids(session, User, [{
        "personnel_number": p.person.number, "name": p.person.name, "email": p.person.email,
        "password_hash": None,  # no password  # nosec B105
        "is_active": True, "is_demo": True,
        "org_unit_id": units[p.person.unit], "created_at": p.joined_at} for p in plans])
    session.execute(insert(UserRole), [{"user_id": uid, "role": Role.LEARNER.value,
                                        "org_unit_id": None} for uid in user_ids])
    enrolment_ids = _returning_ids(session, Enrolment, [{
        "user_id": uid, "course_id": course.id, "due_at": p.due_at, "is_mandatory": True,
        "assigned_at": p.assigned_at, "completed_at": p.completed_at,
        "course_version_id": version.id if p.started_at else None,
        "started_at": p.started_at, "exam_passed_at": p.exam_passed_at}
        for uid, p in zip(user_ids, plans, strict=True)])
    progress: list[dict[str, Any]] = []
    attempts: list[dict[str, Any]] = []
    results: list[dict[str, Any]] = []
    for uid, eid, plan in zip(user_ids, enrolment_ids, plans, strict=True):
        progress.extend({"enrolment_id": eid, **row} for row in plan.progress)
        for run in plan.runs:
            attempts.append({"user_id": uid, "enrolment_id": eid,
                             "course_version_id": version.id, **run.attempt_row()})
            results.append(run.result_row())
    if progress:
        session.execute(insert(UnitProgress), progress)
    attempt_ids = _returning_ids(session, Attempt, attempts)
    if results:
        session.execute(insert(AttemptResult), [{"attempt_id": aid, **row} for aid, row
                                                in zip(attempt_ids, results, strict=True)])
    session.flush()
    _issue_certificates(session, plans, enrolment_ids, version, course, issuer, admin_id)


def _issue_certificates(session: Session, plans: list[_Plan], enrolment_ids: list[int],
                        version: CourseVersion, course: Course,
                        issuer: certifying.Issuer, admin_id: int) -> None:
    """Certificates as the learner's completing request issues them, and one revoked."""
    done = {eid: plan for eid, plan in zip(enrolment_ids, plans, strict=True)
            if plan.completed_at is not None}
    enrolments = session.scalars(select(Enrolment).where(Enrolment.id.in_(sorted(done)))
                                 .order_by(Enrolment.id))
    revoked = False
    for enrolment in enrolments:
        plan = done[enrolment.id]
        assert plan.completed_at is not None
        certificate = certifying.issue_certificate(
            session, enrolment=enrolment, version=version, course=course,
            participant_name=plan.person.name, language="de", issuer=issuer,
            now=plan.completed_at + timedelta(seconds=1))
        if (certificate is not None and not revoked and plan.person.unit[0] == DEZERNAT_III
                and plan.person.outcome is Outcome.COMPLETED):
            certifying.revoke_certificate(session, certificate, reason=REVOKE_REASON,
                                          actor_id=admin_id,
                                          now=plan.completed_at + timedelta(minutes=30))
            revoked = True
