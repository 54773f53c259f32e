"""Assigning a mandatory course to a whole organisation: `create_assignment` for N people in
one unit (every enrolment passes the HR summary triggers), against a bare baseline in the
same run — the same rows written by one multi-row INSERT per batch of 4,000, without the
service. On SQLite (a temp file) and, with --postgres URL or LERNMODUL_BENCH_POSTGRES, on a
PostgreSQL database created for the run and dropped after.

    .venv/bin/python bench/assign.py [--people 20000] [--postgres URL]

The last line holds name=value pairs (seconds, and ratio = service / baseline)."""

from __future__ import annotations

import sys

# bench/http.py must not shadow the standard library's `http` package for this script
sys.path[:] = [p for p in sys.path if not p.endswith("bench")]

import argparse
import os
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, insert
from sqlalchemy.engine import make_url

from lernmodul.db import migrate
from lernmodul.db.assignments import Assignment
from lernmodul.db.engine import make_engine, make_session_factory
from lernmodul.db.models import CourseVersion, Enrolment, OrgUnit, User
from lernmodul.services import assignments

NOW = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
DUE = NOW + timedelta(days=30)


def prepare(url: str, people: int) -> Callable[[], None]:
    """Migrates, adds one unit, one course and `people` users; returns a reset function."""
    engine = make_engine(url)
    migrate.upgrade(engine)
    sessions = make_session_factory(engine)
    with sessions.begin() as session:
        session.add(OrgUnit(id=1, name="Stadt"))
        session.flush()
        session.add(CourseVersion(course_id="pflicht", version="1", title="Pflicht", sources={},
                                  created_at=NOW))
        session.execute(insert(User), [{"name": f"Person {i}", "email": f"p{i}@example.org",
                                        "org_unit_id": 1, "created_at": NOW - timedelta(days=90)}
                                       for i in range(people)])

    def reset() -> None:
        with sessions.begin() as session:
            session.execute(delete(Enrolment))
            session.execute(delete(Assignment))
    return reset


def measure(url: str, people: int, label: str) -> dict[str, float]:
    reset = prepare(url, people)
    sessions = make_session_factory(make_engine(url))
    with sessions() as session:
        user_ids = [uid for (uid,) in session.query(User.id)]
    reset()
    start = time.perf_counter()
    with sessions.begin() as session:
        rows = [{"user_id": uid, "course_id": "pflicht", "due_at": DUE, "is_mandatory": True,
                 "assigned_at": NOW} for uid in user_ids]
        for i in range(0, len(rows), assignments.INSERT_BATCH):
            session.execute(insert(Enrolment).values(rows[i:i + assignments.INSERT_BATCH]))
    baseline = time.perf_counter() - start
    reset()
    start = time.perf_counter()
    with sessions.begin() as session:
        _assignment, outcome = assignments.create_assignment(
            session, course_id="pflicht", org_unit_id=1, scope=None, due_at=DUE, due_days=None,
            actor_id=None, now=NOW)
    service = time.perf_counter() - start
    assert outcome.enrolled == people, outcome
    return {f"{label}_assign_s": service, f"{label}_baseline_s": baseline,
            f"{label}_ratio": service / baseline}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=20_000)
    parser.add_argument("--postgres", default=os.environ.get("LERNMODUL_BENCH_POSTGRES"))
    args = parser.parse_args()
    figures: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as folder:
        figures.update(measure(f"sqlite:///{folder}/assign.sqlite", args.people, "sqlite"))
    if args.postgres:
        base = make_url(args.postgres)
        name = f"lernmodul_bench_assign_{os.getpid()}"
        admin = make_engine(base.set(database="postgres").render_as_string(hide_password=False))
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        try:
            figures.update(measure(base.set(database=name).render_as_string(hide_password=False),
                                   args.people, "pg"))
        finally:
            with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.dispose()
    print(f"{args.people} people assigned one mandatory course")
    print(" ".join(f"{name}={value:.2f}" for name, value in figures.items()))


if __name__ == "__main__":
    main()
