"""The test platform (a real LTI 1.3 platform implementation) and its registration here."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
from tests.app.conftest import admin, snapshot  # noqa: F401  (the admin pages' tests use them)
from tests.lti.platform import CLIENT_ID, DEPLOYMENT_ID, LtiTestPlatform


@pytest.fixture
def platform() -> Iterator[LtiTestPlatform]:
    server = LtiTestPlatform().start()
    yield server
    server.stop()


@pytest.fixture
def registered(app: Any, platform: LtiTestPlatform) -> Callable[..., Any]:
    """registered(trust_instructors=False): the test platform registered in the database."""
    from lernmodul.db.lti import LtiPlatform
    from lernmodul.web.database import get_database

    def register(*, trust_instructors: bool = False) -> int:
        session = get_database(app).sessions()
        try:
            row = LtiPlatform(name="Testplattform", issuer=platform.issuer, client_id=CLIENT_ID,
                              deployment_ids=f"other\n{DEPLOYMENT_ID}\n", auth_login_url=platform.auth_url,
                              token_url=f"{platform.issuer}/token", jwks_url=platform.jwks_url,
                              trust_instructors=trust_instructors)
            session.add(row)
            session.commit()
            return row.id
        finally:
            session.close()

    return register


@pytest.fixture
def tool(app: Any) -> Any:
    """A browser-like client of the tool over HTTPS (the LTI cookies are Secure)."""
    return app.test_client()


def hidden_fields(page: str) -> dict[str, str]:
    import html
    return {name: html.unescape(value)
            for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page)}


@pytest.fixture
def launch_flow(tool: Any, platform: LtiTestPlatform) -> Callable[..., Any]:
    """launch_flow(**headers) -> (login response, launch form, launch response)."""

    def run(login_params: dict[str, str] | None = None, **headers: str) -> tuple[Any, Any, Any]:
        login = tool.get("/lti/login", query_string=login_params or platform.login_params(),
                         base_url="https://localhost")
        if login.status_code != 302:
            return login, None, None
        location = login.headers["Location"]
        assert location.startswith(platform.auth_url)
        answer = requests.get(location, timeout=10)
        assert answer.status_code == 200, answer.text
        form = hidden_fields(answer.text)
        response = tool.post("/lti/launch", data=form, base_url="https://localhost", headers=headers)
        return login, form, response

    return run


def query_of(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query))
