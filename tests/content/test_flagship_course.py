"""The flagship course keeps the shape its issue asks for (structure, not wording)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from lernmodul.content import load_course
from lernmodul.core.model import QuestionType

FOLDER = Path(__file__).parents[2] / "courses" / "bedrohungsmanagement"


@pytest.fixture(scope="module")
def course():
    result = load_course(FOLDER)
    assert result.diagnostics == (), [d.format() for d in result.diagnostics]
    return result.course


def test_metadata_exam_and_certificate(course) -> None:
    assert course.language == "de" and course.version
    assert course.title.startswith("Bedrohungsmanagement heute")
    assert course.exam.pass_mark == 0.8 and course.exam.draw
    assert course.certificate.valid_months == 24
    assert "Glossar" in course.intro_html


def test_nine_units_with_objectives_quiz_admonition_and_sources(course) -> None:
    assert len(course.units) == 9
    for unit in course.units:
        assert 3 <= len(unit.objectives) <= 4, unit.id
        assert unit.duration and unit.quiz is not None and unit.quiz.pass_mark, unit.id
        assert 'class="admonition' in unit.html, unit.id
        assert re.search(r'<h2 id="[^"]*quellen">Quellen</h2>', unit.html), unit.id
        assert unit.html.split("Quellen</h2>")[1].count("<a href=") >= 1, unit.id


def test_at_least_sixty_questions_of_five_types_with_feedback(course) -> None:
    questions = [q for u in course.units for q in u.questions] + list(course.exam_questions)
    assert len(questions) >= 60
    assert {q.type for q in questions} >= {QuestionType.SINGLE, QuestionType.MULTIPLE,
                                           QuestionType.TRUEFALSE, QuestionType.ORDER,
                                           QuestionType.MATCH}
    for q in questions:
        assert q.explanation_html, q.id
        if q.type in (QuestionType.SINGLE, QuestionType.MULTIPLE, QuestionType.TRUEFALSE):
            assert all(o.feedback_html for o in q.options), q.id


def test_unit_text_length_is_in_range() -> None:
    for path in sorted(FOLDER.glob("0*.md")):
        text = path.read_text(encoding="utf-8").split("\n---\n", 1)[1]
        prose = re.sub(r"::: question.*?\n:::\n", "", text, flags=re.DOTALL)
        words = len(prose.split("## Quellen")[0].split())
        assert 600 <= words <= 1300, (path.name, words)
