"""The course as the player reads it (course-data.js): no key in plain sight.

Options are listed in a salted order that is neither the source order (the solution of an
order question) nor the key; what is right sits in a sealed blob per question, typed answers
only as salted hashes.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from lernmodul.core.model import Course, GapKind, Question, QuestionType, Scoring

from .keys import answer_hash, normalise_text, number_token, question_salt, seal


def _scramble(salt: str, count: int) -> list[int]:
    """Source indices in a salted order (deterministic, different from the source order)."""
    order = sorted(range(count), key=lambda i: hashlib.sha256(f"{salt}/{i}".encode()).digest())
    if count > 1 and order == list(range(count)):
        order = order[1:] + order[:1]
    return order


def _question(course: Course, question: Question) -> dict[str, Any]:
    salt = question_salt(course.id, course.version, question.id)
    kind = question.type
    out: dict[str, Any] = {"id": question.id, "type": kind.value, "points": question.points,
                           "partial": question.scoring is Scoring.PARTIAL,
                           "stem": question.stem_html, "salt": salt}
    secret: dict[str, Any] = {"x": question.explanation_html}
    if kind in (QuestionType.SINGLE, QuestionType.MULTIPLE, QuestionType.TRUEFALSE,
                QuestionType.ORDER):
        order = (list(range(len(question.options))) if kind is QuestionType.TRUEFALSE
                 else _scramble(salt, len(question.options)))
        shown = [question.options[i] for i in order]
        out["options"] = [{"html": o.html} for o in shown]
        if kind is QuestionType.ORDER:
            # the right order, as indices into the shown list
            secret["o"] = [order.index(i) for i in range(len(order))]
        else:
            secret["c"] = [n for n, o in enumerate(shown) if o.is_correct]
            secret["f"] = [o.feedback_html for o in shown]
    elif kind is QuestionType.MATCH:
        rights = _scramble(salt + "/right", len(question.options))
        out["options"] = [{"html": o.html} for o in question.options]
        out["rights"] = [question.options[i].match_text for i in rights]
        secret["m"] = [rights.index(i) for i in range(len(question.options))]
        secret["r"] = [o.match_html for o in question.options]
    elif kind is QuestionType.NUMBER:
        hashes, ranges = [], []
        for answer in question.number_answers:
            if answer.tolerance:
                ranges.append([answer.value, answer.tolerance, answer.feedback_html])
            else:
                token = number_token(answer.value)
                hashes.append({"h": answer_hash(salt, token),
                               "f": seal(answer.feedback_html, f"{salt}|{token}")})
        out["hashes"] = hashes
        secret["n"] = ranges
    elif kind is QuestionType.CLOZE:
        out["parts"] = list(question.stem_parts)
        out["gaps"], secret["g"] = _gaps(question, salt)
    else:  # text
        hashes = []
        feedback = list(question.text_feedback_html) + [""] * len(question.text_answers)
        for answer, html in zip(question.text_answers, feedback, strict=False):
            token = normalise_text(answer)
            hashes.append({"h": answer_hash(salt, token), "f": seal(html, f"{salt}|{token}")})
        out["hashes"] = hashes
    out["sealed"] = seal(json.dumps(secret, ensure_ascii=False, separators=(",", ":")),
                         salt + "|key")
    return out


def _gaps(question: Question, salt: str) -> tuple[list[dict[str, Any]], list[Any]]:
    """The gaps of a cloze as shown (choices in a salted order, typed answers as hashes with
    a salt per gap) and their sealed keys: per gap the index of the right choice, a number
    range [value, tolerance], or None (the hashes decide)."""
    shown: list[dict[str, Any]] = []
    keys: list[Any] = []
    for gap in question.gaps:
        gap_salt = f"{salt}/g{gap.number}"
        if gap.kind is GapKind.CHOICE:
            order = _scramble(gap_salt, len(gap.options))
            options = [gap.options[i] for i in order]
            shown.append({"kind": "choice", "options": [o.text for o in options]})
            keys.append(next((n for n, o in enumerate(options) if o.is_correct), -1))
        elif gap.kind is GapKind.NUMBER:
            answer = gap.number_answer
            if answer is not None and answer.tolerance:
                shown.append({"kind": "number", "hashes": []})
                keys.append([answer.value, answer.tolerance])
            else:
                hashes = [] if answer is None else [answer_hash(gap_salt, number_token(answer.value))]
                shown.append({"kind": "number", "hashes": hashes})
                keys.append(None)
        else:
            shown.append({"kind": "text", "hashes": sorted(
                {answer_hash(gap_salt, normalise_text(a)) for a in gap.answers})})
            keys.append(None)
    return shown, keys


def player_data(course: Course, *, runtime: str, texts: dict[str, str],
                interactions: bool) -> dict[str, Any]:
    """Everything the player needs, as plain JSON-able data. `runtime`: scorm12, scorm2004
    or cmi5; `texts`: the interface texts in the course's language."""
    questions = course.questions()
    index = {qid: n for n, qid in enumerate(sorted(questions))}
    exam = course.exam
    return {
        "runtime": runtime,
        "interactions": interactions,
        "id": course.id, "title": course.title, "version": course.version,
        "language": course.language,
        "completion": {"units": course.completion.units, "exam": course.completion.exam.value},
        "questions": [_question(course, questions[qid]) for qid in sorted(questions)],
        "units": [{
            "id": unit.id, "title": unit.title,
            "pool": [index[q.id] for q in unit.questions],
            "quiz": None if unit.quiz is None else {
                "passMark": unit.quiz.pass_mark, "draw": unit.quiz.draw,
                "shuffle": unit.quiz.shuffle,
                "questions": [index[q.id] for q in unit.quiz_questions]},
        } for unit in course.units],
        "exam": None if exam is None else {
            "passMark": exam.pass_mark, "draw": exam.draw, "count": exam.questions,
            "maxAttempts": exam.max_attempts, "timeLimit": exam.time_limit,
            "shuffle": exam.shuffle, "review": exam.review.value,
            "fixed": [index[q.id] for q in course.exam_questions]},
        "texts": texts,
    }


def data_script(data: dict[str, Any]) -> bytes:
    """course-data.js: the data as one assignment (a script, so file:// launches work too)."""
    text = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    # never let course HTML end the script early or open a comment
    text = text.replace("</", "<\\/").replace("<!--", "<\\!--")
    return f"window.LERNMODUL_COURSE = {text};\n".encode()
