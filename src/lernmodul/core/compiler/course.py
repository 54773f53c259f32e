"""compile_course(): a course folder's files (path → bytes) to a Course and its diagnostics."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace

from ..diagnostics import DiagCode, Diagnostic, Severity
from ..model import (
    CertificateSettings,
    Completion,
    Course,
    ExamRequirement,
    ExamReview,
    ExamSettings,
    Question,
    QuizSettings,
    Segment,
    Unit,
)
from .document import Context, Document, parse_document
from .frontmatter import LANGUAGE_PATTERN, FrontMatter
from .parser import decode_source

COURSE_KEYS = frozenset({"format", "id", "title", "version", "language", "summary", "audience",
                         "duration", "units", "completion", "exam", "certificate"})
COMPLETION_KEYS = frozenset({"units", "exam"})
EXAM_KEYS = frozenset({"pass_mark", "draw", "questions", "max_attempts", "time_limit",
                       "shuffle", "review"})
CERTIFICATE_KEYS = frozenset({"title", "valid_months", "signatory"})
UNIT_KEYS = frozenset({"id", "title", "duration", "objectives", "quiz"})
QUIZ_KEYS = frozenset({"pass_mark", "draw", "shuffle"})
EXAM_FILE_KEYS = frozenset({"title"})
FORMAT = 1


@dataclass(frozen=True, slots=True)
class CompileResult:
    """What compiling gives: the course as far as it could be built (None when course.md lacks
    its id, title or front matter) and every diagnostic. Use the course only when `ok`."""

    course: Course | None
    diagnostics: tuple[Diagnostic, ...]

    @property
    def errors(self) -> tuple[Diagnostic, ...]:
        return tuple(d for d in self.diagnostics if d.severity is Severity.ERROR)

    @property
    def warnings(self) -> tuple[Diagnostic, ...]:
        return tuple(d for d in self.diagnostics if d.severity is Severity.WARNING)

    @property
    def ok(self) -> bool:
        return not self.errors


def is_unit_file(name: str) -> bool:
    """A unit file: a top-level .md file that is not course.md, exam.md, a README or a draft."""
    return ("/" not in name and name.endswith(".md") and not name.startswith("_")
            and name.lower() not in ("course.md", "exam.md", "readme.md"))


def _join(base: str, name: str) -> str:
    return f"{base.rstrip('/')}/{name}" if base else name


def _read(files: Mapping[str, bytes], name: str, path: str,
          diagnostics: list[Diagnostic]) -> str | None:
    text, problem = decode_source(files[name])
    if problem is not None:
        line, column, byte = problem
        diagnostics.append(Diagnostic.make(DiagCode.NOT_UTF8, path, line, column,
                                           byte=f"{byte:02x}"))
    if not text.strip():
        diagnostics.append(Diagnostic.make(DiagCode.EMPTY_FILE, path, 1, 1))
        return None
    return text


def compile_course(files: Mapping[str, bytes], *, base: str = "",
                   media_base: str = "media/") -> CompileResult:
    """Compiles every file of one course folder and reports every problem found.

    `files` maps paths relative to the course folder ('course.md', '01-x.md', 'media/a.png')
    to their bytes; `base` is prefixed to paths in diagnostics; image sources under media/ are
    rewritten to start with `media_base`. Never raises on any input."""
    diagnostics: list[Diagnostic] = []
    names = frozenset(files)
    course_path = _join(base, "course.md")
    if "course.md" not in files:
        diagnostics.append(Diagnostic.make(DiagCode.NO_COURSE, course_path, 0, 0))
        return CompileResult(None, tuple(diagnostics))

    text = _read(files, "course.md", course_path, diagnostics)
    meta = None
    language = "de"
    course_doc: Document | None = None
    if text is not None:
        course_doc = parse_document(text, Context(course_path, language, "kurs-", names,
                                                  media_base, diagnostics, "course"))
        if course_doc.front_matter is None:
            diagnostics.append(Diagnostic.make(DiagCode.NO_FRONT_MATTER, course_path, 1, 1))
        else:
            meta = FrontMatter.parse(course_doc.front_matter, course_path, diagnostics,
                                     COURSE_KEYS)
    if meta is not None:
        language = meta.text("language", default="de")
        if not LANGUAGE_PATTERN.match(language):
            meta.problem("language", "must be a language code such as de or en", language)
            language = "de"
    for question in course_doc.questions if course_doc else ():
        diagnostics.append(Diagnostic.make(DiagCode.NESTED_QUESTION, course_path, question.line,
                                           1, outer="course.md (put it in a unit or exam.md)"))

    course_id = title = version = ""
    completion = Completion()
    exam_settings: ExamSettings | None = None
    certificate: CertificateSettings | None = None
    listed: tuple[str, ...] | None = None
    summary = audience = ""
    duration: int | None = None
    if meta is not None:
        fmt = meta.data.get("format")
        if fmt is None:
            meta.missing("format")
        elif fmt != FORMAT:
            line, column = meta.locate("format")
            diagnostics.append(Diagnostic.make(DiagCode.UNSUPPORTED_FORMAT, course_path, line,
                                               column, got=fmt))
        course_id = meta.identifier("id")
        title = meta.text("title", required=True)
        raw_version = meta.data.get("version")
        if isinstance(raw_version, int | float) and not isinstance(raw_version, bool):
            line, column = meta.locate("version")
            diagnostics.append(Diagnostic.make(DiagCode.NUMERIC_VERSION, course_path, line,
                                               column, got=raw_version))
        version = meta.text("version", required=True)
        summary = meta.text("summary")
        audience = meta.text("audience")
        duration = meta.integer("duration", minimum=1)
        if "units" in meta.data:
            listed = meta.text_list("units")
        section = meta.section("completion", COMPLETION_KEYS)
        if section is not None:
            completion = Completion(
                units=section.choice("units", ("all", "none"), "all"),
                exam=ExamRequirement(section.choice("exam", ("required", "optional", "none"),
                                                    "required")))
        elif "exam" not in meta.data:
            completion = Completion(exam=ExamRequirement.NONE)
        exam = meta.section("exam", EXAM_KEYS)
        if exam is not None:
            pass_mark = exam.share("pass_mark", required=True, default=1.0)
            exam_settings = ExamSettings(
                pass_mark=pass_mark if pass_mark is not None else 1.0,
                draw=exam.integer("draw", minimum=1),
                questions=exam.integer("questions", minimum=1),
                max_attempts=exam.integer("max_attempts", minimum=0, default=0) or 0,
                time_limit=exam.integer("time_limit", minimum=1),
                shuffle=exam.boolean("shuffle", True),
                review=ExamReview(exam.choice("review", tuple(r.value for r in ExamReview),
                                              ExamReview.AFTER_PASS.value)))
            if exam_settings.draw and exam_settings.questions:
                exam.problem("questions", "cannot be combined with 'draw'",
                             exam_settings.questions)
        elif "exam" in meta.data:
            exam_settings = None
        if completion.exam is ExamRequirement.REQUIRED and exam_settings is None:
            line, column = meta.locate("completion")
            diagnostics.append(Diagnostic.make(DiagCode.EXAM_REQUIRED_NO_EXAM, course_path,
                                               line, column))
        cert = meta.section("certificate", CERTIFICATE_KEYS)
        if cert is not None:
            certificate = CertificateSettings(
                title=cert.text("title", required=True),
                valid_months=cert.integer("valid_months", minimum=1),
                signatory=cert.text("signatory"))

    # Which files are units, in which order.
    unit_files: list[str] = []
    if listed is not None:
        for entry in listed:
            name = entry if entry.endswith(".md") else entry + ".md"
            if name not in files:
                line, column = meta.locate("units") if meta else (1, 1)
                diagnostics.append(Diagnostic.make(DiagCode.MISSING_UNIT_FILE, course_path,
                                                   line, column, name=entry))
            else:
                unit_files.append(name)
        for name in sorted(n for n in files if is_unit_file(n) and n not in unit_files):
            diagnostics.append(Diagnostic.make(DiagCode.UNLISTED_UNIT, _join(base, name), 1, 1,
                                               name=name))
    else:
        unit_files = sorted(n for n in files if is_unit_file(n))

    units: list[Unit] = []
    unit_ids: dict[str, str] = {}
    question_ids: dict[str, str] = {}
    for name in unit_files:
        path = _join(base, name)
        parsed = _compile_unit(files, name, path, names, language, media_base, diagnostics)
        # every id is checked, also those of questions and units that have other errors
        _check_question_ids(path, parsed.question_ids, question_ids, diagnostics)
        if parsed.unit_id:
            if parsed.unit_id in unit_ids:
                line, column = parsed.id_at
                diagnostics.append(Diagnostic.make(DiagCode.DUPLICATE_ID, path, line, column,
                                                   id=parsed.unit_id,
                                                   first=unit_ids[parsed.unit_id]))
                continue
            unit_ids[parsed.unit_id] = path
        if parsed.unit is not None:
            units.append(_first_questions(parsed.unit, question_ids))
    if meta is not None and not unit_files:
        diagnostics.append(Diagnostic.make(DiagCode.NO_UNITS, course_path, 1, 1))

    exam_questions: list[Question] = []
    exam_intro = ""
    if "exam.md" in files:
        exam_path = _join(base, "exam.md")
        exam_text = _read(files, "exam.md", exam_path, diagnostics)
        if exam_text is not None:
            exam_ctx = Context(exam_path, language, "pruefung-", names, media_base,
                               diagnostics, "exam")
            doc = parse_document(exam_text, exam_ctx)
            if doc.front_matter is not None:
                FrontMatter.parse(doc.front_matter, exam_path, diagnostics, EXAM_FILE_KEYS)
            exam_intro = "".join(s.html for s in doc.segments)
            _check_question_ids(exam_path, exam_ctx.question_ids, question_ids, diagnostics)
            exam_questions = [q for q in doc.questions
                              if question_ids.get(q.id) == f"{exam_path}:{q.line}"]

    if exam_settings is not None and meta is not None:
        _check_exam(exam_settings, units, exam_questions, meta, diagnostics)

    course = None
    if course_id and title and course_doc is not None:
        course = Course(
            id=course_id, title=title, version=version, language=language, format=FORMAT,
            summary=summary, audience=audience, duration=duration,
            intro_html="".join(s.html for s in course_doc.segments), units=tuple(units),
            completion=completion, exam=exam_settings, exam_questions=tuple(exam_questions),
            exam_intro_html=exam_intro, certificate=certificate)
    return CompileResult(course, tuple(sorted(diagnostics, key=_order)))


def _order(d: Diagnostic) -> tuple[str, int, int]:
    return (d.path, d.line, d.column)


@dataclass(frozen=True, slots=True)
class _ParsedUnit:
    """A unit file's outcome: the unit (None on errors that leave none), and the ids it
    declares, known also when the unit or its questions have other errors."""

    unit: Unit | None
    unit_id: str | None = None
    id_at: tuple[int, int] = (1, 1)  # line and column of `id:` in the front matter
    question_ids: tuple[tuple[str, int], ...] = ()


def _compile_unit(files: Mapping[str, bytes], name: str, path: str, names: frozenset[str],
                  language: str, media_base: str,
                  diagnostics: list[Diagnostic]) -> _ParsedUnit:
    text = _read(files, name, path, diagnostics)
    if text is None:
        return _ParsedUnit(None)
    stem = re.sub(r"^\d+[-_ ]*", "", name[:-3]) or name[:-3]
    ctx = Context(path, language, "", names, media_base, diagnostics, stem)
    # Heading ids need the unit id, known only after the front matter: peek at it cheaply.
    peek = re.search(r"^id:\s*['\"]?([A-Za-z0-9_-]+)", text[:2000], re.MULTILINE)
    ctx.id_prefix = f"{peek.group(1) if peek else stem}-"
    ctx.derived_id_base = peek.group(1) if peek else stem
    doc = parse_document(text, ctx)
    question_ids = tuple(ctx.question_ids)
    if doc.front_matter is None:
        diagnostics.append(Diagnostic.make(DiagCode.NO_FRONT_MATTER, path, 1, 1))
        return _ParsedUnit(None, question_ids=question_ids)
    meta = FrontMatter.parse(doc.front_matter, path, diagnostics, UNIT_KEYS)
    if meta is None:
        return _ParsedUnit(None, question_ids=question_ids)
    unit_id = meta.identifier("id")
    found = _ParsedUnit(None, unit_id or None, meta.locate("id"), question_ids)
    title = meta.text("title", required=True)
    duration = meta.integer("duration", minimum=1)
    objectives = meta.text_list("objectives")
    quiz = None
    section = meta.section("quiz", QUIZ_KEYS)
    if section is not None:
        pass_mark = section.share("pass_mark", required=True, default=1.0)
        quiz = QuizSettings(pass_mark=pass_mark if pass_mark is not None else 1.0,
                            draw=section.integer("draw", minimum=1),
                            shuffle=section.boolean("shuffle", True))
    elif "quiz" in meta.data and meta.data["quiz"] is None:
        meta.problem("quiz", "needs settings such as 'pass_mark: 0.75'", None)
    if not unit_id or not title:
        return found
    questions = tuple(_with_unit(q, unit_id) for q in doc.questions)
    unit = Unit(id=unit_id, title=title, path=path, duration=duration, objectives=objectives,
                body=_drop_title(tuple(doc.segments), doc.first_heading, title),
                questions=questions, quiz=quiz, media=tuple(dict.fromkeys(doc.media)))
    if quiz is not None:
        pool = len(unit.quiz_questions)
        line, column = meta.locate("quiz")
        if pool == 0:
            diagnostics.append(Diagnostic.make(DiagCode.QUIZ_WITHOUT_QUESTIONS, path, line,
                                               column))
        elif quiz.draw is not None and quiz.draw > pool:
            line, column = section.locate("draw") if section else (line, column)
            diagnostics.append(Diagnostic.make(DiagCode.DRAW_TOO_LARGE, path, line, column,
                                               draw=quiz.draw, pool=pool, where=""))
    return replace(found, unit=unit)


def _with_unit(question: Question, unit_id: str) -> Question:
    return replace(question, unit_id=unit_id)


def _drop_title(body: tuple[Segment, ...], first_heading: str | None,
                title: str) -> tuple[Segment, ...]:
    """A unit's leading '# Title' that repeats the front matter title is shown once, as the
    page title, not twice."""
    if not body or first_heading is None or first_heading.strip() != title.strip():
        return body
    html = body[0].html
    if not html.startswith("<h1"):
        return body
    rest = html[html.find("</h1>") + len("</h1>"):].lstrip("\n")
    return (replace(body[0], html=rest), *body[1:])


def _check_question_ids(path: str, found: tuple[tuple[str, int], ...] | list[tuple[str, int]],
                       seen: dict[str, str], diagnostics: list[Diagnostic]) -> None:
    """Reports every question id of the file used before (in this file or an earlier one),
    each at its line, and records the new ones in `seen` (id -> "path:line")."""
    for question_id, line in found:
        if question_id in seen:
            diagnostics.append(Diagnostic.make(DiagCode.DUPLICATE_ID, path, line, 1,
                                               id=question_id, first=seen[question_id]))
        else:
            seen[question_id] = f"{path}:{line}"


def _first_questions(unit: Unit, seen: dict[str, str]) -> Unit:
    """The unit without the questions whose id was used first elsewhere."""
    kept = tuple(q for q in unit.questions if seen.get(q.id) == f"{unit.path}:{q.line}")
    if len(kept) == len(unit.questions):
        return unit
    return replace(unit, questions=kept)


def _check_exam(exam: ExamSettings, units: list[Unit], exam_only: list[Question],
                meta: FrontMatter, diagnostics: list[Diagnostic]) -> None:
    pools = [(u, len(u.questions)) for u in units if u.questions]
    total = sum(size for _, size in pools)
    path = meta.path
    saved = meta.prefix
    meta.prefix = ("exam",)
    try:
        if exam.draw is not None:
            for unit, size in pools:
                if exam.draw > size:
                    line, column = meta.locate("draw")
                    diagnostics.append(Diagnostic.make(
                        DiagCode.DRAW_TOO_LARGE, path, line, column, draw=exam.draw, pool=size,
                        where=f" ({unit.id})"))
        if exam.questions is not None and exam.questions > total:
            line, column = meta.locate("questions")
            diagnostics.append(Diagnostic.make(DiagCode.DRAW_TOO_LARGE, path, line, column,
                                               draw=exam.questions, pool=total, where=""))
        if total == 0 and not exam_only:
            line, column = meta.locate("pass_mark")
            diagnostics.append(Diagnostic.make(DiagCode.EXAM_WITHOUT_QUESTIONS, path, line,
                                               column))
    finally:
        meta.prefix = saved
