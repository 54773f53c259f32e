"""Simulated learners of the development demo: read units, take quizzes and the exam, with
answers drawn from a seeded random source and graded by the real grading code.

Pure (no database): the result is plain rows for demo_seed to insert. Each answer is right
with a chance of the person's skill less the question's difficulty, so item statistics show
what real ones show: easy and hard questions, and questions that separate strong from weak
participants."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from lernmodul.core.grading import (
    DrawnQuestion,
    Response,
    Result,
    assemble_exam,
    assemble_quiz,
    grade_attempt,
)
from lernmodul.core.model import Course, Gap, GapKind, Question, QuestionType
from lernmodul.core.responses import to_json

QUIZ = "quiz"
EXAM = "exam"
MAX_QUIZ_TRIES = 3


@dataclass(slots=True)
class GradedRun:
    """One submitted attempt: what the attempts and attempt_results rows hold."""

    kind: str
    unit_key: str
    seed: int
    drawn: tuple[DrawnQuestion, ...]
    responses: dict[str, Any]
    result: Result
    started_at: datetime
    submitted_at: datetime
    deadline_at: datetime | None = None

    def attempt_row(self) -> dict[str, Any]:
        return {"kind": self.kind, "unit_key": self.unit_key, "seed": self.seed,
                "questions": [[d.question_id, list(d.option_order)] for d in self.drawn],
                "responses": self.responses, "revision": 1, "state": "submitted",
                "started_at": self.started_at, "deadline_at": self.deadline_at,
                "submitted_at": self.submitted_at}

    def result_row(self) -> dict[str, Any]:
        result = self.result
        return {"points": result.points, "max_points": result.max_points,
                "is_passed": result.passed, "graded_at": self.submitted_at,
                "scores": {qid: {"points": s.points, "max": s.max_points, "marks": dict(s.marks)}
                           for qid, s in result.scores}}


@dataclass(slots=True)
class Journey:
    """What one person did: progress per unit, attempts, and when the exam was passed."""

    progress: list[dict[str, Any]] = field(default_factory=list)
    runs: list[GradedRun] = field(default_factory=list)
    exam_passed_at: datetime | None = None


def difficulties(course: Course, rng: random.Random) -> dict[str, float]:
    """A difficulty per question: most easy to middling, every ninth one hard."""
    found = {}
    for number, question_id in enumerate(sorted(course.questions())):
        found[question_id] = rng.uniform(0.35, 0.55) if number % 9 == 4 else rng.uniform(0.0, 0.25)
    return found


def right_answer(question: Question) -> Response:
    options = question.options
    kind = question.type
    if kind in (QuestionType.SINGLE, QuestionType.TRUEFALSE):
        return next(o.id for o in options if o.is_correct)
    if kind is QuestionType.MULTIPLE:
        return frozenset(o.id for o in options if o.is_correct)
    if kind is QuestionType.ORDER:
        return tuple(o.id for o in options)
    if kind is QuestionType.MATCH:
        return {o.id: o.id for o in options}
    if kind is QuestionType.NUMBER:
        return f"{question.number_answers[0].value:g}"
    if kind is QuestionType.CLOZE:
        return {gap.key: _right_gap(gap) for gap in question.gaps}
    return question.text_answers[0]


def _right_gap(gap: Gap) -> str:
    if gap.kind is GapKind.CHOICE:
        return next(o.id for o in gap.options if o.is_correct)
    if gap.kind is GapKind.NUMBER and gap.number_answer is not None:
        return f"{gap.number_answer.value:g}"
    return gap.answers[0]


def wrong_answer(question: Question, rng: random.Random) -> Response:
    """A plausible mistake: another option, one box too many or too few, two items swapped."""
    options = question.options
    kind = question.type
    if kind in (QuestionType.SINGLE, QuestionType.TRUEFALSE):
        return rng.choice([o.id for o in options if not o.is_correct])
    if kind is QuestionType.MULTIPLE:
        flipped = rng.choice(options).id
        return frozenset(o.id for o in options if o.is_correct) ^ {flipped}
    if kind in (QuestionType.ORDER, QuestionType.MATCH):
        ids = [o.id for o in options]
        first, second = rng.sample(range(len(ids)), 2)
        ids[first], ids[second] = ids[second], ids[first]
        if kind is QuestionType.ORDER:
            return tuple(ids)
        return {o.id: chosen for o, chosen in zip(options, ids, strict=True)}
    if kind is QuestionType.CLOZE:  # one gap wrong (a wrong choice, or a typo), the rest right
        answers = {gap.key: _right_gap(gap) for gap in question.gaps}
        missed = rng.choice(question.gaps)
        wrong = [o.id for o in missed.options if not o.is_correct]
        answers[missed.key] = rng.choice(wrong) if wrong else "0"
        return answers
    return "0"


def answer(questions: dict[str, Question], drawn: tuple[DrawnQuestion, ...], skill: float,
           difficulty: dict[str, float], rng: random.Random) -> dict[str, Response]:
    responses: dict[str, Response] = {}
    for item in drawn:
        question = questions[item.question_id]
        roll = rng.random()
        if roll < 0.02:
            continue  # left unanswered
        chance = min(0.99, max(0.05, skill - difficulty.get(question.id, 0.0)))
        right = rng.random() < chance
        responses[question.id] = right_answer(question) if right else wrong_answer(question, rng)
    return responses


class Simulation:
    """Takes a course version's quizzes and exam for one person after another."""

    def __init__(self, course: Course, rng: random.Random) -> None:
        self.course = course
        self.rng = rng
        self.questions = course.questions()
        self.difficulty = difficulties(course, rng)

    def _run(self, kind: str, unit_key: str, drawn_for: Any, pass_mark: float, skill: float,
             at: datetime, want: bool | None) -> GradedRun:
        """One graded attempt submitted at `at`; `want` asks for a pass or a fail (the draw
        is repeated until the real grade agrees, answering everything right at last)."""
        for tries in range(12):
            seed = self.rng.randrange(1, 2**31 - 1)
            drawn = drawn_for(seed)
            if want is True and tries == 11:
                responses = {d.question_id: right_answer(self.questions[d.question_id])
                             for d in drawn}
            else:
                # each repeat answers a little better (or worse) towards the wanted grade
                shift = 0.04 * tries * (1 if want else -1 if want is False else 0)
                responses = answer(self.questions, drawn, skill + shift, self.difficulty,
                                   self.rng)
            result = grade_attempt(self.questions, drawn, responses, pass_mark)
            if want is None or result.passed == want or tries == 11:
                break
        minutes = self.rng.randint(3, 8) if kind == QUIZ else self.rng.randint(12, 28)
        started = at - timedelta(minutes=minutes)
        deadline = None
        if kind == EXAM and self.course.exam and self.course.exam.time_limit:
            deadline = started + timedelta(minutes=self.course.exam.time_limit)
        return GradedRun(kind, unit_key, seed, drawn,
                         {qid: to_json(r) for qid, r in responses.items() if r is not None},
                         result, started, at, deadline)

    def journey(self, *, skill: float, start: datetime, end: datetime, units_read: int,
                exam: str) -> Journey:
        """Units read in order between `start` and `end`, each quiz taken until passed;
        `exam`: "pass" (the last attempt at `end` passes), "fail" (one or two failed
        attempts) or "none". A started person may be stuck in the last unit's quiz."""
        course, rng = self.course, self.rng
        done = Journey()
        steps = units_read + (1 if exam != "none" else 0)
        span = (end - start) / max(steps, 1)
        stuck = exam == "none" and units_read > 0 and rng.random() < 0.3
        for index, unit in enumerate(course.units[:units_read]):
            read_at = start + span * index + timedelta(minutes=rng.randint(5, 50))
            row: dict[str, Any] = {"unit_id": unit.id, "read_at": read_at,
                                   "quiz_passed_at": None, "last_quiz_points": None,
                                   "last_quiz_max_points": None}
            if unit.quiz is not None:
                last = index == units_read - 1
                tries = 1 if last and stuck else MAX_QUIZ_TRIES
                at = read_at
                for attempt in range(tries):
                    at += timedelta(minutes=rng.randint(8, 30))
                    want = False if last and stuck else (True if attempt == tries - 1 else None)
                    run = self._run(QUIZ, unit.id, lambda s, u=unit: assemble_quiz(u, s),
                                    unit.quiz.pass_mark, skill + 0.08 * attempt, at, want)
                    done.runs.append(run)
                    row["last_quiz_points"] = run.result.points
                    row["last_quiz_max_points"] = run.result.max_points
                    if run.result.passed:
                        row["quiz_passed_at"] = run.submitted_at
                        break
            done.progress.append(row)
        if exam != "none" and course.exam is not None:
            self._exam(done, skill, end, passes=exam == "pass")
        return done

    def _exam(self, done: Journey, skill: float, end: datetime, passes: bool) -> None:
        course, rng, settings = self.course, self.rng, self.course.exam
        assert settings is not None
        limit = settings.max_attempts or 3
        if passes:
            fails = 0 if rng.random() < 0.7 else (1 if rng.random() < 0.75 else 2)
        else:
            fails = rng.randint(1, min(2, limit - 1))
        fails = min(fails, limit - 1)
        for number in range(fails + (1 if passes else 0)):
            want = passes and number == fails
            at = end if want else end - timedelta(days=fails - number, minutes=rng.randint(0, 90))
            run = self._run(EXAM, "", lambda s: assemble_exam(course, s), settings.pass_mark,
                            (skill - 0.15 if not want else skill) + 0.05 * number, at, want)
            done.runs.append(run)
            if run.result.passed:
                done.exam_passed_at = run.submitted_at
