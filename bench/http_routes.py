"""Helpers of bench/http.py: gunicorn on loopback, a keep-alive client, wrk and its scripts."""

from __future__ import annotations

import http.client
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlencode

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
PASSWORD = "ruhige-Taube-fliegt-abends"  # no digits: a learner name "Load <n>" must not share a part


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


def run_load(port: int, clients: list[Client], seconds: float,
             work: Callable[[int, int, Client], bool | None]) -> tuple[float, list[float], int]:
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




def post_script(path: Path) -> None:
    """A wrk Lua script: every request is an empty form POST to the URL's path."""
    path.write_text("""
wrk.method = "POST"
wrk.body = ""
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
""")


def create_database(server: str, prefix: str = "lernmodul_http"
                    ) -> tuple[str, Callable[[], None]]:
    """A fresh PostgreSQL database on `server`; returns its URL and a function dropping it."""
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    name = f"{prefix}_{secrets.token_hex(4)}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.exec_driver_sql(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with admin.connect() as c:
            c.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()

    return make_url(server).set(database=name).render_as_string(hide_password=False), drop
