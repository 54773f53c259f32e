"""Load test: a synchronized start of many learners against `lernmodul serve` + PostgreSQL.

Each simulated learner starts at a random moment within the ramp (default: 500 learners
within 60 s, as when a department is told to start at 9:00) and walks through:
  login   GET /login, POST /login
  unit    POST /courses/<course>/start, GET the unit page
  start   POST the unit's quiz form, GET the attempt page
  submit  POST the answers, GET the result page
on the real course in courses/. Prints per step: count, errors, throughput, p50/p95/p99
(a step's latency is the sum of its requests). With --profile, the slowest step then runs
in-process under cProfile and the top functions are printed. Last line: name=value pairs.

Users are created directly through the services, in a temporary instance with cheap password
hashing (the load test measures the app, not argon2's deliberately slow parameters).
Needs a PostgreSQL server (--server, default $LERNMODUL_TEST_POSTGRES); a scratch database
is created there and dropped at the end.
"""

from __future__ import annotations

import sys

# This file's folder must not shadow the standard library's `http` package.
sys.path[:] = [p for p in sys.path if not p.endswith("bench")]

import argparse
import cProfile
import http.client
import io
import logging
import os
import pstats
import random
import re
import secrets
import signal
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

BIN = Path(sys.executable).parent
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
PASSWORD = "ruhige-Taube-fliegt-2026"
STEPS = ("login", "unit", "start", "submit")
CHEAP = ("SESSION_COOKIE_SECURE = False\nPASSWORD_HASH_TIME_COST = 1\n"
         "PASSWORD_HASH_MEMORY_COST = 1024\nPASSWORD_HASH_PARALLELISM = 1\n"
         "LOGIN_MAX_FAILURES_PER_IP = 100000\nPUBLIC_BASE_URL = \"https://lernen.example.de\"\n")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class StepFailed(Exception):
    pass


class Learner:
    """One browser: its own keep-alive connection and cookies."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: dict[str, str] | None = None,
                expect: int = 200) -> tuple[str, dict[str, str]]:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        for retry in (True, False):
            try:
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                text = response.read().decode("utf-8", "replace")
                break
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                self.conn.close()  # a keep-alive connection the server closed: once more
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                if not retry:
                    raise
        got = {k.lower(): v for k, v in response.getheaders()}
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                key, _, rest = value.partition("=")
                self.cookies[key] = rest.split(";", 1)[0]
        if response.status != expect:
            raise StepFailed(f"{method} {path}: {response.status}")
        return text, got

    def token(self, html: str) -> str:
        match = CSRF.search(html)
        if match is None:
            raise StepFailed("no CSRF token")
        return match.group(1)


def location_path(headers: dict[str, str]) -> str:
    location = headers.get("location", "")
    return "/" + location.split("://", 1)[-1].partition("/")[2] if "://" in location else location


def journey(learner: Learner, email: str, course: str, unit: str) -> list[tuple[str, float, bool]]:
    """The four steps; returns (step, seconds, ok) for each step reached."""
    out: list[tuple[str, float, bool]] = []
    state: dict[str, str] = {}

    def login() -> None:
        page, _ = learner.request("GET", "/login")
        learner.request("POST", "/login", {"csrf_token": learner.token(page), "login": email,
                                           "password": PASSWORD}, expect=302)
        state["token"] = learner.token(learner.request("GET", "/accessibility")[0])

    def open_unit() -> None:
        learner.request("POST", f"/courses/{course}/start",
                                     {"csrf_token": state["token"]}, expect=303)
        learner.request("GET", f"/courses/{course}/units/{unit}")

    def start_quiz() -> None:
        _, headers = learner.request("POST", f"/courses/{course}/units/{unit}/quiz",
                                     {"csrf_token": state["token"]}, expect=303)
        state["attempt"] = location_path(headers)
        page, _ = learner.request("GET", state["attempt"])
        state["revision"] = re.search(r'name="revision"[^>]*value="(\d+)"', page).group(1)

    def submit() -> None:
        _, headers = learner.request("POST", state["attempt"], {
            "csrf_token": state["token"], "revision": state["revision"], "action": "submit",
            "confirm_incomplete": "1"}, expect=303)
        learner.request("GET", location_path(headers))

    for name, action in zip(STEPS, (login, open_unit, start_quiz, submit), strict=True):
        began = time.perf_counter()
        try:
            action()
        except (StepFailed, OSError, AttributeError) as error:
            out.append((name, time.perf_counter() - began, False))
            ERRORS.append(f"{name}: {error}")
            return out
        out.append((name, time.perf_counter() - began, True))
    return out


ERRORS: list[str] = []


def create_database(server: str) -> tuple[str, callable]:  # type: ignore[valid-type]
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    name = f"lernmodul_load_{secrets.token_hex(4)}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.exec_driver_sql(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with admin.connect() as c:
            c.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()

    return make_url(server).set(database=name).render_as_string(hide_password=False), drop


def prepare(learners: int) -> tuple[list[str], str, str]:
    """Migrates, imports the courses and creates the learners; returns their e-mails, the
    course id and the first unit with a quiz."""
    from lernmodul.db import migrate
    from lernmodul.db.engine import session_scope
    from lernmodul.db.models import utcnow
    from lernmodul.services import accounts
    from lernmodul.services.courses import CompiledCourses, latest_versions
    from lernmodul.web import create_app
    from lernmodul.web.auth import auth_settings
    from lernmodul.web.commands import load_courses
    from lernmodul.web.database import get_database

    app = create_app()
    database = get_database(app)
    migrate.upgrade(database.engine)
    load_courses(app)
    emails = [f"load{n}@example.org" for n in range(learners)]
    with session_scope(database.sessions) as session:
        version = latest_versions(session)[0]
        course = CompiledCourses().get(version, "media/")
        unit = next(u.id for u in course.units if u.quiz is not None)
        course_id = version.course_id
        hasher = auth_settings(app).hasher
        now = utcnow()
        for n, email in enumerate(emails):
            accounts.create_user(session, hasher=hasher, email=email, name=f"Load {n}",
                                 password=PASSWORD, roles=[("learner", None)], now=now)
    database.engine.dispose()
    return emails, course_id, unit


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def profile_step(step: str, emails: list[str], course: str, unit: str, rounds: int) -> str:
    """Runs `step` for fresh learners in-process (Flask test client) under cProfile."""
    from lernmodul.web import create_app

    app = create_app()
    logging.getLogger("lernmodul").setLevel(logging.WARNING)  # no login lines in the profile
    clients = []
    for email in emails[:rounds]:
        client = app.test_client()
        page = client.get("/login").get_data(as_text=True)
        client.post("/login", data={"csrf_token": CSRF.search(page).group(1), "login": email,
                                    "password": PASSWORD})
        token = CSRF.search(client.get("/accessibility").get_data(as_text=True)).group(1)
        clients.append((client, token, email))
    if step in ("start", "submit"):
        for client, token, _ in clients:
            client.post(f"/courses/{course}/start", data={"csrf_token": token})
    attempts = {}
    if step == "submit":
        for client, token, email in clients:
            response = client.post(f"/courses/{course}/units/{unit}/quiz", data={"csrf_token": token})
            attempts[email] = response.headers["Location"]
    profiler = cProfile.Profile()
    profiler.enable()
    for client, token, email in clients:
        if step == "login":
            client.get("/login")
            client.post("/login", data={"csrf_token": token, "login": email, "password": PASSWORD})
        elif step == "unit":
            client.post(f"/courses/{course}/start", data={"csrf_token": token})
            client.get(f"/courses/{course}/units/{unit}")
        elif step == "start":
            response = client.post(f"/courses/{course}/units/{unit}/quiz", data={"csrf_token": token})
            client.get(response.headers["Location"])
        else:
            response = client.post(attempts[email], data={
                "csrf_token": token, "revision": "0", "action": "submit", "confirm_incomplete": "1"})
            client.get(response.headers["Location"])
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats(18)
    stats.sort_stats("tottime").print_stats(12)
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--learners", type=int, default=500)
    parser.add_argument("--ramp", type=float, default=60, help="seconds over which they start")
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--server", default=os.environ.get("LERNMODUL_TEST_POSTGRES"),
                        help="PostgreSQL server URL with a database to connect to "
                             "(default $LERNMODUL_TEST_POSTGRES)")
    parser.add_argument("--profile", action="store_true",
                        help="profile the slowest step in-process afterwards")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if not args.server:
        parser.error("give --server postgresql+psycopg://user@host/db or set LERNMODUL_TEST_POSTGRES")

    url, drop = create_database(args.server)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            instance = Path(tmp) / "instance"
            instance.mkdir()
            (instance / "config.py").write_text(CHEAP + f"DATABASE_URL = {url!r}\n")
            os.environ["LERNMODUL_INSTANCE_PATH"] = str(instance)
            emails, course, unit = prepare(args.learners + (40 if args.profile else 0))
            load_emails, profile_emails = emails[:args.learners], emails[args.learners:]
            port = free_port()
            server = subprocess.Popen(
                [str(BIN / "lernmodul"), "serve", "--bind", f"127.0.0.1:{port}",
                 "--workers", str(args.workers), "--threads", str(args.threads)],
                env={**os.environ, "LERNMODUL_INSTANCE_PATH": str(instance)},
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                deadline = time.monotonic() + 30
                while True:
                    try:
                        Learner(port).request("GET", "/healthz")
                        break
                    except (OSError, StepFailed):
                        if time.monotonic() > deadline or server.poll() is not None:
                            raise RuntimeError("the server did not start") from None
                        time.sleep(0.2)
                for _ in range(args.workers * 2):  # each worker compiles the course once
                    Learner(port).request("GET", "/login")
                results, elapsed = run(port, load_emails, course, unit, args)
            finally:
                server.send_signal(signal.SIGTERM)
                try:
                    server.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    server.kill()
            duplicates = count_duplicates(url)
            report(results, elapsed, duplicates, args)
            if args.profile:
                slowest = max(STEPS, key=lambda s: pct([r[1] for r in results if r[0] == s], 0.99))
                print(f"\nprofile of step '{slowest}' ({len(profile_emails)} learners, in-process):")
                print(profile_step(slowest, profile_emails, course, unit, len(profile_emails)))
                report(results, elapsed, duplicates, args, only_last=True)
    finally:
        drop()


def run(port: int, emails: list[str], course: str, unit: str, args: argparse.Namespace
        ) -> tuple[list[tuple[str, float, bool]], float]:
    rng = random.Random(args.seed)
    offsets = sorted(rng.uniform(0, args.ramp) for _ in emails)
    results: list[tuple[str, float, bool]] = []
    lock = threading.Lock()
    start_at = time.monotonic() + 1.0

    def one(email: str, offset: float) -> None:
        time.sleep(max(0.0, start_at + offset - time.monotonic()))
        learner = Learner(port)
        try:
            steps = journey(learner, email, course, unit)
        finally:
            learner.conn.close()
        with lock:
            results.extend(steps)

    threading.stack_size(256 * 1024)
    threads = [threading.Thread(target=one, args=(e, o)) for e, o in zip(emails, offsets, strict=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results, time.monotonic() - start_at


def count_duplicates(url: str) -> int:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as c:
        duplicates = c.execute(text(
            "SELECT count(*) FROM (SELECT attempt_id FROM attempt_results GROUP BY attempt_id "
            "HAVING count(*) > 1) d")).scalar_one()
    engine.dispose()
    return int(duplicates)


def report(results: list[tuple[str, float, bool]], elapsed: float, duplicates: int,
           args: argparse.Namespace, only_last: bool = False) -> None:
    pairs = [f"learners={args.learners}", f"ramp_s={args.ramp:.0f}", f"workers={args.workers}",
             f"threads={args.threads}"]
    if not only_last:
        print(f"{args.learners} learners starting within {args.ramp:.0f} s; lernmodul serve "
              f"{args.workers} workers x {args.threads} threads; PostgreSQL; {elapsed:.1f} s")
        print(f"{'step':8} {'count':>6} {'errors':>6} {'per s':>7} {'p50 ms':>8} {'p95 ms':>8} "
              f"{'p99 ms':>8}")
    total_errors = 0
    for step in STEPS:
        times = [t for s, t, ok in results if s == step and ok]
        errors = sum(1 for s, _, ok in results if s == step and not ok)
        total_errors += errors
        p50, p95, p99 = pct(times, 0.5), pct(times, 0.95), pct(times, 0.99)
        if not only_last:
            print(f"{step:8} {len(times):>6} {errors:>6} {len(times) / elapsed:>7.1f} "
                  f"{p50:>8.1f} {p95:>8.1f} {p99:>8.1f}")
        pairs += [f"{step}_p50_ms={p50:.0f}", f"{step}_p95_ms={p95:.0f}", f"{step}_p99_ms={p99:.0f}",
                  f"{step}_errors={errors}"]
    if not only_last:
        for line in sorted(set(ERRORS))[:10]:
            print(f"  error: {line}")
        print(f"attempts graded twice: {duplicates}")
    completed = sum(1 for s, _, ok in results if s == "submit" and ok)
    pairs += [f"completed={completed}", f"errors={total_errors}", f"duplicates={duplicates}"]
    print(" ".join(pairs))


if __name__ == "__main__":
    main()
