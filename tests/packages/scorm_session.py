"""A SCORM session in the test harness: the package's launch page in a frame beside a fresh
scorm-again runtime (loaded with an earlier session's CMI data to resume), closing it, and
what an LMS hands the next session."""

from __future__ import annotations

from typing import Any

from learner import read_unit, take_quiz

from lernmodul.core.model import Course


def launch(page: Any, base: str, kind: str, previous: dict[str, Any] | None = None,
           query: str = "") -> Any:
    page.goto(f"{base}/harness.html")
    page.evaluate("([k, p, l]) => window.start(k, p, l)",
                  [kind, previous, f"{base}/pkg/index.html{query}"])
    page.frame_locator("#sco").locator("main").wait_for()
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
