"""Trainer insights: the diff of two course versions, item statistics, and the GIFT upload."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from flask import abort, current_app, flash, make_response, redirect, render_template, request, url_for
from flask_babel import format_decimal, format_percent, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from werkzeug.wrappers import Response
from wtforms import HiddenField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, Regexp

from lernmodul.core.compiler import compile_course
from lernmodul.core.compiler.parser import decode_source
from lernmodul.core.diff import CourseDiff, diff_courses, plain_text
from lernmodul.core.gift import convert_gift, minimal_course_md, slugify
from lernmodul.core.item_stats import ItemStatistic
from lernmodul.core.model import Course
from lernmodul.db.models import CourseVersion, utcnow
from lernmodul.services import authoring
from lernmodul.services import item_stats as stats_service
from lernmodul.services.courses import (
    CompiledCourses,
    CourseError,
    find_latest_version,
    latest_versions,
)
from lernmodul.web.database import get_session
from lernmodul.web.security import render_error
from lernmodul.web.trainer.views import bp

COMPILED_KEY = "lernmodul.trainer.insights.compiled"
MEDIA_BASE = "media/"  # the pages here show text only, never a course image
GIFT_MAX_BYTES = 512 * 1024
GIFT_UNIT_FILE = re.compile(r"\d{2,4}-[a-z0-9][a-z0-9_-]{0,80}\.md\Z")
PROMPT_LENGTH = 160

FIELD_LABELS = {
    "title": _l("Title"),
    "version": _l("Version"),
    "language": _l("Language"),
    "summary": _l("Summary"),
    "audience": _l("Audience"),
    "duration": _l("Duration (minutes)"),
    "completion_units": _l("Units required for completion"),
    "completion_exam": _l("Exam required for completion"),
    "exam": _l("Final exam"),
    "exam_pass_mark": _l("Exam pass mark"),
    "exam_draw": _l("Exam: questions per unit"),
    "exam_questions": _l("Exam: questions in total"),
    "exam_max_attempts": _l("Exam: attempts allowed (0 = unlimited)"),
    "exam_time_limit": _l("Exam: time limit (minutes)"),
    "exam_shuffle": _l("Exam: shuffled"),
    "exam_review": _l("Exam: review of the answers (after_pass, always, never)"),
    "certificate_title": _l("Certificate title"),
    "certificate_valid_months": _l("Certificate valid for (months)"),
    "certificate_signatory": _l("Certificate signatory"),
    "objectives": _l("Learning objectives"),
    "quiz": _l("Unit quiz"),
    "quiz_pass_mark": _l("Quiz pass mark"),
    "quiz_draw": _l("Quiz: questions drawn"),
    "quiz_shuffle": _l("Quiz: shuffled"),
    "position": _l("Position in the course"),
    "type": _l("Question type"),
    "prompt": _l("Question text"),
    "points": _l("Points"),
    "scoring": _l("Scoring"),
    "inline": _l("Shown in the text (inline)"),
    "unit": _l("Unit"),
    "explanation": _l("Explanation"),
    "number_answers": _l("Accepted numbers"),
    "text_answers": _l("Accepted answers"),
    "answer_feedback": _l("Feedback on accepted answers"),
    "order": _l("Right order"),
    "gaps": _l("Gaps and their answers"),
}
PERCENT_FIELDS = frozenset({"exam_pass_mark", "quiz_pass_mark"})
TYPE_LABELS = {
    "single": _l("single choice"),
    "multiple": _l("multiple choice"),
    "truefalse": _l("true/false"),
    "order": _l("order"),
    "match": _l("matching"),
    "number": _l("number"),
    "text": _l("short text"),
    "cloze": _l("gap text"),
}
STATUS_LABELS = {
    "added": _l("added"),
    "removed": _l("removed"),
    "changed": _l("changed"),
    "unchanged": _l("unchanged"),
}
OPTION_CHANGES = {
    "added": _l("Answer added"),
    "removed": _l("Answer removed"),
    "reworded": _l("Answer reworded"),
    "now_correct": _l("Now a right answer"),
    "now_wrong": _l("Now a wrong answer"),
    "feedback": _l("Feedback changed"),
}
FLAG_LABELS = {
    "very_easy": _l("very easy (p > 0.9)"),
    "very_hard": _l("very hard (p < 0.2)"),
    "negative_discrimination": _l("negative discrimination"),
    "low_discrimination": _l("low discrimination (< 0.2)"),
    "unused_option": _l("a wrong answer nobody chose"),
}
SORT_KEYS = ("order", "people", "difficulty", "discrimination")
SORT_DIRECTIONS = ("asc", "desc")
GIFT_FILE_ERRORS = {
    "empty": _l("The file is empty."),
    "binary": _l("This is not a text file. Export the questions from Moodle in GIFT format "
                 "(a .txt file)."),
    "too_large": _l("The file is larger than %(size)s KB."),
    "encoding": _l("The file is not UTF-8 text (line %(line)s, column %(column)s: byte "
                   "0x%(byte)s). Save it as UTF-8 (Moodle's GIFT export is UTF-8) and upload it "
                   "again."),
}


# --- helpers shared by the templates -------------------------------------------------------


def show_value(field: str, value: Any) -> str:
    """A setting's value for the page: percentages, yes/no, numbers in the reader's locale."""
    if field == "unit" and value is None:
        return _("final exam")
    if value is None or value == "":
        return _("not set")
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if field in PERCENT_FIELDS and isinstance(value, int | float):
        return str(format_percent(value))
    if isinstance(value, float):
        return str(format_decimal(value, format="#,##0.##"))
    if field == "type":
        return str(TYPE_LABELS.get(str(value), value))
    return str(value)


def field_label(field: str) -> str:
    return str(FIELD_LABELS.get(field, field))


def short(text: str, length: int = PROMPT_LENGTH) -> str:
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


@bp.app_template_filter("insight_decimal")
def _decimal_filter(value: float | None) -> str:
    return "—" if value is None else str(format_decimal(value, format="0.00"))


@bp.app_template_filter("insight_percent")
def _percent_filter(value: float) -> str:
    return str(format_percent(value))


# --- version diff --------------------------------------------------------------------------


def _course_versions(course_id: str) -> list[CourseVersion]:
    if len(course_id) > 100:
        abort(404)
    versions = stats_service.list_versions(get_session(), course_id)
    if not versions:
        abort(404)
    return versions


def _compiled(version: CourseVersion) -> Course:
    """Versions never change, so compiled ones are kept for the app's lifetime (per app, not
    per process: two apps on two databases may both have a version 1)."""
    cache: CompiledCourses = current_app.extensions.setdefault(COMPILED_KEY, CompiledCourses())
    return cache.get(version, MEDIA_BASE)


def _chosen(name: str, versions: list[CourseVersion], default: CourseVersion) -> CourseVersion:
    raw = request.args.get(name, "").strip()
    if not raw:
        return default
    by_id = {str(v.id): v for v in versions}
    if raw not in by_id:
        raise _BadChoice()
    return by_id[raw]


class _BadChoice(Exception):
    """A version or sort key the page does not offer (answered with 400)."""


@bp.errorhandler(_BadChoice)
def _bad_choice(_error: _BadChoice) -> tuple[str, int]:
    return render_error(400, _("This choice is not offered here. Please choose from the form."))


@bp.route("/courses/<course_id>/diff")
def diff(course_id: str) -> str:
    versions = _course_versions(course_id)
    newest = versions[-1]
    older = versions[-2] if len(versions) > 1 else newest
    old = _chosen("from", versions, older)
    new = _chosen("to", versions, newest)
    result: CourseDiff | None = None
    try:
        old_course, new_course = _compiled(old), _compiled(new)
    except CourseError:
        abort(404)
    if old.id != new.id:
        result = diff_courses(old_course, new_course, old.sources, new.sources)
    return render_template(
        "trainer/diff.html", course_id=course_id, title=new.title, versions=versions,
        old=old, new=new, diff=result, show_value=show_value, field_label=field_label,
        type_labels=TYPE_LABELS, status_labels=STATUS_LABELS, option_changes=OPTION_CHANGES)


# --- item statistics -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ItemRow:
    """One question's row on the statistics page."""

    number: int
    stat: ItemStatistic
    prompt: str


def _sorted_rows(items: tuple[ItemStatistic, ...], key: str, direction: str) -> list[ItemRow]:
    rows = [ItemRow(n, stat, short(plain_text(stat.question.stem_html)))
            for n, stat in enumerate(items, 1)]
    if key == "order":
        return rows if direction == "asc" else rows[::-1]
    value = {
        "people": lambda r: r.stat.people if not r.stat.is_withheld else None,
        "difficulty": lambda r: r.stat.difficulty,
        "discrimination": lambda r: r.stat.discrimination,
    }[key]
    known = [r for r in rows if value(r) is not None]
    unknown = [r for r in rows if value(r) is None]  # withheld and undefined figures last
    known.sort(key=lambda r: (value(r), r.number), reverse=direction == "desc")
    return known + unknown


@bp.route("/versions/<int:version_id>/statistics")
def statistics(version_id: int) -> str:
    session = get_session()
    version = session.get(CourseVersion, version_id)
    if version is None:
        abort(404)
    key = request.args.get("sort", "order")
    direction = request.args.get("dir", "asc")
    if key not in SORT_KEYS or direction not in SORT_DIRECTIONS:
        raise _BadChoice()
    try:
        course = _compiled(version)
    except CourseError:
        abort(404)
    figures = stats_service.version_statistics(session, version.id, course)
    tables = []
    if figures.exam is not None:
        tables.append((figures.exam, _("Final exam")))
    tables += [(quiz, _("Unit quiz: %(title)s", title=quiz.title)) for quiz in figures.quizzes]
    return render_template(
        "trainer/statistics.html", version=version, k=figures.k, key=key, direction=direction,
        tables=[(quiz, heading, _sorted_rows(quiz.items, key, direction))
                for quiz, heading in tables],
        versions=stats_service.list_versions(session, version.course_id),
        type_labels=TYPE_LABELS, flag_labels=FLAG_LABELS, sort_keys=SORT_KEYS)


# --- GIFT upload ---------------------------------------------------------------------------


class GiftUploadForm(FlaskForm):
    file = FileField(_l("GIFT file"), validators=[FileRequired(_l("Choose a file."))])
    unit_id = StringField(_l("Unit id (optional)"), validators=[
        Optional(), Length(max=60, message=_l("At most %(max)d characters.")),
        Regexp(r"[a-z0-9][a-z0-9_-]*\Z", message=_l(
            "Only a-z, 0-9, “-” and “_”, starting with a letter or digit."))])
    title = StringField(_l("Unit title (optional)"), validators=[
        Optional(), Length(max=200, message=_l("At most %(max)d characters."))])
    course = SelectField(_l("Course for the units (optional)"), validate_choice=False)
    language = SelectField(_l("Language of the course"),
                           choices=[SelectChoice("de", _l("German")),
                                    SelectChoice("en", _l("English"))], default="de")
    submit = SubmitField(_l("Convert"))


class GiftDownloadForm(FlaskForm):
    name = HiddenField(validators=[DataRequired(), Regexp(GIFT_UNIT_FILE.pattern)])
    markdown = TextAreaField(validators=[DataRequired(), Length(max=4 * GIFT_MAX_BYTES)])


class GiftAddForm(GiftDownloadForm):
    course = HiddenField(validators=[DataRequired(), Length(max=100)])


@dataclass(frozen=True, slots=True)
class Target:
    """A course the converted units may join: its ids are kept free, its files numbered on."""

    course_id: str
    title: str
    language: str
    question_ids: frozenset[str]
    unit_ids: frozenset[str]
    number_from: int


def _course_choices() -> list[SelectChoice]:
    return [SelectChoice("", _("none: download only"))] + [
        SelectChoice(v.course_id, f"{v.title} ({v.course_id})")
        for v in latest_versions(get_session())]


def _target(course_id: str) -> Target | None:
    """The course's open draft, or else its newest version, as the units' destination."""
    session = get_session()
    draft = authoring.find_draft(session, course_id)
    if draft is not None:
        texts = dict(draft.files)
        media = authoring.media_paths(session, draft)
    else:
        version = find_latest_version(session, course_id)
        if version is None:
            return None
        texts = {name: text for name, text in version.sources.items() if text is not None}
        media = [name for name, text in version.sources.items() if text is None]
    course = authoring.compile_files(texts, media).course
    numbers = [int(m.group()) for name in texts if (m := re.match(r"\d+", name))]
    return Target(
        course_id, course.title if course else course_id, course.language if course else "de",
        frozenset(course.questions()) if course else frozenset(),
        frozenset(u.id for u in course.units) if course else frozenset(),
        max(numbers, default=0) + 1)


@dataclass(frozen=True, slots=True)
class Message:
    line: int
    column: int
    is_error: bool
    text: str
    file: str  # "" for the GIFT file, else the unit file the check found it in


class _GiftFileError(Exception):
    def __init__(self, code: str, **details: object) -> None:
        super().__init__(code)
        self.code = code
        self.details = details


def _read_gift(form: GiftUploadForm) -> str:
    data = form.file.data.read(GIFT_MAX_BYTES + 1)
    if len(data) > GIFT_MAX_BYTES:
        raise _GiftFileError("too_large", size=GIFT_MAX_BYTES // 1024)
    if not data.strip(b" \t\r\n\xef\xbb\xbf"):
        raise _GiftFileError("empty")
    if b"\x00" in data[:8192]:
        raise _GiftFileError("binary")
    text, bad = decode_source(data)
    if bad is not None:
        line, column, byte = bad
        raise _GiftFileError("encoding", line=line, column=column, byte=f"{byte:02x}")
    return text


def _render_gift(form: GiftUploadForm, status: int = 200, **context: Any) -> tuple[str, int]:
    form.course.choices = _course_choices()
    context.setdefault("files", [])
    context.setdefault("messages", [])
    return render_template("trainer/gift.html", form=form, download=GiftDownloadForm(formdata=None),
                           max_kilobytes=GIFT_MAX_BYTES // 1024, **context), status


@bp.route("/gift", methods=["GET", "POST"])
def gift_upload() -> tuple[str, int]:
    if request.method == "GET":
        return _render_gift(GiftUploadForm(formdata=None))
    form = GiftUploadForm()
    valid = form.validate_on_submit()
    target = _target(form.course.data) if form.course.data else None
    if form.course.data and target is None:
        form.course.errors = [_("Choose a course from the list.")]
        valid = False
    if not valid:
        return _render_gift(form, 400)
    try:
        text = _read_gift(form)
    except _GiftFileError as error:
        form.file.errors = [str(GIFT_FILE_ERRORS[error.code]) % error.details]
        return _render_gift(form, 413 if error.code == "too_large" else 400)
    file_name = (form.file.data.filename or "gift.txt").rsplit("/", 1)[-1][:200]
    stem = file_name.rsplit(".", 1)[0]
    unit_id = form.unit_id.data or slugify(stem) or "gift"
    title = form.title.data or stem
    language = str(get_locale() or "de")[:2]
    language_of_units = target.language if target else form.language.data
    result = convert_gift(text, unit_id=unit_id, title=title, language=language_of_units,
                          path=file_name,
                          reserved_ids=target.question_ids if target else (),
                          reserved_units=target.unit_ids if target else (),
                          number_from=target.number_from if target else 1)
    messages = [Message(d.line, d.column, d.is_error, d.message(language), "")
                for d in result.diagnostics]
    if result.files:
        # the course compiler has the last word on the converted units
        files = {"course.md": minimal_course_md(unit_id, title, language=language_of_units)}
        files.update(result.files)
        compiled = compile_course({name: body.encode() for name, body in files.items()})
        messages += [Message(d.line, d.column, d.is_error, d.message(language), d.path)
                     for d in compiled.diagnostics if d.path in result.files]
    return _render_gift(
        form, 200 if result.files else 400, file_name=file_name, converted=result.questions,
        files=sorted(result.files.items()), messages=messages, target=target,
        errors=sum(1 for m in messages if m.is_error))


@bp.post("/gift/download")
def gift_download() -> Response | tuple[str, int]:
    form = GiftDownloadForm()
    if not form.validate_on_submit():
        upload = GiftUploadForm(formdata=None)
        upload.file.errors = [_("The download did not carry a unit file. Convert the GIFT file "
                                "again.")]
        return _render_gift(upload, 400)
    body = (form.markdown.data or "").replace("\r\n", "\n")
    response = make_response(body)
    response.mimetype = "text/markdown"
    response.charset = "utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{form.name.data}"'
    return response


ADD_ERRORS = {
    "stale": _l("The draft changed in the meantime. Convert the file again and add the unit "
                "once more."),
    "too_many_units": _l("The course has the most units a course can have."),
    "text_too_large": _l("The unit file is too large for the course editor."),
    "no_course": _l("This course does not exist (any more)."),
}


@bp.post("/gift/add")
def gift_add() -> Response | tuple[str, int]:
    """Adds one converted unit to the course's draft (opening a draft from the newest
    version if there is none): a new unit file with the converted text."""
    form = GiftAddForm()
    if not form.validate_on_submit():
        upload = GiftUploadForm(formdata=None)
        upload.file.errors = [_("The request did not carry a unit file. Convert the GIFT file "
                                "again.")]
        return _render_gift(upload, 400)
    session, now, actor = get_session(), utcnow(), int(current_user.id)
    markdown = (form.markdown.data or "").replace("\r\n", "\n")
    try:
        draft, _created = authoring.open_draft(session, form.course.data, actor_id=actor, now=now)
        title = authoring.unit_title(markdown) or form.name.data
        name = authoring.add_unit(session, draft, title[:200], draft.revision, actor_id=actor,
                                  now=now)
        authoring.save_file(session, draft, name, markdown, draft.revision, actor_id=actor,
                            now=now)
    except authoring.AuthoringError as error:
        message = ADD_ERRORS.get(error.code)
        return render_error(409 if error.code == "stale" else 400, str(message) if message else _(
            "The unit could not be added to the draft (%(code)s).", code=error.code))
    flash(_("%(file)s is now %(name)s in the draft of the course %(course)s. Check it in the "
            "course editor and publish the draft when it is ready.",
            file=form.name.data, name=name, course=draft.course_id), "success")
    if "trainer.edit_draft" in current_app.view_functions:
        return redirect(url_for("trainer.edit_draft", draft_id=draft.id, file=name), 303)
    return redirect(url_for("trainer.gift_upload"), 303)
