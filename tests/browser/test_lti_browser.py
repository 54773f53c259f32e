"""LTI 1.3 in Chromium: the test platform embeds lernmodul in an iframe; the launch offers a
new window, which opens the course signed in. The admin pages of platforms pass axe-core."""

from __future__ import annotations

from typing import Any

import pytest
from tests.lti.platform import CLIENT_ID, DEPLOYMENT_ID, LtiTestPlatform

pytestmark = pytest.mark.browser


@pytest.fixture
def lti_platform(live_server: str, app: Any) -> Any:
    from lernmodul.db.lti import LtiPlatform
    from lernmodul.web.database import get_database

    platform = LtiTestPlatform(host="localhost")  # another site than the tool on 127.0.0.1
    platform.tool_base = live_server
    platform.start()
    session = get_database(app).sessions()
    session.add(LtiPlatform(name="Testplattform", issuer=platform.issuer, client_id=CLIENT_ID,
                            deployment_ids=DEPLOYMENT_ID, auth_login_url=platform.auth_url,
                            token_url="", jwks_url=platform.jwks_url, trust_instructors=False))
    session.commit()
    session.close()
    yield platform
    platform.stop()


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_launch_in_an_iframe_opens_the_course_in_a_new_window(lti_platform: Any, page: Any,
                                                              course_imported: int,
                                                              assert_accessible: Any) -> None:
    page.goto(lti_platform.issuer + "/course")
    frame = page.frame_locator("iframe")
    link = frame.get_by_role("link", name="In neuem Fenster öffnen")
    link.wait_for(timeout=15000)
    with page.expect_popup() as popup_info:
        link.click()
    course = popup_info.value
    course.wait_for_load_state()
    assert course.url.endswith("/courses/beispielkurs"), course.url
    assert "Beispielkurs" in course.locator("h1").inner_text()
    # the page inside the frame passes axe as a document of its own
    inner = next(f for f in page.frames if "/lti/launch" in f.url)
    assert inner.locator("h1").inner_text() == "Kurs öffnen"
    assert_accessible(inner)
    assert_accessible(course)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_lti_admin_pages_are_accessible(live_server: str, page: Any, make_user: Any,
                                        assert_accessible: Any) -> None:
    from learner_pages import LEARNER_PASSWORD

    make_user(("admin",), email="admin@example.org", name="Anton Admin")
    page.goto(live_server + "/login")
    page.locator("#login").fill("admin@example.org")
    page.locator("#password").fill(LEARNER_PASSWORD)
    with page.expect_navigation():
        page.locator("#password").press("Enter")
    page.goto(live_server + "/admin/lti")
    assert page.locator("h1").inner_text() == "Lernplattformen (LTI 1.3)"
    assert_accessible(page)
    page.get_by_role("link", name="Lernplattform registrieren").click()
    page.wait_for_load_state()
    assert_accessible(page)
    page.get_by_label("Aussteller (Plattform-ID, Issuer)").fill("http://example.org")
    with page.expect_navigation():
        page.get_by_role("button", name="Lernplattform speichern").click()
    assert "Fehler" in page.title()
    assert_accessible(page)
