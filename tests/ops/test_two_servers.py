"""Scale-out: two `lernmodul serve` processes (one gunicorn worker each, different ports) on
one database. A learner alternating between them sees one state (sessions are signed
cookies checked against the database, login limits live in the database, compiled courses
are derived from the stored version in each process), and concurrent submits of the same
attempt through both servers grade it once."""

from __future__ import annotations

import http.client
import os
import re
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from tests.ops.conftest import exchange, scalar

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
ATTEMPT = re.compile(r"/attempts/(\d+)")
PASSWORD = "correct-horse-battery"
COURSE = "beispielkurs"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Browser:
    """One learner's cookies, sent to whichever server a request goes to (like one host name
    behind a load balancer). Redirects are not followed, so statuses stay visible."""

    def __init__(self) -> None:
        self.cookies: dict[str, str] = {}

    def request(self, port: int, method: str, path: str,
                form: dict[str, str] | None = None) -> tuple[int, str, dict[str, str]]:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            return exchange(conn, self.cookies, method, path, form)
        finally:
            conn.close()

    def token(self, port: int, path: str = "/accessibility") -> str:
        match = CSRF.search(self.request(port, "GET", path)[1])
        assert match, f"no CSRF token on {path}"
        return match.group(1)


@pytest.fixture
def two_servers(app, database_url, tmp_path: Path):
    """Two `lernmodul serve --workers 1` processes on one database; yields their ports."""
    instance = tmp_path / "served-instance"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("LERNMODUL_")},
        "LERNMODUL_DATABASE_URL": database_url,
        "LERNMODUL_INSTANCE_PATH": str(instance),
        "LERNMODUL_SECRET_KEY": "two-servers-shared-secret",
        "LERNMODUL_SESSION_COOKIE_SECURE": "false",
        "LERNMODUL_PUBLIC_BASE_URL": "https://lernen.example.de",
        "LERNMODUL_PASSWORD_HASH_TIME_COST": "1",
        "LERNMODUL_PASSWORD_HASH_MEMORY_COST": "8",
        "LERNMODUL_PASSWORD_HASH_PARALLELISM": "1",
    }
    ports = [free_port(), free_port()]
    servers = [subprocess.Popen(
        [sys.executable, "-m", "lernmodul", "serve", "--bind", f"127.0.0.1:{port}",
         "--workers", "1", "--threads", "4"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) for port in ports]
    try:
        deadline = time.monotonic() + 30
        for port, server in zip(ports, servers, strict=True):
            while True:
                try:
                    if Browser().request(port, "GET", "/healthz")[0] == 200:
                        break
                except OSError:
                    pass
                assert server.poll() is None, server.stderr.read().decode()
                assert time.monotonic() < deadline, "the servers did not start"
                time.sleep(0.1)
        yield ports
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait(timeout=20)


def test_a_learner_alternating_between_two_servers_sees_one_state(
        two_servers, learning_data, make_user, database_url):
    a, b = two_servers
    make_user(email="lea@example.org", name="Lea Lernende")
    browser = Browser()
    # login limits are shared: failures on A and B count together
    for n in range(5):
        port = (a, b)[n % 2]
        status, _, _ = browser.request(port, "POST", "/login", {
            "csrf_token": browser.token(port, "/login"), "login": "max@example.org",
            "password": "wrong-password-123"})
        assert status == 200
    blocked = browser.request(b, "POST", "/login", {
        "csrf_token": browser.token(b, "/login"), "login": "max@example.org",
        "password": "wrong-password-123"})
    assert blocked[0] == 429

    # signed in on A, recognised on B
    status, _, headers = browser.request(a, "POST", "/login", {
        "csrf_token": browser.token(a, "/login"), "login": "lea@example.org", "password": PASSWORD})
    assert status == 302, headers
    status, page, _ = browser.request(b, "GET", "/")
    assert status == 200 and "Lea Lernende" in page
    # a CSRF token from B is good on A (the same secret key, the token bound to the session)
    status, _, headers = browser.request(a, "POST", f"/courses/{COURSE}/start",
                                         {"csrf_token": browser.token(b)})
    assert status == 303
    unit_path = "/" + headers["location"].split("://", 1)[-1].partition("/")[2]
    assert browser.request(b, "GET", unit_path)[0] == 200  # B compiles the stored version itself
    unit_id = unit_path.rstrip("/").rsplit("/", 1)[-1]
    status, _, _ = browser.request(b, "POST", f"/courses/{COURSE}/units/{unit_id}/read",
                                   {"csrf_token": browser.token(a)})
    assert status == 303
    assert scalar(database_url, "SELECT count(*) FROM unit_progress WHERE read_at IS NOT NULL") == 1

    # the quiz started on B is the learner's open attempt on A too (one open attempt per quiz)
    starts = [browser.request(port, "POST", f"/courses/{COURSE}/units/{unit_id}/quiz",
                              {"csrf_token": browser.token(port)}) for port in (b, a)]
    attempt_ids = {ATTEMPT.search(s[2]["location"]).group(1) for s in starts}
    assert len(attempt_ids) == 1
    attempt_id = attempt_ids.pop()
    assert browser.request(a, "GET", f"/attempts/{attempt_id}")[0] == 200

    # concurrent submits of that attempt through both servers: graded exactly once
    token = browser.token(a)
    statuses: list[int] = []
    lock = threading.Lock()

    def submit(port: int) -> None:
        status, _, _ = clone(browser).request(
            port, "POST", f"/attempts/{attempt_id}",
            {"csrf_token": token, "revision": "0", "action": "submit", "confirm_incomplete": "1"})
        with lock:
            statuses.append(status)

    threads = [threading.Thread(target=submit, args=((a, b)[n % 2],)) for n in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert set(statuses) <= {303}, statuses  # each one sees the (same) result
    assert scalar(database_url, f"SELECT count(*) FROM attempt_results WHERE attempt_id = {attempt_id}") == 1
    assert scalar(database_url, "SELECT count(*) FROM attempts WHERE state = 'submitted'") == 1
    status, page, _ = browser.request(b, "GET", f"/attempts/{attempt_id}/result")
    assert status == 200

    # logging out on B ends the session on A as well (the session version is in the database)
    saved = dict(browser.cookies)
    assert browser.request(b, "POST", "/logout", {"csrf_token": browser.token(b)})[0] in (302, 303)
    replay = Browser()
    replay.cookies = saved
    status, _, headers = replay.request(a, "GET", "/")
    assert status == 302 and "/login" in headers["location"]


def clone(browser: Browser) -> Browser:
    copy = Browser()
    copy.cookies = dict(browser.cookies)
    return copy
