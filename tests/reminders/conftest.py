"""Reminder tests: a real SMTP server (aiosmtpd on 127.0.0.1), a world of learners, HR and
certificates around one day, and the `lernmodul` command run with the environment of a server."""

from __future__ import annotations

import asyncio
import email
import secrets
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from email import policy
from email.message import EmailMessage
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiosmtpd.controller import Controller
from click.testing import CliRunner, Result

from lernmodul.db.certificates import Certificate
from lernmodul.db.models import CourseVersion, Enrolment, OrgUnit, User, UserRole
from lernmodul.services.assignments import end_of_day

BERLIN = ZoneInfo("Europe/Berlin")
TODAY = date(2026, 11, 27)  # a Friday in ISO week 48
BASE_URL = "https://lernen.example.de"
SENDER = "lernmodul@behoerde.example"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage

    @property
    def body(self) -> str:
        part = self.message.get_body(("plain",))
        assert part is not None
        text: str = part.get_content()
        return text.replace("\r\n", "\n")  # SMTP carries CRLF line ends


@dataclass
class Collector:
    """aiosmtpd handler: keeps every message; refuses listed recipients; can be slow."""

    messages: list[Received] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)
    delay: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          rcpt_options: Any) -> str:
        if address in self.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.delay:
            await asyncio.sleep(self.delay)
        message = email.message_from_bytes(envelope.original_content or envelope.content,
                                           policy=policy.default)
        with self.lock:
            self.messages.append(Received(envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[Received]:
        return [m for m in self.messages if address in m.rcpt_tos]


@dataclass
class SmtpServer:
    port: int
    handler: Collector


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    handler = Collector()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield SmtpServer(port, handler)
    finally:
        controller.stop()


def mail_settings(port: int) -> dict[str, Any]:
    return {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": port, "MAIL_USE_TLS": False,
            "MAIL_DEFAULT_SENDER": SENDER, "MAIL_TIMEOUT": 5, "PUBLIC_BASE_URL": BASE_URL}


@pytest.fixture
def command(app: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """command(*args, **settings): runs `lernmodul reminders …` as on a server, with the
    test database and LERNMODUL_<setting> environment variables."""
    from lernmodul.cli import main

    monkeypatch.setenv("LERNMODUL_DATABASE_URL", app.config["DATABASE_URL"])
    monkeypatch.setenv("LERNMODUL_INSTANCE_PATH", app.instance_path)
    monkeypatch.setenv("LERNMODUL_SECRET_KEY", "x" * 32)

    def run(*args: str, **settings: Any) -> Result:
        with monkeypatch.context() as patch:
            for name, value in settings.items():
                if value is None:
                    patch.delenv(f"LERNMODUL_{name}", raising=False)
                else:
                    text = value if isinstance(value, str) else repr(value).lower() \
                        if isinstance(value, bool) else str(value)
                    patch.setenv(f"LERNMODUL_{name}", text)
            return CliRunner().invoke(main, ["reminders", *args])

    return run


def due(day: date) -> datetime:
    return end_of_day(day, BERLIN)


class World:
    """Org units A (with HR Hanna, German), B (HR Bob, English) and C (HR Carla: nothing to
    report); the learners of the tests below, as at TODAY."""

    def __init__(self, session: Any) -> None:
        self.session = session
        self.units = {}
        for name in ("Amt A", "Amt B", "Amt C"):
            unit = OrgUnit(name=name)
            session.add(unit)
            session.flush()
            self.units[name[-1]] = unit.id
        self.versions = {}
        for course_id, title in (("datenschutz", "Datenschutz im Amt"),
                                 ("infosec", "Informationssicherheit")):
            version = CourseVersion(course_id=course_id, version="1", title=title, sources={})
            session.add(version)
            session.flush()
            self.versions[course_id] = version.id

    def person(self, name: str, unit: str, *, locale: str | None = None, active: bool = True,
               email: str | None = None, roles: tuple[tuple[str, str | None], ...] = ()) -> User:
        user = User(name=name, email=email if email is not None else
                    f"{name.split()[0].lower()}@example.org",
                    org_unit_id=self.units[unit], locale=locale, is_active=active)
        self.session.add(user)
        self.session.flush()
        for role, scope in roles:
            self.session.add(UserRole(user_id=user.id, role=role,
                                      org_unit_id=self.units[scope] if scope else None))
        self.session.flush()
        return user

    def enrol(self, user: User, *, due_on: date | None, course_id: str = "datenschutz",
              mandatory: bool = True, completed_on: date | None = None) -> Enrolment:
        enrolment = Enrolment(
            user_id=user.id, course_id=course_id, is_mandatory=mandatory,
            assigned_at=datetime(2026, 1, 5, tzinfo=UTC),
            due_at=due(due_on) if due_on else None,
            completed_at=datetime.combine(completed_on, datetime.min.time(), BERLIN)
            + timedelta(hours=10) if completed_on else None)
        self.session.add(enrolment)
        self.session.flush()
        return enrolment

    def certify(self, enrolment: Enrolment, user: User, *, valid_until: date | None,
                revoked: bool = False) -> Certificate:
        assert enrolment.completed_at is not None
        certificate = Certificate(
            code=secrets.token_hex(16), user_id=user.id, enrolment_id=enrolment.id,
            course_id=enrolment.course_id, course_version_id=self.versions[enrolment.course_id],
            course_title="Informationssicherheit", course_version="1", duration_minutes=45,
            certificate_title="Teilnahmebescheinigung", participant_name=user.name,
            completed_at=enrolment.completed_at,
            completed_on=enrolment.completed_at.astimezone(BERLIN).date(),
            valid_until=valid_until, language="de", verify_url=f"{BASE_URL}/verify/x",
            credential={}, revoked_at=datetime(2026, 6, 1, tzinfo=UTC) if revoked else None)
        self.session.add(certificate)
        self.session.flush()
        return certificate


@pytest.fixture
def world(db_session: Any) -> Iterator[World]:
    yield World(db_session)


@dataclass
class Cast:
    """Who exists in the standard scene and what each should get on TODAY."""

    users: dict[str, User]

    def email(self, key: str) -> str:
        return self.users[key].email


@pytest.fixture
def scene(world: World, db_session: Any) -> Cast:
    """The standard scene (see the expectations in test_reminders.py)."""
    w = world
    users = {
        "anna": w.person("Anna Albers", "A", locale="en"),  # due in 3 days
        "tom": w.person("Tom Today", "A", locale="de"),  # due today (end of day)
        "dora": w.person("Dora Distant", "C", locale="de"),  # due in 20 days: nothing yet
        "berta": w.person("Berta Berger", "A", locale="de"),  # overdue since 2 days
        "yann": w.person("Yann Yesterday", "A"),  # overdue since yesterday; no locale: German
        "olga": w.person("Olga Other", "B", locale="en"),  # overdue, in unit B
        "cem": w.person("Cem Certified", "A", locale="de"),  # certificate expires in 30 days
        "lena": w.person("Lena Later", "A", locale="de"),  # certificate expires in 200 days
        "rita": w.person("Rita Revoked", "A", locale="de"),  # revoked certificate expiring
        "finn": w.person("Finn Former", "A", locale="de", active=False),  # deactivated, overdue
        "vera": w.person("Vera Voluntary", "A", locale="de"),  # voluntary course overdue
        "hanna": w.person("Hanna HR", "A", locale="de", roles=(("hr", "A"),)),
        "bob": w.person("Bob HR", "B", locale="en", roles=(("hr", "B"),)),
        "carla": w.person("Carla HR", "C", locale="de", roles=(("hr", "C"),)),
    }
    w.enrol(users["anna"], due_on=TODAY + timedelta(days=3))
    w.enrol(users["tom"], due_on=TODAY)
    w.enrol(users["dora"], due_on=TODAY + timedelta(days=20))
    w.enrol(users["berta"], due_on=TODAY - timedelta(days=2))
    w.enrol(users["yann"], due_on=TODAY - timedelta(days=1))
    w.enrol(users["olga"], due_on=TODAY - timedelta(days=5))
    done = w.enrol(users["cem"], due_on=date(2025, 12, 1), course_id="infosec",
                   completed_on=date(2025, 11, 20))
    w.certify(done, users["cem"], valid_until=TODAY + timedelta(days=30))
    later = w.enrol(users["lena"], due_on=None, course_id="infosec", completed_on=date(2026, 6, 1))
    w.certify(later, users["lena"], valid_until=TODAY + timedelta(days=200))
    revoked = w.enrol(users["rita"], due_on=None, course_id="infosec",
                      completed_on=date(2025, 12, 1))
    w.certify(revoked, users["rita"], valid_until=TODAY + timedelta(days=10), revoked=True)
    w.enrol(users["finn"], due_on=TODAY - timedelta(days=3))
    w.enrol(users["vera"], due_on=TODAY - timedelta(days=3), mandatory=False)
    db_session.commit()
    return Cast(users)
