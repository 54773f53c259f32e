"""Grading: table-driven cases for every question type, assembly from seeds, pass marks."""

from __future__ import annotations

import random

import pytest

from lernmodul.content import read_course_files
from lernmodul.core.compiler import compile_course
from lernmodul.core.grading import (
    SCORERS,
    DrawnQuestion,
    InvalidResponse,
    assemble_exam,
    assemble_quiz,
    draw_questions,
    grade,
    grade_attempt,
)
from lernmodul.core.model import QuestionType

from .conftest import FIXTURES, by_place, compile_unit

SOURCE = """
::: question single id=single
S?

- [x] A
- [ ] B
- [ ] C
:::

::: question truefalse id=tf
S?

- [ ] Richtig
- [x] Falsch
:::

::: question multiple id=multi-all
S?

- [x] A
- [x] B
- [ ] C
- [ ] D
:::

::: question multiple id=multi-partial scoring=partial points=3
S?

- [x] A
- [x] B
- [x] C
- [ ] D
:::

::: question order id=order-all
S?

1. Eins
2. Zwei
3. Drei
4. Vier
:::

::: question order id=order-partial scoring=partial points=4
S?

1. Eins
2. Zwei
3. Drei
4. Vier
:::

::: question match id=match-all
S?

- A => 1
- B => 2
- C => 3
:::

::: question match id=match-partial scoring=partial points=3
S?

- A => 1
- B => 2
- C => 2
:::

::: question number id=number
S?

- = 42,5 ± 0,5
:::

::: question number id=number-exact
S?

- = -3
:::

::: question text id=text
S?

- = Leakage
- = Durchsickern
:::
"""


@pytest.fixture(scope="module")
def questions():
    result = compile_unit(SOURCE)
    assert result.diagnostics == ()
    return result.course.questions()


CASES = [
    # (question id, response, expected points)
    ("single", "a", 1), ("single", "b", 0), ("single", None, 0), ("single", "", 0),
    ("tf", "b", 1), ("tf", "a", 0),
    ("multi-all", frozenset("ab"), 1), ("multi-all", frozenset("a"), 0),
    ("multi-all", frozenset("abc"), 0), ("multi-all", frozenset(), 0), ("multi-all", None, 0),
    # partial: +1/k per right, −1/k per wrong, floored at 0 (k = 3 right options, 3 points)
    ("multi-partial", frozenset("abc"), 3), ("multi-partial", frozenset("ab"), 2),
    ("multi-partial", frozenset("a"), 1), ("multi-partial", frozenset("abd"), 1),
    ("multi-partial", frozenset("ad"), 0), ("multi-partial", frozenset("d"), 0),
    ("multi-partial", frozenset("abcd"), 2),
    ("order-all", ("a", "b", "c", "d"), 1), ("order-all", ("b", "a", "c", "d"), 0),
    ("order-all", None, 0),
    # partial: share of items in the right place (4 points)
    ("order-partial", ("a", "b", "c", "d"), 4), ("order-partial", ("b", "a", "c", "d"), 2),
    ("order-partial", ("d", "c", "b", "a"), 0), ("order-partial", ("a", "c", "b", "d"), 2),
    ("match-all", {"a": "a", "b": "b", "c": "c"}, 1), ("match-all", {"a": "b", "b": "a", "c": "c"}, 0),
    ("match-all", {"a": "a", "b": "b"}, 0),
    # partial by pairs; B and C share the right side "2", so either choice of it counts
    ("match-partial", {"a": "a", "b": "c", "c": "b"}, 3),
    ("match-partial", {"a": "b", "b": "b", "c": "c"}, 2), ("match-partial", {}, 0),
    ("number", "42,5", 1), ("number", "42.0", 1), ("number", "43", 1), ("number", "43,01", 0),
    ("number", " 42 ", 1), ("number", "41.99", 0), ("number", "", 0),
    ("number-exact", "-3", 1), ("number-exact", "-3,0", 1), ("number-exact", "3", 0),
    # text that is no number (stored before forms refused it) is wrong, never an error
    ("number", "vierzig", 0), ("number", "abc", 0), ("number", "42 Euro", 0),
    ("number", "4,2e1", 0), ("number", "1.2.3", 0), ("number", "1" * 60, 0),
    ("number", "²", 0), ("number", "inf", 0), ("number", "nan", 0),
    ("text", "leakage", 1), ("text", "  LEAKAGE ", 1), ("text", "Durchsickern", 1),
    ("text", "Leak age", 0), ("text", "", 0), ("text", "Leakag", 0),
]


@pytest.mark.parametrize(("qid", "response", "points"), CASES)
def test_scoring_table(questions, qid, response, points) -> None:
    score = grade(questions[qid], by_place(questions[qid], response))
    assert score.points == pytest.approx(points)
    assert score.is_correct == (points == questions[qid].points)


INVALID = [
    ("single", "z"), ("single", frozenset("a")), ("multi-all", frozenset("az")),
    ("multi-all", "a"), ("order-all", ("a", "b", "c")), ("order-all", ("a", "a", "b", "c")),
    ("order-all", "abcd"), ("match-all", {"a": "z"}), ("match-all", {"z": "a"}),
    ("match-all", "a"), ("number", frozenset("a")), ("number", ("4", "2")),
    ("text", "x" * 501), ("text", frozenset()),
]


@pytest.mark.parametrize(("qid", "response"), INVALID)
def test_invalid_responses_are_rejected(questions, qid, response) -> None:
    with pytest.raises(InvalidResponse):
        grade(questions[qid], by_place(questions[qid], response))


def test_registry_covers_every_type() -> None:
    assert set(SCORERS) == set(QuestionType)


def test_grade_attempt_applies_the_pass_mark(questions) -> None:
    drawn = [DrawnQuestion("single"), DrawnQuestion("tf"), DrawnQuestion("multi-partial")]
    given = {"single": "a", "tf": "b", "multi-partial": frozenset("ab")}
    result = grade_attempt(questions, drawn,
                           {q: by_place(questions[q], r) for q, r in given.items()}, 0.8)
    assert (result.points, result.max_points) == (4, 5)
    assert result.share == pytest.approx(0.8) and result.passed
    failed = grade_attempt(questions, drawn,
                           {"single": by_place(questions["single"], "a")}, 0.8)
    assert failed.points == 1 and not failed.passed
    with pytest.raises(InvalidResponse):
        grade_attempt(questions, drawn, {"text": "x"}, 0.8)


def test_thirds_reach_a_pass_mark_of_one(questions) -> None:
    drawn = [DrawnQuestion("multi-partial")]
    response = by_place(questions["multi-partial"], frozenset("abc"))
    result = grade_attempt(questions, drawn, {"multi-partial": response}, 1.0)
    assert result.passed


@pytest.fixture(scope="module")
def sample():
    return compile_course(read_course_files(FIXTURES / "sample-course")).course


def test_same_seed_same_attempt_other_seed_other_attempt(sample) -> None:
    exams = {assemble_exam(sample, seed) for seed in range(30)}
    assert assemble_exam(sample, 7) == assemble_exam(sample, 7)
    assert len(exams) > 5


def test_exam_draws_per_unit_pool_plus_exam_only_questions(sample) -> None:
    for seed in range(50):
        drawn = assemble_exam(sample, seed)
        ids = [d.question_id for d in drawn]
        units = [sample.questions()[i].unit_id for i in ids]
        assert units.count("grundlagen") == 2 and units.count("praxis") == 2
        assert "ex-abschluss" in ids and len(set(ids)) == len(ids) == 5


def test_quiz_draw_and_inline_questions(sample) -> None:
    unit = sample.units[0]
    for seed in range(20):
        drawn = assemble_quiz(unit, seed)
        assert len(drawn) == 3
        assert "gl-begriff" not in [d.question_id for d in drawn]


def test_order_questions_are_never_presented_solved(sample) -> None:
    question = sample.questions()["gl-schritte"]
    for seed in range(200):
        (drawn,) = draw_questions([question], random.Random(seed), shuffle=False)
        assert drawn.option_order != by_place(question, ("a", "b", "c"))
        assert sorted(drawn.option_order) == sorted(o.id for o in question.options)


def test_without_shuffle_the_source_order_is_kept(sample) -> None:
    pool = sample.units[0].quiz_questions
    drawn = draw_questions(pool, random.Random(1), shuffle=False)
    assert [d.question_id for d in drawn] == [q.id for q in pool]
    assert drawn[0].option_order == tuple(o.id for o in pool[0].options)


def test_truefalse_options_keep_their_order(sample) -> None:
    question = sample.questions()["gl-meldung"]
    for seed in range(20):
        (drawn,) = draw_questions([question], random.Random(seed))
        assert drawn.option_order == by_place(question, ("a", "b"))


def test_answer_feedback_belongs_to_the_typed_answer() -> None:
    from lernmodul.core.grading import answer_feedback

    result = compile_unit(
        "::: question text id=t\nWer?\n\n- = Niemand\n  > A\n- = keiner\n:::\n\n"
        "::: question number id=n\nWie viele?\n\n- = 3,5 ± 0,5\n  > B\n:::\n\n"
        "::: question single id=s\nWas?\n\n- [x] ja\n  > C\n- [ ] nein\n:::\n")
    text, number, single = result.course.units[0].questions
    assert answer_feedback(text, "  niemand ") == "<p>A</p>\n"
    assert answer_feedback(text, "keiner") == ""  # accepted, no feedback of its own
    assert answer_feedback(text, "jemand") == answer_feedback(text, None) == ""
    assert answer_feedback(number, "4") == answer_feedback(number, "3,0") == "<p>B</p>\n"
    assert answer_feedback(number, "4,01") == answer_feedback(number, "viele") == ""
    assert answer_feedback(number, "1" * 60) == ""
    assert answer_feedback(single, single.options[0].id) == ""  # options carry their own
