"""Cloze (gap text) in a neutral shape the GIFT and QTI writers and the QTI reader share.

A cloze question is its stem cut at the gaps: HTML pieces and `Gap`s in reading order. The
course model of this release has no cloze type yet; `cloze_of` is the one place that reads
a compiled cloze question into this shape once it has one.
"""

from __future__ import annotations

from dataclasses import dataclass

from lernmodul.core.model import Question

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
    return question.type.value == "cloze"


def cloze_of(question: Question) -> Cloze | None:
    """The question's stem and gaps, or None when the model does not carry them (this
    release's model has no cloze type: nothing to read)."""
    pieces = getattr(question, "cloze_pieces", None)
    if not is_cloze(question) or pieces is None:
        return None
    return Cloze(tuple(pieces))


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
