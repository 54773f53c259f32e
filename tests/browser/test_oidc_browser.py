"""Sign-in with the authority's OpenID provider in headless Chromium: the button on the login
page, the provider's login, back signed in with the account created; sign-out ends both."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from lernmodul.db import User
from lernmodul.services.org_units import unit_path
from oidc_site import DISPLAY_NAME

pytestmark = pytest.mark.browser


def test_sign_in_and_out_through_the_provider(oidc_site, page, assert_accessible, db_session):
    page.goto(f"{oidc_site.base}/login")
    button = page.get_by_role("button", name=f"Anmelden mit {DISPLAY_NAME}")
    assert_accessible(page)
    button.click()
    page.wait_for_url(f"{oidc_site.provider.issuer}/**")
    page.fill("input[name=login]", "jweiss")
    page.fill("input[name=password]", "any password")
    page.get_by_role("button", name="Sign-in").click()
    page.wait_for_url(f"{oidc_site.base}/**")
    assert "/login" not in page.url and "/oidc/" not in page.url
    assert page.get_by_text("Jürgen Weiß").first.is_visible()
    user = db_session.scalars(select(User)).one()
    assert (user.email, user.personnel_number) == ("j.weiss@lindenau.example", "4711")
    assert unit_path(db_session, user.org_unit_id) == "Stadt Lindenau / Dezernat II / Bürgeramt"
    assert sorted(g.role for g in user.roles) == ["hr", "learner"]

    page.get_by_role("button", name="Abmelden").click()
    page.wait_for_url(f"{oidc_site.provider.issuer}/session/end**")
    page.get_by_role("button", name="Yes, sign me out").click()
    page.wait_for_url(f"{oidc_site.base}/login**")
    assert page.get_by_text("Sie wurden abgemeldet.").is_visible()
    # signed out here: a page for signed-in users sends back to the login
    page.goto(f"{oidc_site.base}/")
    assert "/login" in page.url
    # and at the provider: the next sign-in asks for the login again
    page.goto(f"{oidc_site.base}/login")
    page.get_by_role("button", name=f"Anmelden mit {DISPLAY_NAME}").click()
    page.wait_for_url(f"{oidc_site.provider.issuer}/**")
    assert page.locator("input[name=login]").is_visible()


def test_a_refusal_is_an_accessible_error_page(oidc_site, page, assert_accessible, db_session):
    oidc_site.provider.forge_next_id_token("audience")
    page.goto(f"{oidc_site.base}/login")
    page.get_by_role("button", name=f"Anmelden mit {DISPLAY_NAME}").click()
    page.fill("input[name=login]", "jweiss")
    page.fill("input[name=password]", "any password")
    page.get_by_role("button", name="Sign-in").click()
    page.wait_for_url(f"{oidc_site.base}/oidc/callback**")
    assert page.get_by_role("heading", name="Anmeldung nicht möglich").is_visible()
    assert_accessible(page)
    assert db_session.scalars(select(User)).all() == []
