"""SAML sign-in in headless Chromium: "Anmelden mit …", the IdP's login form, back signed in
with an account created just in time; signing out ends lernmodul's session, then the IdP's."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from simplesamlphp import USERS
from sqlalchemy import select

from lernmodul.db import User
from lernmodul.services.org_units import unit_path

pytestmark = pytest.mark.browser


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context()
    context.set_default_timeout(15_000)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture
def live_app(make_app, saml_config, saml_live_server) -> Iterator[tuple[Any, str]]:
    url = saml_live_server.url
    app = make_app(**{**saml_config, "PUBLIC_BASE_URL": url})
    saml_live_server.dispatcher.app = app
    try:
        yield app, url
    finally:
        saml_live_server.dispatcher.app = None


def _sign_in_at_idp(page: Any, user: str) -> None:
    page.locator("input[name=username]").fill(user)
    page.locator("input[name=password]").fill(USERS[user]["password"])
    page.locator("input[name=password]").press("Enter")


def test_sign_in_with_the_idp_and_single_logout(live_app, page, idp) -> None:
    app, url = live_app
    page.goto(url + "/login")
    page.get_by_role("link", name="Anmelden mit Stadt Lindenau").click()
    page.wait_for_url(re.compile(re.escape(idp.base_url) + ".*"))
    _sign_in_at_idp(page, "jweiss")
    page.wait_for_url(url + "/")
    assert "Angemeldet als Jürgen Weiß" in page.content()

    from lernmodul.web.database import get_database

    with get_database(app).sessions() as session:
        user = session.scalars(select(User)).one()
        assert user.personnel_number == "4711"
        assert unit_path(session, user.org_unit_id) == "Stadt Lindenau / Dezernat II / Bürgeramt"
        assert sorted(g.role for g in user.roles) == ["hr", "learner"]

    page.get_by_role("button", name="Abmelden").click()
    page.wait_for_url(url + "/login")
    assert "Sie wurden abgemeldet." in page.content()
    assert "Angemeldet als" not in page.content()
    assert "konnte nicht bestätigen" not in page.content()  # the IdP's LogoutResponse said success
    # the IdP's session has ended too: signing in again asks for the password
    page.get_by_role("link", name="Anmelden mit Stadt Lindenau").click()
    page.wait_for_url(re.compile(re.escape(idp.base_url) + ".*"))
    assert page.locator("input[name=password]").count() == 1


def test_the_login_button_and_the_error_page_are_accessible(live_app, page, idp,
                                                             assert_accessible) -> None:
    app, url = live_app
    page.goto(url + "/login")
    assert_accessible(page)
    page.get_by_role("link", name="Anmelden mit Stadt Lindenau").click()
    page.wait_for_url(re.compile(re.escape(idp.base_url) + ".*"))
    # the browser loses the record of the request it started: the response is refused
    page.context.clear_cookies(name="lernmodul_saml_request")
    with page.expect_response(url + "/saml/acs") as answer:
        _sign_in_at_idp(page, "aoezdemir")
    assert answer.value.status == 400
    page.wait_for_url(url + "/saml/acs")
    page.get_by_role("heading", name="Anmeldung nicht möglich").wait_for()
    assert "Anmeldung nicht möglich" in page.content()
    assert "nicht in diesem Browser begonnen" in page.content()
    assert_accessible(page)
    from lernmodul.web.database import get_database

    with get_database(app).sessions() as session:
        assert session.scalars(select(User)).first() is None
