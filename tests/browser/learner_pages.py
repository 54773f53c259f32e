"""Reading the learner pages like a learner who knows the answers, and acting on them.

`right_answers(page, questions)` reads the rendered questions (labels, select options) and
returns the steps that answer them correctly: the page shows display tokens, never option
ids, so the only way in is the visible text. Two drivers carry the steps out: `Mouse`
(clicks, and select_option for native selects) and `Keyboard` (Tab, Shift+Tab, arrows,
Space, Enter and typing only; it checks that every control it uses shows a visible focus).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lernmodul.core.model import Question, QuestionType

LEARNER_EMAIL = "lea@example.org"
LEARNER_PASSWORD = "correct-horse-battery"  # the default of the `make_user` fixture
CHOICE_TYPES = (QuestionType.SINGLE, QuestionType.TRUEFALSE, QuestionType.MULTIPLE)


def normalised(text: str) -> str:
    return " ".join(text.split())


@dataclass(frozen=True)
class Step:
    """One thing to do to a form control: check it, pick a select entry, or type text."""

    question: Question
    action: str  # "check" | "select" | "type"
    target: str  # the control's id
    value: str = ""  # select: the entry's visible text; type: the text


def by_id(page: Any, element_id: str) -> Any:
    return page.locator(f'[id="{element_id}"]')


def right_answers(page: Any, questions: dict[str, Question], scope: str = "form.attempt-form") -> list[Step]:
    """The steps that answer every question within `scope` correctly, read off the page."""
    steps: list[Step] = []
    for fieldset in page.locator(f"{scope} fieldset.question").all():
        question = questions[(fieldset.get_attribute("id") or "").removeprefix("q-")]
        labels = [
            (normalised(label.inner_text()), label.get_attribute("for") or "")
            for label in fieldset.locator("label").all()
        ]
        kind = question.type
        if kind in CHOICE_TYPES:
            wanted = {normalised(o.text) for o in question.options if o.is_correct}
            chosen = [(text, target) for text, target in labels if text in wanted]
            assert {text for text, _ in chosen} == wanted, (question.id, labels)
            steps.extend(Step(question, "check", target) for _, target in chosen)
        elif kind is QuestionType.ORDER:
            position = {normalised(o.text): n for n, o in enumerate(question.options, 1)}
            assert sorted(text for text, _ in labels) == sorted(position), (question.id, labels)
            steps.extend(Step(question, "select", t, str(position[text])) for text, t in labels)
        elif kind is QuestionType.CLOZE:
            # each gap's label is "Lücke N von M" / "Gap N of M", for the gap's field
            assert len(labels) == len(question.gaps), (question.id, labels)
            for gap, (_text, target) in zip(question.gaps, labels, strict=True):
                assert target.endswith(f"-g{gap.key}"), (question.id, labels)
                if gap.options:
                    right = next(o.text for o in gap.options if o.is_correct)
                    steps.append(Step(question, "select", target, normalised(right)))
                else:
                    answer = gap.answers[0] if gap.answers else f"{gap.number_answer.value:g}"
                    steps.append(Step(question, "type", target, answer))
        elif kind is QuestionType.MATCH:
            right_side = {normalised(o.text): normalised(o.match_text) for o in question.options}
            assert sorted(text for text, _ in labels) == sorted(right_side), (question.id, labels)
            steps.extend(Step(question, "select", t, right_side[text]) for text, t in labels)
        else:
            answer = (
                f"{question.number_answers[0].value:g}"
                if kind is QuestionType.NUMBER
                else question.text_answers[0]
            )
            ((_, target),) = labels
            steps.append(Step(question, "type", target, answer))
    assert steps, f"no questions found in {scope!r} on {page.url}"
    return steps


def answered_types(steps: list[Step]) -> set[QuestionType]:
    return {step.question.type for step in steps}


def sign_in(page: Any, base_url: str, email: str = LEARNER_EMAIL) -> None:
    """Signs in through the login form (the password of `make_user`)."""
    page.goto(base_url + "/login")
    page.locator("#login").fill(email)
    page.locator("#password").fill(LEARNER_PASSWORD)
    with page.expect_navigation():
        page.locator("#password").press("Enter")
    assert page.url == base_url + "/", page.url


class Mouse:
    """Clicks links, buttons and labels; picks entries of native selects."""

    def __init__(self, page: Any) -> None:
        self.page = page

    def follow_link(self, name: str) -> None:
        with self.page.expect_navigation():
            self.page.get_by_role("link", name=name, exact=True).first.click()

    def press_button(self, name: str) -> Any:
        with self.page.expect_navigation() as navigation:
            self.page.get_by_role("button", name=name, exact=True).click()
        return navigation.value

    def type_into(self, element_id: str, text: str) -> None:
        by_id(self.page, element_id).click()
        self.page.keyboard.type(text)

    def answer(self, steps: list[Step]) -> None:
        for step in steps:
            control = by_id(self.page, step.target)
            if step.action == "check":
                self.page.locator(f'label[for="{step.target}"]').click()
                assert control.is_checked(), step
            elif step.action == "select":
                # a native select's list is drawn outside the page; this is what a click does
                control.select_option(label=step.value)
            else:
                self.type_into(step.target, step.value)


FOCUSED = """() => {
    const el = document.activeElement;
    const style = getComputedStyle(el);
    return {id: el.id, tag: el.tagName, name: el.getAttribute('name') || '',
            type: el.getAttribute('type') || '', value: el.value || '',
            text: el.innerText ? el.innerText.trim() : '',
            checked: !!el.checked, outline: style.outlineStyle,
            outlineWidth: parseFloat(style.outlineWidth), inMain: !!el.closest('main')};
}"""


def focused(page: Any) -> dict[str, Any]:
    return page.evaluate(FOCUSED)


def assert_focus_visible(info: dict[str, Any]) -> None:
    assert info["outline"] not in ("none", "") and info["outlineWidth"] >= 2, info


class Keyboard:
    """Only `page.keyboard`: Tab/Shift+Tab to a control, then Enter, Space, arrows, typing."""

    TAB_LIMIT = 80

    def __init__(self, page: Any) -> None:
        self.page = page
        self.controls_used = 0

    def tab_to(self, matches: Any, what: str, key: str = "Tab") -> dict[str, Any]:
        for _ in range(self.TAB_LIMIT):
            self.page.keyboard.press(key)
            info = focused(self.page)
            if matches(info):
                assert_focus_visible(info)
                self.controls_used += 1
                return info
        raise AssertionError(f"{what} not reachable with {key} on {self.page.url}")

    def follow_link(self, name: str) -> None:
        self.tab_to(lambda f: f["tag"] == "A" and f["text"] == name, f"link {name!r}")
        with self.page.expect_navigation():
            self.page.keyboard.press("Enter")

    def press_button(self, name: str) -> Any:
        self.tab_to(
            lambda f: (
                (f["tag"] == "BUTTON" and f["text"] == name)
                or (f["tag"] == "INPUT" and f["type"] == "submit" and f["value"] == name)
            ),
            f"button {name!r}",
        )
        with self.page.expect_navigation() as navigation:
            self.page.keyboard.press("Enter")
        return navigation.value

    def type_into(self, element_id: str, text: str) -> None:
        self.tab_to(lambda f: f["id"] == element_id, f"#{element_id}")
        self.page.keyboard.type(text)

    def answer(self, steps: list[Step]) -> None:
        for step in steps:
            control = by_id(self.page, step.target)
            if step.action == "type":
                self.type_into(step.target, step.value)
            elif step.action == "select":
                self.tab_to(lambda f, t=step.target: f["id"] == t, f"#{step.target}")
                entries = [normalised(t) for t in control.locator("option").all_inner_texts()]
                now = control.evaluate("s => s.selectedIndex")
                moves = entries.index(step.value) - now
                for _ in range(abs(moves)):
                    self.page.keyboard.press("ArrowDown" if moves > 0 else "ArrowUp")
                picked = control.evaluate("s => s.options[s.selectedIndex].text")
                assert normalised(picked) == step.value, (step, picked)
            elif control.get_attribute("type") == "radio":
                # a radio group is one tab stop; the arrow keys move within it (and select)
                name = control.get_attribute("name")
                info = self.tab_to(lambda f, n=name: f["name"] == n, f"radio group {name}")
                for _ in range(10):
                    if info["id"] == step.target:
                        break
                    self.page.keyboard.press("ArrowDown")
                    info = focused(self.page)
                    assert_focus_visible(info)
                if not info["checked"]:
                    self.page.keyboard.press("Space")
                assert control.is_checked(), step
            else:
                self.tab_to(lambda f, t=step.target: f["id"] == t, f"#{step.target}")
                self.page.keyboard.press("Space")
                assert control.is_checked(), step


def main_text(page: Any) -> str:
    return normalised(page.locator("main").inner_text())
