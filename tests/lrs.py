"""A real Learning Record Store for the tests: ralph (`ralph-malph`) with its file-system backend.

ralph lives in its own virtual environment, `.venv-ralph/` (`make .venv-ralph`, which `make test`
depends on); LERNMODUL_RALPH may name another `ralph` executable. Without it the `lrs` fixture
fails with that advice — it never skips.

    def test_something(lrs):            # a started LRS, stopped after the test
        lrs.statements_url              # http://127.0.0.1:PORT/xAPI/statements
        lrs.endpoint                    # http://127.0.0.1:PORT/xAPI  (append /statements yourself)
        lrs.username, lrs.password      # basic-auth credentials made with `ralph auth`
        lrs.auth                        # (username, password) for requests
        lrs.http()                      # a requests.Session with auth and the xAPI version header
        lrs.statements(verb=...)        # what it stored (GET /xAPI/statements, all pages)
        lrs.stored_on_disk()            # every statement of every start, read from the files
        lrs.stop()                      # down: connections are refused
        lrs.start_again()               # up again on a fresh backend file; returns the endpoint

ralph's quirks this works around: its fs backend writes a POST only into a file that does not
exist yet, so the first POST succeeds and every later one answers 500; tests/ralph_site/
sitecustomize.py (on the ralph processes' PYTHONPATH only) makes the backend append instead.
Each start writes a fresh file all the same (statements() therefore shows the current start only;
stored_on_disk() shows all). `start_again()` keeps the port when it can; if another process took
it, the LRS moves to a new port and `endpoint` / `statements_url` change (`moved` is then true):
tell the client the new URL through its configuration. An invalid statement gets 500 (not 400);
the same id with the same body 204, with a different body 409. Only the statements resource
exists (no State API, no agent profiles, `/xAPI/about` is 404).
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests

REPO = Path(__file__).resolve().parents[1]
RALPH_SITE = Path(__file__).resolve().parent / "ralph_site"
RALPH_ENV = "LERNMODUL_RALPH"
XAPI_VERSION = "1.0.3"
START_TIMEOUT = 45.0
_RUN_PASSWORD = secrets.token_urlsafe(12)  # one per test run: its auth file is made once
_AUTH_FILES: dict[tuple[str, str], bytes] = {}


class LrsUnavailable(RuntimeError):
    """ralph is not installed or did not come up; the message says why and what to do."""


def ralph_executable() -> Path:
    """The `ralph` command of `.venv-ralph/` (or LERNMODUL_RALPH); raises LrsUnavailable."""
    configured = os.environ.get(RALPH_ENV)
    path = Path(configured) if configured else REPO / ".venv-ralph" / "bin" / "ralph"
    if not (path.is_file() and os.access(path, os.X_OK)):
        raise LrsUnavailable(
            f"the LRS for the xAPI tests (ralph) is not installed at {path}: "
            "run `make .venv-ralph` (ralph-malph[cli,lrs] in its own virtual environment)"
        )
    return path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


@dataclass
class Lrs:
    """One ralph LRS on 127.0.0.1 with a working folder of its own (see the module docstring)."""

    workdir: Path
    executable: Path = field(default_factory=ralph_executable)
    username: str = "lernmodul"
    password: str = field(default_factory=lambda: _RUN_PASSWORD)
    port: int = 0
    moved: bool = False
    starts: int = 0
    _process: subprocess.Popen[bytes] | None = None

    # --- addresses --------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def endpoint(self) -> str:
        """The xAPI endpoint (clients append `/statements`)."""
        return f"{self.base_url}/xAPI"

    @property
    def statements_url(self) -> str:
        return f"{self.endpoint}/statements"

    @property
    def auth(self) -> tuple[str, str]:
        return (self.username, self.password)

    @property
    def data_dir(self) -> Path:
        return self.workdir / "data"

    @property
    def is_running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def _env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("RALPH_")}
        for name in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "all_proxy"):
            env.pop(name, None)
        env.update({
            "PYTHONPATH": str(RALPH_SITE),  # fs backend: append each POST (see sitecustomize)
            "RALPH_APP_DIR": str(self.workdir / "app"),
            "RALPH_RUNSERVER_BACKEND": "fs",  # `ralph auth` needs it as well
        })
        return env

    # --- life cycle -------------------------------------------------------------------------
    def create_credentials(self) -> None:
        """`ralph auth`: the basic-auth user, written to this LRS's auth file (made once per
        test run for each user and password, then copied: bcrypt makes `ralph auth` slow)."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        auth_file = self.workdir / "app" / "auth.json"
        made = _AUTH_FILES.get((self.username, self.password))
        if made is not None:
            auth_file.parent.mkdir(parents=True, exist_ok=True)
            auth_file.write_bytes(made)
            return
        done = subprocess.run(
            [str(self.executable), "auth", "-u", self.username, "-p", self.password, "-s", "all",
             "-A", self.username, "http://127.0.0.1", "-w"],
            env=self._env(), cwd=self.workdir, capture_output=True, timeout=120,
        )
        if done.returncode != 0:
            raise LrsUnavailable(f"`ralph auth` failed ({done.returncode}): "
                                 f"{done.stderr.decode(errors='replace')[-2000:]}")
        _AUTH_FILES[(self.username, self.password)] = auth_file.read_bytes()

    def start(self) -> Lrs:
        """Starts ralph on a fresh backend file (credentials on the first start); waits for it."""
        if self.is_running:
            return self
        if self.starts == 0:
            self.create_credentials()
        if self.port == 0:
            self.port = free_port()
        elif not _port_is_free(self.port):
            self.port, self.moved = free_port(), True
        self.starts += 1
        log = (self.workdir / f"ralph-{self.starts}.log").open("wb")
        try:
            self._process = subprocess.Popen(
                [str(self.executable), "runserver", "-b", "fs",
                 "--fs-default-directory-path", str(self.data_dir),
                 "--fs-default-lrs-file", f"statements-{self.starts}.jsonl",
                 "-h", "127.0.0.1", "-p", str(self.port)],
                env=self._env(), cwd=self.workdir, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,  # uvicorn's reloader forks: stop() ends the whole group
            )
        finally:
            log.close()
        self._wait_until_up()
        return self

    def _log_tail(self) -> str:
        path = self.workdir / f"ralph-{self.starts}.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""

    def _wait_until_up(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            assert self._process is not None
            if self._process.poll() is not None:
                raise LrsUnavailable(f"ralph exited with {self._process.returncode}:\n{self._log_tail()}")
            try:
                answer = requests.get(self.statements_url, auth=self.auth, timeout=2,
                                      headers={"X-Experience-API-Version": XAPI_VERSION})
            except requests.ConnectionError:
                time.sleep(0.2)
                continue
            if answer.status_code == 200:
                return
            raise LrsUnavailable(
                f"ralph answered {answer.status_code}: {answer.text[:500]}\n{self._log_tail()}")
        self.stop()
        raise LrsUnavailable(f"ralph did not answer within {START_TIMEOUT:.0f} s:\n{self._log_tail()}")

    def stop(self) -> None:
        """Ends ralph (its process group); afterwards its port refuses connections."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        try:
            os.killpg(process.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=15)
        # the reloader's worker may outlive the parent for a moment
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not _port_is_free(self.port):
            time.sleep(0.1)

    def start_again(self) -> str:
        """Stops (if running) and starts on a fresh file; returns the endpoint (see `moved`)."""
        self.stop()
        self.start()
        return self.endpoint

    # --- reading back -----------------------------------------------------------------------
    def http(self) -> requests.Session:
        """A requests session with this LRS's credentials and the xAPI version header."""
        session = requests.Session()
        session.auth = self.auth
        session.headers["X-Experience-API-Version"] = XAPI_VERSION
        session.trust_env = False
        return session

    def statements(self, **params: Any) -> list[dict[str, Any]]:
        """The statements of the current start (GET /xAPI/statements, following `more`)."""
        found: list[dict[str, Any]] = []
        with self.http() as http:
            answer = http.get(self.statements_url, params=params, timeout=10)
            while True:
                assert answer.status_code == 200, f"LRS answered {answer.status_code}: {answer.text[:500]}"
                body = answer.json()
                found.extend(body["statements"])
                more = body.get("more")
                if not more or not body["statements"]:
                    return found
                answer = http.get(f"{self.base_url}{more}" if more.startswith("/") else more, timeout=10)

    def stored_on_disk(self) -> list[dict[str, Any]]:
        """Every statement that any start of this LRS stored, in order (the backend files)."""
        found: list[dict[str, Any]] = []
        for number in range(1, self.starts + 1):
            path = self.data_dir / f"statements-{number}.jsonl"
            if path.exists():
                found.extend(json.loads(line) for line in path.read_text().splitlines() if line.strip())
        return found


def start_lrs(workdir: Path, **options: Any) -> Lrs:
    """A started Lrs in `workdir`; fails the test (never skips) when ralph is missing or broken."""
    try:
        return Lrs(workdir=workdir, **options).start()
    except LrsUnavailable as error:
        pytest.fail(str(error), pytrace=False)


@pytest.fixture
def lrs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lrs]:
    """A running ralph LRS for this test (fresh data, own port); stopped afterwards."""
    server = start_lrs(tmp_path_factory.mktemp("lrs"))
    try:
        yield server
    finally:
        server.stop()
