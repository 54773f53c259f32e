"""Fixtures for operations tests: more empty databases, learning data written through the services."""

from __future__ import annotations

import http.client
import secrets
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import create_engine, text

SAMPLE = Path(__file__).parents[1] / "core" / "fixtures" / "sample-course"
ISSUER_KEY = Ed25519PrivateKey.generate()


def exchange(conn: http.client.HTTPConnection, cookies: dict[str, str], method: str, path: str,
             form: dict[str, str] | None = None, headers: dict[str, str] | None = None
             ) -> tuple[int, str, dict[str, str]]:
    """One request on `conn` sending `cookies` (kept up to date from Set-Cookie); redirects
    are not followed. Returns the status, the page and the headers (lower-case names)."""
    headers = dict(headers or {})
    if cookies:
        headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
    body = None
    if form is not None:
        body = urlencode(form)
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    conn.request(method, path, body=body, headers=headers)
    response = conn.getresponse()
    page = response.read().decode("utf-8", "replace")
    for name, value in response.getheaders():
        if name.lower() == "set-cookie":
            key, _, rest = value.partition("=")
            cookies[key] = rest.split(";", 1)[0]
    return response.status, page, {k.lower(): v for k, v in response.getheaders()}


def scalar(url: str, sql: str) -> int:
    """The one number `sql` selects from the database at `url` (its own short connection)."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return int(connection.execute(text(sql)).scalar_one())
    finally:
        engine.dispose()


@pytest.fixture
def new_database(backend: Any, tmp_path: Path) -> Iterator[Callable[[], str]]:
    """new_database() -> the URL of a further empty database on the test's backend."""
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    made: list[str] = []
    admin = None

    def factory() -> str:
        nonlocal admin
        if backend.name == "sqlite":
            url = f"sqlite:///{tmp_path / f'extra-{len(made)}.sqlite'}"
            made.append(url)
            return url
        base = make_url(backend.url)
        name = f"{base.database}_x{len(made)}_{secrets.token_hex(3)}"
        admin = admin or create_engine(backend.url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        made.append(name)
        return base.set(database=name).render_as_string(hide_password=False)

    yield factory
    if admin is not None:
        with admin.connect() as connection:
            for name in made:
                connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


class Learning:
    """Writes learning data through the services, each call in its own committed transaction."""

    def __init__(self, app: Any) -> None:
        from lernmodul.services.courses import CompiledCourses, import_course_folder
        from lernmodul.web.auth import auth_settings
        from lernmodul.web.database import get_database

        self.sessions = get_database(app).sessions
        self.hasher = auth_settings(app).hasher
        with self.sessions() as session:
            outcome = import_course_folder(session, SAMPLE)
            session.commit()
        self.version_id = outcome.version_id
        self.cache = CompiledCourses()
        self.count = 0

    def course(self, session: Any) -> tuple[Any, Any]:
        from lernmodul.db.models import CourseVersion

        version = session.get(CourseVersion, self.version_id)
        return version, self.cache.get(version, "media/")

    def learner(self, now: datetime) -> int:
        """A new learner enrolled in the sample course; returns the user id."""
        from lernmodul.services import accounts, learning

        with self.sessions() as session:
            self.count += 1
            user = accounts.create_user(
                session, hasher=self.hasher, email=f"ops{self.count}.{secrets.token_hex(3)}@example.org",
                name=f"Ops Learner {self.count}", password="correct-horse-battery",
                roles=[("learner", None)], now=now)
            version, _course = self.course(session)
            learning.start_course(session, user.id, version, now)
            session.commit()
            return int(user.id)

    def quiz(self, user_id: int, now: datetime, unit_index: int = 0) -> int:
        """Starts and submits (unanswered) the quiz of one unit; returns the attempt id."""
        from lernmodul.services import learning

        with self.sessions() as session:
            version, course = self.course(session)
            enrolment = learning.find_enrolment(session, user_id, version.course_id)
            unit = [u for u in course.units if u.quiz is not None][unit_index]
            attempt = learning.start_attempt(session, enrolment=enrolment, course=course,
                                             unit_id=unit.id, seed=secrets.randbelow(2**31), now=now)
            learning.submit_attempt(session, attempt, course, {}, attempt.revision, now)
            session.commit()
            return int(attempt.id)

    def complete_with_certificate(self, user_id: int, now: datetime) -> int:
        """Marks the course complete (units read, quizzes and exam passed) and issues the
        certificate; returns the certificate id."""
        from lernmodul.services import certificates, learning

        with self.sessions() as session:
            version, course = self.course(session)
            enrolment = learning.find_enrolment(session, user_id, version.course_id)
            for unit in course.units:
                learning.mark_unit_read(session, enrolment, course, unit.id, now)
            for row in learning.progress_by_unit(session, enrolment.id).values():
                row.quiz_passed_at = now
            enrolment.exam_passed_at = now
            session.flush()
            assert learning.refresh_completion(session, enrolment, course, now)
            issuer = certificates.Issuer(ISSUER_KEY, lambda code: f"https://lernen.example.de/verify/{code}",
                                         ZoneInfo("Europe/Berlin"))
            certificate = certificates.issue_certificate(
                session, enrolment=enrolment, version=version, course=course,
                participant_name="Ops Learner", language="de", issuer=issuer, now=now)
            assert certificate is not None
            session.commit()
            return int(certificate.id)


@pytest.fixture
def learning_data(app: Any) -> Learning:
    return Learning(app)


NOW = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
