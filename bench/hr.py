"""HR queries at the scale of a city administration: 100,000 people in 500 org units with 10
mandatory courses each (1,000,000 enrolments, a third completed with a certificate).

Measures the dashboard and the person list (first page, and filtered to overdue) for an HR
office of the whole city and of one department, on SQLite and (with --postgres URL or
LERNMODUL_BENCH_POSTGRES) on PostgreSQL, and the CSV and XLSX export of every row: time and
the peak RSS of a process that does nothing else. The dashboard reads the summary tables
that triggers keep; the bench checks that they agree with a count of the enrolments
themselves (`recount`, its time is the dashboard's cost without them) and times the
triggers' cost on writes: 20,000 mandatory enrolments inserted in one transaction. The data
are generated once into a database file in the temp folder (a few minutes on SQLite) and
reused.

    .venv/bin/python bench/hr.py [--users 100000] [--postgres URL]

The last line holds name=value pairs (seconds, megabytes)."""

from __future__ import annotations

import sys

# bench/http.py must not shadow the standard library's `http` package for this script
sys.path[:] = [p for p in sys.path if not p.endswith("bench")]

import argparse
import os
import random
import resource
import subprocess
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, select

from lernmodul.db import migrate
from lernmodul.db.certificates import Certificate
from lernmodul.db.engine import make_engine, make_session_factory
from lernmodul.db.models import CourseVersion, Enrolment, OrgUnit, User
from lernmodul.services import exports, hr
from lernmodul.services.org_units import descendant_ids

NOW = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
CLOCK = hr.Clock(now=NOW, timezone=ZoneInfo("Europe/Berlin"))
BATCH = 20_000
REPEAT = 5


def ensure_postgres_database(url: str) -> None:
    """Creates the database named in `url` on its server if it does not exist."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    target = make_url(url)
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        exists = connection.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"),
                                    {"n": target.database}).first()
        if not exists:
            connection.exec_driver_sql(f'CREATE DATABASE "{target.database}"')
    admin.dispose()


def generate(url: str, users: int, units: int, courses: int) -> None:
    if url.startswith("postgresql"):
        ensure_postgres_database(url)
    engine = make_engine(url)
    migrate.upgrade(engine)
    session = make_session_factory(engine)()
    if session.scalar(select(func.count()).select_from(User)):
        session.close()
        engine.dispose()
        return
    began = time.perf_counter()
    rng = random.Random(7)
    city = OrgUnit(name="Stadt Lindenau")
    session.add(city)
    session.flush()
    departments = [OrgUnit(name=f"Dezernat {i + 1}", parent_id=city.id) for i in range(4)]
    session.add_all(departments)
    session.flush()
    offices = [OrgUnit(name=f"Amt {i + 1}", parent_id=departments[i % 4].id)
               for i in range(units - 5)]
    session.add_all(offices)
    session.flush()
    office_ids = [o.id for o in offices]
    for c in range(courses):
        session.add(CourseVersion(course_id=f"kurs-{c}", version="1", title=f"Pflichtkurs {c}",
                                  sources={}))
    session.flush()
    versions = {v.course_id: v.id for v in session.scalars(select(CourseVersion))}
    for start in range(0, users, BATCH):
        session.execute(insert(User), [
            {"name": f"Person {i:06d}", "email": f"p{i}@example.org",
             "org_unit_id": office_ids[i % len(office_ids)],
             "created_at": NOW - timedelta(days=rng.randint(1, 4000))}
            for i in range(start, min(users, start + BATCH))])
    user_ids = list(session.scalars(select(User.id).order_by(User.id)))
    rows: list[dict[str, Any]] = []
    certificate_rows: list[dict[str, Any]] = []

    def flush_rows() -> None:
        if rows:
            session.execute(insert(Enrolment), rows)
            rows.clear()

    for user_id in user_ids:
        for c in range(courses):
            course_id = f"kurs-{c}"
            roll = rng.random()
            completed = NOW - timedelta(days=rng.randint(1, 700)) if roll < 0.35 else None
            started = NOW - timedelta(days=rng.randint(1, 60)) if roll < 0.6 else None
            rows.append({"user_id": user_id, "course_id": course_id, "is_mandatory": True,
                         "assigned_at": NOW - timedelta(days=800),
                         "due_at": NOW + timedelta(days=rng.randint(-90, 200)),
                         "started_at": started, "completed_at": completed,
                         "course_version_id": versions[course_id] if started else None})
        if len(rows) >= BATCH:
            flush_rows()
    flush_rows()
    # certificates of the completions, two years valid
    done = session.execute(select(Enrolment.id, Enrolment.user_id, Enrolment.course_id,
                                  Enrolment.completed_at, Enrolment.course_version_id)
                           .where(Enrolment.completed_at.is_not(None))).all()
    for enrolment_id, user_id, course_id, completed_at, version_id in done:
        day = completed_at.date()
        certificate_rows.append({
            "code": f"B{enrolment_id:012d}", "user_id": user_id, "enrolment_id": enrolment_id,
            "course_id": course_id, "course_version_id": version_id, "course_title": course_id,
            "course_version": "1", "duration_minutes": 60, "certificate_title": "Zertifikat",
            "signatory": "", "participant_name": "x", "completed_at": completed_at,
            "completed_on": day, "valid_until": date(day.year + 2, day.month, min(day.day, 28)),
            "issued_at": completed_at, "language": "de", "verify_url": "https://example.org/v",
            "credential": {}})
        if len(certificate_rows) >= BATCH:
            session.execute(insert(Certificate), certificate_rows)
            certificate_rows.clear()
    if certificate_rows:
        session.execute(insert(Certificate), certificate_rows)
    session.commit()
    session.close()
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM ANALYZE")
    else:
        with engine.begin() as connection:
            connection.exec_driver_sql("ANALYZE")
    engine.dispose()
    print(f"generated {users} users, {len(user_ids) * courses} enrolments in "
          f"{time.perf_counter() - began:.0f} s", flush=True)


def best(function: Any) -> float:
    times = []
    for _ in range(REPEAT):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return min(times)


def measure(url: str, label: str) -> dict[str, float]:
    engine = make_engine(url)
    session = make_session_factory(engine)()
    department = session.scalar(select(OrgUnit.id).where(OrgUnit.name == "Dezernat 1"))
    city_scope = None
    department_scope = descendant_ids(session, [department])
    figures = {}
    for scope_name, scope in (("city", city_scope), ("dept", department_scope)):
        figures[f"{label}_dashboard_{scope_name}_s"] = best(lambda s=scope: hr.dashboard(
            session, s, unit_id=None, course_id=None, clock=CLOCK))
        figures[f"{label}_dashboard_course_{scope_name}_s"] = best(lambda s=scope: hr.dashboard(
            session, s, unit_id=None, course_id="kurs-3", clock=CLOCK))
        figures[f"{label}_people_{scope_name}_s"] = best(lambda s=scope: hr.person_page(
            session, s, hr.PersonFilter(), CLOCK))
        figures[f"{label}_people_overdue_{scope_name}_s"] = best(lambda s=scope: hr.person_page(
            session, s, hr.PersonFilter(status=hr.OVERDUE, course_id="kurs-3"), CLOCK))
    started = time.perf_counter()
    agrees = all(hr._counts_by_unit(session, None, course, CLOCK)
                 == hr.recount_by_unit(session, None, course, CLOCK) for course in (None, "kurs-3"))
    figures[f"{label}_recount_city_s"] = time.perf_counter() - started
    figures[f"{label}_summary_agrees"] = float(agrees)
    figures[f"{label}_insert_20k_enrolments_s"] = insert_enrolments(session, 20_000)
    session.close()
    engine.dispose()
    for kind in ("csv", "xlsx"):
        output = subprocess.run([sys.executable, __file__, "--export", kind, "--url", url],
                                check=True, capture_output=True, text=True).stdout.split()
        figures[f"{label}_export_{kind}_s"] = float(output[0])
        figures[f"{label}_export_{kind}_rows"] = float(output[1])
        figures[f"{label}_export_{kind}_peak_rss_mb"] = float(output[2])
    return figures


def insert_enrolments(session: Any, count: int) -> float:
    """Seconds to enrol `count` people in one more mandatory course (rolled back)."""
    user_ids = list(session.scalars(select(User.id).order_by(User.id).limit(count)))
    session.rollback()
    started = time.perf_counter()
    for start in range(0, len(user_ids), 5000):
        session.execute(insert(Enrolment), [
            {"user_id": user_id, "course_id": "kurs-neu", "is_mandatory": True,
             "assigned_at": NOW, "due_at": NOW + timedelta(days=30)}
            for user_id in user_ids[start:start + 5000]])
    session.flush()
    elapsed = time.perf_counter() - started
    session.rollback()
    return elapsed


def export_only(kind: str, url: str) -> None:
    """Child process: export every row, print seconds, rows and peak RSS (MB)."""
    engine = make_engine(url)
    session = make_session_factory(engine)()
    started = time.perf_counter()
    rows = 0

    def counted() -> Any:
        nonlocal rows
        for row in hr.person_rows(session, None, hr.PersonFilter(), CLOCK):
            rows += 1
            yield row

    chunks = (exports.csv_chunks if kind == "csv" else exports.xlsx_chunks)(
        counted(), list(hr.PERSON_FIELDS), str)
    size = sum(len(chunk) for chunk in chunks)
    elapsed = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{elapsed:.2f} {rows} {peak:.0f} {size}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--units", type=int, default=500)
    parser.add_argument("--courses", type=int, default=10)
    parser.add_argument("--sqlite", default=None, help="database file (default: temp folder)")
    parser.add_argument("--postgres", default=os.environ.get("LERNMODUL_BENCH_POSTGRES"))
    parser.add_argument("--export", choices=["csv", "xlsx"], help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.export:
        export_only(args.export, args.url)
        return
    path = args.sqlite or str(Path(tempfile.gettempdir()) / f"lernmodul-bench-hr-{args.users}.sqlite")
    targets = [("sqlite", f"sqlite:///{path}")]
    if args.postgres:
        targets.append(("pg", args.postgres))
    figures: dict[str, float] = {}
    for label, url in targets:
        generate(url, args.users, args.units, args.courses)
        figures.update(measure(url, label))
        for name, value in figures.items():
            if name.startswith(label):
                print(f"{name:40} {value:10.3f}", flush=True)
    print(" ".join(f"{k}={v:.3f}" if not k.endswith(("_rows", "_mb", "_agrees")) else f"{k}={v:.0f}"
                   for k, v in figures.items()))


if __name__ == "__main__":
    main()
