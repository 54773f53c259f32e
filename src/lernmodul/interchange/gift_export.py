"""export_gift(): every question of a compiled course as Moodle GIFT text, a category per unit.

Texts that are plain (one paragraph, no markup) are written in Moodle's default format; a
question with any markup is written as [html], which its answers and feedback inherit.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from lernmodul.core.model import Course, Option, Question, QuestionType, Scoring

from .cloze import Cloze, Gap, cloze_of, is_cloze
from .html import number_text, plain_text, text_of
from .notes import Note

#: the labels the GIFT import gives true/false answers; only these go as {TRUE}/{FALSE}
TRUE_FALSE = {"de": ("Wahr", "Falsch"), "en": ("True", "False")}
EXAM_CATEGORY = {"de": "Abschlussprüfung", "en": "Final exam"}
#: the grades Moodle accepts for an answer (percent); others are refused on import
MOODLE_GRADES = (100, 90, 83.33333, 80, 75, 70, 66.66667, 60, 50, 40, 33.33333, 30, 25, 20,
                 16.66667, 14.28571, 12.5, 11.11111, 10, 5, 0)
_SPECIAL = re.compile(r"([\\~=#{}:])")
_FORMAT_START = re.compile(r"\s*\[(moodle|html|plain|markdown)\]")


@dataclass(frozen=True, slots=True)
class GiftExport:
    """The GIFT text, how many questions it holds, and what could not go over unchanged."""

    text: str
    questions: int
    notes: tuple[Note, ...]


def escape(text: str) -> str:
    """Text with GIFT's control characters (~ = # { } : and the backslash) escaped."""
    return _SPECIAL.sub(r"\\\1", text)


def _lines(text: str) -> str:
    """Escaped text whose line breaks never end the question: a break that would leave a
    blank line or start a '//' comment line is written as the escape '\\n'."""
    lines = escape(text.strip("\n")).split("\n")
    out = lines[0]
    for line in lines[1:]:
        if not line.strip() or line.lstrip().startswith("//"):
            out += "\\n" + line
        else:
            out += "\n" + line
    return out


class _Question:
    """One question's GIFT: chooses plain or [html] once, then writes every text alike."""

    def __init__(self, question: Question, language: str, notes: list[Note]) -> None:
        self.q = question
        self.language = language
        self.notes = notes
        texts = [question.stem_html, question.explanation_html]
        for option in question.options:
            texts += [option.html, option.feedback_html]
        texts += [a.feedback_html for a in question.number_answers]
        texts += list(question.text_feedback_html)
        self.is_html = any(t and plain_text(t) is None for t in texts)

    def note(self, text: str) -> None:
        self.notes.append(Note(self.q.path, self.q.line, f"question {self.q.id}: {text}"))

    def text(self, markup: str) -> str:
        if not markup:
            return ""
        text = _lines(markup.strip()) if self.is_html else escape(plain_text(markup) or "")
        if _FORMAT_START.match(text):  # text that starts like a format marker keeps its own
            text = ("[html]" if self.is_html else "[moodle]") + text
        return text

    def choice(self, option: Option) -> str:
        """A single-choice answer: '=' right, '~' wrong; a label that starts with '%' gets
        its weight written out, so that it is not read as one."""
        label = self.text(option.html)
        if label.startswith("%"):
            label = ("%100%" if option.is_correct else "%0%") + label
        return ("=" if option.is_correct else "~") + label + self.feedback(option.feedback_html)

    def feedback(self, markup: str) -> str:
        return "#" + self.text(markup) if markup else ""

    def write(self) -> str | None:
        q = self.q
        if q.points != 1:
            self.note(f"{number_text(q.points)} points: GIFT has no points per question, "
                      "Moodle gives 1 (set the default mark after the import)")
        if q.is_inline:
            self.note("'inline' has no counterpart in Moodle")
        head = f"// [id:{q.id}]\n::{escape(q.id)}::" + ("[html]" if self.is_html else "")
        if is_cloze(q):
            return self.cloze(head)
        answers = self.answers()
        if answers is None:
            return None
        general = self.text(q.explanation_html)
        if isinstance(answers, str):  # {TRUE#…#…}: one line
            body = "{" + answers + (f"####{general}" if general else "") + "}"
        else:
            opener = "{#\n" if answers[:1] == ["#"] else "{\n"  # numerical: {# on the first line
            items = [*answers[opener == "{#\n":], *([f"####{general}"] if general else [])]
            body = opener + "".join(f"\t{item}\n" for item in items) + "}"
        return head + self.text(q.stem_html) + body

    def answers(self) -> list[str] | str | None:
        """The answer items (one per line), the true/false word with its feedback, or None."""
        q = self.q
        kind = q.type
        if kind is QuestionType.TRUEFALSE:
            return self.truefalse()
        if kind is QuestionType.SINGLE:
            return self.block(self.choice(o) for o in q.options)
        if kind is QuestionType.MULTIPLE:
            return self.multiple()
        if kind is QuestionType.ORDER:
            self.note("order goes as matching (item → place); it comes back as 'match'")
            if any(o.feedback_html for o in q.options):
                self.note("feedback per item is lost (matching has none)")
            return self.block(f"={self.text(o.html)} -> {n}"
                              for n, o in enumerate(q.options, start=1))
        if kind is QuestionType.MATCH:
            if q.scoring is Scoring.ALL:
                self.note("Moodle grades matching by pairs (partial credit), not all or nothing")
            if any(o.feedback_html for o in q.options):
                self.note("feedback per pair is lost (matching has none)")
            return self.block(f"={self.text(o.html)} -> {escape(o.match_text or text_of(o.match_html))}"
                              for o in q.options)
        if kind is QuestionType.NUMBER:
            answer = q.number_answers[0]
            tolerance = f":{number_text(answer.tolerance)}" if answer.tolerance else ""
            return ["#", "=%100%" + number_text(answer.value) + tolerance
                    + self.feedback(answer.feedback_html)]
        if kind is QuestionType.TEXT:
            if any("*" in a for a in q.text_answers):
                self.note("'*' in an answer is a wildcard in Moodle")
            feedback = q.text_feedback_html or ("",) * len(q.text_answers)
            return self.block("=%100%" + escape(a) + self.feedback(f)
                              for a, f in zip(q.text_answers, feedback, strict=False))
        self.note(f"type {kind.value} has no GIFT form; left out")
        return None

    @staticmethod
    def block(items: Iterable[str]) -> list[str]:
        return list(items)

    def truefalse(self) -> list[str] | str:
        q = self.q
        labels = TRUE_FALSE.get(self.language.split("-")[0], TRUE_FALSE["en"])
        texts = [plain_text(o.html) for o in q.options]
        if sorted(t or "" for t in texts) != sorted(labels):
            self.note("true/false answers other than " + "/".join(labels)
                      + " go as multiple choice with one right answer; it comes back as 'single'")
            return self.block(self.choice(o) for o in q.options)
        true_option = q.options[texts.index(labels[0])]
        right = next(o for o in q.options if o.is_correct)
        wrong = next(o for o in q.options if not o.is_correct)
        word = "TRUE" if true_option.is_correct else "FALSE"
        parts = [self.text(wrong.feedback_html), self.text(right.feedback_html)]
        tail = ("#" + parts[0] + "#" + parts[1]) if any(parts) else ""
        return word + tail

    def multiple(self) -> list[str]:
        q = self.q
        right = [o for o in q.options if o.is_correct]
        share = 100 / len(right)
        if not any(abs(share - g) < 0.001 for g in MOODLE_GRADES):
            self.note(f"{len(right)} right answers: {share:.5f}% per answer is no grade Moodle "
                      "accepts")
        wrong_share = share
        if q.scoring is Scoring.ALL and len(right) > 1:
            self.note("scoring=all goes as -100% per wrong answer; Moodle still gives partial "
                      "credit for some of the right ones (it comes back as scoring=partial)")
            wrong_share = 100
        return self.block(
            "~%" + _grade(share if o.is_correct else -wrong_share) + "%" + self.text(o.html)
            + self.feedback(o.feedback_html) for o in q.options)

    def cloze(self, head: str) -> str | None:
        cloze = cloze_of(self.q)
        if cloze is None:
            self.note("cloze: its stem does not fit its gaps; left out")
            return None
        return cloze_gift(cloze, head, self)


def cloze_gift(cloze: Cloze, head: str, writer: _Question) -> str | None:
    """A cloze with exactly one gap as Moodle's missing-word form (text {answers} text): a
    choice gap as multiple choice, a text gap as short answer, a number gap as numerical.
    More gaps need Moodle's embedded answers (Cloze) type, which GIFT cannot express."""
    gaps = cloze.gaps
    if len(gaps) != 1:
        writer.note(f"cloze with {len(gaps)} gaps: GIFT has no embedded answers; left out "
                    "(export QTI, or write it as a Moodle Cloze question)")
        return None
    gap: Gap = gaps[0]
    at = cloze.pieces.index(gap)
    before = "".join(p for p in cloze.pieces[:at] if isinstance(p, str))
    after = "".join(p for p in cloze.pieces[at + 1:] if isinstance(p, str))
    if gap.kind == "choice":
        answers = " ".join(("=" if i == gap.right else "~") + escape(a)
                           for i, a in enumerate(gap.answers))
    elif gap.kind == "number":
        tolerance = f":{number_text(gap.tolerance)}" if gap.tolerance else ""
        answers = "#" + number_text(gap.value) + tolerance
    else:
        answers = " ".join("=" + escape(a) for a in gap.answers)
    general = writer.text(writer.q.explanation_html)
    general = f"####{general}" if general else ""
    # the text around the gap is read as one, so a paragraph cut by the gap stays one
    writer.is_html = writer.is_html or plain_text(before + "\ue300" + after) is None
    text_before, _, text_after = writer.text(before + "\ue300" + after).partition("\ue300")
    return (head + ("[html]" if writer.is_html and "[html]" not in head else "")
            + _spaced(text_before, " {" + answers + general + "} ", text_after))


def _spaced(before: str, gap: str, after: str) -> str:
    """The gap between the texts, a space on a side only where the text has one there (a
    gap right before a full stop stays at it)."""
    left = gap if before[-1:].isspace() or not before else gap.lstrip()
    right = left if after[:1].isspace() or not after else left.rstrip()
    return before.rstrip() + right + after.lstrip()


def _grade(percent: float) -> str:
    text = f"{percent:.5f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _category(course: Course, title: str) -> str:
    def clean(text: str) -> str:  # Moodle reads the path as it stands: no escapes
        return re.sub(r"\s+", " ", text.replace("/", "-")).strip()

    return f"$CATEGORY: $course$/top/{clean(course.title)}/{clean(title)}"


def export_gift(course: Course) -> GiftExport:
    """Every question of `course` in GIFT: a `$CATEGORY:` per unit (and one for the final
    exam's own questions), each question named by its id (also as Moodle's `[id:…]`), the
    explanation as general feedback, feedback per answer after '#'. Questions that GIFT
    cannot hold are left out and named in the notes."""
    notes: list[Note] = []
    blocks: list[str] = []
    count = 0
    groups = [(unit.title, unit.questions) for unit in course.units]
    if course.exam_questions:
        groups.append((EXAM_CATEGORY.get(course.language.split("-")[0], EXAM_CATEGORY["en"]),
                       course.exam_questions))
    for title, questions in groups:
        if not questions:
            continue
        blocks.append(_category(course, title))
        for question in questions:
            text = _Question(question, course.language, notes).write()
            if text is not None:
                blocks.append(text)
                count += 1
    header = (f"// {course.title} ({course.id}, version {course.version})\n"
              "// GIFT for Moodle: Question bank > Import > GIFT format")
    return GiftExport("\n\n".join([header, *blocks]) + "\n", count, tuple(notes))
