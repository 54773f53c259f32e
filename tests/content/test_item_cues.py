"""Single- and multiple-choice items test knowledge, not test-wiseness (a content rule).

The rules, for every course under ``courses/``:

* **Length of an option** is the number of characters of its plain-text label with runs of
  whitespace collapsed; feedback, explanation and markup do not count.
* A **single-choice** question *cues by length* when its keyed option is at least as long as
  every distractor. A tie counts as a cue: a learner who picks the longest option loses
  nothing by it.
* A **multiple-choice** question cues by length when the longest option (or one of the
  longest) is keyed, i.e. some keyed option is at least as long as every distractor: the
  option a "pick the longest" guesser ticks first is then right.
* **Bound:** at most 30 % of the single- and multiple-choice questions cue by length in each
  pool a learner meets: the course's unit quizzes together (``Unit.quiz_questions``) and the
  final exam's pool (every question ``grading.assemble_exam`` can draw, as
  ``item_stats.exam_questions`` lists it: with ``exam.draw`` or ``exam.questions`` all unit
  questions, plus exam.md's). A single unit quiz may not exceed half.
* **Source position:** the display shuffles options, but the source order must not be a
  pattern either. Single choice: no position holds more than half of the keys. Multiple
  choice: no position is keyed in more than 80 % of the questions, and the keyed options
  stand before all distractors in at most half of them.
* **Wording cues:** no option reads "alle genannten" / "keine der genannten" (or "alle
  oben" / "keine der oben"), and the absolute words *immer, nie, niemals, ausschließlich,
  stets* appear in no option label, so they carry no signal either way.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

import pytest

from lernmodul.content import load_course
from lernmodul.core.model import Course, Option, Question, QuestionType
from lernmodul.services.item_stats import exam_questions

COURSES = Path(__file__).parents[2] / "courses"
FOLDERS = sorted(path.parent for path in COURSES.glob("*/course.md"))
CHOICE = (QuestionType.SINGLE, QuestionType.MULTIPLE)
BOUND = 0.30
ABSOLUTE = re.compile(r"\b(immer|nie|niemals|ausschließlich|stets)\b", re.IGNORECASE)
CATCH_ALL = re.compile(r"\b(alle|keine)( der)? (genannten|oben)\b", re.IGNORECASE)


def label_length(text: str) -> int:
    """The characters of an option's plain-text label, whitespace collapsed."""
    return len(" ".join(text.split()))


def cues_by_length(question: Question) -> bool:
    """True when picking the longest option (ties included) finds a keyed option."""
    keyed = [label_length(o.text) for o in question.options if o.is_correct]
    distractors = [label_length(o.text) for o in question.options if not o.is_correct]
    return bool(keyed and distractors) and max(keyed) >= max(distractors)


def choice(questions: Iterable[Question]) -> list[Question]:
    return [q for q in questions if q.type in CHOICE]


def share(questions: Sequence[Question]) -> float:
    """The share of the given choice questions that cue by length (0 for none)."""
    return sum(map(cues_by_length, questions)) / len(questions) if questions else 0.0


def _course(folder: Path) -> Course:
    result = load_course(folder)
    assert result.course is not None, [d.format() for d in result.diagnostics]
    return result.course


@pytest.fixture(scope="module", params=FOLDERS, ids=[f.name for f in FOLDERS])
def course(request: pytest.FixtureRequest) -> Course:
    return _course(request.param)


def _question(kind: QuestionType, *options: tuple[str, bool]) -> Question:
    return Question("q", kind, "", options=tuple(
        Option(str(n), text, text, right) for n, (text, right) in enumerate(options)))


def test_the_length_rule_sees_the_cue_it_is_about() -> None:
    single, multiple = QuestionType.SINGLE, QuestionType.MULTIPLE
    assert cues_by_length(_question(single, ("lang und richtig", True), ("kurz", False)))
    assert cues_by_length(_question(single, ("gleich", True), ("gleich", False)))
    assert not cues_by_length(_question(single, ("kurz", True), ("lang und falsch", False)))
    assert cues_by_length(_question(multiple, ("a", True), ("am längsten", True), ("mittel", False)))
    assert not cues_by_length(_question(multiple, ("a", True), ("bb", True), ("am längsten", False)))
    assert label_length(" zwei  Wörter\n") == len("zwei Wörter")


def test_every_course_has_choice_questions_to_check() -> None:
    assert FOLDERS
    for folder in FOLDERS:
        assert choice(exam_questions(_course(folder))), folder.name


def test_the_longest_option_is_keyed_in_at_most_30_percent(course: Course) -> None:
    quizzes = choice(q for u in course.units for q in u.quiz_questions)
    exam = choice(exam_questions(course))
    cued = sorted({q.id for q in quizzes + exam if cues_by_length(q)})
    assert share(quizzes) <= BOUND, (f"unit quizzes: {share(quizzes):.0%}", cued)
    assert share(exam) <= BOUND, (f"exam pool: {share(exam):.0%}", cued)
    for unit in course.units:
        pool = choice(unit.quiz_questions)
        assert share(pool) <= 0.5, (unit.id, [q.id for q in pool if cues_by_length(q)])


def test_keyed_options_are_spread_over_the_source_positions(course: Course) -> None:
    questions = choice(q for u in course.units for q in u.questions) + choice(course.exam_questions)
    single = [q for q in questions if q.type is QuestionType.SINGLE]
    positions = Counter(n for q in single for n, o in enumerate(q.options) if o.is_correct)
    assert not single or max(positions.values()) <= len(single) / 2, sorted(positions.items())
    multiple = [q for q in questions if q.type is QuestionType.MULTIPLE]
    if not multiple:
        return
    keyed = Counter(n for q in multiple for n, o in enumerate(q.options) if o.is_correct)
    assert max(keyed.values()) <= 0.8 * len(multiple), sorted(keyed.items())
    keys_first = [q.id for q in multiple
                  if [o.is_correct for o in q.options] == sorted((o.is_correct for o in q.options),
                                                               reverse=True)]
    assert len(keys_first) <= len(multiple) / 2, keys_first


def test_no_option_carries_a_wording_cue(course: Course) -> None:
    questions = choice(q for u in course.units for q in u.questions) + choice(course.exam_questions)
    found = [(q.id, o.text) for q in questions for o in q.options
             if ABSOLUTE.search(o.text) or CATCH_ALL.search(o.text)]
    assert found == []
