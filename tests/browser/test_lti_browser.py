"""LTI 1.3 in Chromium: the test platform embeds lernmodul in an iframe; the launch offers a
new window, which opens the course signed in; the learner passes the exam there and the
platform's AGS scores endpoint receives the score. The admin pages of platforms and of
deliveries pass axe-core."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import pytest
from learner_pages import Mouse, right_answers
from sqlalchemy import select
from tests.lti.platform import CLIENT_ID, DEPLOYMENT_ID, SCORE_TYPE, LtiTestPlatform

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
                            token_url=platform.token_url, jwks_url=platform.jwks_url,
                            trust_instructors=False))
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


def _open_course(lti_platform: Any, page: Any) -> Any:
    page.goto(lti_platform.issuer + "/course")
    link = page.frame_locator("iframe").get_by_role("link", name="In neuem Fenster öffnen")
    link.wait_for(timeout=15000)
    with page.expect_popup() as popup_info:
        link.click()
    course = popup_info.value
    course.wait_for_load_state()
    return course


def test_learner_passes_the_exam_and_the_platform_receives_the_score(
        lti_platform: Any, page: Any, app: Any, course_imported: int, sample_course: Any) -> None:
    from lernmodul.db.learning import UnitProgress
    from lernmodul.db.models import Enrolment
    from lernmodul.db.outbox import DELIVERED, Delivery
    from lernmodul.web.database import get_database

    course = _open_course(lti_platform, page)
    driver = Mouse(course)
    driver.press_button("Kurs beginnen")
    # the units are done already (the journey test walks them); the exam is taken here
    with get_database(app).sessions() as session, session.begin():
        enrolment = session.scalars(select(Enrolment)).one()
        for unit in ("grundlagen", "praxis"):
            session.add(UnitProgress(enrolment_id=enrolment.id, unit_id=unit,
                                     read_at=datetime.now(UTC), quiz_passed_at=datetime.now(UTC)))
    course.goto(course.url.split("/courses/")[0] + "/courses/beispielkurs")
    driver.press_button("Abschlussprüfung beginnen oder fortsetzen")
    assert course.locator("h1").inner_text() == "Abschlussprüfung"
    driver.answer(right_answers(course, sample_course.questions()))
    before = datetime.now(UTC)
    driver.press_button("Antworten abgeben")
    assert course.locator(".result-verdict").inner_text() == "Bestanden"
    deadline = time.monotonic() + 15
    while not lti_platform.scores:
        assert time.monotonic() < deadline, "no score arrived at the platform"
        time.sleep(0.1)
    time.sleep(0.5)
    [score] = lti_platform.scores
    body = score["body"]
    assert score["content_type"] == SCORE_TYPE and score["lineitem"] == lti_platform.lineitem_url
    assert (body["userId"], body["activityProgress"], body["gradingProgress"]) == (
        "user-1", "Completed", "FullyGraded")
    assert body["scoreGiven"] == body["scoreMaximum"] > 0
    assert datetime.fromisoformat(body["timestamp"]) <= datetime.now(UTC)
    assert datetime.fromisoformat(body["timestamp"]) >= before.replace(microsecond=0)
    # the platform checked the tool's assertion against the tool's published keys
    assert [r["iss"] for r in lti_platform.token_requests] == [CLIENT_ID]
    with get_database(app).sessions() as session:
        assert [d.status for d in session.scalars(select(Delivery))] == [DELIVERED]


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_deliveries_page_is_accessible(live_server: str, page: Any, make_user: Any, app: Any,
                                       assert_accessible: Any) -> None:
    from learner_pages import LEARNER_PASSWORD

    from lernmodul.db.outbox import FAILED, Delivery
    from lernmodul.outbox import enqueue
    from lernmodul.web.database import get_database

    with get_database(app).sessions() as session, session.begin():
        enqueue(session, kind="ags", key="attempt:1", payload={}, target="lti_platform:1")
        enqueue(session, kind="xapi", key="statement:1", payload={}, target="https://lrs.example")
        row = session.scalars(select(Delivery).where(Delivery.kind == "xapi")).one()
        row.status, row.attempts, row.last_error = FAILED, 20, "LRS answered 503"
    make_user(("admin",), email="admin@example.org", name="Anton Admin")
    page.goto(live_server + "/login")
    page.locator("#login").fill("admin@example.org")
    page.locator("#password").fill(LEARNER_PASSWORD)
    with page.expect_navigation():
        page.locator("#password").press("Enter")
    page.goto(live_server + "/admin/")
    with page.expect_navigation():
        page.get_by_role("link", name="Übermittlungen an andere Systeme").click()
    assert page.locator("h1").inner_text() == "Übermittlungen an andere Systeme"
    assert "LRS answered 503" in page.locator("main").inner_text()
    assert_accessible(page)
    with page.expect_navigation():
        page.get_by_role("button", name="Aufgeben (Übermittlung 1)").click()
    assert "aufgegeben" in page.locator(".messages").inner_text()
    assert_accessible(page)
    with page.expect_navigation():
        page.get_by_role("button", name="Jetzt erneut senden (Übermittlung 2)").click()
    assert "nächsten Lauf" in page.locator(".messages").inner_text()
    assert_accessible(page)


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


INSTRUCTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_deep_linking_picker_in_chromium(lti_platform: Any, page: Any, course_imported: int,
                                         assert_accessible: Any) -> None:
    """The author's content selection: the picker passes axe (also with its error), the choice
    goes back to the platform, which verifies it against the tool's published key set."""
    lti_platform.launch.roles = [INSTRUCTOR]
    lti_platform.launch.custom = {}
    page.goto(lti_platform.issuer + "/select")
    heading = page.get_by_role("heading", level=1, name="Kurs für die Lernplattform auswählen")
    heading.wait_for(timeout=15000)
    assert_accessible(page)
    with page.expect_navigation():
        page.get_by_role("button", name="In die Lernplattform übernehmen").click()
    assert "Fehler" in page.title()
    assert page.get_by_role("alert").inner_text().count("Bitte wählen Sie") == 1
    assert_accessible(page)
    page.get_by_role("group", name="Beispielkurs: Sicher am Schalter").get_by_label(
        "Nur die Abschlussprüfung").check()
    page.get_by_role("button", name="In die Lernplattform übernehmen").click()
    page.locator("#received").wait_for(timeout=15000)  # auto-submitted to the platform
    assert lti_platform.deep_link_errors == []
    (item,) = lti_platform.deep_link_answers[0]["items"]
    assert item["custom"] == {"course": "beispielkurs", "target": "exam"}
    assert item["lineItem"]["resourceId"] == "beispielkurs:exam"


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_deep_linking_answer_without_javascript(lti_platform: Any, browser: Any,
                                                course_imported: int) -> None:
    """Without JavaScript the answer page waits with a button that posts it."""
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.set_default_timeout(10_000)
        lti_platform.launch.roles = [INSTRUCTOR]
        lti_platform.launch.custom = {}
        page.goto(lti_platform.issuer + "/select")
        page.get_by_role("button", name="Weiter").click()  # the platform's own form, without script
        page.get_by_label("Ganzer Kurs").check()
        page.get_by_role("button", name="In die Lernplattform übernehmen").click()
        page.get_by_role("heading", name="Zurück zur Lernplattform").wait_for()
        page.get_by_role("button", name="Weiter zur Lernplattform").click()
        page.locator("#received").wait_for()
        assert page.locator("#received").inner_text() == "Beispielkurs: Sicher am Schalter"
    finally:
        context.close()


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_dynamic_registration_in_the_platforms_frame(live_server: str, page: Any, make_user: Any, app: Any,
                                                     assert_accessible: Any) -> None:
    """The admin creates a link; the platform opens it in its frame, the admin confirms, the
    platform is stored and the platform's page receives the close message."""
    from learner_pages import LEARNER_PASSWORD
    from sqlalchemy import select

    from lernmodul.db.lti import LtiPlatform
    from lernmodul.web.database import get_database

    platform = LtiTestPlatform(host="localhost")
    platform.tool_base = live_server
    platform.start()
    try:
        make_user(("admin",), email="admin@example.org", name="Anton Admin")
        page.goto(live_server + "/login")
        page.locator("#login").fill("admin@example.org")
        page.locator("#password").fill(LEARNER_PASSWORD)
        with page.expect_navigation():
            page.locator("#password").press("Enter")
        page.goto(live_server + "/admin/lti")
        with page.expect_navigation():
            page.get_by_role("button", name="Registrierungslink erstellen").click()
        link = page.locator("#registration-link").inner_text()
        assert_accessible(page)
        # the platform: another site, so no lernmodul session in its frame
        platform_page = page.context.new_page()
        platform_page.goto(f"{platform.issuer}/tool-registration?url={link}")
        frame = platform_page.frame_locator("iframe")
        frame.get_by_role("heading", name="lernmodul bei der Lernplattform registrieren").wait_for(
            timeout=15000)
        inner = next(f for f in platform_page.frames if "/lti/register/" in f.url)
        assert_accessible(inner)
        frame.get_by_label("Name").fill("Testplattform der Stadt")
        frame.get_by_role("button", name="lernmodul registrieren").click()
        frame.get_by_role("heading", name="lernmodul ist registriert").wait_for(timeout=15000)
        inner = next(f for f in platform_page.frames if "/lti/register/" in f.url)
        assert_accessible(inner)
        platform_page.get_by_text("geschlossen").wait_for(timeout=5000)
        with get_database(app).sessions() as session:
            stored = session.scalars(select(LtiPlatform)).one()
            assert (stored.name, stored.issuer, stored.client_id) == (
                "Testplattform der Stadt", platform.issuer, CLIENT_ID)
    finally:
        platform.stop()


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_whole_path_deep_link_then_learner_passes_and_the_score_arrives(
        lti_platform: Any, page: Any, app: Any, course_imported: int, sample_course: Any) -> None:
    """Login initiation → deep-linking launch → the author picks the course → the platform
    stores the resource link → a learner launches that link → passes the exam → the score
    arrives at the platform's AGS endpoint."""
    from tests.lti.platform import NextLaunch

    lti_platform.launch.roles = [INSTRUCTOR]
    lti_platform.launch.sub = "author-1"
    lti_platform.launch.email = "autorin@example.org"
    lti_platform.launch.custom = {}
    page.goto(lti_platform.issuer + "/select")
    page.get_by_role("heading", level=1, name="Kurs für die Lernplattform auswählen").wait_for(
        timeout=15000)
    page.get_by_role("group", name="Beispielkurs: Sicher am Schalter").get_by_label("Ganzer Kurs").check()
    page.get_by_role("button", name="In die Lernplattform übernehmen").click()
    page.locator("#received").wait_for(timeout=15000)
    assert lti_platform.deep_link_errors == []
    (item,) = lti_platform.deep_link_answers[0]["items"]
    assert item["type"] == "ltiResourceLink" and item["custom"] == {"course": "beispielkurs"}
    # the platform places the link: the learner's launch carries the link's custom parameters
    page.context.clear_cookies()
    lti_platform.launch = NextLaunch(custom=dict(item["custom"]))
    # the learner's part is the score test's: open in a new window, pass the exam, score arrives
    test_learner_passes_the_exam_and_the_platform_receives_the_score(
        lti_platform, page, app, course_imported, sample_course)
