"""The course model: frozen dataclasses the compiler builds and the rest of lernmodul reads."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class QuestionType(enum.Enum):
    """The kind of a question; its value is the name used in the course files."""

    SINGLE = "single"
    MULTIPLE = "multiple"
    TRUEFALSE = "truefalse"
    ORDER = "order"
    MATCH = "match"
    NUMBER = "number"
    TEXT = "text"
    CLOZE = "cloze"


class Scoring(enum.Enum):
    """How a question with several parts scores: all parts right, or a share per part."""

    ALL = "all"
    PARTIAL = "partial"


@dataclass(frozen=True, slots=True)
class Option:
    """An answer option (single/multiple/truefalse), an item to order, or a match pair.

    For `order` the options stand in the right order. For `match`, `html`/`text` are the left
    side and `match_html`/`match_text` the right side that belongs to it.
    """

    id: str
    html: str
    text: str
    is_correct: bool = False
    feedback_html: str = ""
    match_html: str = ""
    match_text: str = ""


@dataclass(frozen=True, slots=True)
class NumberAnswer:
    """A right number within ± tolerance; `feedback_html` is shown to whoever answers it."""

    value: float
    tolerance: float = 0.0
    feedback_html: str = ""


class GapKind(enum.Enum):
    TEXT = "text"  # [[answer|variant]]
    NUMBER = "number"  # [[= 42 ± 0,5]]
    CHOICE = "choice"  # [[*right|wrong|wrong]]


@dataclass(frozen=True, slots=True)
class Gap:
    """One gap of a cloze question, numbered from 1 in the order of the stem.

    A text gap accepts any of `answers` (compared like a `text` question); a number gap
    `number_answer` within its tolerance; a choice gap offers `options` (source order, exactly
    one `is_correct`; their `html` is the escaped label, never Markdown)."""

    number: int
    kind: GapKind
    answers: tuple[str, ...] = ()
    number_answer: NumberAnswer | None = None
    options: tuple[Option, ...] = ()
    line: int = 0

    @property
    def key(self) -> str:
        """The gap's key in a response and in form field names: its number as text."""
        return str(self.number)

    def option(self, option_id: str) -> Option | None:
        return next((o for o in self.options if o.id == option_id), None)


@dataclass(frozen=True, slots=True)
class Question:
    """One compiled question: its stem, options or accepted answers, points and where it stands."""

    id: str
    type: QuestionType
    stem_html: str
    points: float = 1.0
    scoring: Scoring = Scoring.ALL
    is_inline: bool = False
    options: tuple[Option, ...] = ()
    number_answers: tuple[NumberAnswer, ...] = ()
    text_answers: tuple[str, ...] = ()
    #: feedback per accepted text answer, in the order of `text_answers` ("" = none)
    text_feedback_html: tuple[str, ...] = ()
    explanation_html: str = ""
    #: cloze only: the gaps, and the stem's sanitised HTML cut at them (one part more than
    #: gaps; `stem_html` shows each gap as "[N]")
    gaps: tuple[Gap, ...] = ()
    stem_parts: tuple[str, ...] = ()
    unit_id: str | None = None  # None for exam-only questions
    path: str = ""
    line: int = 0

    def option(self, option_id: str) -> Option | None:
        for option in self.options:
            if option.id == option_id:
                return option
        return None

    def gap(self, key: str) -> Gap | None:
        """The gap with this key ("1", "2", …), or None."""
        for gap in self.gaps:
            if gap.key == key:
                return gap
        return None


@dataclass(frozen=True, slots=True)
class QuizSettings:
    """A unit quiz: the pass mark (share 0..1), how many questions to draw, whether to shuffle."""

    pass_mark: float
    draw: int | None = None  # None: all questions
    shuffle: bool = True


@dataclass(frozen=True, slots=True)
class Segment:
    """A piece of a unit's body: sanitised HTML, or the place of an inline question."""

    html: str = ""
    question_id: str | None = None


@dataclass(frozen=True, slots=True)
class Unit:
    """One unit of a course: its text (body segments), questions and quiz settings."""

    id: str
    title: str
    path: str
    duration: int | None = None
    objectives: tuple[str, ...] = ()
    body: tuple[Segment, ...] = ()
    questions: tuple[Question, ...] = ()
    quiz: QuizSettings | None = None
    media: tuple[str, ...] = ()

    @property
    def quiz_questions(self) -> tuple[Question, ...]:
        """The questions of the unit quiz: every question that is not shown inline."""
        return tuple(q for q in self.questions if not q.is_inline)

    @property
    def html(self) -> str:
        return "".join(s.html for s in self.body)


class ExamRequirement(enum.Enum):
    """Whether the final exam must be passed for the course to be complete."""

    REQUIRED = "required"
    OPTIONAL = "optional"
    NONE = "none"


@dataclass(frozen=True, slots=True)
class Completion:
    """The completion rule of a course: which units must be complete, and the exam."""

    units: str = "all"  # "all" or "none"
    exam: ExamRequirement = ExamRequirement.REQUIRED


class ExamReview(enum.Enum):
    """What the review of a graded final-exam attempt shows (`exam.review`)."""

    AFTER_PASS = "after_pass"  # noqa: S105 (no password): verdicts first, the key later  # nosec B105
    ALWAYS = "always"  # everything at once, like a unit quiz
    NEVER = "never"  # the score only


@dataclass(frozen=True, slots=True)
class ExamSettings:
    """The final exam: pass mark, what to draw, attempts, time limit and review."""

    pass_mark: float
    draw: int | None = None  # questions per unit pool
    questions: int | None = None  # or: this many from all pools together
    max_attempts: int = 0  # 0 = unlimited
    time_limit: int | None = None  # minutes
    shuffle: bool = True
    review: ExamReview = ExamReview.AFTER_PASS


@dataclass(frozen=True, slots=True)
class CertificateSettings:
    """What the certificate of a course says: title, validity and signatory."""

    title: str
    valid_months: int | None = None
    signatory: str = ""


@dataclass(frozen=True, slots=True)
class Course:
    """One compiled course version: its metadata, units, exam and certificate settings."""

    id: str
    title: str
    version: str
    language: str
    format: int = 1
    summary: str = ""
    audience: str = ""
    duration: int | None = None
    intro_html: str = ""
    units: tuple[Unit, ...] = ()
    completion: Completion = field(default_factory=Completion)
    exam: ExamSettings | None = None
    exam_questions: tuple[Question, ...] = ()  # from exam.md: exam only
    exam_intro_html: str = ""
    certificate: CertificateSettings | None = None

    @property
    def total_duration(self) -> int:
        """Minutes: course.md's duration, else the sum of the units'."""
        if self.duration is not None:
            return self.duration
        return sum(u.duration or 0 for u in self.units)

    def unit(self, unit_id: str) -> Unit | None:
        for unit in self.units:
            if unit.id == unit_id:
                return unit
        return None

    def questions(self) -> dict[str, Question]:
        """Every question of the course by id: unit questions and exam-only questions."""
        found = {q.id: q for u in self.units for q in u.questions}
        found.update((q.id, q) for q in self.exam_questions)
        return found
