"""convert_gift(): a Moodle GIFT file's text to unit files in the course format, with diagnostics."""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Collection
from dataclasses import dataclass, field

from ..diagnostics import DiagCode, Diagnostic, Severity
from ..model import QuestionType
from .cloze import GAP, embedded_question, is_embedded, missing_word_gap
from .numbers import parse_gift_number as _number
from .reader import Span, read_blocks
from .text import (
    BLANK,
    NEWLINE,
    Markdown,
    as_block,
    as_inline,
    escape_line,
    split_format,
    to_markdown,
)

ID_PATTERN = re.compile(r"[a-z0-9][a-z0-9_-]*\Z")
TRUE_FALSE = {"de": ("Wahr", "Falsch"), "en": ("True", "False")}
MAX_ID_LENGTH = 60
_TRUE = ("T", "TRUE")
_FALSE = ("F", "FALSE")
_WEIGHT = re.compile(r"-?\d+(?:[.,]\d+)?\Z")
_TRANSLITERATE = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})
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


@dataclass
class _Unit:
    id: str
    title: str
    line: int = 0
    name: str = ""
    blocks: int = 0
    questions: list[str] = field(default_factory=list)


#: a choice option: label (Markdown), Moodle weight in percent, feedback (Markdown), place
_Choice = tuple[str, float, str, Span]


class _Skip(Exception):
    """The question cannot be converted; its errors are already recorded."""


class _Converter:
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

    def error(self, code: DiagCode, at: Span, **args: object) -> _Skip:
        """Records an error (the question will be skipped); raise the result to stop now."""
        self.notes.append(Diagnostic(code, self.path, at.line, at.column,
                                     tuple((k, str(v)) for k, v in args.items()),
                                     Severity.ERROR))
        return _Skip()

    def warn(self, code: DiagCode, at: Span, **args: object) -> None:
        self.notes.append(Diagnostic(code, self.path, at.line, at.column,
                                     tuple((k, str(v)) for k, v in args.items()),
                                     Severity.WARNING))

    def fail_if_errors(self) -> None:
        if any(d.is_error for d in self.notes):
            raise _Skip()

    # --- ids -------------------------------------------------------------------------------

    def unit_id(self, base: str) -> str:
        return _unique(base, self.taken_units)

    def question_id(self, title: str, unit: _Unit) -> str:
        # a name that is an id already (as lernmodul's GIFT export writes them) stays as it is
        is_id = ID_PATTERN.match(title) is not None and len(title) <= MAX_ID_LENGTH
        base = title if is_id else slugify(title) or f"{unit.id}-{unit.blocks}"
        return _unique(base, self.taken_questions)

    # --- text ------------------------------------------------------------------------------

    def markdown(self, text: str, fmt: str) -> Markdown:
        text, fmt = split_format(text, fmt)
        converted = to_markdown(text, fmt)
        self.had_html = self.had_html or converted.had_html
        self.images.extend(converted.images)
        return converted

    def inline(self, span: Span, fmt: str) -> str:
        return as_inline(self.markdown(span.text, fmt).text)

    def block(self, span: Span | None, fmt: str) -> str:
        if span is None or not span:
            return ""
        return as_block(self.markdown(span.text, fmt).text, stem=False)

    # --- one question ----------------------------------------------------------------------

    def question(self, span: Span, unit: _Unit) -> str:
        """The Markdown of one question block, or _Skip with the reasons in self.notes."""
        self.had_html = False
        self.images = []
        title = ""
        head = span
        if span.raw.startswith("::"):
            end = span.find("::", 2)
            if end < 0:
                self.warn(DiagCode.GIFT_UNCLOSED_TITLE, span)
                head = span.sub(2)
            else:
                title = _one_line(span.sub(2, end).text)
                head = span.sub(end + 2)
        if is_embedded(head):
            return embedded_question(self, head, title, unit)
        opening = head.find("{")
        closing = head.find("}")
        if opening < 0:
            if closing >= 0:
                raise self.error(DiagCode.GIFT_STRAY_BRACE, head.sub(closing))
            raise self.error(DiagCode.GIFT_DESCRIPTION, span)
        if 0 <= closing < opening:
            raise self.error(DiagCode.GIFT_STRAY_BRACE, head.sub(closing))
        closing = head.find("}", opening + 1)
        if closing < 0:
            raise self.error(DiagCode.GIFT_UNCLOSED, head.sub(opening))
        after = head.sub(closing + 1)
        if after.find("{") >= 0:
            raise self.error(DiagCode.GIFT_SECOND_BLOCK, after.sub(after.find("{")))
        if after.find("}") >= 0:
            raise self.error(DiagCode.GIFT_STRAY_BRACE, after.sub(after.find("}")))
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
            notes = len(self.notes)
            gap = missing_word_gap(self, answers, fmt)
            if gap is not None:
                return self.cloze(head.sub(0, opening).text + GAP + after.text, gap, general,
                                  title, unit, span)
            del self.notes[notes:]  # the question converts as before, and warns again
        # the marker is read once: text after it that looks like one ("[html] …") is text
        stem = as_block(as_markdown_once(self, stem_text, fmt), stem=True)

        raw = answers.raw
        if not raw:
            raise self.error(DiagCode.GIFT_ESSAY, head.sub(opening))
        if raw.startswith("#"):
            qtype, items = self.numeric(answers, fmt)
        elif "~" in raw:
            qtype, items = self.choice(answers, fmt)
        elif "=" in raw and "->" in raw:
            qtype, items = self.matching(answers, fmt)
        elif raw.split("#", 1)[0].strip() in _TRUE + _FALSE:
            qtype, items = self.truefalse(answers, fmt)
        else:
            qtype, items = self.short_answer(answers, fmt)
        if not stem.strip():
            if not title:
                raise self.error(DiagCode.GIFT_NO_TEXT, span)
            stem = escape_line(title)
        explanation = self.block(general, fmt)
        self.fail_if_errors()
        if self.had_html:
            self.warn(DiagCode.GIFT_HTML, span)
        for src in self.images:
            self.warn(DiagCode.GIFT_IMAGE, span, src=src[:80])

        header = f"::: question {qtype.value} id={self.question_id(title, unit)}"
        if qtype is QuestionType.MULTIPLE and self.partial:
            header += " scoring=partial"
        parts = [header + "\n" + stem, "\n".join(items)]
        if explanation:
            parts.append(_quote(explanation, ""))
        return "\n\n".join(parts) + "\n:::"

    def cloze(self, source: str, gap: str, general: Span | None, title: str, unit: _Unit,
              span: Span) -> str:
        """A missing-word question as a cloze with one gap where the answers stood."""
        stem_text, fmt = split_format(source.strip(), "moodle")
        stem = as_block(self.markdown(stem_text, fmt).text, stem=True).replace(GAP, gap, 1)
        explanation = self.block(general, fmt)
        self.fail_if_errors()
        if self.had_html:
            self.warn(DiagCode.GIFT_HTML, span)
        for src in self.images:
            self.warn(DiagCode.GIFT_IMAGE, span, src=src[:80])
        parts = [f"::: question cloze id={self.question_id(title, unit)}\n{stem}"]
        if explanation:
            parts.append(_quote(explanation, ""))
        return "\n\n".join(parts) + "\n:::"

    # --- the answer kinds ------------------------------------------------------------------

    def weight(self, body: Span) -> tuple[float | None, Span]:
        """A leading %N% weight (percent) and the rest of the answer."""
        if body.raw.startswith("%"):
            end = body.find("%", 1)
            value = body.raw[1:end].strip() if end > 0 else ""
            if end > 0 and _WEIGHT.match(value):
                weight = float(value.replace(",", "."))
                if not -100 <= weight <= 100:
                    self.error(DiagCode.GIFT_BAD_WEIGHT, body, text=f"%{value}%")
                return weight, body.sub(end + 1).strip()
        return None, body

    def choice(self, answers: Span, fmt: str) -> tuple[QuestionType, list[str]]:
        """'~' answers: single choice when one answer has '=', else multiple answers by weight."""
        options: list[_Choice] = []
        has_equals = False
        for part in answers.split_before("~="):
            marker = part.raw[0] if part.raw[0] in "~=" else ""
            has_equals = has_equals or marker == "="
            weight, body = self.weight(part.sub(1).strip() if marker else part.strip())
            if weight is None:
                weight = 100.0 if marker == "=" else 0.0
            text, feedback = body.partition("#")
            label = self.inline(text.strip(), fmt) if text else ""
            if not label:
                self.warn(DiagCode.GIFT_EMPTY_ANSWER, part)
                continue
            options.append((label, weight, self.block(feedback, fmt), part))
        self.partial = False
        if has_equals:
            qtype = QuestionType.SINGLE
            right = [o for o in options if o[1] == 100]
            if len(right) > 1:
                raise self.error(DiagCode.GIFT_SEVERAL_RIGHT, answers, got=len(right))
            for label, weight, _, place in options:
                if weight not in (0, 100):
                    self.warn(DiagCode.GIFT_PARTIAL_CREDIT, place, text=_short(label),
                              weight=_percent(weight), type=qtype.value)
        else:
            qtype = QuestionType.MULTIPLE
            right = [o for o in options if o[1] > 0]
            wrong = [o for o in options if o[1] <= 0]
            k = len(right)
            if k:
                self.partial = k > 1
                self.check_weights(answers, options, right, wrong)
        if len(options) < 2:
            raise self.error(DiagCode.TOO_FEW_OPTIONS, answers, type=qtype.value, min=2,
                             got=len(options))
        if not right:
            raise self.error(DiagCode.GIFT_NO_RIGHT_ANSWER, answers)
        is_right = {id(o) for o in right}
        return qtype, [_option(o[0], id(o) in is_right, o[2]) for o in options]

    def truefalse(self, answers: Span, fmt: str) -> tuple[QuestionType, list[str]]:
        """{T} or {F}; '#wrong' and '#right' feedback follow in that order."""
        word, rest = answers.partition("#")
        is_true = word.raw.strip() in _TRUE
        wrong_feedback = right_feedback = ""
        if rest is not None:
            wrong, right = rest.partition("#")
            wrong_feedback = self.block(wrong, fmt)
            right_feedback = self.block(right, fmt)
        true_label, false_label = TRUE_FALSE.get(self.language.split("-")[0], TRUE_FALSE["en"])
        return QuestionType.TRUEFALSE, [
            _option(true_label, is_true, right_feedback if is_true else wrong_feedback),
            _option(false_label, not is_true, wrong_feedback if is_true else right_feedback)]

    def short_answer(self, answers: Span, fmt: str) -> tuple[QuestionType, list[str]]:
        """'=' answers (all right, compared as text), each with its feedback; an answer whose
        weight is below 100 is left out (reported with what it would have scored)."""
        qtype = QuestionType.TEXT
        items = []
        for part in answers.split_before("="):
            weight, body = self.weight(part.sub(1).strip() if part.raw[0] == "=" else part)
            answer_span, feedback = body.partition("#")
            answer = _one_line(split_format(answer_span.text, "plain")[0])
            if not answer:
                self.warn(DiagCode.GIFT_EMPTY_ANSWER, part)
                continue
            if weight is not None and weight != 100:
                self.leave_out(part, answer, weight, feedback, qtype)
                continue
            items.append(_answer(f"= {answer}", self.block(feedback, fmt)))
            if "*" in answer:
                self.warn(DiagCode.GIFT_WILDCARD, part, text=_short(answer))
        if not items:
            raise self.error(DiagCode.GIFT_NO_RIGHT_ANSWER, answers)
        return qtype, items

    def numeric(self, answers: Span, fmt: str) -> tuple[QuestionType, list[str]]:
        """{#42}, {#42:0.5}, {#40..45}, or '=' answers with weights and feedback; one fully
        right value (its feedback kept), partial-credit values left out and reported."""
        qtype = QuestionType.NUMBER
        body = answers.sub(1)
        wrong_at = body.find("~")
        if wrong_at >= 0:
            other = body.sub(wrong_at + 1).partition("#")[1]
            if other is not None and other:
                self.warn(DiagCode.GIFT_OTHER_FEEDBACK, other, text=_feedback_text(other),
                          type=qtype.value)
            body = body.sub(0, wrong_at)
        values: list[tuple[str, str]] = []
        feedbacks: list[str] = []
        for part in body.strip().split_before("="):
            weight, rest = self.weight(part.sub(1).strip() if part.raw[0] == "=" else part)
            value, feedback = rest.partition("#")
            text = _one_line(split_format(value.text, "plain")[0])
            if weight is not None and weight != 100:
                self.leave_out(part, text, weight, feedback, qtype)
                continue
            parsed = _number(text)
            if parsed is None:
                raise self.error(DiagCode.GIFT_BAD_NUMBER, part, text=_short(text))
            if parsed not in values:
                values.append(parsed)
                feedbacks.append(self.block(feedback, fmt))
        if not values:
            raise self.error(DiagCode.GIFT_NO_RIGHT_ANSWER, answers)
        if len(values) > 1:
            raise self.error(DiagCode.GIFT_SEVERAL_NUMBERS, answers, got=len(values))
        number, tolerance = values[0]
        line = f"= {number}" + (f" ± {tolerance}" if tolerance != "0" else "")
        return qtype, [_answer(line, feedbacks[0])]

    def matching(self, answers: Span, fmt: str) -> tuple[QuestionType, list[str]]:
        """'=left -> right' pairs; a pair without a left side is an extra wrong choice."""
        qtype = QuestionType.MATCH
        items = []
        for part in answers.split_before("="):
            body = part.sub(1) if part.raw[0] == "=" else part
            left, right = body.partition("->")
            if right is None or not right:
                self.error(DiagCode.GIFT_BAD_MATCH, part, text=_short(_one_line(body.text)))
                continue
            right_text = as_inline(escape_line(_one_line(right.text)))
            if not left:
                self.warn(DiagCode.GIFT_MATCH_DISTRACTOR, right,
                          text=_short(_one_line(right.text)))
                continue
            items.append(f"- {self.inline(left.strip(), fmt)} => {right_text}")
        self.fail_if_errors()
        if len(items) < 2:
            raise self.error(DiagCode.TOO_FEW_OPTIONS, answers, type=qtype.value, min=2,
                             got=len(items))
        return qtype, items

    def leave_out(self, part: Span, answer: str, weight: float, feedback: Span | None,
                  qtype: QuestionType) -> None:
        """Reports a left-out partial-credit answer of a 'text' or 'number' question, and
        its feedback that goes with it."""
        self.warn(DiagCode.GIFT_PARTIAL_ANSWER, part, text=_short(answer),
                  weight=_percent(weight), type=qtype.value)
        if feedback is not None and feedback:
            self.warn(DiagCode.GIFT_FEEDBACK_DROPPED, feedback, text=_feedback_text(feedback),
                      answer=_short(answer))

    def check_weights(self, answers: Span, options: list[_Choice], right: list[_Choice],
                      wrong: list[_Choice]) -> None:
        """Reports Moodle weights of a 'multiple' question that lernmodul's +1/k per right,
        -1/k per wrong choice (floored at 0) does not reproduce, with every weight and an
        example score in both."""
        k = len(right)
        share = 100 / k
        weights = ", ".join(f"{_short(o[0])} {_percent(o[1])}%" for o in options)
        if any(abs(o[1] - share) > 0.01 for o in right):
            self.warn(DiagCode.GIFT_RIGHT_WEIGHTS, answers, share=_percent(share),
                      weights=weights)
        off = [o for o in wrong if abs(o[1] + share) > 0.01]
        if off:
            moodle = min(100.0, max(0.0, sum(o[1] for o in right) + off[0][1]))
            here = max(0.0, 100 - share)
            self.warn(DiagCode.GIFT_WRONG_WEIGHTS, answers, share=_percent(share),
                      weights=weights, wrong=_short(off[0][0]), moodle=_percent(moodle),
                      here=_percent(here))


def as_markdown_once(conv: _Converter, text: str, fmt: str) -> str:
    """The Markdown of text whose format marker is already taken off."""
    converted = to_markdown(text, fmt)
    conv.had_html = conv.had_html or converted.had_html
    conv.images.extend(converted.images)
    return converted.text


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
    conv = _Converter(path, language, reserved_ids, reserved_units)
    default = _Unit(conv.unit_id(unit_id), title.strip() or unit_id)
    units = [default]
    by_category: dict[str, _Unit] = {}
    current = default
    converted = 0
    for block in read_blocks(text):
        span = block.span.strip()
        if span.raw.startswith("$CATEGORY:"):
            line_end = span.find("\n")
            name = _one_line(span.sub(len("$CATEGORY:"), line_end if line_end >= 0
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
            current.questions.append(conv.question(span, current))
            converted += 1
            conv.diagnostics.extend(conv.notes)
        except _Skip:
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
        files[f"{number:02d}-{unit.id}.md"] = _unit_file(unit, pass_mark)
        written.append(unit.id)
        number += 1
    if not converted:
        conv.diagnostics.append(Diagnostic.make(DiagCode.GIFT_NO_QUESTIONS, path, 0, 0))
    diagnostics = tuple(sorted(conv.diagnostics, key=lambda d: (d.line, d.column)))
    return GiftResult(files, diagnostics, converted, tuple(written))


def minimal_course_md(course_id: str, title: str, *, language: str = "de",
                      source: str = "") -> str:
    """A course.md that compiles: id, title, version "1", the language, and no exam."""
    if not ID_PATTERN.match(course_id):
        raise ValueError(f"course id {course_id!r} does not match {ID_PATTERN.pattern}")
    intro = ""
    if source:
        intro = escape_line(f"Fragen aus der GIFT-Datei {source}." if language == "de"
                            else f"Questions from the GIFT file {source}.")
    return (f"---\nformat: 1\nid: {course_id}\ntitle: {_yaml_text(title or course_id)}\n"
            f'version: "1"\nlanguage: {language}\n---\n\n{intro}\n')


def slugify(text: str) -> str:
    """An id from a title: lower case a-z, 0-9 and '-', at most MAX_ID_LENGTH characters."""
    text = text.lower().translate(_TRANSLITERATE)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", text).strip("-")
    if len(slug) > MAX_ID_LENGTH:
        cut = slug.rfind("-", 0, MAX_ID_LENGTH + 1)
        slug = slug[:cut if cut > 0 else MAX_ID_LENGTH].strip("-")
    return slug


def _category_unit(name: str, conv: _Converter, default: _Unit, span: Span) -> _Unit:
    """$CATEGORY: $course$/top/A/B is unit 'a-b' titled 'B' (context and 'top' left out)."""
    parts = [p.strip() for p in name.split("/") if p.strip()]
    if parts and _CONTEXT.match(parts[0]):
        parts = parts[1:]
    if parts and parts[0] == "top":
        parts = parts[1:]
    title = parts[-1] if parts else default.title
    base = slugify("-".join(parts)) or f"{default.id}-{len(parts) + 1}"
    return _Unit(conv.unit_id(base), title, line=span.line)


def _unit_file(unit: _Unit, pass_mark: float | None) -> str:
    front = f"---\nid: {unit.id}\ntitle: {_yaml_text(unit.title)}\n"
    if pass_mark is not None:
        front += f"quiz:\n  pass_mark: {pass_mark}\n"
    return front + "---\n\n" + "\n\n".join(unit.questions) + "\n"


def _yaml_text(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a YAML string


def _unique(base: str, taken: set[str]) -> str:
    candidate = base
    number = 2
    while candidate in taken:
        candidate = f"{base}-{number}"
        number += 1
    taken.add(candidate)
    return candidate


def _option(label: str, correct: bool, feedback: str) -> str:
    line = f"- [{'x' if correct else ' '}] {label}"
    return line + ("\n" + _quote(feedback, "  ") if feedback else "")


def _answer(line: str, feedback: str) -> str:
    """A '- = …' answer item, with its feedback quoted under it."""
    return f"- {line}" + ("\n" + _quote(feedback, "  ") if feedback else "")


def _feedback_text(feedback: Span) -> str:
    return _short(_one_line(split_format(feedback.text, "plain")[0]))


def _quote(markdown: str, indent: str) -> str:
    return "\n".join(f"{indent}> {line}".rstrip() for line in markdown.split("\n"))


def _one_line(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace(NEWLINE, " ")).strip()


def _short(text: str) -> str:
    return text if len(text) <= 60 else text[:57] + "..."


def _percent(value: float) -> str:
    return f"{round(value, 2):g}"


__all__ = ["GiftResult", "convert_gift", "minimal_course_md", "slugify"]
