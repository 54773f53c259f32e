"""What "the same questions" means after a trip through GIFT or QTI: every graded fact and
every text a learner sees, with the HTML's white space normalised."""

from __future__ import annotations

import re

from lernmodul.core.compiler import compile_course
from lernmodul.core.model import Course, Question, QuestionType, Scoring


def norm(html: str) -> str:
    return re.sub(r"\s+", " ", html).replace("> <", "><").replace(" </p>", "</p>").strip()


def signature(q: Question, *, scoring: bool = True, points: bool = True) -> dict[str, object]:
    """A comparable picture of a question. `scoring` off: the scoring mode is left out."""
    effective = q.scoring
    if q.type is QuestionType.MULTIPLE and sum(o.is_correct for o in q.options) == 1:
        effective = Scoring.ALL  # one right answer: both modes grade alike
    sig: dict[str, object] = {
        "id": q.id, "type": q.type.value, "stem": norm(q.stem_html),
        "explanation": norm(q.explanation_html),
        "options": [(o.id, o.text, norm(o.html), o.is_correct, norm(o.feedback_html),
                     o.match_text, norm(o.match_html)) for o in q.options],
        "numbers": [(a.value, a.tolerance, norm(a.feedback_html)) for a in q.number_answers],
        "texts": list(q.text_answers),
        "text_feedback": [norm(f) for f in q.text_feedback_html],
        "stem_parts": [norm(p) for p in q.stem_parts],
        "gaps": [(g.number, g.kind.value, list(g.answers),
                  None if g.number_answer is None else (g.number_answer.value,
                                                        g.number_answer.tolerance),
                  [(o.id, o.text, norm(o.html), o.is_correct) for o in g.options])
                 for g in q.gaps],
    }
    if scoring:
        sig["scoring"] = effective.value
    if points:
        sig["points"] = q.points
    return sig


def compile_files(files: dict[str, str]) -> Course:
    result = compile_course({name: text.encode() for name, text in files.items()})
    assert result.course is not None, [d.format() for d in result.errors]
    assert not result.errors, [d.format() for d in result.errors]
    return result.course
