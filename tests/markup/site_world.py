"""More data than a fresh instance, for checking the pages: an org-unit tree, three courses
(one in two versions), people in every unit with progress (overdue, due soon, completed,
graded exams), an assignment, and accounts for every role."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "tests" / "core" / "fixtures" / "sample-course"
THREAT_COURSE = REPO / "courses" / "bedrohungsmanagement"
UNITS = {  # name -> parent
    "Stadt Lindenau": None,
    "Dezernat I": "Stadt Lindenau",
    "Ordnungsamt": "Dezernat I",
    "Dezernat II": "Stadt Lindenau",
    "Bürgeramt": "Dezernat II",
    "Standesamt": "Dezernat II",
}
ACCOUNTS = {  # e-mail -> (name, roles, unit)
    "lea@example.org": ("Lea Lernende", ("learner",), "Bürgeramt"),
    "tina@example.org": ("Tina Trainerin", ("trainer",), None),
    "hanna@example.org": ("Hanna Personal", (("hr", "Stadt Lindenau"),), "Dezernat II"),
    "anton@example.org": ("Anton Admin", ("admin",), None),
}


@dataclass
class World:
    units: dict[str, int]
    versions: dict[str, int]  # "beispielkurs-1", "beispielkurs-2", "bedrohungsmanagement"
    users: dict[str, int]  # e-mail -> id


def second_version(folder: Path) -> Path:
    """The sample course with a new version number and two changed lines (for the diff)."""
    shutil.copytree(SAMPLE, folder)
    course = folder / "course.md"
    course.write_text(course.read_text("utf-8").replace('"2026.1"', '"2026.2"')
                      .replace("pass_mark: 0.8", "pass_mark: 0.9"), "utf-8")
    unit = folder / "01-grundlagen.md"
    unit.write_text(unit.read_text("utf-8").replace("- [ ] Energieschub",
                                                    "- [ ] Plötzlicher Energieschub"), "utf-8")
    return folder


def build_world(app: Any, import_course: Any, make_user: Any, tmp_path: Path) -> World:
    from lernmodul.db.models import OrgUnit
    from lernmodul.web.database import get_database

    versions = {
        "beispielkurs-1": import_course(SAMPLE).version_id,
        "bedrohungsmanagement": import_course(THREAT_COURSE).version_id,
        "beispielkurs-2": import_course(second_version(tmp_path / "v2")).version_id,
    }
    session = get_database(app).sessions()
    try:
        units: dict[str, int] = {}
        for name, parent in UNITS.items():
            unit = OrgUnit(name=name, parent_id=units[parent] if parent else None)
            session.add(unit)
            session.flush()
            units[name] = unit.id
        session.commit()
    finally:
        session.close()
    users = {}
    for email, (name, roles, unit) in ACCOUNTS.items():
        grants = tuple((r[0], units[r[1]]) if isinstance(r, tuple) else r for r in roles)
        users[email] = make_user(grants, email=email, name=name,
                                 org_unit_id=units[unit] if unit else None).id
    world = World(units=units, versions=versions, users=users)
    add_colleagues(app, make_user, world)
    return world


def add_colleagues(app: Any, make_user: Any, world: World) -> None:
    """Twelve learners across the units: mandatory courses overdue, due soon and done, and
    graded exams of the newest sample version (enough for the question statistics)."""
    from lernmodul.db.learning import Attempt, AttemptResult
    from lernmodul.db.models import Enrolment, utcnow
    from lernmodul.web.database import get_database

    now = utcnow()
    offices = ["Bürgeramt", "Standesamt", "Ordnungsamt", "Dezernat I"]
    people = [make_user(("learner",), email=f"person{n}@example.org", name=f"Person {n} Muster",
                        org_unit_id=world.units[offices[n % 4]]) for n in range(12)]
    session = get_database(app).sessions()
    try:
        for n, user in enumerate(people):
            done = n % 3 == 0
            session.add(Enrolment(
                user_id=user.id, course_id="bedrohungsmanagement", is_mandatory=True,
                due_at=now + timedelta(days=(-3, 5, 40)[n % 3]), assigned_at=now - timedelta(days=60),
                completed_at=now - timedelta(days=n) if done else None,
                course_version_id=world.versions["bedrohungsmanagement"],
                started_at=now - timedelta(days=30) if n % 2 else None))
            enrolment = Enrolment(user_id=user.id, course_id="beispielkurs", assigned_at=now,
                                  course_version_id=world.versions["beispielkurs-2"],
                                  started_at=now)
            session.add(enrolment)
            session.flush()
            right = n % 3 != 1
            scores = {"ex-abschluss": (2.0 if right else 0.0, 2.0),
                      "gl-leakage": (1.0 if n % 2 else 0.0, 1.0)}
            when = datetime(2030, 1, 1 + n, 9, 0, tzinfo=UTC)
            attempt = Attempt(user_id=user.id, enrolment_id=enrolment.id,
                              course_version_id=world.versions["beispielkurs-2"], kind="exam",
                              unit_key="", seed=n, questions=[[q, []] for q in scores], revision=1,
                              state="submitted", responses={"gl-leakage": "a" if n % 2 else "b",
                                                            "ex-abschluss": "a" if right else "b"},
                              started_at=when, submitted_at=when)
            session.add(attempt)
            session.flush()
            session.add(AttemptResult(
                attempt_id=attempt.id, points=sum(p for p, _ in scores.values()), max_points=3.0,
                is_passed=right, graded_at=when,
                scores={q: {"points": p, "max": m, "marks": {}} for q, (p, m) in scores.items()}))
        session.commit()
    finally:
        session.close()
