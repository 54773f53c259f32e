"""Question statistics over many graded exam attempts: the service and the whole trainer page.

Generates N people with one graded exam attempt each (the shipped course; 18 questions drawn
per attempt from its pools) into a fresh SQLite file (and, with --postgres URL or
LERNMODUL_BENCH_POSTGRES, a PostgreSQL database), then measures the best of five runs of
`version_statistics` and of GET /trainer/versions/<id>/statistics as a signed-in trainer.
For scale it also times plain `json.loads` of the same stored JSON (the floor of reading the
attempts in Python) and a pure-Python reference loop, so figures from a busy machine can be
judged.

    .venv/bin/python bench/item_stats.py [--people 5000] [--postgres URL]

The last line holds name=value pairs (milliseconds)."""

from __future__ import annotations

import sys

# bench/http.py must not shadow the standard library's `http` package for this script
sys.path[:] = [p for p in sys.path if not p.endswith("bench")]

import argparse
import json
import os
import random
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select, text

from lernmodul.core.grading import assemble_exam
from lernmodul.db import migrate
from lernmodul.db.engine import make_engine, make_session_factory, read_only_engine
from lernmodul.db.learning import Attempt, AttemptResult
from lernmodul.db.models import CourseVersion, Enrolment, User
from lernmodul.services import item_stats
from lernmodul.services.courses import compile_version, import_course_folder

COURSE = Path(__file__).resolve().parents[1] / "courses" / "bedrohungsmanagement"
WHEN = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
PASSWORD = "correct-horse-battery-staple-7"
REPEAT = 5


def generate(url: str, people: int) -> int:
    """A migrated database with the course and one graded exam attempt per person."""
    engine = make_engine(url)
    migrate.upgrade(engine)
    session = make_session_factory(engine)()
    version_id = import_course_folder(session, COURSE).version_id
    course = compile_version(session.get(CourseVersion, version_id), "media/").course
    assert course is not None
    rng = random.Random(7)
    session.execute(insert(User), [{"name": f"Person {i}", "email": f"p{i}@bench.example",
                                    "created_at": WHEN} for i in range(people)])
    user_ids = list(session.scalars(select(User.id).order_by(User.id)))
    session.execute(insert(Enrolment), [{"user_id": u, "course_id": course.id, "assigned_at": WHEN,
                                         "course_version_id": version_id, "started_at": WHEN}
                                        for u in user_ids])
    enrolments = {u: e for u, e in session.execute(select(Enrolment.user_id, Enrolment.id))}
    questions = course.questions()
    attempts, results = [], []
    for user_id in user_ids:
        drawn = assemble_exam(course, rng.randrange(10**9))
        ability = rng.random()
        scores, responses = {}, {}
        for d in drawn:
            question = questions[d.question_id]
            right = rng.random() < ability
            scores[question.id] = {"points": question.points if right else 0.0,
                                   "max": question.points, "marks": {}}
            if question.type.value in ("single", "truefalse"):
                key = next(o.id for o in question.options if o.is_correct)
                responses[question.id] = key if right else rng.choice(d.option_order)
            elif question.type.value == "multiple":
                responses[question.id] = sorted(rng.sample(d.option_order, 2))
        attempts.append({"user_id": user_id, "enrolment_id": enrolments[user_id],
                         "course_version_id": version_id, "kind": "exam", "unit_key": "",
                         "seed": 1, "questions": [[d.question_id, list(d.option_order)]
                                                  for d in drawn],
                         "responses": responses, "revision": 1, "state": "submitted",
                         "started_at": WHEN, "submitted_at": WHEN})
        points = sum(s["points"] for s in scores.values())
        results.append((points, sum(s["max"] for s in scores.values()), scores))
    session.execute(insert(Attempt), attempts)
    attempt_ids = {u: a for u, a in session.execute(select(Attempt.user_id, Attempt.id))}
    session.execute(insert(AttemptResult), [
        {"attempt_id": attempt_ids[u], "points": p, "max_points": m, "is_passed": p >= 0.8 * m,
         "graded_at": WHEN, "scores": s} for u, (p, m, s) in zip(user_ids, results, strict=True)])
    session.commit()
    session.close()
    engine.dispose()
    return version_id


def best(function: Callable[[], Any]) -> float:
    times = []
    for _ in range(REPEAT):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times) * 1000


def measure(url: str, version_id: int, label: str) -> dict[str, float]:
    engine = read_only_engine(make_engine(url))  # the page's GET sessions read DEFERRED too
    session = make_session_factory(engine)()
    course = compile_version(session.get(CourseVersion, version_id), "media/").course
    assert course is not None
    session.rollback()

    def service() -> None:
        item_stats.version_statistics(session, version_id, course)
        session.rollback()

    with engine.connect() as connection:
        raw = connection.execute(text(
            "SELECT a.responses, r.scores FROM attempts a JOIN attempt_results r "
            "ON r.attempt_id = a.id")).all()

    def decode() -> None:
        for responses, scores in raw:
            for value in (responses, scores):
                if isinstance(value, str):
                    json.loads(value)

    figures = {f"{label}_service_ms": best(service), f"{label}_json_floor_ms": best(decode)}
    session.close()
    engine.dispose()
    figures[f"{label}_page_ms"] = page_time(url, version_id)
    return figures


def page_time(url: str, version_id: int) -> float:
    from lernmodul.db.models import utcnow
    from lernmodul.services import accounts
    from lernmodul.web import create_app
    from lernmodul.web.auth import auth_settings
    from lernmodul.web.database import get_database

    with tempfile.TemporaryDirectory() as instance:
        app = create_app({"INSTANCE_PATH": instance, "DATABASE_URL": url, "SECRET_KEY": "bench",
                          "SESSION_COOKIE_SECURE": False, "PASSWORD_HASH_TIME_COST": 1,
                          "PASSWORD_HASH_MEMORY_COST": 8, "PASSWORD_HASH_PARALLELISM": 1})
        email = f"trainer-{random.randrange(10**9)}@bench.example"
        session = get_database(app).sessions()
        accounts.create_user(session, hasher=auth_settings(app).hasher, email=email,
                             name="Bench Trainer", password=PASSWORD, roles=[("trainer", None)],
                             now=utcnow())
        session.commit()
        session.close()
        client = app.test_client()
        page = client.get("/login").get_data(as_text=True)
        token = page.split('name="csrf_token"', 1)[1].split('value="', 1)[1].split('"', 1)[0]
        client.post("/login", data={"csrf_token": token, "login": email, "password": PASSWORD})
        path = f"/trainer/versions/{version_id}/statistics"

        def get() -> None:
            response = client.get(path)
            assert response.status_code == 200, response.status_code

        result = best(get)
        get_database(app).engine.dispose()
        return result


def reference_loop_ms() -> float:
    def loop() -> None:
        total = 0
        for i in range(1_000_000):
            total += i

    return best(loop)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=5000)
    parser.add_argument("--postgres", default=os.environ.get("LERNMODUL_BENCH_POSTGRES"))
    args = parser.parse_args()
    figures: dict[str, float] = {"reference_loop_1m_ms": reference_loop_ms()}
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/item_stats.sqlite"
        version_id = generate(url, args.people)
        figures.update(measure(url, version_id, "sqlite"))
    if args.postgres:
        from sqlalchemy.engine import make_url

        base = make_url(args.postgres)
        name = f"lernmodul_bench_items_{os.getpid()}"
        admin = make_engine(base.set(database="postgres").render_as_string(hide_password=False))
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        url = base.set(database=name).render_as_string(hide_password=False)
        try:
            version_id = generate(url, args.people)
            figures.update(measure(url, version_id, "postgresql"))
        finally:
            with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.dispose()
    print(f"{args.people} people, one graded exam attempt each (18 questions drawn from 74)")
    for name, value in figures.items():
        print(f"  {name:32} {value:8.1f}")
    print(" ".join(f"{name}={value:.1f}" for name, value in figures.items()))


if __name__ == "__main__":
    main()
