"""`lernmodul assignments apply` brings every user up to date, and a second run changes nothing."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import func, select

from lernmodul.cli import main
from lernmodul.db.assignments import Assignment
from lernmodul.db.models import Enrolment, OrgUnit, User, utcnow
from lernmodul.services.courses import import_course_folder

SAMPLE = Path(__file__).parents[1] / "core" / "fixtures" / "sample-course"


def test_assignments_apply_is_idempotent(app, db_session, monkeypatch) -> None:
    monkeypatch.setenv("LERNMODUL_DATABASE_URL", app.config["DATABASE_URL"])
    monkeypatch.setenv("LERNMODUL_INSTANCE_PATH", app.instance_path)
    monkeypatch.setenv("LERNMODUL_SECRET_KEY", "x" * 32)
    import_course_folder(db_session, SAMPLE)
    unit = OrgUnit(name="Amt")
    db_session.add(unit)
    db_session.flush()
    db_session.add_all([User(name=f"P{i}", email=f"p{i}@example.org", org_unit_id=unit.id)
                        for i in range(3)])
    db_session.add(Assignment(course_id="beispielkurs", org_unit_id=unit.id,
                              due_at=utcnow() + timedelta(days=9), created_at=utcnow()))
    db_session.commit()
    runner = CliRunner()
    first = runner.invoke(main, ["assignments", "apply"])
    assert first.exit_code == 0, first.output
    assert "enrolled=3 made_mandatory=0 reassigned=0" in first.output
    second = runner.invoke(main, ["assignments", "apply"])
    assert "enrolled=0 made_mandatory=0 reassigned=0" in second.output
    db_session.rollback()
    assert db_session.scalar(select(func.count()).select_from(Enrolment)) == 3
