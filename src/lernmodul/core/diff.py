"""What changed between two versions of a course: settings, units, text and questions.

Units and questions are matched by id. A unit's text is compared as a line diff of its
Markdown source without the question blocks (those are compared field by field instead);
options are matched by their text, since their ids follow their place in the list.
"""

from __future__ import annotations

import difflib
import enum
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html.parser import HTMLParser

from .model import Course, GapKind, NumberAnswer, Option, Question, QuestionType, Unit

Value = str | int | float | bool | None

CONTEXT_LINES = 2
_FENCE_OPEN = re.compile(r"\s{0,3}:{3,}\s*\S")
_FENCE_CLOSE = re.compile(r"\s{0,3}:{3,}\s*\Z")


class Status(enum.Enum):
    ADDED = "added"
    REMOVED = "removed"
    CHANGED = "changed"
    UNCHANGED = "unchanged"


@dataclass(frozen=True, slots=True)
class FieldChange:
    """One setting or field with its old and new value (None: not set)."""

    field: str
    old: Value
    new: Value


@dataclass(frozen=True, slots=True)
class Line:
    """A line of a text diff: kind is "equal", "insert" or "delete"; numbers are 1-based."""

    kind: str
    text: str
    old_number: int | None = None
    new_number: int | None = None


@dataclass(frozen=True, slots=True)
class Hunk:
    old_start: int
    new_start: int
    lines: tuple[Line, ...]


class OptionChangeKind(enum.Enum):
    ADDED = "added"
    REMOVED = "removed"
    REWORDED = "reworded"
    NOW_CORRECT = "now_correct"
    NOW_WRONG = "now_wrong"
    FEEDBACK = "feedback"


@dataclass(frozen=True, slots=True)
class OptionChange:
    kind: OptionChangeKind
    old_text: str = ""
    new_text: str = ""
    is_correct: bool = False  # in the new version (the old one for a removed option)


@dataclass(frozen=True, slots=True)
class QuestionDiff:
    id: str
    status: Status
    prompt: str  # plain text of the newest prompt
    type: str
    fields: tuple[FieldChange, ...] = ()
    options: tuple[OptionChange, ...] = ()


@dataclass(frozen=True, slots=True)
class TextDiff:
    """A line diff of one Markdown file (question blocks left out)."""

    file: str
    hunks: tuple[Hunk, ...]

    @property
    def added(self) -> int:
        return sum(1 for h in self.hunks for line in h.lines if line.kind == "insert")

    @property
    def removed(self) -> int:
        return sum(1 for h in self.hunks for line in h.lines if line.kind == "delete")


@dataclass(frozen=True, slots=True)
class UnitDiff:
    id: str
    title: str
    status: Status
    fields: tuple[FieldChange, ...] = ()
    text: TextDiff | None = None
    questions: tuple[QuestionDiff, ...] = ()


@dataclass(frozen=True, slots=True)
class CourseDiff:
    settings: tuple[FieldChange, ...]
    intro: TextDiff | None
    units: tuple[UnitDiff, ...]
    exam_text: TextDiff | None
    exam_questions: tuple[QuestionDiff, ...]

    @property
    def has_changes(self) -> bool:
        return bool(self.settings or self.intro or self.exam_text or self.exam_questions
                    or any(u.status is not Status.UNCHANGED for u in self.units))


def diff_courses(old: Course, new: Course, old_sources: Mapping[str, str | None],
                 new_sources: Mapping[str, str | None]) -> CourseDiff:
    """Compares two compiled versions of a course. `*_sources` are the versions' Markdown
    files by file name (as stored with a version: course.md, exam.md, the unit files)."""
    old_questions, new_questions = old.questions(), new.questions()
    units: list[UnitDiff] = []
    old_units = {u.id: u for u in old.units}
    new_positions = {u.id: n for n, u in enumerate(new.units, 1)}
    old_positions = {u.id: n for n, u in enumerate(old.units, 1)}
    for unit in new.units:
        before = old_units.get(unit.id)
        questions = _question_diffs(unit.questions, before.questions if before else (),
                                    old_questions, new_questions)
        if before is None:
            units.append(UnitDiff(unit.id, unit.title, Status.ADDED, questions=questions))
            continue
        fields = _unit_fields(before, unit)
        if old_positions[unit.id] != new_positions[unit.id]:
            fields += (FieldChange("position", old_positions[unit.id], new_positions[unit.id]),)
        text = _file_diff(_file_name(unit.path), _source(old_sources, before.path),
                          _source(new_sources, unit.path), before.questions, unit.questions)
        changed = bool(fields or text or questions)
        units.append(UnitDiff(unit.id, unit.title, Status.CHANGED if changed else Status.UNCHANGED,
                              fields, text, questions))
    for unit in old.units:
        if unit.id not in new_positions:
            gone = tuple(QuestionDiff(q.id, Status.REMOVED, plain_text(q.stem_html), q.type.value)
                         for q in unit.questions if q.id not in new_questions)
            units.append(UnitDiff(unit.id, unit.title, Status.REMOVED, questions=gone))
    intro = _file_diff("course.md", old_sources.get("course.md") or "",
                       new_sources.get("course.md") or "", (), ())
    exam_text = _file_diff("exam.md", old_sources.get("exam.md") or "",
                           new_sources.get("exam.md") or "", old.exam_questions,
                           new.exam_questions)
    exam_questions = _question_diffs(new.exam_questions, old.exam_questions, old_questions,
                                     new_questions)
    return CourseDiff(_course_fields(old, new), intro, tuple(units), exam_text, exam_questions)


# --- fields -------------------------------------------------------------------------------


def _changes(pairs: Sequence[tuple[str, Value, Value]]) -> tuple[FieldChange, ...]:
    return tuple(FieldChange(name, a, b) for name, a, b in pairs if a != b)


def _course_fields(old: Course, new: Course) -> tuple[FieldChange, ...]:
    pairs: list[tuple[str, Value, Value]] = [
        ("title", old.title, new.title),
        ("version", old.version, new.version),
        ("language", old.language, new.language),
        ("summary", old.summary, new.summary),
        ("audience", old.audience, new.audience),
        ("duration", old.total_duration, new.total_duration),
        ("completion_units", old.completion.units, new.completion.units),
        ("completion_exam", old.completion.exam.value, new.completion.exam.value),
        ("exam", old.exam is not None, new.exam is not None),
    ]
    if old.exam is not None or new.exam is not None:
        a, b = old.exam, new.exam
        pairs += [
            ("exam_pass_mark", a.pass_mark if a else None, b.pass_mark if b else None),
            ("exam_draw", a.draw if a else None, b.draw if b else None),
            ("exam_questions", a.questions if a else None, b.questions if b else None),
            ("exam_max_attempts", a.max_attempts if a else None, b.max_attempts if b else None),
            ("exam_time_limit", a.time_limit if a else None, b.time_limit if b else None),
            ("exam_shuffle", a.shuffle if a else None, b.shuffle if b else None),
            ("exam_review", a.review.value if a else None, b.review.value if b else None),
        ]
    c, d = old.certificate, new.certificate
    pairs += [
        ("certificate_title", c.title if c else None, d.title if d else None),
        ("certificate_valid_months", c.valid_months if c else None, d.valid_months if d else None),
        ("certificate_signatory", c.signatory if c else None, d.signatory if d else None),
    ]
    return _changes(pairs)


def _unit_fields(old: Unit, new: Unit) -> tuple[FieldChange, ...]:
    a, b = old.quiz, new.quiz
    return _changes([
        ("title", old.title, new.title),
        ("duration", old.duration, new.duration),
        ("objectives", "\n".join(old.objectives), "\n".join(new.objectives)),
        ("quiz", a is not None, b is not None),
        ("quiz_pass_mark", a.pass_mark if a else None, b.pass_mark if b else None),
        ("quiz_draw", a.draw if a else None, b.draw if b else None),
        ("quiz_shuffle", a.shuffle if a else None, b.shuffle if b else None),
    ])


# --- questions ----------------------------------------------------------------------------


def _question_diffs(now: Sequence[Question], before: Sequence[Question],
                    old_all: Mapping[str, Question],
                    new_all: Mapping[str, Question]) -> tuple[QuestionDiff, ...]:
    """The questions of one place (a unit or the exam): each new one against its old self
    wherever it stood, then those of this place that no longer exist anywhere."""
    diffs: list[QuestionDiff] = []
    for question in now:
        previous = old_all.get(question.id)
        if previous is None:
            diffs.append(QuestionDiff(question.id, Status.ADDED, plain_text(question.stem_html),
                                      question.type.value,
                                      options=tuple(OptionChange(OptionChangeKind.ADDED, "",
                                                                 _label(question, o),
                                                                 o.is_correct)
                                                    for o in question.options)))
            continue
        found = compare_questions(previous, question)
        if found.status is Status.CHANGED:
            diffs.append(found)
    for question in before:
        if question.id not in new_all:
            diffs.append(QuestionDiff(question.id, Status.REMOVED,
                                      plain_text(question.stem_html), question.type.value))
    return tuple(diffs)


def compare_questions(old: Question, new: Question) -> QuestionDiff:
    """The fields and options of one question that differ between two versions."""
    pairs: list[tuple[str, Value, Value]] = [
        ("type", old.type.value, new.type.value),
        ("prompt", plain_text(old.stem_html), plain_text(new.stem_html)),
        ("points", old.points, new.points),
        ("scoring", old.scoring.value, new.scoring.value),
        ("inline", old.is_inline, new.is_inline),
        ("unit", old.unit_id, new.unit_id),
        ("explanation", plain_text(old.explanation_html), plain_text(new.explanation_html)),
        ("number_answers", _numbers(old.number_answers), _numbers(new.number_answers)),
        ("text_answers", " | ".join(old.text_answers), " | ".join(new.text_answers)),
        ("answer_feedback", _answer_feedback(old), _answer_feedback(new)),
        ("gaps", _gaps(old), _gaps(new)),
    ]
    if old.type is QuestionType.ORDER and new.type is QuestionType.ORDER:
        pairs.append(("order", " → ".join(o.text for o in old.options),
                      " → ".join(o.text for o in new.options)))
    fields = _changes(pairs)
    options = _option_changes(old, new)
    status = Status.CHANGED if fields or options else Status.UNCHANGED
    return QuestionDiff(new.id, status, plain_text(new.stem_html), new.type.value, fields,
                        options)


def _numbers(answers: Sequence[NumberAnswer]) -> str:
    return " | ".join(f"{a.value:g} ± {a.tolerance:g}" if a.tolerance else f"{a.value:g}"
                      for a in answers)


def _gaps(question: Question) -> str:
    """A cloze's gaps as text: "[1] 110 / Polizei | [2] = 3 ± 0.5 | [3] *right / wrong"."""
    shown = []
    for gap in question.gaps:
        if gap.kind is GapKind.CHOICE:
            answer = " / ".join(("*" if o.is_correct else "") + o.text for o in gap.options)
        elif gap.kind is GapKind.NUMBER and gap.number_answer is not None:
            answer = "= " + _numbers([gap.number_answer])
        else:
            answer = " / ".join(gap.answers)
        shown.append(f"[{gap.number}] {answer}")
    return " | ".join(shown)


def _answer_feedback(question: Question) -> str:
    """The feedback under accepted text and number answers, as 'answer: feedback' text."""
    kept = [(a, f) for a, f in zip(question.text_answers, question.text_feedback_html,
                                   strict=False) if f]
    kept += [(_numbers([a]), a.feedback_html) for a in question.number_answers
             if a.feedback_html]
    return " | ".join(f"{answer}: {plain_text(html)}" for answer, html in kept)


def _label(question: Question, option: Option) -> str:
    if question.type is QuestionType.MATCH:
        return f"{option.text} → {option.match_text}"
    return option.text


def _option_changes(old: Question, new: Question) -> tuple[OptionChange, ...]:
    """Options matched by text (ids change with the text): a replaced run of as many options as
    before counts as reworded, anything else as removed and added."""
    if QuestionType.ORDER in (old.type, new.type):
        return ()  # the items are the order: compared as the field "order"
    a = [_label(old, o) for o in old.options]
    b = [_label(new, o) for o in new.options]
    changes: list[OptionChange] = []

    def same_place(i: int, j: int, reworded: bool) -> None:
        x, y = old.options[i], new.options[j]
        if reworded:
            changes.append(OptionChange(OptionChangeKind.REWORDED, a[i], b[j], y.is_correct))
        if x.is_correct != y.is_correct and old.type is not QuestionType.MATCH:
            kind = OptionChangeKind.NOW_CORRECT if y.is_correct else OptionChangeKind.NOW_WRONG
            changes.append(OptionChange(kind, a[i], b[j], y.is_correct))
        if plain_text(x.feedback_html) != plain_text(y.feedback_html):
            changes.append(OptionChange(OptionChangeKind.FEEDBACK, plain_text(x.feedback_html),
                                        plain_text(y.feedback_html), y.is_correct))

    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal" or (tag == "replace" and i2 - i1 == j2 - j1):
            for i, j in zip(range(i1, i2), range(j1, j2), strict=True):
                same_place(i, j, reworded=tag == "replace")
            continue
        changes += [OptionChange(OptionChangeKind.REMOVED, a[i], "", old.options[i].is_correct)
                    for i in range(i1, i2)]
        changes += [OptionChange(OptionChangeKind.ADDED, "", b[j], new.options[j].is_correct)
                    for j in range(j1, j2)]
    return tuple(changes)


# --- text ---------------------------------------------------------------------------------


def _file_name(path: str) -> str:
    return path.rsplit("/", 1)[-1]


def _source(sources: Mapping[str, str | None], path: str) -> str:
    return sources.get(_file_name(path)) or ""


def question_blocks(lines: Sequence[str], starts: Sequence[int]) -> set[int]:
    """0-based indexes of the lines of the question containers opening at the 1-based line
    numbers `starts`, up to and including the closing fence (nested containers counted)."""
    inside: set[int] = set()
    for start in starts:
        index = start - 1
        if not 0 <= index < len(lines) or not _FENCE_OPEN.match(lines[index]):
            continue
        depth = 0
        for n in range(index, len(lines)):
            line = lines[n]
            inside.add(n)
            if _FENCE_CLOSE.match(line):
                depth -= 1
            elif _FENCE_OPEN.match(line):
                depth += 1
            if depth == 0:
                break
    return inside


def _prose(source: str, questions: Sequence[Question]) -> list[tuple[int, str]]:
    lines = source.replace("\r\n", "\n").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    skip = question_blocks(lines, [q.line for q in questions])
    return [(n + 1, line) for n, line in enumerate(lines) if n not in skip]


def _file_diff(name: str, old: str, new: str, old_questions: Sequence[Question],
               new_questions: Sequence[Question]) -> TextDiff | None:
    hunks = line_diff(_prose(old, old_questions), _prose(new, new_questions))
    return TextDiff(name, hunks) if hunks else None


def line_diff(old: Sequence[tuple[int, str]], new: Sequence[tuple[int, str]],
              context: int = CONTEXT_LINES) -> tuple[Hunk, ...]:
    """Hunks of changed lines with `context` unchanged lines around them; lines come with
    their numbers in the file."""
    a = [text for _, text in old]
    b = [text for _, text in new]
    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    hunks: list[Hunk] = []
    for group in matcher.get_grouped_opcodes(context):
        lines: list[Line] = []
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                lines += [Line("equal", a[i], old[i][0], new[j][0])
                          for i, j in zip(range(i1, i2), range(j1, j2), strict=True)]
                continue
            lines += [Line("delete", a[i], old_number=old[i][0]) for i in range(i1, i2)]
            lines += [Line("insert", b[j], new_number=new[j][0]) for j in range(j1, j2)]
        first_old = next((ln.old_number for ln in lines if ln.old_number), 0)
        first_new = next((ln.new_number for ln in lines if ln.new_number), 0)
        hunks.append(Hunk(first_old or 0, first_new or 0, tuple(lines)))
    return tuple(hunks)


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "img":
            self.parts.append(dict(attrs).get("alt") or "")
        elif tag in ("br", "p", "li", "tr"):
            self.parts.append(" ")


def plain_text(html: str) -> str:
    """The text of sanitised course HTML on one line (for comparing and showing prompts)."""
    if not html:
        return ""
    parser = _Text()
    parser.feed(html)
    parser.close()
    return " ".join("".join(parser.parts).split())
