"""Scale-out behind nginx: two `lernmodul serve` processes (production configuration, one
fresh PostgreSQL database) behind the Debian nginx with an upstream of both, on loopback.
40 learners at once sign in, open a unit, start and submit its quiz through nginx: no
request fails, every attempt has exactly one result, and both servers answered requests
(counted in their access logs). No timing is asserted; bench/load.py measures."""

from __future__ import annotations

import http.client
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from tests.conftest import POSTGRES_ENV, SAMPLE_COURSE, create_postgres_database
from tests.ops.conftest import exchange, scalar

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
NAME = "lernen.example.de"
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
REVISION = re.compile(r'name="revision"[^>]*value="(\d+)"')
PASSWORD = "correct-horse-battery"
COURSE = "beispielkurs"
LEARNERS = 40
ACCESS_LINE = re.compile(r'"(GET|POST) /\S* HTTP/1\.[01]" \d{3} ')


def required(reason: str) -> None:
    """Skips on a developer machine; in CI (.ci/run installs nginx and sets the server, and
    LERNMODUL_REQUIRE_BROWSER) fails."""
    if os.environ.get("CI") or os.environ.get("LERNMODUL_REQUIRE_BROWSER"):
        pytest.fail(reason)
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(port: int, process: subprocess.Popen[bytes], what: str, log: Path) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            assert process.poll() is None, f"{what} stopped: {log.read_text('utf-8', 'replace')}"
            assert time.monotonic() < deadline, f"{what} did not start"
            time.sleep(0.1)


@dataclass(frozen=True)
class Site:
    url: str  # the database both servers use
    proxy_port: int
    logs: list[Path]  # each server's access log (gunicorn writes it to stderr)


def prepare_database(url: str) -> None:
    """Migrates, imports the sample course and creates the learners (as an operator would,
    before the servers start)."""
    from lernmodul.db import migrate
    from lernmodul.db.engine import make_engine, make_session_factory
    from lernmodul.db.models import utcnow
    from lernmodul.services import accounts
    from lernmodul.services.courses import import_course_folder
    from lernmodul.services.passwords import HashParameters, make_hasher

    engine = make_engine(url)
    try:
        migrate.upgrade(engine)
        hasher = make_hasher(HashParameters(time_cost=1, memory_cost=8, parallelism=1))
        with make_session_factory(engine)() as session:
            import_course_folder(session, SAMPLE_COURSE)
            for n in range(LEARNERS):
                accounts.create_user(session, hasher=hasher, email=f"learner{n}@example.org",
                                     name=f"Learner {n}", password=PASSWORD,
                                     roles=[("learner", None)], now=utcnow())
            session.commit()
    finally:
        engine.dispose()


def nginx_config(folder: Path, listen: int, upstreams: list[int]) -> Path:
    """An upstream of both servers; the proxy settings of docs/nginx/lernmodul.conf."""
    servers = "".join(f"        server 127.0.0.1:{port};\n" for port in upstreams)
    temp = "".join(f"    {kind}_temp_path {folder / kind};\n"
                   for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    conf = folder / "nginx.conf"
    conf.write_text(
        f"daemon off;\nmaster_process off;\npid {folder / 'nginx.pid'};\n"
        f"error_log {folder / 'error.log'} warn;\nevents {{}}\n"
        f"http {{\n    access_log off;\n{temp}"
        f"    upstream lernmodul {{\n{servers}        keepalive 16;\n    }}\n"
        f"    server {{\n        listen 127.0.0.1:{listen} default_server;\n"
        f"        server_name _;\n        return 444;\n    }}\n"
        f"    server {{\n        listen 127.0.0.1:{listen};\n        server_name {NAME};\n"
        f"        location / {{\n            proxy_pass http://lernmodul;\n"
        f"            proxy_http_version 1.1;\n            proxy_set_header Connection \"\";\n"
        f"            proxy_set_header Host $host;\n"
        f"            proxy_set_header X-Forwarded-For $remote_addr;\n"
        f"            proxy_set_header X-Forwarded-Proto $scheme;\n"
        f"            proxy_read_timeout 35s;\n        }}\n    }}\n}}\n")
    return conf


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    if not Path(NGINX).is_file():
        required("nginx is not installed (Debian: apt-get install nginx)")
    base_url = os.environ.get(POSTGRES_ENV)
    if not base_url:
        required(f"{POSTGRES_ENV} is not set: the scale-out test needs a PostgreSQL server")
    assert base_url is not None
    url, drop = create_postgres_database(base_url)
    processes: list[subprocess.Popen[bytes]] = []
    try:
        prepare_database(url)
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("LERNMODUL_")},
            "LERNMODUL_DATABASE_URL": url,
            "LERNMODUL_INSTANCE_PATH": str(tmp_path / "instance"),
            "LERNMODUL_SECRET_KEY": "scale-out-shared-secret",
            "LERNMODUL_PUBLIC_BASE_URL": f"https://{NAME}",
            "LERNMODUL_SESSION_COOKIE_SECURE": "false",  # nginx speaks plain http on loopback
            "LERNMODUL_PROXY_FIX_X_FOR": "1",
            "LERNMODUL_PROXY_FIX_X_PROTO": "1",
            "LERNMODUL_PASSWORD_HASH_TIME_COST": "1",
            "LERNMODUL_PASSWORD_HASH_MEMORY_COST": "8",
            "LERNMODUL_PASSWORD_HASH_PARALLELISM": "1",
        }
        ports = [free_port(), free_port()]
        logs = [tmp_path / f"server-{n}.log" for n in (1, 2)]
        for port, log in zip(ports, logs, strict=True):
            with log.open("wb") as out:
                processes.append(subprocess.Popen(
                    [sys.executable, "-m", "lernmodul", "serve", "--bind", f"127.0.0.1:{port}",
                     "--workers", "1", "--threads", "4"],
                    env=env, stdout=out, stderr=subprocess.STDOUT))
        for port, log, process in zip(ports, logs, processes, strict=True):
            wait_for(port, process, "lernmodul serve", log)
        folder = tmp_path / "nginx"
        folder.mkdir()
        proxy_port = free_port()
        conf = nginx_config(folder, proxy_port, ports)
        processes.append(subprocess.Popen(
            [NGINX, "-p", str(folder), "-e", str(folder / "error.log"), "-c", str(conf)],
            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT))
        wait_for(proxy_port, processes[-1], "nginx", folder / "error.log")
        yield Site(url, proxy_port, logs)
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        drop()


class Learner:
    """One browser talking to nginx with the site's host name; redirects are not followed."""

    def __init__(self, port: int) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: dict[str, str] | None = None,
                expect: int = 200) -> tuple[str, dict[str, str]]:
        status, page, headers = exchange(self.conn, self.cookies, method, path, form,
                                         {"Host": NAME})
        assert status == expect, f"{method} {path}: {status}"
        return page, headers

    def token(self, page: str) -> str:
        match = CSRF.search(page)
        assert match, "no CSRF token"
        return match.group(1)


def local(location: str) -> str:
    """The path of a redirect's Location (absolute, to PUBLIC_BASE_URL, or relative)."""
    return "/" + location.split("://", 1)[1].partition("/")[2] if "://" in location else location


def journey(port: int, email: str) -> None:
    """Sign in, open the first unit, start its quiz and submit it; each answer as expected."""
    learner = Learner(port)
    try:
        page, _ = learner.request("GET", "/login")
        learner.request("POST", "/login", {"csrf_token": learner.token(page), "login": email,
                                           "password": PASSWORD}, expect=302)
        token = learner.token(learner.request("GET", "/accessibility")[0])
        _, headers = learner.request("POST", f"/courses/{COURSE}/start",
                                     {"csrf_token": token}, expect=303)
        unit = local(headers["location"]).rstrip("/")
        assert "Learner" in learner.request("GET", unit)[0]
        _, headers = learner.request("POST", f"{unit}/quiz", {"csrf_token": token}, expect=303)
        attempt = local(headers["location"])
        page, _ = learner.request("GET", attempt)
        revision = REVISION.search(page)
        assert revision, "no revision on the attempt page"
        _, headers = learner.request("POST", attempt, {
            "csrf_token": token, "revision": revision.group(1), "action": "submit",
            "confirm_incomplete": "1"}, expect=303)
        assert local(headers["location"]).endswith("/result")
        learner.request("GET", local(headers["location"]))
    finally:
        learner.conn.close()


def test_two_servers_behind_nginx_serve_a_class_starting_together(site: Site) -> None:
    failures: list[str] = []
    lock = threading.Lock()

    def one(n: int) -> None:
        try:
            journey(site.proxy_port, f"learner{n}@example.org")
        except (AssertionError, OSError) as error:
            with lock:
                failures.append(f"learner{n}: {error}")

    threads = [threading.Thread(target=one, args=(n,)) for n in range(LEARNERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []

    assert scalar(site.url, "SELECT count(*) FROM attempts WHERE state = 'submitted'") == LEARNERS
    assert scalar(site.url, "SELECT count(*) FROM attempt_results") == LEARNERS
    assert scalar(site.url, "SELECT count(DISTINCT attempt_id) FROM attempt_results") == LEARNERS
    assert scalar(site.url, "SELECT count(DISTINCT enrolment_id) FROM attempts") == LEARNERS

    served = [len(ACCESS_LINE.findall(log.read_text("utf-8", "replace"))) for log in site.logs]
    assert all(n > 0 for n in served), served  # nginx spread the requests over both
    assert sum(served) >= LEARNERS * 9, served  # every request of every journey was logged
