"""The LMS side of a cmi5 launch, for the tests: the package and a small xAPI endpoint on one
127.0.0.1 origin. Statements go through to the real LRS (ralph); the State API, which ralph
lacks, is kept here in memory (the LMS.LaunchData document and the AU's own state), as is
the fetch URL that hands out the auth token."""

from __future__ import annotations

import base64
import http.server
import io
import json
import re
import threading
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests

STATE_PATH = "/xapi/activities/state"


class Cmi5Site:
    def __init__(self, root: Path, statements_url: str, auth: tuple[str, str]) -> None:
        self.root = root
        self.statements_url = statements_url
        self.auth = auth
        self.states: dict[tuple[str, str, str], bytes] = {}
        self.token_requests = 0
        self.port = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def unpack(self, data: bytes) -> None:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            archive.extractall(self.root / "pkg")

    def set_launch_data(self, activity_id: str, registration: str, doc: dict[str, Any]) -> None:
        self.states[(activity_id, registration, "LMS.LaunchData")] = json.dumps(doc).encode()


def _handler(site: Cmi5Site) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, directory=str(site.root), **kwargs)

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _body(self) -> bytes:
            return self.rfile.read(int(self.headers.get("Content-Length") or 0))

        def _send(self, status: int, body: bytes = b"", kind: str = "application/json") -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("X-Experience-API-Version", "1.0.3")
            self.end_headers()
            self.wfile.write(body)

        def _state_key(self) -> tuple[str, str, str]:
            query = parse_qs(urlsplit(self.path).query)
            return (query["activityId"][0], query.get("registration", [""])[0],
                    query["stateId"][0])

        def _forward(self) -> None:
            url = site.statements_url + (f"?{urlsplit(self.path).query}"
                                         if urlsplit(self.path).query else "")
            response = requests.request(
                self.command, url, data=self._body() if self.command in ("POST", "PUT") else None,
                auth=site.auth, timeout=30,
                headers={"Content-Type": "application/json",
                         "X-Experience-API-Version": "1.0.3"})
            self._send(response.status_code, response.content)

        def do_GET(self) -> None:
            path = re.sub("/+", "/", urlsplit(self.path).path)
            if path == STATE_PATH:
                doc = site.states.get(self._state_key())
                self._send(404) if doc is None else self._send(200, doc)
            elif path.startswith("/xapi/agents/profile"):
                self._send(404)
            elif path == "/xapi/statements":
                self._forward()
            else:
                super().do_GET()

        def do_PUT(self) -> None:
            path = re.sub("/+", "/", urlsplit(self.path).path)
            if path == STATE_PATH:
                site.states[self._state_key()] = self._body()
                self._send(204)
            elif path == "/xapi/statements":
                self._forward()
            else:
                self._send(405)

        def do_POST(self) -> None:
            path = re.sub("/+", "/", urlsplit(self.path).path)
            if path == "/fetch":
                site.token_requests += 1
                token = base64.b64encode(b"learner:session").decode()
                self._send(200, json.dumps({"auth-token": token}).encode())
            elif path == STATE_PATH:
                site.states[self._state_key()] = self._body()
                self._send(204)
            elif path == "/xapi/statements":
                self._forward()
            else:
                self._send(405)

    return Handler


@contextmanager
def serve_cmi5(root: Path, statements_url: str, auth: tuple[str, str]) -> Iterator[Cmi5Site]:
    site = Cmi5Site(root, statements_url, auth)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _handler(site))
    site.port = server.server_port
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield site
    finally:
        server.shutdown()
        thread.join(timeout=10)
