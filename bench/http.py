"""Benchmark: lernmodul under gunicorn on loopback, against a bare Flask route.

Measures, in one run and with the same load client and gunicorn settings:
- the unit page of the real course for logged-in learners (GET),
- quiz submission: each request submits a different open attempt with answers (POST, graded,
  one result row written),
- a bare Flask route rendering a template of the same size as the unit page (the ceiling).
Prints requests/s, p50 and p99 per step and the ratios to the ceiling. Last line: figures.

The load client is wrk (Debian package `wrk`) where it is installed, else Python threads;
both run on the same 2 cores as the server, and all three steps use the same client.
"""

from __future__ import annotations

import sys

# This file's folder must not shadow the standard library's `http` package.
sys.path[:] = [p for p in sys.path if not p.endswith("bench")]

import argparse
import http.client
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
PASSWORD = "ruhige-Taube-fliegt-2026"
COURSE = "bedrohungsmanagement"
UNIT = "grundlagen"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on {port}")


def gunicorn(app: str, port: int, workers: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [str(BIN / "gunicorn"), "--workers", str(workers), "--worker-class", "sync",
         "--bind", f"127.0.0.1:{port}", "--log-level", "warning", "--chdir", str(REPO), app],
        env={**os.environ, **env}, stdout=subprocess.DEVNULL)
    wait_for(port)
    return proc


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()


class Client:
    """One keep-alive connection that speaks for several learners (a session cookie each)."""

    def __init__(self, port: int) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.cookies: dict[str, str] = {}
        self.who = ""

    def request(self, method: str, path: str, form: dict[str, str] | None = None
                ) -> tuple[int, str, dict[str, str]]:
        cookie = self.cookies.get(self.who, "")
        headers = {"Cookie": cookie} if cookie else {}
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        self.conn.request(method, path, body=body, headers=headers)
        response = self.conn.getresponse()
        text = response.read().decode("utf-8", "replace")
        for name, value in response.getheaders():
            if name.lower() == "set-cookie" and value.startswith("lernmodul_session="):
                self.cookies[self.who] = value.split(";", 1)[0]
        return response.status, text, dict(response.getheaders())

    def login(self, email: str) -> str:
        """Signs the learner in; returns a CSRF token of their session."""
        self.who = email
        _, page, _ = self.request("GET", "/login")
        status, _, _ = self.request("POST", "/login", {
            "csrf_token": CSRF.search(page).group(1), "login": email, "password": PASSWORD})
        if status != 302:
            raise RuntimeError(f"login failed for {email}: {status}")
        return CSRF.search(self.request("GET", "/")[1]).group(1)


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


def run_load(port: int, clients: list[Client], seconds: float,
             work: callable) -> tuple[float, list[float], int]:  # type: ignore[valid-type]
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def loop(index: int, client: Client) -> None:
        nonlocal errors
        own: list[float] = []
        bad = 0
        step = 0
        while time.monotonic() < stop_at:
            start = time.perf_counter()
            ok = work(index, step, client)
            if ok is None:
                break
            own.append(time.perf_counter() - start)
            bad += 0 if ok else 1
            step += 1
        with lock:
            latencies.extend(own)
            errors += bad

    threads = [threading.Thread(target=loop, args=(i, c)) for i, c in enumerate(clients)]
    began = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - began
    return len(latencies) / elapsed, latencies, errors


WRK_LATENCY = re.compile(r"^\s+(50|99)(?:\.000)?%\s+([\d.]+)(us|ms|s)\s*$", re.MULTILINE)


def wrk(url: str, seconds: float, connections: int, headers: dict[str, str] | None = None,
        script: str | None = None) -> tuple[float, float, float, int]:
    """req/s, p50 ms, p99 ms and errors (socket errors and non-2xx/3xx) from one wrk run."""
    command = ["wrk", "--latency", "-t", "2", "-c", str(connections), "-d", f"{seconds:.0f}s"]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    if script:
        command += ["-s", script]
    out = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}
    lat = {m.group(1): float(m.group(2)) * scale[m.group(3)] for m in WRK_LATENCY.finditer(out)}
    errors = 0
    non_ok = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if non_ok:
        errors += int(non_ok.group(1))
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if sock:
        errors += sum(int(x) for x in sock.groups())
    return rps, lat.get("50", float("nan")), lat.get("99", float("nan")), errors


def submission_script(path: Path, items: list[tuple[str, str, int]]) -> None:
    """A wrk Lua script: every request submits the next open attempt of the thread's share."""
    rows = ",\n".join(f'{{"{cookie}", "{token}", {attempt}}}' for cookie, token, attempt in items)
    path.write_text(f"""
local items = {{
{rows}
}}
local count = 0
function setup(thread)
  count = count + 1
  thread:set("tid", count - 1)
end
function init(args)
  index = tid + 1
end
function request()
  local item = items[index]
  index = index + 2
  if item == nil then item = items[1] end
  local body = "csrf_token=" .. item[2] .. "&revision=0&action=submit&confirm_incomplete=1"
  return wrk.format("POST", "/attempts/" .. item[3],
    {{["Cookie"] = item[1], ["Content-Type"] = "application/x-www-form-urlencoded"}}, body)
end
""")


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def summary(rps: float, latencies: list[float], errors: int) -> tuple[float, float, float, int]:
    return rps, pct(latencies, 0.5), pct(latencies, 0.99), errors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=8, help="concurrent connections")
    parser.add_argument("--learners", type=int, default=40, help="learners per connection")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--python-client", action="store_true", help="do not use wrk")
    args = parser.parse_args()
    use_wrk = shutil.which("wrk") is not None and not args.python_client

    with tempfile.TemporaryDirectory() as tmp:
        instance = Path(tmp) / "instance"
        instance.mkdir()
        # plain http on loopback; cheap password hashing so that setting up hundreds of
        # learners is quick (logins are not part of what is measured)
        (instance / "config.py").write_text(
            "SESSION_COOKIE_SECURE = False\nPASSWORD_HASH_TIME_COST = 1\n"
            "PASSWORD_HASH_MEMORY_COST = 1024\nPASSWORD_HASH_PARALLELISM = 1\n"
            "LOGIN_MAX_FAILURES_PER_IP = 1000\n")
        os.environ["LERNMODUL_INSTANCE_PATH"] = str(instance)
        plan = prepare(args.clients * args.learners)
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
            if use_wrk:
                unit = wrk(f"http://127.0.0.1:{port}{unit_path}", args.seconds, args.clients,
                           {"Cookie": clients[0].cookies[clients[0].who]})
                items = [(clients[i].cookies[email], token, attempt)
                         for i, work in enumerate(work_lists) for email, token, attempt in work]
                script = Path(tmp) / "submit.lua"
                submission_script(script, items)
                submit = wrk(f"http://127.0.0.1:{port}/", args.seconds, args.clients,
                             script=str(script))
            else:
                unit = summary(*run_load(port, clients, args.seconds, get_unit))
                submit = summary(*run_load(port, clients, args.seconds, submit_next))
        finally:
            stop(server)
        from sqlalchemy import text

        from lernmodul.db.engine import make_engine

        engine = make_engine(f"sqlite:///{instance / 'lernmodul.sqlite'}")
        with engine.connect() as conn:
            results = conn.execute(text("SELECT count(*) FROM attempt_results")).scalar()
            duplicates = conn.execute(text(
                "SELECT count(*) FROM (SELECT attempt_id FROM attempt_results "
                "GROUP BY attempt_id HAVING count(*) > 1) d")).scalar()
        engine.dispose()

        bare_port = free_port()
        bare_server = gunicorn("bench.bare_app:create_app()", bare_port, args.workers,
                               {"BARE_PAGE_BYTES": str(page_bytes)})
        try:
            bare_clients = [Client(bare_port) for _ in range(args.clients)]
            bare_bytes = len(bare_clients[0].request("GET", "/page")[1].encode())

            def get_bare(_i: int, _step: int, client: Client) -> bool:
                return client.request("GET", "/page")[0] == 200

            run_load(bare_port, bare_clients, 1.0, get_bare)
            if use_wrk:
                bare = wrk(f"http://127.0.0.1:{bare_port}/page", args.seconds, args.clients)
            else:
                bare = summary(*run_load(bare_port, bare_clients, args.seconds, get_bare))
        finally:
            stop(bare_server)

    client_name = "wrk" if use_wrk else "Python threads"
    print(f"gunicorn {args.workers} sync workers, {args.clients} connections ({client_name}), "
          f"{args.seconds:.0f} s per step, SQLite")
    rows = [(f"unit page ({page_bytes} bytes)", unit),
            ("quiz submission (graded)", submit),
            (f"bare Flask page ({bare_bytes} bytes)", bare)]
    for label, (rps, p50, p99, errors) in rows:
        print(f"{label:32} {rps:7.0f} req/s  p50 {p50:6.1f} ms  p99 {p99:6.1f} ms  "
              f"errors {errors}")
    print(f"result rows written: {results}, attempts graded twice: {duplicates}")
    print(f"unit_rps={unit[0]:.0f} unit_p50_ms={unit[1]:.1f} unit_p99_ms={unit[2]:.1f} "
          f"submit_rps={submit[0]:.0f} submit_p50_ms={submit[1]:.1f} "
          f"submit_p99_ms={submit[2]:.1f} bare_rps={bare[0]:.0f} "
          f"unit_ratio={unit[0] / bare[0]:.2f} submit_ratio={submit[0] / bare[0]:.2f} "
          f"errors={unit[3] + submit[3] + bare[3]} duplicates={duplicates}")


if __name__ == "__main__":
    main()
