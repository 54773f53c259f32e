"""HR reports and exports read from DATABASE_REPORT_URL (web/report_database.py), e.g. a
streaming replica: here a copy of the primary taken at one moment, after which the primary
changes. The pages show the copy's state; the audit rows of what HR viewed go to the primary."""

from __future__ import annotations

import csv
import io
import secrets
import sqlite3
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, func, select
from sqlalchemy.engine import make_url

from lernmodul.db.models import AuditLog, Enrolment, OrgUnit, utcnow
from lernmodul.services.courses import import_course_folder
from lernmodul.web.database import get_database
from lernmodul.web.report_database import dispose

SAMPLE = Path(__file__).parents[1] / "core" / "fixtures" / "sample-course"


def _people(db_session: Any, make_user: Any, unit_name: str, prefix: str) -> None:
    unit = OrgUnit(name=unit_name)
    db_session.add(unit)
    db_session.commit()
    now = utcnow()
    for i in range(5):
        user = make_user(("learner",), email=f"{prefix.lower()}{i}@example.org",
                         name=f"{prefix} {i}", org_unit_id=unit.id)
        db_session.add(Enrolment(user_id=user.id, course_id="beispielkurs", is_mandatory=True,
                                 due_at=now + timedelta(days=30), assigned_at=now))
    db_session.commit()


@pytest.fixture
def snapshot(app: Any, db_session: Any, backend: Any, tmp_path: Path
             ) -> Iterator[Callable[[], str]]:
    """snapshot() copies the primary as it is now into a new database and returns its URL."""
    droppers: list[Callable[[], None]] = []

    def take() -> str:
        db_session.rollback()
        url = app.config["DATABASE_URL"]
        if backend.name == "sqlite":
            copy = tmp_path / "report.sqlite"
            source = sqlite3.connect(make_url(url).database)
            target = sqlite3.connect(copy)
            source.backup(target)
            source.close()
            target.close()
            return f"sqlite:///{copy}"
        get_database(app).engine.dispose()  # CREATE DATABASE … TEMPLATE needs it unused
        primary = make_url(url)
        name = f"{primary.database}_report_{secrets.token_hex(3)}"
        admin = create_engine(url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}" TEMPLATE "{primary.database}"')

        def drop() -> None:
            with admin.connect() as connection:
                connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.dispose()

        droppers.append(drop)
        report_url = primary.set(database=name).render_as_string(hide_password=False)
        return report_url

    yield take
    for drop in droppers:
        drop()


@pytest.fixture
def two_states(app: Any, db_session: Any, make_user: Any, snapshot: Any) -> str:
    """Amt Alt with five people in both; Amt Neu with five more only in the primary."""
    import_course_folder(db_session, SAMPLE)
    db_session.commit()
    make_user(("hr",), email="hr@example.org", name="Hanna Personal")
    _people(db_session, make_user, "Amt Alt", "Alt")
    report_url = snapshot()
    _people(db_session, make_user, "Amt Neu", "Neu")
    return report_url


@pytest.fixture
def hr_client(make_app: Any, login: Any) -> Callable[..., Any]:
    made: list[Any] = []

    def signed_in(**config: Any) -> Any:
        application = make_app(**config)
        made.append(application)
        client = application.test_client()
        assert login(client, "hr@example.org").status_code == 302
        return client

    yield signed_in
    for application in made:
        dispose(application)


def _audit_actions(url: str) -> list[str]:
    engine = create_engine(url)
    with engine.connect() as connection:
        actions = list(connection.scalars(select(AuditLog.action).order_by(AuditLog.id)))
    engine.dispose()
    return actions


def test_hr_pages_and_exports_read_the_report_database(
        app: Any, two_states: str, hr_client: Any) -> None:
    client = hr_client(DATABASE_REPORT_URL=two_states)
    people = client.get("/hr/people").get_data(as_text=True)
    assert "Alt 0" in people and "Neu 0" not in people
    dashboard = client.get("/hr/").get_data(as_text=True)
    assert "Amt Alt" in dashboard and "Amt Neu" not in dashboard
    export = client.get("/hr/people/export?format=csv")
    assert export.status_code == 200
    rows = csv.reader(io.StringIO(export.get_data(as_text=True).lstrip("\ufeff")), delimiter=";")
    names = {row[0] for row in rows}
    assert {"Alt 0", "Alt 4"} <= names and not any(n.startswith("Neu") for n in names)
    # what HR viewed is recorded in the primary, never in the report database
    primary = _audit_actions(app.config["DATABASE_URL"])
    assert primary.count("hr.view_people") == 1 and primary.count("hr.export") == 1
    assert "hr.view_people" not in _audit_actions(two_states)


def test_without_a_report_database_the_pages_read_the_primary(two_states: str,
                                                              hr_client: Any) -> None:
    client = hr_client()
    people = client.get("/hr/people").get_data(as_text=True)
    assert "Alt 0" in people and "Neu 0" in people
    assert "Amt Neu" in client.get("/hr/").get_data(as_text=True)


def test_assigning_sees_a_unit_the_report_database_does_not_have_yet(
        app: Any, two_states: str, hr_client: Any, db_session: Any) -> None:
    client = hr_client(DATABASE_REPORT_URL=two_states)
    form = client.get("/hr/assignments").get_data(as_text=True)
    assert "Amt Neu" in form  # assignments write to the primary and choose from it
    count = db_session.scalar(select(func.count()).select_from(Enrolment))
    assert count == 10
