"""A cloze quiz in Chromium: answered with the keyboard only, axe-clean before and after
submitting (German and English), and answered and graded with JavaScript switched off."""

from __future__ import annotations

from typing import Any

import pytest
from learner_pages import Keyboard, by_id, main_text, right_answers, sign_in

pytestmark = pytest.mark.browser

COURSE = "/courses/beispielkurs"
QID = "pr-notruf"


BUTTONS = {"de": ("Kurs beginnen", "Quiz starten", "Antworten abgeben"),
           "en": ("Start the course", "Start the quiz", "Submit answers")}


def open_quiz(page: Any, base: str, language: str = "de") -> None:
    """Starts the course and the quiz of the unit with the cloze, with the keyboard."""
    start_course, start_quiz, _submit = BUTTONS[language]
    page.goto(base + COURSE)
    keys = Keyboard(page)
    keys.press_button(start_course)
    page.goto(base + COURSE + "/units/praxis")
    keys.press_button(start_quiz)
    assert "/attempts/" in page.url


@pytest.mark.parametrize(("language", "label", "verdict"), [
    ("de", "Lücke 3 von 3", "nicht richtig"), ("en", "Gap 3 of 3", "not right")])
def test_a_cloze_quiz_keyboard_only_and_accessible(live_server, page, learner, sample_course,
                                                   assert_accessible, language, label,
                                                   verdict) -> None:
    page.context.add_cookies([{"name": "lernmodul_lang", "value": language,
                               "url": live_server}])
    sign_in(page, live_server)
    open_quiz(page, live_server, language)
    questions = sample_course.questions()
    gap = by_id(page, f"q-{QID}-g3")
    assert gap.evaluate("e => e.labels[0].textContent") == label
    assert by_id(page, f"q-{QID}-g1").evaluate(
        "e => e.closest('.question-stem') !== null")  # the field stands in the text
    assert_accessible(page)
    steps = right_answers(page, questions)
    cloze = [s for s in steps if s.question.id == QID]
    assert [s.action for s in cloze] == ["type", "type", "select"]
    # every gap right except the number: a wrong number, typed with the keyboard only
    keys = Keyboard(page)
    keys.answer([s for s in steps if s.question.id != QID or s.action == "select"])
    keys.type_into(f"q-{QID}-g1", "110")
    keys.type_into(f"q-{QID}-g2", "113")
    keys.press_button(BUTTONS[language][2])
    assert "/result" in page.url, main_text(page)
    review = page.locator(f"#fb-{QID}").locator("xpath=..")
    text = " ".join(review.inner_text().split())
    assert f"113 ({verdict}" in text and "112)" in text
    assert_accessible(page)


def test_a_cloze_quiz_works_without_javascript(live_server, browser, learner,
                                               sample_course) -> None:
    context = browser.new_context(java_script_enabled=False)
    context.set_default_timeout(10_000)
    try:
        page = context.new_page()
        sign_in(page, live_server)
        open_quiz(page, live_server)
        for step in right_answers(page, sample_course.questions()):
            control = by_id(page, step.target)
            if step.action == "check":
                page.locator(f'label[for="{step.target}"]').click()
            elif step.action == "select":
                control.select_option(label=step.value)
            else:
                control.fill(step.value)
        with page.expect_navigation():
            page.locator("form.attempt-form button[value=submit]").click()
        assert "/result" in page.url
        assert "Bestanden" in main_text(page)
        assert page.locator(f"#fb-{QID}").inner_text().strip().endswith("(1 von 1 Punkten)")
    finally:
        context.close()
