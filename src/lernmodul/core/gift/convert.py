"""convert_gift(): a Moodle GIFT file's text to unit files in the course format, with diagnostics.

Rule: this module reads the file's blocks into units ($CATEGORY) and each block's title,
stem and answer block, and picks the answer kind; the kinds are in `answers`, missing-word
and embedded-answer cloze in `cloze`, ids in `ids`, the course format's text in `writer`."""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass

from ..diagnostics import DiagCode, Diagnostic
from ..model import QuestionType
from .answers import FALSE, TRUE, choice, matching, numeric, short_answer, truefalse
from .cloze import GAP, embedded_question, is_embedded, missing_word_gap, missing_word_question
from .ids import ID_PATTERN, slugify
from .reader import Span, read_blocks
from .state import Converter, Skip, Unit, one_line
from .text import BLANK, as_block, escape_line, split_format
from .writer import quote, unit_file

_CONTEXT = re.compile(r"\$\w+\$\Z")  # $course$, $system$ … at the start of a category path


@dataclass(frozen=True, slots=True)
class GiftResult:
    """Unit files by file name (Markdown text) and every problem found. `questions` counts the
    converted questions; `unit_ids` are the written units in file order."""

    files: dict[str, str]
    diagnostics: tuple[Diagnostic, ...]
    questions: int = 0
    unit_ids: tuple[str, ...] = ()

    @property
    def errors(self) -> tuple[Diagnostic, ...]:
        return tuple(d for d in self.diagnostics if d.is_error)

    @property
    def warnings(self) -> tuple[Diagnostic, ...]:
        return tuple(d for d in self.diagnostics if not d.is_error)


def convert_gift(text: str, *, unit_id: str, title: str = "", language: str = "de",
                 path: str = "", pass_mark: float | None = 0.8, number_from: int = 1,
                 reserved_ids: Collection[str] = (),
                 reserved_units: Collection[str] = ()) -> GiftResult:
    """Converts GIFT text to unit files ('NN-unitid.md', numbered from `number_from`).

    Questions before any `$CATEGORY:` go to the unit `unit_id` (titled `title`); each category
    becomes a unit of its own. A question that cannot be converted is reported (error) and left
    out; the others are converted. Question ids in `reserved_ids` and unit ids in
    `reserved_units` (those already in the course) are not used again. With `pass_mark`, each
    unit gets a quiz with that pass mark."""
    if not ID_PATTERN.match(unit_id):
        raise ValueError(f"unit id {unit_id!r} does not match {ID_PATTERN.pattern}")
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    conv = Converter(path, language, reserved_ids, reserved_units)
    default = Unit(conv.unit_id(unit_id), title.strip() or unit_id)
    units = [default]
    by_category: dict[str, Unit] = {}
    current = default
    converted = 0
    for block in read_blocks(text):
        span = block.span.strip()
        if span.raw.startswith("$CATEGORY:"):
            line_end = span.find("\n")
            name = one_line(span.sub(len("$CATEGORY:"), line_end if line_end >= 0
                                     else None).text)
            current = by_category.get(name) or _category_unit(name, conv, default, span)
            if name not in by_category:
                by_category[name] = current
                units.append(current)
            span = span.sub(line_end + 1).strip() if line_end >= 0 else span.sub(len(span.raw))
            if not span:
                continue
        current.blocks += 1
        conv.notes = []
        try:
            current.questions.append(question(conv, span, current))
            converted += 1
            conv.diagnostics.extend(conv.notes)
        except Skip:
            conv.diagnostics.extend(d for d in conv.notes if d.is_error)

    files: dict[str, str] = {}
    written: list[str] = []
    number = number_from
    for unit in units:
        if not unit.questions:
            if unit is not default and unit.blocks == 0:
                conv.diagnostics.append(Diagnostic.make(
                    DiagCode.GIFT_EMPTY_CATEGORY, path, unit.line, 1, name=unit.title))
            continue
        files[f"{number:02d}-{unit.id}.md"] = unit_file(unit.id, unit.title, unit.questions, pass_mark)
        written.append(unit.id)
        number += 1
    if not converted:
        conv.diagnostics.append(Diagnostic.make(DiagCode.GIFT_NO_QUESTIONS, path, 0, 0))
    diagnostics = tuple(sorted(conv.diagnostics, key=lambda d: (d.line, d.column)))
    return GiftResult(files, diagnostics, converted, tuple(written))


def question(conv: Converter, span: Span, unit: Unit) -> str:
    """The Markdown of one question block, or Skip with the reasons in conv.notes."""
    conv.had_html = False
    conv.images = []
    title = ""
    head = span
    if span.raw.startswith("::"):
        end = span.find("::", 2)
        if end < 0:
            conv.warn(DiagCode.GIFT_UNCLOSED_TITLE, span)
            head = span.sub(2)
        else:
            title = one_line(span.sub(2, end).text)
            head = span.sub(end + 2)
    if is_embedded(head):
        return embedded_question(conv, head, title, unit)
    opening = head.find("{")
    closing = head.find("}")
    if opening < 0:
        if closing >= 0:
            raise conv.error(DiagCode.GIFT_STRAY_BRACE, head.sub(closing))
        raise conv.error(DiagCode.GIFT_DESCRIPTION, span)
    if 0 <= closing < opening:
        raise conv.error(DiagCode.GIFT_STRAY_BRACE, head.sub(closing))
    closing = head.find("}", opening + 1)
    if closing < 0:
        raise conv.error(DiagCode.GIFT_UNCLOSED, head.sub(opening))
    after = head.sub(closing + 1)
    if after.find("{") >= 0:
        raise conv.error(DiagCode.GIFT_SECOND_BLOCK, after.sub(after.find("{")))
    if after.find("}") >= 0:
        raise conv.error(DiagCode.GIFT_STRAY_BRACE, after.sub(after.find("}")))
    answers = head.sub(opening + 1, closing)
    # Moodle's missing word: text after the answers means the answers fill a blank
    stem_source = head.sub(0, opening).text + (BLANK if after else "") + after.text
    stem_text, fmt = split_format(stem_source.strip(), "moodle")
    general: Span | None = None
    at = answers.rfind("####")
    if at >= 0:
        general = answers.sub(at + 4)
        answers = answers.sub(0, at)
    answers = answers.strip()
    if after and answers.raw:
        notes = len(conv.notes)
        gap = missing_word_gap(conv, answers, fmt)
        if gap is not None:
            return missing_word_question(conv, head.sub(0, opening).text + GAP + after.text,
                                         gap, general, title, unit, span)
        del conv.notes[notes:]  # the question converts as before, and warns again
    # the marker is read once: text after it that looks like one ("[html] …") is text
    stem = as_block(conv.converted(stem_text, fmt).text, stem=True)

    raw = answers.raw
    if not raw:
        raise conv.error(DiagCode.GIFT_ESSAY, head.sub(opening))
    if raw.startswith("#"):
        qtype, items = numeric(conv, answers, fmt)
    elif "~" in raw:
        qtype, items = choice(conv, answers, fmt)
    elif "=" in raw and "->" in raw:
        qtype, items = matching(conv, answers, fmt)
    elif raw.split("#", 1)[0].strip() in TRUE + FALSE:
        qtype, items = truefalse(conv, answers, fmt)
    else:
        qtype, items = short_answer(conv, answers, fmt)
    if not stem.strip():
        if not title:
            raise conv.error(DiagCode.GIFT_NO_TEXT, span)
        stem = escape_line(title)
    explanation = conv.block(general, fmt)
    conv.finish(span)

    header = f"::: question {qtype.value} id={conv.question_id(title, unit)}"
    if qtype is QuestionType.MULTIPLE and conv.partial:
        header += " scoring=partial"
    parts = [header + "\n" + stem, "\n".join(items)]
    if explanation:
        parts.append(quote(explanation, ""))
    return "\n\n".join(parts) + "\n:::"


def _category_unit(name: str, conv: Converter, default: Unit, span: Span) -> Unit:
    """$CATEGORY: $course$/top/A/B is unit 'a-b' titled 'B' (context and 'top' left out)."""
    parts = [p.strip() for p in name.split("/") if p.strip()]
    if parts and _CONTEXT.match(parts[0]):
        parts = parts[1:]
    if parts and parts[0] == "top":
        parts = parts[1:]
    title = parts[-1] if parts else default.title
    base = slugify("-".join(parts)) or f"{default.id}-{len(parts) + 1}"
    return Unit(conv.unit_id(base), title, line=span.line)


__all__ = ["GiftResult", "convert_gift"]
