"""axe-core finds no WCAG 2.1 A/AA violation on any learner page, in any state, in German
and English — and the unit, quiz and result pages reflow at 375 CSS pixels (WCAG 1.4.10).

One walk through the course per language; axe runs at every page and state on the way:
dashboard and course page before and after starting, the unit page before starting, with
the self-check before and after checking, quizzes of every question type, the quiz with
validation errors (422), results passed and not passed, the exam, a failed exam's review
(the key withheld) and the passed one, and the completed course."""

from __future__ import annotations

from typing import Any

import pytest
from learner_pages import Mouse, answered_types, by_id, main_text, right_answers

pytestmark = pytest.mark.browser

COURSE = "/courses/beispielkurs"
PHONE = {"width": 375, "height": 740}
TEXTS = {
    "de": {
        "language": "Deutsch",
        "passed": "Bestanden",
        "failed": "Nicht bestanden",
        "error": "Fehler:",
        "not_right": "nicht richtig",
        "completed": "abgeschlossen",
    },
    "en": {
        "language": "English",
        "passed": "Passed",
        "failed": "Not passed",
        "error": "Error:",
        "not_right": "not right",
        "completed": "completed",
    },
}


def submit(page: Any, form: str) -> Any:
    """Clicks the (first) submit button of the form matching `form`; returns the response."""
    with page.expect_navigation() as navigation:
        page.locator(f"{form} button[type=submit]").first.click()
    return navigation.value


def submit_attempt(page: Any) -> Any:
    with page.expect_navigation() as navigation:
        page.locator("form.attempt-form button[value=submit]").click()
    return navigation.value


LANGUAGE_OF_PARTS = """([ui, course]) => {
    const lang = e => (e.closest('[lang]') || document.documentElement).getAttribute('lang');
    const parts = [
        [ui, 'legend.question-number, .field-hint, .field-error, .field-label, .feedback h3,'
             + ' .option-status, .explanation-title, .feedback-table thead th,'
             + ' .question select option[value=""], .self-check-title'],
        [course, '.question-stem, .choices label, .question-match select option:not([value=""]),'
                 + ' .option-text, .option-feedback, .course-card h3 a, .unit h1'],
    ];
    const wrong = [];
    let count = 0;
    for (const [expected, selector] of parts) {
        for (const e of document.querySelectorAll(selector.split(',').map(s => 'main ' + s).join(','))) {
            count++;
            if (lang(e) !== expected) {
                wrong.push(`${e.tagName}.${e.className} "${e.textContent.trim().slice(0, 30)}": ${lang(e)}`);
            }
        }
    }
    return {count, wrong};
}"""


UNTIED_HINTS = """() => {
    const refs = e => (e.getAttribute('aria-describedby') || '').split(/\\s+/);
    const untied = [];
    for (const note of document.querySelectorAll('main .question .field-hint, main .question .field-error')) {
        const set = note.closest('fieldset');
        const tied = [set, ...set.querySelectorAll('input, select')].some(e => refs(e).includes(note.id));
        if (!note.id || !tied) untied.push(`${set.id}: ${note.textContent.trim()}`);
    }
    return untied;
}"""


class Checker:
    """Runs axe (and at phone width a reflow check) and remembers what it has checked."""

    def __init__(self, page: Any, assert_accessible: Any, language: str, course_language: str) -> None:
        self.page = page
        self.assert_accessible = assert_accessible
        self.language = language
        self.course_language = course_language
        self.checked: list[str] = []
        self.parts_checked = 0

    def __call__(self, state: str, phone: bool = False) -> None:
        page = self.page
        assert page.locator("html").get_attribute("lang") == self.language, state
        self.assert_accessible(page)
        # WCAG 3.1.2: our words in the interface language, the course's in its own
        parts = page.evaluate(LANGUAGE_OF_PARTS, [self.language, self.course_language])
        assert parts["wrong"] == [], f"{state}: {parts['wrong']}"
        self.parts_checked += parts["count"]
        # hints and errors in a question are read with it (its fieldset or its control)
        untied = page.evaluate(UNTIED_HINTS)
        assert untied == [], f"{state}: {untied}"
        self.checked.append(state)
        if phone:
            default = page.viewport_size
            page.set_viewport_size(PHONE)
            try:
                overflow = page.evaluate(
                    "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
                )
                wide = page.evaluate(
                    """() => [...document.querySelectorAll('main *')]
                        .filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth)
                        .map(e => e.tagName + '.' + e.className + ' ' + e.getBoundingClientRect().width
                             + ' ' + (e.textContent || '').trim().slice(0, 40))"""
                )
                assert overflow <= 0, f"{state}: {overflow}px wider than a 375px screen: {wide}"
                self.assert_accessible(page)
                self.checked.append(f"{state} at 375px")
            finally:
                page.set_viewport_size(default)


# The markup does not depend on the database: SQLite only (the journeys run on both backends).
@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
@pytest.mark.parametrize("language", ["de", "en"])
def test_every_learner_page_and_state_passes_axe(
    live_server, signed_in_page, sample_course, assert_accessible, language
):
    page = signed_in_page
    texts = TEXTS[language]
    questions = sample_course.questions()
    check = Checker(page, assert_accessible, language, sample_course.language)
    with page.expect_navigation():
        page.get_by_role("button", name=texts["language"]).click()
    check("dashboard before starting")
    assert page.locator("#available-heading + ul .course-card").count() == 1

    page.goto(live_server + COURSE)
    check("course page before starting")
    page.goto(live_server + COURSE + "/units/grundlagen")
    assert page.locator(".unit-actions form[action$='/start']").count() == 1
    check("unit page before starting")

    page.goto(live_server + COURSE)
    submit(page, "form[action$='/start']")
    assert page.url.endswith("/units/grundlagen")
    assert page.locator(".self-check form").count() == 1
    check("unit page with the self-check", phone=True)
    by_id(page, "q-gl-begriff-input").fill("Fixierung")
    submit(page, ".self-check form")
    assert texts["not_right"] in page.locator(".self-check .feedback-wrong h3").inner_text()
    check("unit page with the self-check answered")

    page.goto(live_server + "/")
    assert page.locator("#mine-heading + ul progress").count() == 1
    check("dashboard after starting")
    page.goto(live_server + COURSE)
    assert page.locator("progress").count() == 1
    check("course page after starting")

    # unit 1: a quiz submitted empty (422 with an error summary), then not passed
    page.goto(live_server + COURSE + "/units/grundlagen")
    submit(page, "form[action$='/read']")
    submit(page, "form[action$='/quiz']")
    check("quiz page", phone=True)
    seen = answered_types(right_answers(page, questions))
    response = submit_attempt(page)
    assert response.status == 422
    assert page.title().startswith(texts["error"])
    summary = page.locator(".error-summary[role=alert]")
    links = summary.locator("a").all()
    assert len(links) == page.locator("form fieldset.question").count() == 3
    for link in links:
        fieldset = by_id(page, (link.get_attribute("href") or "").removeprefix("#"))
        error_id = f"{fieldset.get_attribute('id')}-error"
        assert error_id in (fieldset.get_attribute("aria-describedby") or "").split()
        assert by_id(page, error_id).is_visible()
    check("quiz page with validation errors", phone=True)
    page.locator("label[for=confirm_incomplete]").click()
    submit_attempt(page)
    assert page.locator(".result-verdict").inner_text() == texts["failed"]
    check("result page, not passed", phone=True)

    # retake until the quiz forms of all four unit-1 question types have been checked
    unit_types = {q.type for q in sample_course.unit("grundlagen").quiz_questions}
    for attempt in range(12):
        page.goto(live_server + COURSE + "/units/grundlagen")
        if attempt == 0:
            check("unit page after a failed quiz")
        submit(page, "form[action$='/quiz']")
        steps = right_answers(page, questions)
        if not answered_types(steps) <= seen:
            check(f"quiz page with {sorted(t.value for t in answered_types(steps))}")
            seen |= answered_types(steps)
        Mouse(page).answer(steps)
        submit_attempt(page)
        assert page.locator(".result-verdict").inner_text() == texts["passed"]
        if attempt == 0:
            check("result page, passed", phone=True)
        if unit_types <= seen:
            break
    assert unit_types <= seen

    # unit 2: match and number questions
    page.goto(live_server + COURSE + "/units/praxis")
    submit(page, "form[action$='/read']")
    submit(page, "form[action$='/quiz']")
    steps = right_answers(page, questions)
    check("quiz page with match and number questions", phone=True)
    Mouse(page).answer(steps)
    submit_attempt(page)
    assert page.locator(".result-verdict").inner_text() == texts["passed"]

    # the exam, its result, the completed course
    page.goto(live_server + COURSE)
    check("course page with the exam open")
    submit(page, "form[action$='/exam']")
    assert page.locator(".deadline").is_visible()
    check("exam page", phone=True)
    # a failed exam first: its review shows right or wrong per question, not the key
    assert submit_attempt(page).status == 422
    page.locator("label[for=confirm_incomplete]").click()
    submit_attempt(page)
    assert page.locator(".result-verdict").inner_text() == texts["failed"]
    assert page.locator(".review-note").count() == 1
    assert page.locator(".option-correct, .explanation, .option-feedback").count() == 0
    check("exam result, not passed (key withheld)", phone=True)
    page.goto(live_server + COURSE)
    submit(page, "form[action$='/exam']")
    Mouse(page).answer(right_answers(page, questions))
    submit_attempt(page)
    assert page.locator(".result-verdict").inner_text() == texts["passed"]
    check("exam result with the course completed", phone=True)
    page.goto(live_server + COURSE)
    assert page.locator(".status-done[role=status]").count() == 1
    check("course page, course completed")
    page.goto(live_server + "/")
    assert texts["completed"] in main_text(page).lower()
    check("dashboard, course completed")

    assert len(check.checked) >= 20 and check.parts_checked > 100
