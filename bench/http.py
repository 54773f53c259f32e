"""Benchmark: lernmodul under gunicorn on loopback, against bare Flask routes.

Measures, in one run per database and with the same load client and gunicorn settings:
- the unit page of the real course for logged-in learners (GET),
- quiz submission: each request submits a different open attempt with answers (POST, graded,
  one result row written),
- a bare Flask route rendering a template of the same size as the unit page (the ceiling of
  a page),
- the same bare page for a signed-in visitor: a signed session cookie and one primary-key
  read of a row in the same database (the floor of any page that checks its session
  against the database, as every lernmodul page does),
- a bare Flask route doing one small transaction in the same database: read a row, update
  it, insert a row (the ceiling of a write request; bench/bare_app.py).
Prints requests/s, p50 and p99 per route, the ratios unit page / bare page and graded
submission / bare write (and signed-in bare page / bare page: how far below the bare page
even the floor of a signed-in page lies), and the 1-minute load average before each route (the machine may
be shared). SQLite always; with --postgres URL also a fresh PostgreSQL database on that
server (dropped at the end). Last line: figures, prefixed sqlite_ and pg_.

The load client is wrk (Debian package `wrk`) where it is installed, else Python threads;
both run on the same cores as the server, and all routes use the same client.
"""

from __future__ import annotations

import sys
from pathlib import Path

# This file's folder must not shadow the standard library's `http` package; the repository
# folder is on the path for `bench.http_routes` (also when run as `python bench/http.py`).
sys.path[:] = [p for p in sys.path if not p.endswith("bench")]
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import argparse
import os
import secrets
import shutil
import tempfile

from bench.bare_app import count_events, create_tables
from bench.http_routes import (
    PASSWORD,
    Client,
    create_database,
    free_port,
    gunicorn,
    post_script,
    run_load,
    stop,
    submission_script,
    summary,
    wrk,
)

COURSE = "bedrohungsmanagement"
UNIT = "grundlagen"
Figures = tuple[float, float, float, int]  # req/s, p50 ms, p99 ms, errors


def prepare(learners: int) -> dict[str, list[int]]:
    """Migrates, imports the courses and creates learners, each with an open quiz attempt in
    every unit (a learner has at most one open attempt per quiz)."""
    from lernmodul.db import migrate
    from lernmodul.db.engine import session_scope
    from lernmodul.db.models import utcnow
    from lernmodul.services import accounts, learning
    from lernmodul.services.courses import CompiledCourses, find_latest_version
    from lernmodul.web import create_app
    from lernmodul.web.auth import auth_settings
    from lernmodul.web.commands import load_courses
    from lernmodul.web.database import get_database

    app = create_app()
    database = get_database(app)
    migrate.upgrade(database.engine)
    load_courses(app)
    plan: dict[str, list[int]] = {}
    now = utcnow()
    with session_scope(database.sessions) as session:
        version = find_latest_version(session, COURSE)
        assert version is not None
        course = CompiledCourses().get(version, "media/")
        for n in range(learners):
            email = f"bench{n}@example.org"
            user = accounts.create_user(session, hasher=auth_settings(app).hasher, email=email,
                                        name=f"Bench {n}", password=PASSWORD,
                                        roles=[("learner", None)], now=now)
            enrolment = learning.start_course(session, user.id, version, now)
            plan[email] = [
                learning.start_attempt(session, enrolment=enrolment, course=course,
                                       unit_id=unit.id, seed=secrets.randbelow(2**31),
                                       now=now).id
                for unit in course.units if unit.quiz is not None]
    database.engine.dispose()
    return plan



def measure(args: argparse.Namespace, folder: Path, database_url: str | None,
            use_wrk: bool) -> dict[str, object]:
    """The four routes on one database (None: a SQLite file in a fresh instance folder)."""
    from sqlalchemy import text

    from lernmodul.db.engine import make_engine

    instance = folder / "instance"
    instance.mkdir(parents=True)
    url = database_url or f"sqlite:///{instance / 'lernmodul.sqlite'}"
    # plain http on loopback; cheap password hashing so that setting up hundreds of
    # learners is quick (logins are not part of what is measured)
    (instance / "config.py").write_text(
        "SESSION_COOKIE_SECURE = False\nPASSWORD_HASH_TIME_COST = 1\n"
        "PASSWORD_HASH_MEMORY_COST = 1024\nPASSWORD_HASH_PARALLELISM = 1\n"
        f"LOGIN_MAX_FAILURES_PER_IP = 1000\nDATABASE_URL = {url!r}\n")
    os.environ["LERNMODUL_INSTANCE_PATH"] = str(instance)
    plan = prepare(args.clients * args.learners)
    loads: dict[str, float] = {}
    port = free_port()
    server = gunicorn("lernmodul.web:create_app()", port, args.workers,
                      {"LERNMODUL_INSTANCE_PATH": str(instance)})
    try:
        clients = [Client(port) for _ in range(args.clients)]
        emails = list(plan)
        # per connection: [(email, csrf token, attempt id), ...] in submission order
        work_lists: list[list[tuple[str, str, int]]] = []
        for index, client in enumerate(clients):
            mine = emails[index::args.clients]
            tokens = {email: client.login(email) for email in mine}
            rounds = max(len(a) for a in plan.values())
            work_lists.append([(email, tokens[email], plan[email][r])
                               for r in range(rounds) for email in mine
                               if r < len(plan[email])])
        unit_path = f"/courses/{COURSE}/units/{UNIT}"
        status, page, _ = clients[0].request("GET", unit_path)
        assert status == 200, status
        page_bytes = len(page.encode())

        def get_unit(_i: int, _step: int, client: Client) -> bool:
            return client.request("GET", unit_path)[0] == 200

        def submit_next(index: int, step: int, client: Client) -> bool | None:
            if step >= len(work_lists[index]):
                return None  # no open attempt left for this connection
            email, token, attempt = work_lists[index][step]
            client.who = email
            status, _, headers = client.request("POST", f"/attempts/{attempt}", {
                "csrf_token": token, "revision": "0", "action": "submit",
                "confirm_incomplete": "1"})
            return status == 303 and headers.get("Location", "").endswith("/result")

        run_load(port, clients, 1.0, get_unit)  # warm-up: each worker compiles the course
        loads["unit"] = os.getloadavg()[0]
        if use_wrk:
            unit = wrk(f"http://127.0.0.1:{port}{unit_path}", args.seconds, args.clients,
                       {"Cookie": clients[0].cookies[clients[0].who]})
            items = [(clients[i].cookies[email], token, attempt)
                     for i, work in enumerate(work_lists) for email, token, attempt in work]
            script = folder / "submit.lua"
            submission_script(script, items)
            loads["submit"] = os.getloadavg()[0]
            submit = wrk(f"http://127.0.0.1:{port}/", args.seconds, args.clients,
                         script=str(script))
        else:
            unit = summary(*run_load(port, clients, args.seconds, get_unit))
            loads["submit"] = os.getloadavg()[0]
            submit = summary(*run_load(port, clients, args.seconds, submit_next))
    finally:
        stop(server)
    engine = make_engine(url)
    with engine.connect() as conn:
        results = conn.execute(text("SELECT count(*) FROM attempt_results")).scalar()
        duplicates = conn.execute(text(
            "SELECT count(*) FROM (SELECT attempt_id FROM attempt_results "
            "GROUP BY attempt_id HAVING count(*) > 1) d")).scalar()
    engine.dispose()

    create_tables(url)
    bare_port = free_port()
    bare_server = gunicorn("bench.bare_app:create_app()", bare_port, args.workers,
                           {"BARE_PAGE_BYTES": str(page_bytes), "BARE_DATABASE_URL": url})
    try:
        bare_clients = [Client(bare_port) for _ in range(args.clients)]
        bare_bytes = len(bare_clients[0].request("GET", "/page")[1].encode())

        def get_bare(_i: int, _step: int, client: Client) -> bool:
            return client.request("GET", "/page")[0] == 200

        def post_bare(_i: int, _step: int, client: Client) -> bool:
            return client.request("POST", "/write", {})[0] == 200

        def get_signed_in(_i: int, _step: int, client: Client) -> bool:
            return client.request("GET", "/signed-in")[0] == 200

        for client in bare_clients:
            assert client.request("GET", "/sign-in")[0] == 200
        run_load(bare_port, bare_clients, 1.0, get_signed_in)

        run_load(bare_port, bare_clients, 1.0, get_bare)
        run_load(bare_port, bare_clients, 1.0, post_bare)
        warm_events = count_events(url)
        if use_wrk:
            loads["bare_page"] = os.getloadavg()[0]
            bare = wrk(f"http://127.0.0.1:{bare_port}/page", args.seconds, args.clients)
            loads["bare_signed_in"] = os.getloadavg()[0]
            signed_in = wrk(f"http://127.0.0.1:{bare_port}/signed-in", args.seconds,
                            args.clients, {"Cookie": bare_clients[0].cookies[""]})
            script = folder / "write.lua"
            post_script(script)
            loads["bare_write"] = os.getloadavg()[0]
            write = wrk(f"http://127.0.0.1:{bare_port}/write", args.seconds, args.clients,
                        script=str(script))
        else:
            loads["bare_page"] = os.getloadavg()[0]
            bare = summary(*run_load(bare_port, bare_clients, args.seconds, get_bare))
            loads["bare_signed_in"] = os.getloadavg()[0]
            signed_in = summary(*run_load(bare_port, bare_clients, args.seconds,
                                          get_signed_in))
            loads["bare_write"] = os.getloadavg()[0]
            write = summary(*run_load(bare_port, bare_clients, args.seconds, post_bare))
    finally:
        stop(bare_server)
    return {"unit": unit, "submit": submit, "bare_page": bare,
            "bare_signed_in": signed_in, "bare_write": write,
            "page_bytes": page_bytes, "bare_bytes": bare_bytes, "results": results,
            "duplicates": duplicates, "writes": count_events(url) - warm_events, "loads": loads,
            # wrk sends the first attempt again when a thread's share is used up (the Python
            # client stops instead)
            "ran_out": use_wrk and (results or 0) < submit[0] * args.seconds * 0.95}


def report(name: str, figures: dict[str, object], args: argparse.Namespace, client: str) -> str:
    """Prints the table of one database; returns its name=value pairs."""
    unit, submit, bare, write = (figures[k] for k in ("unit", "submit", "bare_page", "bare_write"))
    loads = figures["loads"]
    print(f"\n{name}: gunicorn {args.workers} sync workers, {args.clients} connections "
          f"({client}), {args.seconds:.0f} s per route")
    rows = [("unit", f"unit page ({figures['page_bytes']} bytes)", unit),
            ("submit", "quiz submission (graded)", submit),
            ("bare_page", f"bare Flask page ({figures['bare_bytes']} bytes)", bare),
            ("bare_signed_in", "bare page, signed in (1 read)", figures["bare_signed_in"]),
            ("bare_write", "bare write (read+update+insert)", write)]
    for key, label, (rps, p50, p99, errors) in rows:  # type: ignore[misc]
        print(f"{label:34} {rps:7.0f} req/s  p50 {p50:6.1f} ms  p99 {p99:6.1f} ms  "
              f"errors {errors}  load {loads[key]:.2f}")  # type: ignore[index]
    unit_ratio = unit[0] / bare[0]  # type: ignore[index]
    submit_ratio = submit[0] / write[0]  # type: ignore[index]
    floor_ratio = figures["bare_signed_in"][0] / bare[0]  # type: ignore[index]
    print(f"unit page / bare page {unit_ratio:.2f}; graded submission / bare write "
          f"{submit_ratio:.2f}; bare signed-in page / bare page {floor_ratio:.2f}")
    print(f"result rows written: {figures['results']}, attempts graded twice: "
          f"{figures['duplicates']}, bare write rows: {figures['writes']}")
    if figures["ran_out"]:
        print("note: fewer results than submissions: the open attempts ran out, so the "
              "submission figures include re-submissions and are not valid (give more --learners)")
    errors = sum(f[3] for f in (unit, submit, bare, write,  # type: ignore[index]
                                figures["bare_signed_in"]))
    pairs = []
    for key, (rps, p50, p99, _errors) in ((k, figures[k]) for k in
                                           ("unit", "submit", "bare_page", "bare_signed_in",
                                            "bare_write")):
        pairs += [f"{key}_rps={rps:.0f}", f"{key}_p50_ms={p50:.1f}", f"{key}_p99_ms={p99:.1f}"]
    pairs += [f"unit_ratio={unit_ratio:.2f}", f"submit_ratio={submit_ratio:.2f}",
              f"signed_in_floor_ratio={floor_ratio:.2f}",
              f"submit_valid={0 if figures['ran_out'] else 1}",
              f"errors={errors}", f"duplicates={figures['duplicates']}",
              f"load={max(loads.values()):.2f}"]  # type: ignore[attr-defined]
    return " ".join(f"{name}_{pair}" for pair in pairs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=8, help="concurrent connections")
    parser.add_argument("--learners", type=int, default=120,
                        help="learners per connection (each with one open attempt per quiz: enough "
                             "that no connection runs out within --seconds)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--python-client", action="store_true", help="do not use wrk")
    parser.add_argument("--postgres", metavar="URL",
                        help="also on a fresh database on this PostgreSQL server "
                             "(postgresql+psycopg://user@host/db, dropped at the end)")
    args = parser.parse_args()
    use_wrk = shutil.which("wrk") is not None and not args.python_client
    client = "wrk" if use_wrk else "Python threads"
    measured: list[tuple[str, dict[str, object]]] = []
    with tempfile.TemporaryDirectory() as tmp:
        measured.append(("sqlite", measure(args, Path(tmp) / "sqlite", None, use_wrk)))
        if args.postgres:
            url, drop = create_database(args.postgres)
            try:
                measured.append(("pg", measure(args, Path(tmp) / "pg", url, use_wrk)))
            finally:
                drop()
    lines = [report(name, figures, args, client) for name, figures in measured]
    print(" ".join(lines))


if __name__ == "__main__":
    main()
