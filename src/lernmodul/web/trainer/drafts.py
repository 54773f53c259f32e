"""The draft editor: one file at a time in a textarea, diagnostics with file and line, the
preview as learners will see it, units, images, publish and discard.

Everything works with plain form posts; `static/editor.js` adds a live preview that posts
the textarea (with the CSRF token) to `live_preview` and swaps in the returned fragment."""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from lernmodul.core.compiler import CompileResult, is_unit_file
from lernmodul.core.model import Course, Unit
from lernmodul.db.authoring import CourseDraft
from lernmodul.db.models import CourseVersion, utcnow
from lernmodul.services import authoring
from lernmodul.services.authoring import AuthoringError
from lernmodul.services.course_zip import MAX_IMAGE_BYTES, UploadError
from lernmodul.web.database import get_session
from lernmodul.web.security import media_response
from lernmodul.web.trainer.views import (
    actor_id,
    bp,
    diagnostic_rows,
    message_for,
    revision_from_form,
    status_for,
)


def _draft(draft_id: int) -> CourseDraft:
    draft = get_session().get(CourseDraft, draft_id)
    if draft is None:
        abort(404)
    return draft


def media_base(draft_id: int) -> str:
    return url_for("trainer.draft_media", draft_id=draft_id, name="x")[:-1]


# The flagship course (nine units) takes about 0.3 s to compile, so the editor keeps the
# results of recent draft revisions: moving between the files of one revision reuses them.
# A revision never changes its content (every change moves it on), so entries never go stale.
_COMPILED: OrderedDict[tuple[Any, ...], CompileResult] = OrderedDict()
_COMPILED_LOCK = threading.Lock()
COMPILED_KEPT = 16


def compile_saved(draft: CourseDraft, media: list[str]) -> CompileResult:
    key = (draft.id, draft.course_id, draft.created_at, draft.revision, tuple(media),
           media_base(draft.id))
    with _COMPILED_LOCK:
        result = _COMPILED.get(key)
        if result is not None:
            _COMPILED.move_to_end(key)
            return result
    result = authoring.compile_files(draft.files, media, key[-1])
    with _COMPILED_LOCK:
        _COMPILED[key] = result
        while len(_COMPILED) > COMPILED_KEPT:
            _COMPILED.popitem(last=False)
    return result


def _file_order(draft: CourseDraft) -> list[str]:
    names = ["course.md"] if "course.md" in draft.files else []
    names += [u.name for u in authoring.unit_files(draft.files)]
    names += ["exam.md"] if "exam.md" in draft.files else []
    return names + sorted(n for n in draft.files if n not in names)


def _chosen_file(draft: CourseDraft, name: str | None) -> str:
    if name and name in draft.files:
        return name
    return _file_order(draft)[0] if draft.files else "course.md"


def preview_context(result: CompileResult, name: str) -> dict[str, Any]:
    """What the preview of one file shows: the course page text, a unit, or the exam."""
    course: Course | None = result.course
    unit: Unit | None = None
    kind = "course" if name == "course.md" else "exam" if name == "exam.md" else "unit"
    if course is not None and kind == "unit":
        unit = next((u for u in course.units if u.path == name), None)
    return {"course": course, "unit": unit, "kind": kind,
            "questions": {q.id: q for q in unit.questions} if unit else {},
            "file_diagnostics": diagnostic_rows(
                [d for d in result.diagnostics if d.path == name]),
            "diagnostics": diagnostic_rows(result.diagnostics),
            "error_count": len(result.errors), "warning_count": len(result.warnings),
            "file": name}


def _render_editor(draft: CourseDraft, name: str | None, *, text: str | None = None,
                   error: str | None = None, status: int = 200,
                   version_value: str | None = None,
                   publish_diagnostics: list[dict[str, Any]] | None = None) -> tuple[str, int]:
    session = get_session()
    name = _chosen_file(draft, name)
    media = authoring.media_paths(session, draft)
    if text is not None and name in draft.files:
        result = authoring.compile_files({**draft.files, name: authoring.normalise_text(text)},
                                         media, media_base(draft.id))
    else:
        result = compile_saved(draft, media)
    current = authoring.course_version(draft.files.get("course.md", ""))
    taken = authoring.taken_versions(session, draft.course_id)
    if version_value is None:
        version_value = current if current and current not in taken else \
            authoring.suggest_version(current, taken)
    base = session.get(CourseVersion, draft.base_version_id) if draft.base_version_id else None
    return render_template(
        "trainer/draft.html", draft=draft, base_version=base.version if base else None,
        text=text if text is not None else draft.files.get(name, ""),
        units=authoring.unit_files(draft.files),
        files=_file_order(draft), media=media,
        media_base=media_base(draft.id), error=error, version_value=version_value,
        version_taken=current in taken, current_version=current,
        publish_diagnostics=publish_diagnostics or [],
        max_image_megabytes=f"{MAX_IMAGE_BYTES / (1024 * 1024):g}",
        **preview_context(result, name)), status


def _refuse(draft: CourseDraft, error: AuthoringError | UploadError, name: str | None = None,
            text: str | None = None, **extra: Any) -> tuple[str, int]:
    return _render_editor(draft, name, text=text, error=message_for(error),
                          status=status_for(error), **extra)


@bp.route("/drafts/<int:draft_id>")
def edit_draft(draft_id: int) -> tuple[str, int]:
    return _render_editor(_draft(draft_id), request.args.get("file"))


def _back(draft: CourseDraft, name: str | None = None, anchor: str | None = None) -> Response:
    return redirect(url_for("trainer.edit_draft", draft_id=draft.id, file=name,
                            _anchor=anchor), 303)


@bp.post("/drafts/<int:draft_id>/save")
def save_file(draft_id: int) -> Response | tuple[str, int]:
    draft = _draft(draft_id)
    name = request.form.get("file", "")
    text = request.form.get("text")
    if text is None:
        return _refuse(draft, AuthoringError("bad_request"), name)
    try:
        changed = authoring.save_file(get_session(), draft, name, text, revision_from_form(),
                                      actor_id=actor_id(), now=utcnow())
    except AuthoringError as error:
        # the trainer's text stays in the textarea, so nothing typed is lost
        return _refuse(draft, error, name, text if name in draft.files else None)
    if changed:
        flash(_("%(file)s has been saved.", file=name), "success")
    return _back(draft, name, "editor")


@bp.post("/drafts/<int:draft_id>/preview")
def live_preview(draft_id: int) -> tuple[str, int]:
    """The preview fragment for the textarea's current text (nothing is stored)."""
    session = get_session()
    draft = _draft(draft_id)
    name = request.form.get("file", "")
    if name not in draft.files:
        abort(404)
    media = authoring.media_paths(session, draft)
    # nothing is written, so the request stays in its read phase: no write lock while the
    # compiler runs
    texts = {**draft.files, name: authoring.normalise_text(request.form.get("text", ""))}
    result = authoring.compile_files(texts, media, media_base(draft.id))
    return render_template("trainer/_preview.html", draft=draft,
                           **preview_context(result, name)), 200


@bp.route("/drafts/<int:draft_id>/preview")
def preview_page(draft_id: int) -> tuple[str, int]:
    """One file of the draft on a page of its own, as learners will see it."""
    draft = _draft(draft_id)
    name = _chosen_file(draft, request.args.get("file"))
    result = compile_saved(draft, authoring.media_paths(get_session(), draft))
    return render_template("trainer/preview.html", draft=draft,
                           **preview_context(result, name)), 200


@bp.post("/drafts/<int:draft_id>/units")
def add_unit(draft_id: int) -> Response | tuple[str, int]:
    draft = _draft(draft_id)
    try:
        name = authoring.add_unit(get_session(), draft, request.form.get("title", "")[:1000],
                                  revision_from_form(), actor_id=actor_id(), now=utcnow())
    except AuthoringError as error:
        return _refuse(draft, error, request.form.get("current"))
    flash(_("The unit %(file)s has been added.", file=name), "success")
    return _back(draft, name, "editor")


@bp.post("/drafts/<int:draft_id>/units/remove")
def remove_unit(draft_id: int) -> Response | tuple[str, int]:
    draft = _draft(draft_id)
    name = request.form.get("file", "")
    if request.form.get("confirm") != "yes":
        # the unit's text goes with it: ask first (a page, no change), then remove
        if name not in draft.files or not is_unit_file(name):
            return _refuse(draft, AuthoringError("no_file"))
        return render_template("trainer/confirm_remove.html", draft=draft, file=name), 200
    try:
        authoring.remove_unit(get_session(), draft, name, revision_from_form(),
                              actor_id=actor_id(), now=utcnow())
    except AuthoringError as error:
        return _refuse(draft, error)
    flash(_("The unit %(file)s has been removed.", file=name), "success")
    return _back(draft, None, "files")


@bp.post("/drafts/<int:draft_id>/units/move")
def move_unit(draft_id: int) -> Response | tuple[str, int]:
    draft = _draft(draft_id)
    name = request.form.get("file", "")
    direction = request.form.get("direction")
    if direction not in ("up", "down"):
        return _refuse(draft, AuthoringError("bad_request"))
    try:
        authoring.move_unit(get_session(), draft, name, -1 if direction == "up" else 1,
                            revision_from_form(), actor_id=actor_id(), now=utcnow())
    except AuthoringError as error:
        return _refuse(draft, error)
    return _back(draft, request.form.get("current") or None, "files")


@bp.post("/drafts/<int:draft_id>/media")
def upload_media(draft_id: int) -> Response | tuple[str, int]:
    draft = _draft(draft_id)
    current = request.form.get("current") or None
    upload = request.files.get("image")
    if upload is None or not upload.filename:
        return _refuse(draft, UploadError("no_upload"), current)
    data = upload.read(MAX_IMAGE_BYTES + 1)
    try:
        path = authoring.add_media(get_session(), draft, upload.filename[:200], data,
                                   revision_from_form(), actor_id=actor_id(), now=utcnow())
    except (AuthoringError, UploadError) as error:
        return _refuse(draft, error, current)
    flash(_("The image has been stored as %(path)s. Insert it with ![Description](%(path)s).",
            path=path), "success")
    return _back(draft, current, "images")


@bp.route("/drafts/<int:draft_id>/media/<path:name>")
def draft_media(draft_id: int, name: str) -> Response:
    media = authoring.find_draft_media(get_session(), draft_id, f"media/{name}")
    if media is None:
        abort(404)
    return media_response(media.content, media.media_type)


@bp.post("/drafts/<int:draft_id>/publish")
def publish_draft(draft_id: int) -> Response | tuple[str, int]:
    draft = _draft(draft_id)
    session = get_session()
    version_value = request.form.get("version", "")[:200]
    try:
        expected = revision_from_form()
        if version_value.strip():
            authoring.set_version(session, draft, version_value, expected, actor_id=actor_id(),
                                  now=utcnow())
            expected = draft.revision
        version = authoring.publish_draft(session, draft, expected, actor_id=actor_id(),
                                          now=utcnow())
    except AuthoringError as error:
        session.rollback()  # a version written into course.md above is not kept either
        session.refresh(draft)
        suggestion = error.details.get("suggestion")
        return _refuse(draft, error, version_value=str(suggestion) if suggestion else
                       version_value or None,
                       publish_diagnostics=diagnostic_rows(error.diagnostics))
    flash(_("Version %(version)s of “%(title)s” has been published. New enrolments get this "
            "version; learners who started an earlier one finish on it.",
            version=version.version, title=version.title), "success")
    return redirect(url_for("trainer.course_page", course_id=version.course_id), 303)


@bp.post("/drafts/<int:draft_id>/discard")
def discard_draft(draft_id: int) -> Response | tuple[str, int]:
    draft = _draft(draft_id)
    if request.form.get("confirm") != "1":
        return _render_editor(draft, None, error=_("Tick the box to confirm that the draft "
                                                   "should be discarded."), status=400)
    course_id = draft.course_id
    try:
        authoring.discard_draft(get_session(), draft, revision_from_form(), actor_id=actor_id(),
                                now=utcnow())
    except AuthoringError as error:
        return _refuse(draft, error)
    flash(_("The draft has been discarded."), "success")
    return redirect(url_for("trainer.index", _anchor=f"course-{course_id}"), 303)

