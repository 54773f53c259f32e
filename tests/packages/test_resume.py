"""An open quiz or exam survives closing the package: the learner answers part of it, the
SCO closes (LMSFinish / Terminate), a new session in a new frame gets the runtime's stored CMI
data and shows the same questions with the same answers; the started exam attempt stays
counted, and its time limit runs from its start."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from learner import answer, form_state, open_view, read_unit
from scorm_session import close, launch, pass_units, resume_json

from lernmodul.content import load_course
from lernmodul.core.model import Course, QuestionType
from lernmodul.packages import build_package

FLAGSHIP = Path(__file__).resolve().parents[2] / "courses" / "bedrohungsmanagement"


def location(cmi: dict[str, Any], kind: str) -> str:
    return str(cmi["core"]["lesson_location"] if kind == "scorm12" else cmi["location"])


def player_state(frame: Any) -> dict[str, Any]:
    return dict(frame.evaluate("window.LernmodulPlayer.state()"))


@pytest.mark.parametrize("kind", ["scorm12", "scorm2004"])
def test_open_exam_is_resumed_with_its_answers(kind: str, page: Any,
                                               package_site: Callable[[bytes], str],
                                               export: Callable[..., bytes],
                                               sample_course: Course,
                                               assert_accessible: Callable[[Any], None]) -> None:
    base = package_site(export(kind))
    frame = launch(page, base, kind)
    pass_units(frame, sample_course)
    open_view(frame, "start")
    open_view(frame, "exam")
    count = frame.locator("#lm-exam fieldset.question").count()
    half = range(count // 2)
    answer(frame, sample_course, "#lm-exam", right=True, only=half, submit=False)
    before = form_state(frame, "#lm-exam")
    assert [n for n, q in enumerate(before) if any(q["values"])] == list(half)
    cmi = close(page, frame)
    state = json.loads(cmi["suspend_data"])
    assert state["e"][:2] == [1, 0] and "x" in state  # one attempt started, none graded
    assert location(cmi, kind) == "exam"

    # a new session in a new frame, from what the LMS stored: the same exam, the same answers
    frame = launch(page, base, kind, resume_json(cmi, kind))
    assert frame.locator("#view-exam").is_visible()
    assert form_state(frame, "#lm-exam") == before
    assert player_state(frame)["e"][0] == 1  # relaunching gave no new attempt
    assert_accessible(page)
    # leaving the exam and coming back gives the same attempt too
    open_view(frame, "start")
    entry = frame.locator("#lm-exam-entry")
    assert "Verbleibende Versuche: 2." in entry.inner_text()
    entry.get_by_role("link", name="Prüfung fortsetzen").click()
    frame.locator("#lm-exam fieldset.question").first.wait_for()
    assert form_state(frame, "#lm-exam") == before
    answer(frame, sample_course, "#lm-exam", right=True, only=range(count // 2, count))
    assert frame.locator("#lm-exam-result").inner_text().startswith("Bestanden.")
    cmi = page.evaluate("window.cmi()")
    if kind == "scorm12":
        assert cmi["core"]["lesson_status"] == "passed"
        assert float(cmi["core"]["score"]["raw"]) == 100
    else:
        assert cmi["success_status"] == "passed" and cmi["completion_status"] == "completed"
        assert float(cmi["score"]["scaled"]) == 1
    state = json.loads(cmi["suspend_data"])
    assert state["e"][:3] == [1, 1, 1] and "x" not in state


def test_open_quiz_is_resumed_and_a_left_quiz_is_not(page: Any,
                                                     package_site: Callable[[bytes], str],
                                                     export: Callable[..., bytes],
                                                     sample_course: Course) -> None:
    base = package_site(export("scorm2004"))
    frame = launch(page, base, "scorm2004")
    unit = sample_course.units[1]  # match, number and cloze
    read_unit(frame, unit.id)
    open_view(frame, f"quiz-{unit.id}")
    answer(frame, sample_course, "#lm-quiz", right=True, only=range(2), submit=False)
    before = form_state(frame, "#lm-quiz")
    cmi = close(page, frame)
    assert cmi["location"] == f"quiz-{unit.id}"
    frame = launch(page, base, "scorm2004", resume_json(cmi, "scorm2004"))
    assert frame.locator("#view-quiz").is_visible()
    assert form_state(frame, "#lm-quiz") == before
    answer(frame, sample_course, "#lm-quiz", right=True, only=range(2, 3))
    assert frame.locator("#lm-quiz-result").inner_text().startswith("Bestanden. 4 von 4 Punkten")
    assert json.loads(page.evaluate("window.cmi()")["suspend_data"])["q"]["1"] == [1, 1]
    # a quiz the learner leaves is given up: the next session starts in the unit
    open_view(frame, f"quiz-{unit.id}")
    open_view(frame, f"unit-{unit.id}")
    cmi = close(page, frame)
    assert "p" not in json.loads(cmi["suspend_data"]) and cmi["location"] == f"unit-{unit.id}"


def test_time_limit_runs_from_the_start_of_the_attempt(page: Any,
                                                       package_site: Callable[[bytes], str],
                                                       export: Callable[..., bytes],
                                                       sample_course: Course) -> None:
    """An exam started 31 minutes ago (30-minute limit) is submitted on relaunch."""
    base = package_site(export("scorm12"))
    frame = launch(page, base, "scorm12")
    pass_units(frame, sample_course)
    open_view(frame, "start")
    open_view(frame, "exam")
    answer(frame, sample_course, "#lm-exam", right=True, only=[0], submit=False)
    cmi = close(page, frame)
    state = json.loads(cmi["suspend_data"])
    state["x"]["t"] -= 31 * 60  # what the LMS hands back half an hour later
    cmi["suspend_data"] = json.dumps(state)
    frame = launch(page, base, "scorm12", resume_json(cmi, "scorm12"))
    frame.get_by_text("Die Zeit ist abgelaufen; Ihre Antworten wurden abgegeben.").wait_for()
    assert frame.locator("#lm-exam-result").inner_text().startswith("Nicht bestanden.")
    state = json.loads(page.evaluate("window.cmi()")["suspend_data"])
    assert state["e"][:2] == [1, 1] and "x" not in state
    assert page.evaluate("window.cmi()")["core"]["lesson_status"] == "failed"


EXAM_MD = "Nur in der Prüfung.\n\n" + "".join(
    f"::: question text id=ex-text-{n}\nWie lautet das Stichwort {n}?\n\n- = Stichwort{n}\n:::\n\n"
    for n in range(1, 9)) + "".join(
    f"::: question cloze id=ex-luecke-{n}\nErst [[eins]], dann [[zwei]], zuletzt [[drei]] "
    f"und [[*vier|fünf]].\n:::\n\n" for n in range(1, 3))


def test_biggest_flagship_exam_with_long_typed_answers_fits_scorm12(
        page: Any, package_site: Callable[[bytes], str], tmp_path: Path) -> None:
    """The flagship course's exam (2 of each of 9 units) plus typed exam-only questions, every
    typed answer about 490 characters long: the whole suspend data stays within SCORM 1.2's
    4096 (UTF-8 bytes); the typed texts are dropped first (longest first), every other answer
    is kept, and the learner is told."""
    folder = tmp_path / "course"
    shutil.copytree(FLAGSHIP, folder)
    (folder / "exam.md").write_text(EXAM_MD, encoding="utf-8")
    result = load_course(folder)
    assert result.course is not None and result.ok
    course = result.course
    base = package_site(build_package(course, {}, "scorm12"))
    done = {"v": 1, "r": list(range(len(course.units))),
            "q": {str(n): [1, 1] for n in range(len(course.units))}, "e": [0, 0, 0, 0, 0, 0]}
    frame = launch(page, base, "scorm12", {"suspend_data": json.dumps(done),
                                           "core": {"lesson_status": "incomplete",
                                                    "entry": "resume"}})
    open_view(frame, "exam")
    fieldsets = frame.locator("#lm-exam fieldset.question")
    assert fieldsets.count() == 18 + 10
    questions = course.questions()
    answer(frame, course, "#lm-exam", right=True, submit=False)
    padding = " " * 480
    typed = 0
    for fieldset in fieldsets.all():
        question = questions[fieldset.get_attribute("data-question")]
        if question.type is QuestionType.TEXT:
            fieldset.locator("input").fill(f"Stichwort{question.id[8:]}{padding}")
            typed += 1
        elif question.type is QuestionType.CLOZE:
            for n, word in enumerate(("eins", "zwei", "drei"), 1):
                fieldset.get_by_label(f"Lücke {n} von 4", exact=True).fill(word + padding)
                typed += 1
    assert typed == 14
    before = form_state(frame, "#lm-exam")
    cmi = close(page, frame)
    assert page.evaluate("window.API.LMSGetLastError()") in ("0", 0)
    suspend = cmi["suspend_data"]
    assert len(suspend.encode()) <= 4096
    assert len("".join(v for q in before for v in q["values"])) > 4096  # it had to drop some

    frame = launch(page, base, "scorm12", resume_json(cmi, "scorm12"))
    frame.get_by_text("Einige Ihrer getippten Antworten konnten nicht aufbewahrt werden.",
                      exact=False).wait_for()
    after = form_state(frame, "#lm-exam")
    assert [q["id"] for q in after] == [q["id"] for q in before]
    assert [q["shown"] for q in after] == [q["shown"] for q in before]
    dropped = kept = 0
    for old, new in zip(before, after, strict=True):
        for was, now in zip(old["values"], new["values"], strict=True):
            if len(was) > 400:  # a long typed text: kept as typed, or dropped whole
                assert now in (was, "")
                dropped += now == ""
                kept += now == was
            else:
                assert now == was  # every choice is kept
    assert dropped > 0 and kept > 0
    # the learner types the dropped ones again and passes
    for fieldset in frame.locator("#lm-exam fieldset.question").all():
        for field in fieldset.locator("input[type=text]").all():
            if field.input_value() == "":
                question = questions[fieldset.get_attribute("data-question")]
                label = field.get_attribute("id") or ""
                word = (f"Stichwort{question.id[8:]}" if question.type is QuestionType.TEXT
                        else ("eins", "zwei", "drei")[int(label.rsplit("-g", 1)[1]) - 1])
                field.fill(word)
    frame.locator("#lm-exam form button[type=submit]").click()
    assert frame.locator("#lm-exam-result").inner_text().startswith("Bestanden.")
    cmi = page.evaluate("window.cmi()")
    assert cmi["core"]["lesson_status"] == "passed" and float(cmi["core"]["score"]["raw"]) == 100
