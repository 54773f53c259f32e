"""The learner's journey of bench/load.py: one browser (keep-alive connection, cookies) and
the four steps login, unit, start, submit, each timed."""

from __future__ import annotations

import http.client
import re
import time
from urllib.parse import urlencode

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
PASSWORD = "ruhige-Taube-fliegt-abends"  # no digits: a learner name "Load <n>" must not share a part
STEPS = ("login", "unit", "start", "submit")


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
