"""Cloze (gap text) in a neutral shape the GIFT and QTI writers and the QTI reader share.

A cloze question is its stem cut at the gaps: HTML pieces and `Gap`s in reading order.
`cloze_of` is the one place that reads a compiled cloze question (`Question.stem_parts` and
`Question.gaps`) into this shape.
"""

from __future__ import annotations

from dataclasses import dataclass

from lernmodul.core import model
from lernmodul.core.model import Question, QuestionType

from .html import number_text


@dataclass(frozen=True, slots=True)
class Gap:
    """One gap. `kind` is "text" (any of `answers` counts), "number" (`value` ± `tolerance`)
    or "choice" (`answers` are the options in source order, `right` the index of the right
    one)."""

    kind: str
    answers: tuple[str, ...] = ()
    right: int = 0
    value: float = 0.0
    tolerance: float = 0.0


@dataclass(frozen=True, slots=True)
class Cloze:
    """The stem as pieces: str (sanitised HTML) and Gap, in reading order."""

    pieces: tuple[str | Gap, ...]

    @property
    def gaps(self) -> tuple[Gap, ...]:
        return tuple(p for p in self.pieces if isinstance(p, Gap))


def is_cloze(question: Question) -> bool:
    """Whether the question is a cloze (gap text)."""
    return question.type is QuestionType.CLOZE


def cloze_of(question: Question) -> Cloze | None:
    """The question's stem and gaps in reading order, or None for a question that is no
    cloze or whose stem parts do not fit its gaps (one part more than gaps)."""
    if not is_cloze(question) or not question.gaps \
            or len(question.stem_parts) != len(question.gaps) + 1:
        return None
    pieces: list[str | Gap] = [question.stem_parts[0]]
    for gap, after in zip(question.gaps, question.stem_parts[1:], strict=True):
        pieces += [_gap(gap), after]
    return Cloze(tuple(p for p in pieces if p != ""))


def _gap(gap: model.Gap) -> Gap:
    if gap.kind is model.GapKind.CHOICE:
        right = next((i for i, o in enumerate(gap.options) if o.is_correct), 0)
        return Gap("choice", tuple(o.text for o in gap.options), right=right)
    if gap.kind is model.GapKind.NUMBER:
        answer = gap.number_answer or model.NumberAnswer(0.0)
        return Gap("number", value=answer.value, tolerance=answer.tolerance)
    return Gap("text", tuple(gap.answers))


def gap_markdown(gap: Gap) -> str:
    """The gap in the course format: [[a|b]], [[= 3 ± 0.5]] or [[*right|wrong]]."""
    if gap.kind == "number":
        tolerance = f" ± {number_text(gap.tolerance)}" if gap.tolerance else ""
        return f"[[= {number_text(gap.value)}{tolerance}]]"
    if gap.kind == "choice":
        return "[[" + "|".join(("*" if i == gap.right else "") + _escape(a)
                               for i, a in enumerate(gap.answers)) + "]]"
    return "[[" + "|".join(_escape(a) for a in gap.answers) + "]]"


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("]]", "]\\]").strip()
