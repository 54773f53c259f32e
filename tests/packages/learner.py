"""A scripted learner for the package player: reads units, answers quizzes and the exam
right or wrong (it knows the course, as the test does), by keyboard-reachable controls."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from lernmodul.core.model import Course, GapKind, Question, QuestionType


def open_view(frame: Any, name: str) -> None:
    """Follows the link to a view (as a learner does) and waits until the view is shown."""
    section = ("view-quiz" if name.startswith("quiz-") else "view-exam" if name == "exam"
               else f"view-{name}" if name == "start" else f"view-unit-{name[5:]}")
    frame.evaluate("name => { window.location.hash = '#' + name; }", name)
    frame.wait_for_function("id => !document.getElementById(id).hidden", arg=section)


def read_unit(frame: Any, unit_id: str) -> None:
    open_view(frame, f"unit-{unit_id}")
    section = frame.locator(f"#view-unit-{unit_id}")
    section.locator("h1").wait_for()
    button = section.get_by_role("button", name="Als gelesen markieren")
    if button.count():
        button.click()
    section.get_by_text("Sie haben diese Einheit gelesen.").wait_for()


def _html_match(label_html: str, option_html: str) -> bool:
    return label_html.strip() == option_html.strip()


def fill_cloze(fieldset: Any, question: Question, *, right: bool) -> None:
    """Fills every gap of a cloze (found by its label "Lücke N von M"), right or wrong."""
    total = len(question.gaps)
    for gap in question.gaps:
        field = fieldset.get_by_label(f"Lücke {gap.number} von {total}", exact=True)
        if gap.kind is GapKind.CHOICE:
            option = next(o for o in gap.options if o.is_correct == right)
            field.select_option(label=option.text)
        elif gap.kind is GapKind.NUMBER:
            assert gap.number_answer is not None
            field.fill(f"{gap.number_answer.value:g}".replace(".", ",") if right else "12345")
        else:
            field.fill(f" {gap.answers[0].upper()} " if right else "falsch")


def answer_question(fieldset: Any, question: Question, *, right: bool) -> None:
    """Answers one question's fieldset, right or wrong."""
    kind = question.type
    if kind in (QuestionType.SINGLE, QuestionType.TRUEFALSE, QuestionType.MULTIPLE):
        for choice in fieldset.locator("li.choice").all():
            label_html = choice.locator("label").inner_html()
            option = next(o for o in question.options if _html_match(label_html, o.html))
            if option.is_correct == right or (kind is QuestionType.MULTIPLE and not right
                                               and not option.is_correct):
                choice.locator("input").check()
                if kind is not QuestionType.MULTIPLE:
                    break
    elif kind is QuestionType.ORDER:
        items = fieldset.locator("li.choice").all()
        positions = list(range(len(items)))
        if not right:
            positions.reverse()
        for item in items:
            label_html = item.locator("label").inner_html()
            index = next(n for n, o in enumerate(question.options)
                         if _html_match(label_html, o.html))
            item.locator("select").select_option(value=str(positions[index] + 1))
    elif kind is QuestionType.MATCH:
        for n, item in enumerate(fieldset.locator("li.choice").all()):
            option = question.options[n]
            target = option.match_text if right else question.options[
                (n + 1) % len(question.options)].match_text
            item.locator("select").select_option(label=target)
    elif kind is QuestionType.CLOZE:
        fill_cloze(fieldset, question, right=right)
    elif kind is QuestionType.NUMBER:
        value = question.number_answers[0].value
        fieldset.locator("input").fill(f"{value:g}".replace(".", ",") if right else "12345")
    else:
        fieldset.locator("input").fill(f"  {question.text_answers[0].upper()} " if right
                                       else "falsch")


def answer(frame: Any, course: Course, scope: str, *, right: bool,
           only: Collection[int] | None = None, submit: bool = True) -> None:
    """Answers the questions in the visible form of `scope` (#lm-quiz or #lm-exam): all, or
    those at the places in `only` (0-based); then submits it (unless `submit` is false)."""
    questions = course.questions()
    for n, fieldset in enumerate(frame.locator(f"{scope} fieldset.question").all()):
        if only is None or n in only:
            answer_question(fieldset, questions[fieldset.get_attribute("data-question")],
                            right=right)
    if submit:
        frame.locator(f"{scope} form button[type=submit]").click()


FORM_STATE = """scope => Array.from(document.querySelectorAll(scope + " fieldset.question")).map(fs => ({
  id: fs.getAttribute("data-question"),
  shown: Array.from(fs.querySelectorAll("label, option")).map(e => e.textContent),
  values: Array.from(fs.querySelectorAll("input, select")).map(
    e => e.type === "radio" || e.type === "checkbox" ? (e.checked ? "checked" : "") : e.value)
}))"""


def form_state(frame: Any, scope: str) -> list[dict[str, Any]]:
    """Per question of the form in `scope`, in order: its id, what is shown (labels and
    options, in their order) and every field's value."""
    return list(frame.evaluate(FORM_STATE, scope))


def take_quiz(frame: Any, course: Course, unit_id: str, *, right: bool) -> str:
    open_view(frame, "start")
    open_view(frame, f"quiz-{unit_id}")
    answer(frame, course, "#lm-quiz", right=right)
    return frame.locator("#lm-quiz-result").inner_text()


def take_exam(frame: Any, course: Course, *, right: bool) -> str:
    open_view(frame, "start")
    open_view(frame, "exam")
    answer(frame, course, "#lm-exam", right=right)
    return frame.locator("#lm-exam-result").inner_text()
