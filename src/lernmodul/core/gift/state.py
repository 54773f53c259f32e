"""The state of one GIFT conversion, shared by the question converters: the diagnostics of
the current question, the ids already taken, and GIFT text to Markdown that remembers the
HTML and images met; plus the short forms of text that diagnostics quote.

Rule: nothing here knows a question type or writes the course format; the converters
(`answers`, `cloze`, `convert`) import this module, never the other way round."""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, field

from ..diagnostics import DiagCode, Diagnostic, Severity
from .ids import ID_PATTERN, MAX_ID_LENGTH, slugify, unique
from .reader import Span
from .text import NEWLINE, Markdown, as_block, as_inline, split_format, to_markdown


@dataclass
class Unit:
    """A unit being filled: its id and title, the line of its $CATEGORY (0 for the first
    unit), the question blocks met and the converted questions' Markdown."""

    id: str
    title: str
    line: int = 0
    blocks: int = 0
    questions: list[str] = field(default_factory=list)


class Skip(Exception):
    """The question cannot be converted; its errors are already recorded."""


class Converter:
    """What a conversion keeps between questions (diagnostics, ids taken) and while one
    question is converted (its notes, whether it had HTML, its images, 'multiple' scoring)."""

    def __init__(self, path: str, language: str, questions: Collection[str],
                 units: Collection[str]) -> None:
        self.path = path
        self.language = language
        self.diagnostics: list[Diagnostic] = []
        self.taken_questions = set(questions)
        self.taken_units = set(units)
        # per question, reset for each one
        self.notes: list[Diagnostic] = []
        self.had_html = False
        self.images: list[str] = []
        self.partial = False  # scoring=partial for the current 'multiple' question

    # --- diagnostics -----------------------------------------------------------------------

    def error(self, code: DiagCode, at: Span, **args: object) -> Skip:
        """Records an error (the question will be skipped); raise the result to stop now."""
        self.notes.append(Diagnostic(code, self.path, at.line, at.column,
                                     tuple((k, str(v)) for k, v in args.items()),
                                     Severity.ERROR))
        return Skip()

    def warn(self, code: DiagCode, at: Span, **args: object) -> None:
        """Records a warning for the current question."""
        self.notes.append(Diagnostic(code, self.path, at.line, at.column,
                                     tuple((k, str(v)) for k, v in args.items()),
                                     Severity.WARNING))

    def fail_if_errors(self) -> None:
        """Raises Skip when the current question has an error recorded."""
        if any(d.is_error for d in self.notes):
            raise Skip()

    def finish(self, at: Span) -> None:
        """Ends a question: raises Skip when it has an error, else warns (at `at`) that it had
        HTML and of each image that could not be carried over."""
        self.fail_if_errors()
        if self.had_html:
            self.warn(DiagCode.GIFT_HTML, at)
        for src in self.images:
            self.warn(DiagCode.GIFT_IMAGE, at, src=src[:80])

    # --- ids -------------------------------------------------------------------------------

    def unit_id(self, base: str) -> str:
        """A unit id from `base` that no other unit has."""
        return unique(base, self.taken_units)

    def question_id(self, title: str, unit: Unit) -> str:
        """A question id from the question's title (or the unit and block number)."""
        # a name that is an id already (as lernmodul's GIFT export writes them) stays as it is
        is_id = ID_PATTERN.match(title) is not None and len(title) <= MAX_ID_LENGTH
        base = title if is_id else slugify(title) or f"{unit.id}-{unit.blocks}"
        return unique(base, self.taken_questions)

    # --- text ------------------------------------------------------------------------------

    def markdown(self, text: str, fmt: str) -> Markdown:
        """GIFT text (a format marker first taken off) as Markdown, HTML and images noted."""
        return self.converted(*split_format(text, fmt))

    def converted(self, text: str, fmt: str) -> Markdown:
        """Text whose format marker is already taken off as Markdown, HTML and images noted."""
        converted = to_markdown(text, fmt)
        self.had_html = self.had_html or converted.had_html
        self.images.extend(converted.images)
        return converted

    def inline(self, span: Span, fmt: str) -> str:
        """A span's text as Markdown on one line."""
        return as_inline(self.markdown(span.text, fmt).text)

    def block(self, span: Span | None, fmt: str) -> str:
        """A span's text as Markdown paragraphs; "" for no span or an empty one."""
        if span is None or not span:
            return ""
        return as_block(self.markdown(span.text, fmt).text, stem=False)


# --- text quoted in diagnostics ----------------------------------------------------------


def one_line(text: str) -> str:
    """Text with every run of white space (and '\\n' escapes) as one space, stripped."""
    return re.sub(r"\s+", " ", text.replace(NEWLINE, " ")).strip()


def short(text: str) -> str:
    """Text cut to at most 60 characters ('...' at the end when cut)."""
    return text if len(text) <= 60 else text[:57] + "..."


def percent(value: float) -> str:
    """A weight in percent as written in messages: rounded to 2 places, no trailing zeros."""
    return f"{round(value, 2):g}"


def feedback_text(feedback: Span) -> str:
    """Feedback as quoted in a message: plain text, on one line, short."""
    return short(one_line(split_format(feedback.text, "plain")[0]))
