"""The app on a live server with a real OpenID provider (node/oidc-test-provider.mjs) beside it.

`oidc_site` starts both on 127.0.0.1 (free ports) and configures the app as an authority would.
Without node and `cd node && npm ci` the tests skip with that advice; in CI
(LERNMODUL_REQUIRE_BROWSER set) they fail instead.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from html import unescape
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import pytest
import requests

NODE_DIR = Path(__file__).resolve().parents[1] / "node"
PROVIDER_SCRIPT = NODE_DIR / "oidc-test-provider.mjs"
CLIENT_ID = "lernmodul-test"
DISPLAY_NAME = "Stadtverwaltung Lindenau"
UNIT = "Stadt Lindenau/Dezernat II/Bürgeramt"
# The provider's accounts: the login names the account (the test provider takes any password).
USERS: dict[str, dict[str, Any]] = {
    "jweiss": {"email": "j.weiss@lindenau.example", "email_verified": True, "name": "Jürgen Weiß",
               "employeeNumber": "4711", "orgUnit": UNIT, "groups": ["lm-hr", "Alle"]},
    "akaya": {"email": "a.kaya@lindenau.example", "email_verified": True, "name": "Aylin Kaya",
              "employeeNumber": "4712", "orgUnit": "Stadt Lindenau/Kämmerei", "groups": []},
}


def require_node() -> str:
    """The node binary, if the provider's packages are installed; else skip (fail in CI)."""
    node = shutil.which("node")
    reason = None
    if node is None:
        reason = "node is not installed (apt-get install nodejs npm), so the OpenID sign-in tests cannot run"
    elif not (NODE_DIR / "node_modules" / "oidc-provider").is_dir():
        reason = "the OpenID provider for the sign-in tests is not installed: run `cd node && npm ci`"
    if reason is not None:
        if os.environ.get("LERNMODUL_REQUIRE_BROWSER"):
            pytest.fail(reason)
        pytest.skip(reason)
    assert node is not None
    return node


@contextmanager
def serve(app: Any) -> Iterator[str]:
    """Serves `app` on a free loopback port; yields the base URL."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


@dataclass
class Provider:
    issuer: str
    client_secret: str
    process: subprocess.Popen[str]

    def rotate_keys(self) -> str:
        """The provider signs with a new key from now on; returns its kid."""
        response = requests.post(f"{self.issuer}/__test/rotate", timeout=30)
        response.raise_for_status()
        return str(response.json()["kid"])

    def forge_next_id_token(self, mode: str) -> None:
        """The next token response carries an ID token altered by `mode` (see the script)."""
        requests.post(f"{self.issuer}/__test/forge", params={"mode": mode}, timeout=10).raise_for_status()


@contextmanager
def start_provider(node: str, app_base: str) -> Iterator[Provider]:
    secret = secrets.token_urlsafe(24)
    options = {"clientId": CLIENT_ID, "clientSecret": secret,
               "redirectUri": f"{app_base}/oidc/callback",
               "postLogoutRedirectUri": f"{app_base}/login", "users": USERS}
    process = subprocess.Popen([node, str(PROVIDER_SCRIPT), json.dumps(options)], cwd=NODE_DIR,
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()  # the script prints its issuer once it listens
        if not line:
            raise RuntimeError(f"the test OpenID provider did not start (exit {process.wait(5)})")
        yield Provider(issuer=json.loads(line)["issuer"], client_secret=secret, process=process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@dataclass
class OidcSite:
    base: str
    provider: Provider
    app: Any


@pytest.fixture
def oidc_site(app: Any) -> Iterator[OidcSite]:
    """The app on a live server, configured for sign-in through a real OpenID provider."""
    node = require_node()
    with serve(app) as base, start_provider(node, base) as provider:
        app.config.update(
            PUBLIC_BASE_URL=base, OIDC_ISSUER=provider.issuer, OIDC_CLIENT_ID=CLIENT_ID,
            OIDC_CLIENT_SECRET=provider.client_secret, OIDC_DISPLAY_NAME=DISPLAY_NAME,
            OIDC_CLAIM_UNIT_PATH="orgUnit", OIDC_GROUP_ROLES={"lm-hr": "hr", "lm-trainer": "trainer"})
        yield OidcSite(base=base, provider=provider, app=app)


# --- driving the flow over HTTP, as a browser without JavaScript would ------------------------

_FORM = re.compile(r"<form\b[^>]*\baction=\"([^\"]*)\"[^>]*>(.*?)</form>", re.S | re.I)
_HIDDEN = re.compile(r"<input\b[^>]*type=\"hidden\"[^>]*name=\"([^\"]+)\"[^>]*value=\"([^\"]*)\"", re.I)


def form_of(response: requests.Response, index: int = 0) -> tuple[str, dict[str, str]]:
    """The action URL and hidden fields of a form on the page."""
    forms = _FORM.findall(response.text)
    assert forms, response.text[:2000]
    action, body = forms[index]
    fields = {name: unescape(value) for name, value in _HIDDEN.findall(body)}
    return urljoin(response.url, unescape(action)), fields


def csrf_token(response: requests.Response) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', response.text)
    assert match, response.text[:2000]
    return match.group(1)


def start_sign_in(http: requests.Session, site: OidcSite) -> requests.Response:
    """Clicks "Sign in with …" on the login page; returns the provider's login page."""
    page = http.get(f"{site.base}/login", timeout=30)
    response = http.post(f"{site.base}/oidc/login", data={"csrf_token": csrf_token(page)}, timeout=30)
    assert response.url.startswith(site.provider.issuer), response.url
    return response


def sign_in_at_provider(http: requests.Session, site: OidcSite, login: str = "jweiss",
                        *, stop_at_callback: bool = False) -> requests.Response:
    """The whole flow; returns the app's last answer, or (stop_at_callback) the provider's
    redirect to the callback, not yet followed."""
    login_page = start_sign_in(http, site)
    action, fields = form_of(login_page)
    response = http.post(action, data={**fields, "login": login, "password": "any password"},
                         timeout=30, allow_redirects=False)
    while response.is_redirect:
        location = urljoin(response.url, response.headers["Location"])
        if stop_at_callback and location.startswith(f"{site.base}/oidc/callback"):
            return response
        response = http.get(location, timeout=30, allow_redirects=False)
    return response
