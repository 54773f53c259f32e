"""Reminder run at the scale of a first run in a large office: N learners (default 10,000) in
100 org units with one HR person each, one mandatory course: 30 % overdue, 10 % due within
the week, 2 % with a certificate in its renewal window, the rest due later.

Measures, on SQLite and (with --postgres URL or LERNMODUL_BENCH_POSTGRES) PostgreSQL:
the dry run (planning and rendering every message), the real run against a local SMTP server
(aiosmtpd; one transaction per message), and the rerun that finds everything sent.

    .venv/bin/python bench/reminders.py [--users 10000] [--postgres URL]

The last line holds name=value pairs (seconds, messages per second)."""

from __future__ import annotations

import sys

# bench/http.py must not shadow the standard library's `http` package for this script
sys.path[:] = [p for p in sys.path if not p.endswith("bench")]

import argparse
import os
import secrets
import socket
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from aiosmtpd.controller import Controller
from sqlalchemy import insert, select

from lernmodul.db import migrate
from lernmodul.db.certificates import Certificate
from lernmodul.db.engine import make_engine
from lernmodul.db.models import CourseVersion, Enrolment, OrgUnit, User, UserRole
from lernmodul.services.assignments import end_of_day

BERLIN = ZoneInfo("Europe/Berlin")
TODAY = date(2026, 11, 27)
UNITS = 100


class Counter:
    def __init__(self) -> None:
        self.count = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.count += 1
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def fresh_postgres(url: str) -> str:
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    base = make_url(url)
    name = f"lernmodul_bench_reminders_{secrets.token_hex(3)}"
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


def drop_postgres(url: str) -> None:
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    target = make_url(url)
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)')
    admin.dispose()


def seed(url: str, users: int) -> None:
    engine = make_engine(url)
    migrate.upgrade(engine)
    created = datetime(2026, 1, 5, tzinfo=UTC)
    with engine.begin() as connection:
        connection.execute(insert(OrgUnit), [{"id": i + 1, "name": f"Amt {i + 1}",
                                              "created_at": created} for i in range(UNITS)])
        connection.execute(insert(CourseVersion), [{
            "id": 1, "course_id": "pflicht", "version": "1", "title": "Pflichtkurs",
            "sources": {}, "created_at": created}])
        people = [{"id": i + 1, "name": f"Person {i + 1:06d}", "email": f"p{i + 1}@example.org",
                   "org_unit_id": i % UNITS + 1, "locale": "de" if i % 3 else "en",
                   "is_active": True, "created_at": created} for i in range(users)]
        people += [{"id": users + u + 1, "name": f"HR {u + 1}", "email": f"hr{u + 1}@example.org",
                    "org_unit_id": u + 1, "locale": "de", "is_active": True,
                    "created_at": created} for u in range(UNITS)]
        connection.execute(insert(User), people)
        connection.execute(insert(UserRole), [{"user_id": users + u + 1, "role": "hr",
                                               "org_unit_id": u + 1} for u in range(UNITS)])
        enrolments, certificates = [], []
        for i in range(users):
            share = i % 50
            completed = None
            if share < 15:  # 30 %
                due = TODAY - timedelta(days=1 + i % 60)
            elif share < 20:  # 10 %
                due = TODAY + timedelta(days=i % 7)
            elif share == 20:  # 2 %
                due, completed = TODAY - timedelta(days=300), datetime(2025, 12, 1, tzinfo=UTC)
            else:
                due = TODAY + timedelta(days=30 + i % 300)
            enrolments.append({"id": i + 1, "user_id": i + 1, "course_id": "pflicht",
                               "is_mandatory": True, "assigned_at": created,
                               "due_at": end_of_day(due, BERLIN), "completed_at": completed})
            if completed is not None:
                certificates.append({
                    "code": secrets.token_hex(16), "user_id": i + 1, "enrolment_id": i + 1,
                    "course_id": "pflicht", "course_version_id": 1, "course_title": "Pflichtkurs",
                    "course_version": "1", "duration_minutes": 30, "certificate_title": "Z",
                    "signatory": "", "participant_name": f"Person {i + 1:06d}",
                    "completed_at": completed, "completed_on": completed.date(),
                    "valid_until": TODAY + timedelta(days=20 + i % 30), "issued_at": completed,
                    "language": "de", "verify_url": "https://x/verify", "credential": {}})
        for start in range(0, len(enrolments), 20_000):
            connection.execute(insert(Enrolment), enrolments[start:start + 20_000])
        if certificates:
            connection.execute(insert(Certificate), certificates)
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            for name in ("org_units", "users", "user_roles", "enrolments", "course_versions"):
                connection.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                    f"(SELECT max(id) FROM {name}))")
            connection.exec_driver_sql("ANALYZE")
    engine.dispose()


def measure(label: str, url: str, users: int) -> dict[str, float]:
    from lernmodul.db.reminders import SentReminder
    from lernmodul.web import create_app
    from lernmodul.web.database import get_database
    from lernmodul.web.reminder_commands import send_reminders

    seed(url, users)
    handler, port = Counter(), free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    instance = tempfile.mkdtemp(prefix="bench-reminders-")
    app = create_app({"INSTANCE_PATH": instance, "DATABASE_URL": url, "SECRET_KEY": "bench",
                      "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": port, "MAIL_USE_TLS": False,
                      "MAIL_DEFAULT_SENDER": "lernmodul@example.org",
                      "PUBLIC_BASE_URL": "https://lernen.example.de"})
    quiet = lambda _line: None  # noqa: E731
    figures: dict[str, float] = {}
    try:
        start = time.perf_counter()
        planned = send_reminders(app, today=TODAY, dry_run=True, echo=quiet)
        figures[f"{label}_dry_run_s"] = time.perf_counter() - start
        start = time.perf_counter()
        report = send_reminders(app, today=TODAY, echo=quiet)
        elapsed = time.perf_counter() - start
        sent = sum(report.sent.values())
        figures[f"{label}_send_s"] = elapsed
        figures[f"{label}_messages"] = sent
        figures[f"{label}_per_s"] = sent / elapsed
        start = time.perf_counter()
        rerun = send_reminders(app, today=TODAY, echo=quiet)
        figures[f"{label}_rerun_s"] = time.perf_counter() - start
        assert sum(planned.sent.values()) == sent == handler.count, (planned, report)
        assert not report.failed and not sum(rerun.sent.values())
        with get_database(app).read_sessions() as session:
            rows = len(session.execute(select(SentReminder.id)).all())
        assert rows == sent
        print(f"{label}: {dict(report.sent)} in {elapsed:.1f} s; dry run "
              f"{figures[f'{label}_dry_run_s']:.1f} s, rerun {figures[f'{label}_rerun_s']:.1f} s")
    finally:
        controller.stop()
        get_database(app).engine.dispose()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--postgres", default=os.environ.get("LERNMODUL_BENCH_POSTGRES"))
    args = parser.parse_args()
    figures: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as folder:
        figures |= measure("sqlite", f"sqlite:///{Path(folder) / 'bench.sqlite'}", args.users)
    if args.postgres:
        url = fresh_postgres(args.postgres)
        try:
            figures |= measure("postgresql", url, args.users)
        finally:
            drop_postgres(url)
    print(" ".join(f"{name}={value:.2f}" if isinstance(value, float) else f"{name}={value}"
                   for name, value in figures.items()))


if __name__ == "__main__":
    main()
