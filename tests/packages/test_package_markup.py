"""The package's pages are valid HTML (Nu Html Checker): the launch page as shipped, for the
sample course and the flagship course, and the page as the player has built it (a quiz with
feedback, the exam form)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from learner import read_unit, take_quiz

from lernmodul.content import load_course
from lernmodul.core.model import Course
from lernmodul.packages import build_package
from markup.vnu_checker import check_folder, missing_checker

FLAGSHIP = Path(__file__).resolve().parents[2] / "courses" / "bedrohungsmanagement"


@pytest.fixture(scope="module")
def checker() -> Callable[[Path], list[Any]]:
    problem = missing_checker()
    if problem is not None:
        if os.environ.get("LERNMODUL_REQUIRE_BROWSER"):
            pytest.fail(problem)
        pytest.skip(problem)
    return check_folder


def test_launch_pages_and_played_states_are_valid_html(
        page: Any, package_site: Callable[[bytes], str], export: Callable[..., bytes],
        sample_course: Course, checker: Callable[[Path], list[Any]], tmp_path: Path) -> None:
    out = tmp_path / "html"
    out.mkdir()
    flagship = load_course(FLAGSHIP).course
    assert flagship is not None
    (out / "flagship.html").write_bytes(_index(build_package(flagship, {}, "scorm12")))
    package = export("scorm2004")
    (out / "sample.html").write_bytes(_index(package))
    base = package_site(package)
    page.goto(f"{base}/pkg/index.html")
    page.wait_for_function("window.LernmodulPlayer && window.LernmodulPlayer.ready")
    unit = sample_course.units[0]
    read_unit(page.main_frame, unit.id)
    take_quiz(page.main_frame, sample_course, unit.id, right=False)
    (out / "quiz-feedback.html").write_text(page.content(), encoding="utf-8")
    for other in sample_course.units:
        read_unit(page.main_frame, other.id)
        take_quiz(page.main_frame, sample_course, other.id, right=True)
    praxis = sample_course.units[1]  # its quiz holds a cloze
    page.main_frame.evaluate("window.location.hash = '#start'")
    page.main_frame.evaluate(f"window.location.hash = '#quiz-{praxis.id}'")
    page.locator('#lm-quiz fieldset[data-question="pr-notruf"]').wait_for()
    (out / "cloze-quiz.html").write_text(page.content(), encoding="utf-8")
    page.locator("#lm-quiz form button[type=submit]").click()
    page.locator("#lm-quiz-result").wait_for()
    (out / "cloze-feedback.html").write_text(page.content(), encoding="utf-8")
    page.main_frame.evaluate("window.location.hash = '#exam'")
    page.locator("#lm-exam fieldset").first.wait_for()
    (out / "exam.html").write_text(page.content(), encoding="utf-8")
    errors = [m for m in checker(out) if m.kind == "error"]
    assert errors == [], "\n".join(str(m) for m in errors)


def _index(package: bytes) -> bytes:
    import io
    import zipfile

    with zipfile.ZipFile(io.BytesIO(package)) as archive:
        return archive.read("index.html")
