"""SCORM 1.2 and 2004 packages played in the scorm-again runtime in Chromium: a scripted
learner reads, fails and passes quizzes and the exam, closes and resumes; the runtime's CMI
values are read back."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from learner import read_unit, take_exam, take_quiz
from scorm_session import close, launch, pass_units, resume_json

from lernmodul.core.model import Course

TIME12 = re.compile(r"^\d{2,4}:\d{2}:\d{2}(\.\d{1,2})?$")
TIME2004 = re.compile(r"^P(\d+Y)?(\d+M)?(\d+D)?(T(\d+H)?(\d+M)?(\d+(\.\d{1,2})?S)?)?$")


def test_scorm12_journey_fail_resume_pass(page: Any, package_site: Callable[[bytes], str],
                                          export: Callable[..., bytes], sample_course: Course,
                                          assert_accessible: Callable[[Any], None]) -> None:
    base = package_site(export("scorm12"))
    frame = launch(page, base, "scorm12")
    cmi = page.evaluate("window.cmi()")
    assert cmi["core"]["lesson_status"] == "incomplete"
    first = sample_course.units[0]
    read_unit(frame, first.id)
    assert take_quiz(frame, sample_course, first.id, right=False).startswith("Nicht bestanden.")
    cmi = close(page, frame)
    assert cmi["core"]["lesson_status"] == "incomplete"
    assert TIME12.match(cmi["core"]["session_time"]), cmi["core"]["session_time"]
    assert cmi["core"]["exit"] == "suspend"
    state = json.loads(cmi["suspend_data"])
    assert state["r"] == [0] and state["q"]["0"][0] == 0
    assert cmi["core"]["lesson_location"] == f"unit-{first.id}"

    # second session: resumes where the learner left off
    frame = launch(page, base, "scorm12", resume_json(cmi, "scorm12"))
    assert frame.locator(f"#view-unit-{first.id}").is_visible()
    assert frame.locator(f"#view-unit-{first.id}").get_by_text(
        "Sie haben diese Einheit gelesen.").is_visible()
    pass_units(frame, sample_course)
    assert take_exam(frame, sample_course, right=False).startswith("Nicht bestanden.")
    cmi = page.evaluate("window.cmi()")
    assert cmi["core"]["lesson_status"] == "failed"
    assert cmi["core"]["score"]["raw"] != "" and float(cmi["core"]["score"]["raw"]) < 80
    assert take_exam(frame, sample_course, right=True).startswith("Bestanden.")
    cmi = close(page, frame)
    assert cmi["core"]["lesson_status"] == "passed"
    assert float(cmi["core"]["score"]["raw"]) == 100
    assert cmi["core"]["score"]["min"] == "0" and cmi["core"]["score"]["max"] == "100"
    assert TIME12.match(cmi["core"]["session_time"])
    assert json.loads(cmi["suspend_data"])["e"][:3] == [2, 2, 1]


def test_scorm2004_journey_and_tracking(page: Any, package_site: Callable[[bytes], str],
                                        export: Callable[..., bytes], sample_course: Course,
                                        assert_accessible: Callable[[Any], None]) -> None:
    base = package_site(export("scorm2004"))
    frame = launch(page, base, "scorm2004")
    cmi = page.evaluate("window.cmi()")
    assert cmi["completion_status"] == "incomplete"
    first = sample_course.units[0]
    read_unit(frame, first.id)
    cmi = close(page, frame)
    assert cmi["completion_status"] == "incomplete" and cmi["success_status"] == "unknown"
    assert cmi["exit"] == "suspend"
    assert TIME2004.match(cmi["session_time"]) and cmi["session_time"] != "PT", cmi["session_time"]
    # one of two units is read, its quiz is not passed yet: no unit complete, progress 0
    assert float(cmi["progress_measure"]) == 0

    frame = launch(page, base, "scorm2004", resume_json(cmi, "scorm2004"))
    assert frame.locator(f"#view-unit-{first.id}").is_visible()
    pass_units(frame, sample_course)
    cmi = page.evaluate("window.cmi()")
    assert float(cmi["progress_measure"]) == pytest.approx(2 / 3, abs=1e-3)
    assert take_exam(frame, sample_course, right=False).startswith("Nicht bestanden.")
    cmi = page.evaluate("window.cmi()")
    assert cmi["success_status"] == "failed" and cmi["completion_status"] == "incomplete"
    assert float(cmi["score"]["scaled"]) < 0.8
    assert page.evaluate("window.value('cmi.interactions._count')") == "0"  # off by default
    assert take_exam(frame, sample_course, right=True).startswith("Bestanden.")
    assert_accessible(page)
    cmi = close(page, frame)
    assert cmi["completion_status"] == "completed" and cmi["success_status"] == "passed"
    assert float(cmi["score"]["scaled"]) == 1 and float(cmi["progress_measure"]) == 1
    assert TIME2004.match(cmi["session_time"])


def test_scorm2004_interactions_when_enabled(page: Any, package_site: Callable[[bytes], str],
                                             export: Callable[..., bytes],
                                             sample_course: Course) -> None:
    base = package_site(export("scorm2004", interactions=True))
    frame = launch(page, base, "scorm2004")
    pass_units(frame, sample_course)
    take_exam(frame, sample_course, right=True)
    count = int(page.evaluate("window.value('cmi.interactions._count')"))
    assert count == len(frame.locator("#lm-exam section.feedback").all()) > 0
    results = {page.evaluate(f"window.value('cmi.interactions.{n}.result')") for n in range(count)}
    ids = {page.evaluate(f"window.value('cmi.interactions.{n}.id')") for n in range(count)}
    assert results == {"correct"} and ids <= set(sample_course.questions())


def test_attempt_limit_closes_the_exam(page: Any, package_site: Callable[[bytes], str],
                                       export: Callable[..., bytes],
                                       sample_course: Course) -> None:
    assert sample_course.exam is not None and sample_course.exam.max_attempts == 3
    base = package_site(export("scorm12"))
    frame = launch(page, base, "scorm12")
    pass_units(frame, sample_course)
    for _ in range(3):
        assert take_exam(frame, sample_course, right=False).startswith("Nicht bestanden.")
    frame.evaluate("window.location.hash = '#start'")
    frame.get_by_text("Sie haben alle Versuche genutzt.").wait_for()
    assert frame.locator("#lm-exam-entry a").count() == 0
    assert page.evaluate("window.cmi()")["core"]["lesson_status"] == "failed"


def test_one_sco_per_unit(page: Any, package_site: Callable[[bytes], str],
                          export: Callable[..., bytes], sample_course: Course) -> None:
    base = package_site(export("scorm12", sco_per_unit=True))
    unit = sample_course.units[1]
    frame = launch(page, base, "scorm12", query=f"?sco=unit-{unit.id}")
    assert frame.locator(f"#view-unit-{unit.id}").is_visible()
    read_unit(frame, unit.id)
    assert take_quiz(frame, sample_course, unit.id, right=True).startswith("Bestanden.")
    cmi = close(page, frame)
    assert cmi["core"]["lesson_status"] == "passed"


def test_package_pages_are_accessible(page: Any, package_site: Callable[[bytes], str],
                                      export: Callable[..., bytes], sample_course: Course,
                                      assert_accessible: Callable[[Any], None]) -> None:
    """axe-core on the launch page opened directly: overview, a unit, a quiz and its
    feedback, the exam; without an LMS it says so and still works."""
    base = package_site(export("scorm12"))
    page.goto(f"{base}/pkg/index.html")
    page.wait_for_function("window.LernmodulPlayer && window.LernmodulPlayer.ready")
    page.get_by_text("Keine Lernplattform gefunden").wait_for()
    assert_accessible(page)
    unit = sample_course.units[0]
    page.get_by_role("link", name=unit.title).click()
    page.locator(f"#view-unit-{unit.id} h1").wait_for()
    assert_accessible(page)
    # keyboard only: the self-check is answered and checked without a mouse
    check = page.locator(".self-check input[type=text]").first
    check.focus()
    page.keyboard.type("leakage")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.locator(".self-check .feedback").get_by_text("richtig").first.wait_for()
    assert_accessible(page)
    read_unit(page.main_frame, unit.id)
    take_quiz(page.main_frame, sample_course, unit.id, right=False)
    assert_accessible(page)
    for other in sample_course.units:
        read_unit(page.main_frame, other.id)
        take_quiz(page.main_frame, sample_course, other.id, right=True)
    page.main_frame.evaluate("window.location.hash = '#exam'")
    page.locator("#lm-exam fieldset").first.wait_for()
    assert page.locator(".lm-timer").inner_text().startswith("Verbleibende Zeit: 30")
    assert_accessible(page)


def test_flagship_course_plays_and_is_accessible(page: Any, package_site: Callable[[bytes], str],
                                                 assert_accessible: Callable[[Any], None]) -> None:
    from pathlib import Path

    from lernmodul.content import load_course
    from lernmodul.packages import build_package

    flagship = load_course(Path(__file__).resolve().parents[2] / "courses" / "bedrohungsmanagement")
    assert flagship.course is not None
    course = flagship.course
    base = package_site(build_package(course, {}, "scorm12"))
    frame = launch(page, base, "scorm12")
    assert_accessible(page)
    for unit in course.units[:2]:
        read_unit(frame, unit.id)
        assert_accessible(page)
    frame.evaluate("window.location.hash = '#start'")
    frame.locator("#lm-exam-entry").get_by_text("Die Prüfung öffnet sich").wait_for()
    assert "18 Fragen" in frame.locator("#lm-exam-entry").inner_text()  # 2 from each of 9 units
    assert page.evaluate("window.cmi()")["core"]["lesson_status"] == "incomplete"


def test_exam_time_limit_and_review_after_pass(page: Any, package_site: Callable[[bytes], str],
                                               export: Callable[..., bytes],
                                               sample_course: Course) -> None:
    """The 30-minute limit submits the exam by itself; a failed attempt (review after_pass)
    names no right answer, a passed one shows the key and the explanations."""
    page.clock.install()
    base = package_site(export("scorm2004"))
    frame = launch(page, base, "scorm2004")
    pass_units(frame, sample_course)
    assert take_exam(frame, sample_course, right=False).startswith("Nicht bestanden.")
    feedback = frame.locator("#lm-exam").inner_text()
    assert "eine richtige Antwort" not in feedback and "Erklärung" not in feedback
    frame.evaluate("window.location.hash = '#start'")
    frame.evaluate("window.location.hash = '#exam'")
    frame.locator("#lm-exam fieldset").first.wait_for()
    assert frame.locator(".lm-timer").inner_text() == "Verbleibende Zeit: 30 min"
    page.clock.fast_forward("30:01")
    frame.get_by_text("Die Zeit ist abgelaufen; Ihre Antworten wurden abgegeben.").wait_for()
    assert frame.locator("#lm-exam-result").inner_text().startswith("Nicht bestanden. 0 von")
    assert json.loads(page.evaluate("window.value('cmi.suspend_data')"))["e"][:2] == [2, 2]
    assert take_exam(frame, sample_course, right=True).startswith("Bestanden.")
    feedback = frame.locator("#lm-exam").inner_text()
    assert "eine richtige Antwort" in feedback


def test_scorm12_interactions_when_enabled(page: Any, package_site: Callable[[bytes], str],
                                           export: Callable[..., bytes],
                                           sample_course: Course) -> None:
    """SCORM 1.2 interactions are write-only for the SCO: the runtime counts them."""
    base = package_site(export("scorm12", interactions=True))
    frame = launch(page, base, "scorm12")
    pass_units(frame, sample_course)
    assert page.evaluate("window.value('cmi.interactions._count')") == "0"
    take_exam(frame, sample_course, right=True)
    count = int(page.evaluate("window.value('cmi.interactions._count')"))
    assert count == len(frame.locator("#lm-exam section.feedback").all()) > 0
    assert page.evaluate("window.API.LMSGetLastError()") in ("0", 0)
