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

from lernmodul.core.model import Course

TIME12 = re.compile(r"^\d{2,4}:\d{2}:\d{2}(\.\d{1,2})?$")
TIME2004 = re.compile(r"^P(\d+Y)?(\d+M)?(\d+D)?(T(\d+H)?(\d+M)?(\d+(\.\d{1,2})?S)?)?$")


def launch(page: Any, base: str, kind: str, previous: dict[str, Any] | None = None,
           query: str = "") -> Any:
    page.goto(f"{base}/harness.html")
    page.evaluate("([k, p, l]) => window.start(k, p, l)",
                  [kind, previous, f"{base}/pkg/index.html{query}"])
    frame = page.frame_locator("#sco")
    frame.locator("h1").first.wait_for()
    handle = page.locator("#sco").element_handle()
    content = handle.content_frame()
    content.wait_for_function("window.LernmodulPlayer && window.LernmodulPlayer.ready")
    return content


def close(page: Any, frame: Any) -> dict[str, Any]:
    frame.locator("#lm-finish").click()
    frame.get_by_text("Sie können dieses Fenster jetzt schließen.").wait_for()
    return page.evaluate("window.cmi()")


def resume_json(cmi: dict[str, Any], kind: str) -> dict[str, Any]:
    """What an LMS hands the next session: the stored data model, entry = resume."""
    if kind == "scorm12":
        core = cmi["core"]
        return {"suspend_data": cmi["suspend_data"],
                "core": {"lesson_location": core["lesson_location"],
                         "lesson_status": core["lesson_status"], "entry": "resume"}}
    return {"suspend_data": cmi["suspend_data"], "location": cmi["location"],
            "completion_status": cmi["completion_status"], "entry": "resume"}


def pass_units(frame: Any, course: Course) -> None:
    for unit in course.units:
        read_unit(frame, unit.id)
        if unit.quiz is not None:
            assert take_quiz(frame, course, unit.id, right=True).startswith("Bestanden.")


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
