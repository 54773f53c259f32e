"""Grading: a scorer per question type (SCORERS registry), quiz and exam assembly from a seed,
and pass/fail by pass mark. Pure: responses come in as plain values, randomness as a Random."""

from __future__ import annotations

import math
import random
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from .compiler.questions import parse_number
from .model import Course, Gap, GapKind, Question, QuestionType, Scoring, Unit

#: A response, by question type:
#: single/truefalse: option id (str); multiple: a set of option ids; order: a sequence of
#: option ids in the learner's order; match: a mapping of left option id -> right option id
#: (the id of the option whose right side was chosen); number and text: the typed string;
#: cloze: a mapping of gap key ("1", "2", …) -> the typed string, or for a choice gap the
#: chosen option's id (unanswered gaps left out).
Response = str | frozenset[str] | tuple[str, ...] | Mapping[str, str] | None

MAX_TEXT_LENGTH = 500
MAX_NUMBER_LENGTH = 50


class InvalidResponse(ValueError):
    """The response does not fit the question (foreign option id, wrong shape, too long)."""


@dataclass(frozen=True, slots=True)
class Score:
    """The score of one response: points of max_points, and per option whether the choice was right."""

    points: float
    max_points: float
    is_correct: bool
    #: per option id: was the learner's choice for it right (for feedback marks)
    marks: tuple[tuple[str, bool], ...] = ()

    @property
    def share(self) -> float:
        return self.points / self.max_points if self.max_points else 0.0


Scorer = Callable[[Question, Response], Score]


def _ids(question: Question) -> frozenset[str]:
    return frozenset(o.id for o in question.options)


def _score(question: Question, share: float, marks: tuple[tuple[str, bool], ...] = ()) -> Score:
    share = min(1.0, max(0.0, share))
    # rounding keeps 1/3 + 1/3 + 1/3 from landing a hair below the pass mark
    points = round(question.points * share, 6)
    return Score(points, question.points, math.isclose(share, 1.0), marks)


def score_choice(question: Question, response: Response) -> Score:
    """single and truefalse: 1 × points if the checked option is chosen."""
    if response is None or response == "":
        return _score(question, 0.0)
    if not isinstance(response, str) or response not in _ids(question):
        raise InvalidResponse("unknown option")
    option = question.option(response)
    right = option is not None and option.is_correct
    return _score(question, 1.0 if right else 0.0, ((response, right),))


def score_multiple(question: Question, response: Response) -> Score:
    """all: all and only the checked ones; partial: +1/k per right, −1/k per wrong, floor 0."""
    if response is None:
        response = frozenset()
    if isinstance(response, str) or not isinstance(response, frozenset | set | tuple | list):
        raise InvalidResponse("expected a set of options")
    chosen = frozenset(response)
    if not chosen <= _ids(question):
        raise InvalidResponse("unknown option")
    correct = frozenset(o.id for o in question.options if o.is_correct)
    marks = tuple((o.id, o.is_correct) for o in question.options if o.id in chosen)
    if question.scoring is Scoring.PARTIAL:
        k = len(correct)
        share = (len(chosen & correct) - len(chosen - correct)) / k if k else 0.0
        return _score(question, share, marks)
    return _score(question, 1.0 if chosen == correct else 0.0, marks)


def score_order(question: Question, response: Response) -> Score:
    """all in order; partial: the share of items in their right place. Items that read the
    same are interchangeable (the learner cannot tell them apart)."""
    expected = tuple(o.id for o in question.options)
    if response is None:
        return _score(question, 0.0)
    if isinstance(response, str) or not isinstance(response, tuple | list):
        raise InvalidResponse("expected an order of items")
    given = tuple(response)
    if sorted(given) != sorted(expected):
        raise InvalidResponse("the order must name every item once")
    shown = {o.id: o.html for o in question.options}
    marks = tuple((item, shown[item] == shown[want])
                  for item, want in zip(given, expected, strict=True))
    right = sum(1 for _, ok in marks if ok)
    if question.scoring is Scoring.PARTIAL:
        return _score(question, right / len(expected), marks)
    return _score(question, 1.0 if right == len(expected) else 0.0, marks)


def score_match(question: Question, response: Response) -> Score:
    """each pair right; partial by pairs. Pairs with identical right sides are interchangeable."""
    if response is None:
        response = {}
    if not isinstance(response, Mapping):
        raise InvalidResponse("expected pairs")
    ids = _ids(question)
    if not set(response) <= ids or not set(response.values()) <= ids:
        raise InvalidResponse("unknown option")
    right_text = {o.id: o.match_text for o in question.options}
    marks = tuple((o.id, right_text.get(response.get(o.id, "")) == o.match_text)
                  for o in question.options)
    right = sum(1 for _, ok in marks if ok)
    if question.scoring is Scoring.PARTIAL:
        return _score(question, right / len(question.options), marks)
    return _score(question, 1.0 if right == len(question.options) else 0.0, marks)


def read_number(text: str) -> float | None:
    """The number a learner typed ("42", "-3,5", "1 000"; a comma or a point as decimal
    separator, spaces between digit groups), or None when the text is no such number."""
    if len(text) > MAX_NUMBER_LENGTH:
        return None
    return parse_number(text.replace(" ", "").replace("\u202f", ""))


def score_number(question: Question, response: Response) -> Score:
    """within tolerance; a comma as decimal separator is accepted. Text that is no number
    (forms refuse it, but an attempt may have stored it before they did) is wrong."""
    if response is None or (isinstance(response, str) and not response.strip()):
        return _score(question, 0.0)
    if not isinstance(response, str):
        raise InvalidResponse("expected a number")
    value = read_number(response)
    if value is None:
        return _score(question, 0.0)
    right = any(abs(value - a.value) <= a.tolerance + 1e-9 for a in question.number_answers)
    return _score(question, 1.0 if right else 0.0)


def normalize_text(text: str) -> str:
    return unicodedata.normalize("NFC", text).strip().casefold()


def score_text(question: Question, response: Response) -> Score:
    """case and surrounding space ignored; exact otherwise."""
    if response is None:
        return _score(question, 0.0)
    if not isinstance(response, str) or len(response) > MAX_TEXT_LENGTH:
        raise InvalidResponse("answer too long")
    given = normalize_text(response)
    right = bool(given) and any(normalize_text(a) == given for a in question.text_answers)
    return _score(question, 1.0 if right else 0.0)


def _gap_is_right(gap: Gap, value: str) -> bool:
    if gap.kind is GapKind.CHOICE:
        option = gap.option(value)
        return option is not None and option.is_correct
    if gap.kind is GapKind.NUMBER:
        number = read_number(value)
        answer = gap.number_answer
        return number is not None and answer is not None \
            and abs(number - answer.value) <= answer.tolerance + 1e-9
    given = normalize_text(value)
    return bool(given) and any(normalize_text(a) == given for a in gap.answers)


def cloze_answers(question: Question, response: Response) -> dict[str, str]:
    """A cloze response checked against the question: gap key -> value. Raises
    InvalidResponse for an unknown gap, a value that is no text or too long, or a choice
    that is not one of its gap's options."""
    if response is None:
        return {}
    if not isinstance(response, Mapping):
        raise InvalidResponse("expected an answer per gap")
    answers: dict[str, str] = {}
    for key, value in response.items():
        gap = question.gap(key) if isinstance(key, str) else None
        if gap is None:
            raise InvalidResponse("unknown gap")
        if not isinstance(value, str) or len(value) > MAX_TEXT_LENGTH:
            raise InvalidResponse("expected a short text per gap")
        if gap.kind is GapKind.CHOICE and value and gap.option(value) is None:
            raise InvalidResponse("unknown option")
        answers[key] = value
    return answers


def gap_verdicts(question: Question, response: Response) -> tuple[bool, ...]:
    """Per gap, in the order of the stem: is the learner's answer right (unanswered: no)."""
    answers = cloze_answers(question, response)
    return tuple(_gap_is_right(g, answers[g.key]) if g.key in answers else False
                 for g in question.gaps)


def score_cloze(question: Question, response: Response) -> Score:
    """each gap right; partial: the share of gaps right. Marks are per gap key."""
    verdicts = gap_verdicts(question, response)
    marks = tuple((g.key, ok) for g, ok in zip(question.gaps, verdicts, strict=True))
    right = sum(verdicts)
    if not verdicts:
        return _score(question, 0.0, marks)
    if question.scoring is Scoring.PARTIAL:
        return _score(question, right / len(verdicts), marks)
    return _score(question, 1.0 if right == len(verdicts) else 0.0, marks)


def answer_feedback(question: Question, response: Response) -> str:
    """The feedback HTML of the accepted `number` or `text` answer a typed response matches
    (the first one, in source order), or "" (another type, no match, no feedback)."""
    if not isinstance(response, str):
        return ""
    if question.type is QuestionType.NUMBER:
        value = read_number(response) if len(response) <= MAX_NUMBER_LENGTH else None
        if value is None:
            return ""
        return next((a.feedback_html for a in question.number_answers
                     if abs(value - a.value) <= a.tolerance + 1e-9), "")
    if question.type is QuestionType.TEXT and len(response) <= MAX_TEXT_LENGTH:
        given = normalize_text(response)
        for answer, feedback in zip(question.text_answers, question.text_feedback_html,
                                    strict=False):
            if given and normalize_text(answer) == given:
                return feedback
    return ""


SCORERS: dict[QuestionType, Scorer] = {
    QuestionType.SINGLE: score_choice,
    QuestionType.TRUEFALSE: score_choice,
    QuestionType.MULTIPLE: score_multiple,
    QuestionType.ORDER: score_order,
    QuestionType.MATCH: score_match,
    QuestionType.NUMBER: score_number,
    QuestionType.TEXT: score_text,
    QuestionType.CLOZE: score_cloze,
}


def grade(question: Question, response: Response) -> Score:
    """Scores one response; raises InvalidResponse when it does not fit the question."""
    return SCORERS[question.type](question, response)


# --- assembly: which questions, in which order, with which option order -------------------


@dataclass(frozen=True, slots=True)
class DrawnQuestion:
    """A question as presented in one attempt: its id and the order its options are shown in.
    For `match`, `option_order` is the order of the right-hand choices; for `cloze`, the
    options of every choice gap, gap after gap."""

    question_id: str
    option_order: tuple[str, ...] = ()


def _present(question: Question, rng: random.Random, shuffle: bool) -> DrawnQuestion:
    if question.type is QuestionType.CLOZE:
        # always shuffled, like order and match: authors tend to write the right one first
        order: list[str] = []
        for gap in question.gaps:
            choices = [o.id for o in gap.options]
            rng.shuffle(choices)
            order += choices
        return DrawnQuestion(question.id, tuple(order))
    ids = [o.id for o in question.options]
    if question.type in (QuestionType.ORDER, QuestionType.MATCH):
        # never show an order question in its solution order, nor match pairs side by side
        original = list(ids)
        for _ in range(10):
            rng.shuffle(ids)
            if ids != original or len(ids) < 2:
                break
    elif shuffle and question.type is not QuestionType.TRUEFALSE:
        rng.shuffle(ids)
    return DrawnQuestion(question.id, tuple(ids))


def self_check_order(question: Question) -> tuple[str, ...]:
    """The display order of a self-check in the text (no attempt, no seed): the options by
    id, an order that follows neither the source nor the key. True/false keeps its order; an
    order or match question whose id order happens to be its solution is turned by one."""
    source = [o.id for o in question.options]
    if question.type is QuestionType.TRUEFALSE:
        return tuple(source)
    if question.type is QuestionType.CLOZE:
        return tuple(i for g in question.gaps for i in sorted(o.id for o in g.options))
    ids = sorted(source)
    if question.type in (QuestionType.ORDER, QuestionType.MATCH) and ids == source:
        ids = ids[1:] + ids[:1]
    return tuple(ids)


def draw_questions(pool: Sequence[Question], rng: random.Random, *, draw: int | None = None,
                   shuffle: bool = True) -> tuple[DrawnQuestion, ...]:
    """Draws `draw` questions (all when None) from the pool; with `shuffle`, questions and
    options are shuffled. The same seed gives the same attempt."""
    chosen = list(pool)
    if draw is not None and draw < len(chosen):
        chosen = rng.sample(chosen, draw)
        if not shuffle:
            order = {q.id: n for n, q in enumerate(pool)}
            chosen.sort(key=lambda q: order[q.id])
    elif shuffle:
        rng.shuffle(chosen)
    return tuple(_present(q, rng, shuffle) for q in chosen)


def assemble_quiz(unit: Unit, seed: int) -> tuple[DrawnQuestion, ...]:
    """The unit quiz for one attempt, replayable from its seed."""
    if unit.quiz is None:
        return ()
    return draw_questions(unit.quiz_questions, random.Random(seed), draw=unit.quiz.draw,  # noqa: S311 (replayable draws, not secrets)  # nosec B311
                          shuffle=unit.quiz.shuffle)


def assemble_exam(course: Course, seed: int) -> tuple[DrawnQuestion, ...]:
    """The final exam for one attempt: exam.md's questions plus `draw` per unit pool (or
    `questions` from all pools together; with neither and no exam.md, every unit question)."""
    exam = course.exam
    if exam is None:
        return ()
    rng = random.Random(seed)  # noqa: S311 (replayable draws, not secrets)  # nosec B311
    pools = [u.questions for u in course.units if u.questions]
    picked: list[Question] = list(course.exam_questions)
    if exam.draw is not None:
        for pool in pools:
            picked.extend(rng.sample(list(pool), min(exam.draw, len(pool))))
    elif exam.questions is not None:
        everything = [q for pool in pools for q in pool]
        picked.extend(rng.sample(everything, min(exam.questions, len(everything))))
    elif not course.exam_questions:
        picked.extend(q for pool in pools for q in pool)
    if exam.shuffle:
        rng.shuffle(picked)
    return tuple(_present(q, rng, exam.shuffle) for q in picked)


@dataclass(frozen=True, slots=True)
class Result:
    """The score of one attempt: points, the pass mark, and the score per drawn question."""

    points: float
    max_points: float
    pass_mark: float
    scores: tuple[tuple[str, Score], ...]

    @property
    def share(self) -> float:
        return self.points / self.max_points if self.max_points else 0.0

    @property
    def passed(self) -> bool:
        return self.max_points > 0 and self.share + 1e-9 >= self.pass_mark


def grade_attempt(questions: Mapping[str, Question], drawn: Sequence[DrawnQuestion],
                  responses: Mapping[str, Response], pass_mark: float) -> Result:
    """Grades every drawn question (an unanswered one scores 0) and applies the pass mark.
    Raises InvalidResponse for a response to a question that was not drawn."""
    drawn_ids = [d.question_id for d in drawn]
    if not set(responses) <= set(drawn_ids):
        raise InvalidResponse("response to a question that is not part of this attempt")
    scores = tuple((qid, grade(questions[qid], responses.get(qid))) for qid in drawn_ids)
    return Result(round(sum(s.points for _, s in scores), 6),
                  sum(s.max_points for _, s in scores), pass_mark, scores)
