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
hashing (the load test measures the app, not argon2's deliberately slow parameters). With
--real-hashing the server uses the production argon2id parameters (web/config.py) and every
learner's stored hash is one made with them (hashed once, so that setting up is quick); the
report then adds what one password check costs (wall and CPU seconds, in-process) and whether
the logins of the run alone need more CPU than the cores give within the ramp. The server's
CPU seconds during the run (gunicorn and its workers, and the PostgreSQL backends of the
database when the server runs on this machine; from /proc) and the load client's own CPU
seconds (it runs on the same cores) are reported either way.
Needs a PostgreSQL server (--server, default $LERNMODUL_TEST_POSTGRES); a scratch database
is created there and dropped at the end.
"""

from __future__ import annotations

import sys
from pathlib import Path

# This file's folder must not shadow the standard library's `http` package; the repository
# folder is on the path for the bench modules (also when run as `python bench/load.py`).
sys.path[:] = [p for p in sys.path if not p.endswith("bench")]
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import argparse
import cProfile
import io
import logging
import os
import pstats
import random
import signal
import socket
import subprocess
import tempfile
import threading
import time

from bench.http_routes import create_database
from bench.load_journey import CSRF, ERRORS, PASSWORD, STEPS, Learner, StepFailed, journey

BIN = Path(sys.executable).parent
BASE = ("SESSION_COOKIE_SECURE = False\nLOGIN_MAX_FAILURES_PER_IP = 100000\n"
        "PUBLIC_BASE_URL = \"https://lernen.example.de\"\n")
CHEAP = ("PASSWORD_HASH_TIME_COST = 1\nPASSWORD_HASH_MEMORY_COST = 1024\n"
         "PASSWORD_HASH_PARALLELISM = 1\n")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def prepare(learners: int, real_hashing: bool) -> tuple[list[str], str, str]:
    """Migrates, imports the courses and creates the learners; returns their e-mails, the
    course id and the first unit with a quiz. With real hashing every learner gets one hash
    made with the instance's (production) parameters."""
    from sqlalchemy import update

    from lernmodul.db import migrate
    from lernmodul.db.engine import session_scope
    from lernmodul.db.models import User, utcnow
    from lernmodul.services import accounts
    from lernmodul.services.courses import CompiledCourses, latest_versions
    from lernmodul.services.passwords import HashParameters, hash_password, make_hasher
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
        cheap = make_hasher(HashParameters(time_cost=1, memory_cost=1024, parallelism=1))
        now = utcnow()
        for n, email in enumerate(emails):
            accounts.create_user(session, hasher=cheap, email=email, name=f"Load {n}",
                                 password=PASSWORD, roles=[("learner", None)], now=now)
        if real_hashing:
            session.execute(update(User).where(User.email.in_(emails))
                            .values(password_hash=hash_password(hasher, PASSWORD)))
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
    parser.add_argument("--real-hashing", action="store_true",
                        help="production argon2id parameters for the learners' passwords")
    args = parser.parse_args()
    if not args.server:
        parser.error("give --server postgresql+psycopg://user@host/db or set LERNMODUL_TEST_POSTGRES")

    url, drop = create_database(args.server, "lernmodul_load")
    try:
        with tempfile.TemporaryDirectory() as tmp:
            instance = Path(tmp) / "instance"
            instance.mkdir()
            (instance / "config.py").write_text(
                BASE + ("" if args.real_hashing else CHEAP) + f"DATABASE_URL = {url!r}\n")
            os.environ["LERNMODUL_INSTANCE_PATH"] = str(instance)
            emails, course, unit = prepare(args.learners + (40 if args.profile else 0),
                                           args.real_hashing)
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
                cpu_before, db_before = tree_cpu(server.pid), database_cpu(url)
                client_before = time.process_time()
                results, elapsed = run(port, load_emails, course, unit, args)
                server_cpu = tree_cpu(server.pid) - cpu_before
                client_cpu = time.process_time() - client_before
                rss = worker_rss_mb(server.pid)
                db_cpu = sum(cpu - db_before.get(pid, 0.0)
                             for pid, cpu in database_cpu(url).items())
            finally:
                stop_server(server)
            duplicates = count_duplicates(url)
            costs = {"server_cpu_s": server_cpu, "db_cpu_s": db_cpu, "worker_rss_mb": rss,
                     "client_cpu_s": client_cpu,
                     **password_check_cost(args)}
            report(results, elapsed, duplicates, args, costs)
            if args.profile:
                slowest = max(STEPS, key=lambda s: pct([r[1] for r in results if r[0] == s], 0.99))
                print(f"\nprofile of step '{slowest}' ({len(profile_emails)} learners, in-process):")
                print(profile_step(slowest, profile_emails, course, unit, len(profile_emails)))
                report(results, elapsed, duplicates, args, costs, only_last=True)
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


def stop_server(server: subprocess.Popen[bytes]) -> None:
    server.send_signal(signal.SIGTERM)
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()


def process_cpu(pid: int) -> float:
    """CPU seconds (user + system) a process has used so far (Linux /proc; 0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def tree_cpu(pid: int) -> float:
    """CPU seconds used so far by a process and its children."""
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        children = []
    return process_cpu(pid) + sum(tree_cpu(int(child)) for child in children)


def worker_rss_mb(pid: int) -> float:
    """The largest resident set (MB) among a gunicorn master's worker processes."""
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return 0.0
    sizes = [0.0]
    for child in children:
        for line in Path(f"/proc/{child}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                sizes.append(int(line.split()[1]) / 1024)
    return max(sizes)


def database_cpu(url: str) -> dict[int, float]:
    """CPU seconds so far of each PostgreSQL backend serving the database (when the server
    runs on this machine; its processes' /proc entries are readable)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as c:
        pids = c.execute(text("SELECT pid FROM pg_stat_activity WHERE datname = "
                              "current_database() AND pid <> pg_backend_pid()")).scalars().all()
    engine.dispose()
    return {int(pid): process_cpu(int(pid)) for pid in pids}


_CHECK_COST: dict[str, float] = {}


def password_check_cost(args: argparse.Namespace, rounds: int = 10) -> dict[str, float]:
    """Wall and CPU seconds of one password check with the server's parameters (in-process,
    measured once), and the CPU the run's logins need against what the cores give."""
    if not _CHECK_COST:
        from lernmodul.services.passwords import (
            HashParameters,
            hash_password,
            make_hasher,
            verify_password,
        )

        params = HashParameters() if args.real_hashing else HashParameters(1, 1024, 1)
        hasher = make_hasher(params)
        stored = hash_password(hasher, PASSWORD)
        wall, cpu = time.perf_counter(), time.process_time()
        for _ in range(rounds):
            verify_password(hasher, stored, PASSWORD)
        _CHECK_COST["check_ms"] = (time.perf_counter() - wall) / rounds * 1000
        _CHECK_COST["check_cpu_ms"] = (time.process_time() - cpu) / rounds * 1000
    cores = os.cpu_count() or 1
    need = args.learners * _CHECK_COST["check_cpu_ms"] / 1000 / cores  # seconds of all cores
    return {**_CHECK_COST, "login_hash_core_s": need, "login_hash_share": need / args.ramp}


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
           args: argparse.Namespace, costs: dict[str, float], only_last: bool = False) -> None:
    hashing = "real" if args.real_hashing else "cheap"
    pairs = [f"learners={args.learners}", f"ramp_s={args.ramp:.0f}", f"workers={args.workers}",
             f"threads={args.threads}", f"hashing={hashing}", f"load={os.getloadavg()[0]:.2f}"]
    if not only_last:
        print(f"{args.learners} learners starting within {args.ramp:.0f} s; lernmodul serve "
              f"{args.workers} workers x {args.threads} threads; PostgreSQL; {hashing} password "
              f"hashing; {elapsed:.1f} s; load average {os.getloadavg()[0]:.2f}")
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
    cpu_per_journey = costs["server_cpu_s"] / max(1, args.learners)
    db_per_journey = costs["db_cpu_s"] / max(1, args.learners)
    client_per_journey = costs["client_cpu_s"] / max(1, args.learners)
    if not only_last:
        print(f"server CPU: {costs['server_cpu_s']:.1f} s in all, {cpu_per_journey * 1000:.0f} ms "
              f"per learner's journey (all four steps, 9 requests); PostgreSQL backends: "
              f"{costs['db_cpu_s']:.1f} s, {db_per_journey * 1000:.0f} ms per journey; the load "
              f"client: {client_per_journey * 1000:.0f} ms per journey; largest worker "
              f"{costs['worker_rss_mb']:.0f} MB resident")
        print(f"one password check ({hashing} parameters, in-process): "
              f"{costs['check_ms']:.1f} ms wall, {costs['check_cpu_ms']:.1f} ms CPU; "
              f"{args.learners} logins need {costs['login_hash_core_s']:.1f} s of all "
              f"{os.cpu_count()} cores = {costs['login_hash_share'] * 100:.0f} % of the "
              f"{args.ramp:.0f} s ramp")
    pairs += [f"completed={completed}", f"errors={total_errors}", f"duplicates={duplicates}",
              f"server_cpu_s={costs['server_cpu_s']:.1f}",
              f"cpu_ms_per_journey={cpu_per_journey * 1000:.0f}",
              f"db_cpu_ms_per_journey={db_per_journey * 1000:.0f}",
              f"client_cpu_ms_per_journey={client_per_journey * 1000:.0f}",
              f"worker_rss_mb={costs['worker_rss_mb']:.0f}",
              f"check_ms={costs['check_ms']:.1f}", f"check_cpu_ms={costs['check_cpu_ms']:.1f}",
              f"login_hash_share={costs['login_hash_share']:.2f}"]
    print(" ".join(pairs))


if __name__ == "__main__":
    main()
