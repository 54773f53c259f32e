"""The whole learner journey in Chromium, from sign-in to course completion: with the
mouse, with the keyboard only, and with JavaScript switched off.

One journey, three drivers: every step reads the page (headings, labels, select entries)
and acts on what a learner sees; the answer key is the compiled course."""

from __future__ import annotations

import re
from typing import Any

import pytest
from learner_pages import (
    LEARNER_EMAIL,
    LEARNER_PASSWORD,
    Keyboard,
    Mouse,
    answered_types,
    assert_focus_visible,
    focused,
    main_text,
    right_answers,
)
from sqlalchemy import select

from lernmodul.core.model import QuestionType

pytestmark = pytest.mark.browser

COURSE_TITLE = "Beispielkurs: Sicher am Schalter"


def take_quiz(page: Any, driver: Any, questions: dict[str, Any], start: str) -> set[QuestionType]:
    """Starts (or retakes) the quiz on a unit page, answers it right, expects "Bestanden"."""
    driver.press_button(start)
    assert re.search(r"/attempts/\d+$", page.url), page.url
    steps = right_answers(page, questions)
    driver.answer(steps)
    driver.press_button("Antworten abgeben")
    assert page.url.endswith("/result"), page.url
    assert page.locator(".result-verdict").inner_text() == "Bestanden"
    assert page.locator(".feedback-wrong").count() == 0
    return answered_types(steps)


def walk_the_course(page: Any, driver: Any, base_url: str, course: Any) -> set[QuestionType]:
    """Sign-in to completion; returns the question types answered on the way."""
    questions = course.questions()
    page.goto(base_url + "/login")
    driver.type_into("login", LEARNER_EMAIL)
    driver.type_into("password", LEARNER_PASSWORD)
    driver.press_button("Anmelden")
    assert page.url == base_url + "/"
    assert page.locator("h1").inner_text() == "Meine Kurse"
    available = page.locator("section[aria-labelledby=available-heading]")
    assert COURSE_TITLE in available.inner_text()

    driver.follow_link(COURSE_TITLE)
    assert page.url == base_url + "/courses/beispielkurs"
    assert page.locator("h1").inner_text() == COURSE_TITLE
    assert "nicht begonnen" in page.locator(".unit-list").inner_text()
    driver.press_button("Kurs beginnen")

    # unit 1: the image, the inline self-check, then "mark as read" and the quiz
    assert page.url == base_url + "/courses/beispielkurs/units/grundlagen"
    assert page.locator("h1").inner_text() == "Grundlagen"
    image = page.locator("article img")
    assert image.get_attribute("alt") == "Ampel mit drei Stufen"
    assert image.evaluate("i => i.complete && i.naturalWidth") > 0  # loaded from course media
    (check,) = right_answers(page, questions, scope=".self-check")
    assert check.question.type is QuestionType.TEXT
    driver.type_into(check.target, check.value)
    driver.press_button("Antwort prüfen")
    feedback = page.locator(".self-check .feedback")
    assert "feedback-right" in (feedback.get_attribute("class") or "")
    assert "richtig" in feedback.locator("h3").inner_text()
    assert "Leakage" in feedback.inner_text()
    seen = {check.question.type}

    driver.press_button("Als gelesen markieren")
    assert page.url.endswith("/units/grundlagen#quiz")
    assert "Sie haben diese Einheit gelesen." in main_text(page)
    seen |= take_quiz(page, driver, questions, "Quiz starten")
    # the quiz draws 3 of 4 types: retake it until each has been answered (the learner may)
    unit_types = {q.type for q in course.unit("grundlagen").quiz_questions}
    for _ in range(12):
        if unit_types <= seen:
            break
        driver.follow_link("Zurück zur Einheit")
        seen |= take_quiz(page, driver, questions, "Quiz wiederholen")
    assert unit_types <= seen

    driver.follow_link("Zurück zur Einheit")
    assert "Bestanden." in page.locator("#quiz + p").inner_text()
    driver.follow_link("Weiter: Praxis")

    # unit 2
    assert page.locator("h1").inner_text() == "Praxis"
    driver.press_button("Als gelesen markieren")
    seen |= take_quiz(page, driver, questions, "Quiz starten")
    driver.follow_link("Kursübersicht")

    # the final exam
    units = page.locator(".unit-list li")
    assert units.count() == 2
    for n in range(2):
        assert "abgeschlossen" in units.nth(n).inner_text()
    driver.press_button("Abschlussprüfung beginnen oder fortsetzen")
    assert page.locator("h1").inner_text() == "Abschlussprüfung"
    assert "Minuten" in page.locator(".deadline").inner_text()
    steps = right_answers(page, questions)
    assert len(steps) >= 5 and any(s.question.unit_id is None for s in steps)
    driver.answer(steps)
    seen |= answered_types(steps)
    driver.press_button("Antworten abgeben")
    assert page.locator(".result-verdict").inner_text() == "Bestanden"
    assert f"Sie haben den Kurs „{COURSE_TITLE}“ abgeschlossen." in main_text(page)

    # completion shows on the course page and on the dashboard
    driver.follow_link("Kursübersicht")
    assert re.search(r"Sie haben diesen Kurs am .+ abgeschlossen\.", main_text(page))
    assert "Bestanden am" in page.locator(".exam-box").inner_text()
    driver.follow_link("Meine Kurse")
    assert page.url == base_url + "/"
    mine = page.locator("section[aria-labelledby=mine-heading]")
    assert COURSE_TITLE in mine.inner_text() and "Abgeschlossen am" in mine.inner_text()
    assert COURSE_TITLE not in page.locator("section[aria-labelledby=available-heading]").inner_text()
    return seen


def assert_completed_in_database(app: Any) -> None:
    from lernmodul.db.models import Enrolment
    from lernmodul.web.database import get_database

    with get_database(app).read_sessions() as session:
        enrolment = session.scalars(select(Enrolment)).one()
        assert enrolment.completed_at is not None and enrolment.exam_passed_at is not None


def test_whole_journey_with_the_mouse(app, live_server, page, learner, sample_course):
    seen = walk_the_course(page, Mouse(page), live_server, sample_course)
    assert seen == set(QuestionType)
    assert_completed_in_database(app)


def assert_skip_link_works(page: Any) -> None:
    """The first Tab stop is the skip link, shown when focused; it moves focus to <main>."""
    page.keyboard.press("Tab")
    skip = focused(page)
    assert skip["tag"] == "A" and skip["text"] == "Zum Hauptinhalt springen"
    assert_focus_visible(skip)
    box = page.locator(".skip-link").bounding_box()
    assert box is not None and box["y"] >= 0 and box["height"] > 0  # on screen, not clipped away
    page.keyboard.press("Enter")
    assert focused(page)["id"] == "main"
    page.keyboard.press("Tab")
    assert focused(page)["inMain"], "Tab after the skip link leaves the main content"
    page.keyboard.press("Shift+Tab")  # back past <main> to the header's last control
    assert not focused(page)["inMain"]


def test_whole_journey_with_the_keyboard_only(app, live_server, page, learner, sample_course):
    keyboard = Keyboard(page)
    page.goto(live_server + "/login")
    assert_skip_link_works(page)

    seen = walk_the_course(page, keyboard, live_server, sample_course)
    assert seen == set(QuestionType)
    assert keyboard.controls_used > 30
    assert_completed_in_database(app)

    page.goto(live_server + "/courses/beispielkurs/units/praxis")
    assert_skip_link_works(page)
    assert focused(page)["text"] == "English"  # (the language switch ends the header)


def test_whole_journey_without_javascript(app, live_server, browser, learner, sample_course):
    context = browser.new_context(java_script_enabled=False)
    context.set_default_timeout(10_000)
    try:
        page = context.new_page()
        page.set_content("<title>off</title><script>document.title = 'on'</script>")
        assert page.title() == "off"  # page scripts really do not run
        seen = walk_the_course(page, Mouse(page), live_server, sample_course)
        assert seen == set(QuestionType)
    finally:
        context.close()
    assert_completed_in_database(app)
