"""Trainer views: courses with their versions and drafts, new courses, zips in and out.

Trainers and admins use every view (declared on the blueprint). Changes are POSTs that
redirect (Post/Redirect/Get); refused changes show the page again with a message and a 4xx.
The draft editor lives in `drafts.py`."""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask.sansio.blueprints import BlueprintSetupState
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response

from lernmodul.content import MAX_SOURCE_BYTES
from lernmodul.core.diagnostics import Diagnostic
from lernmodul.db.models import CourseVersion, Role, utcnow
from lernmodul.services import authoring
from lernmodul.services.authoring import AuthoringError
from lernmodul.services.course_zip import MAX_IMAGE_BYTES, UploadError, ZipLimits
from lernmodul.web.access import require_roles
from lernmodul.web.database import get_session, record_audit
from lernmodul.web.request_values import parse_int
from lernmodul.web.security import render_error

bp = Blueprint("trainer", __name__, url_prefix="/trainer")
require_roles(bp, Role.TRAINER.value, Role.ADMIN.value)

DEFAULT_ZIP_MAX_BYTES = 20 * 1024 * 1024
ZIP_ENDPOINTS = frozenset({"trainer.upload_zip"})
MEDIA_ENDPOINTS = frozenset({"trainer.upload_media"})
# a textarea's text arrives URL-encoded: up to three bytes per byte (%C3%A4 for ä)
TEXT_ENDPOINTS = frozenset({"trainer.save_file", "trainer.live_preview"})
TEXT_REQUEST_BYTES = 3 * MAX_SOURCE_BYTES + 64 * 1024

MESSAGES: dict[str, Any] = {
    "no_draft": _l("This draft does not exist (any more): it may have been published or "
                   "discarded."),
    "no_course": _l("This course does not exist."),
    "stale": _l("The draft has changed since this page was loaded (perhaps in another tab or "
                "by another trainer). Nothing was changed: reload the page and make your change "
                "again."),
    "no_file": _l("This file is not part of the draft."),
    "bad_request": _l("The form is incomplete. Please reload the page."),
    "bad_course_id": _l("The course id may only contain lower-case letters a–z, digits, “-” "
                        "and “_”, must start with a letter or digit and be at most 100 "
                        "characters long."),
    "course_exists": _l("A course with the id “%(course_id)s” exists already."),
    "title_required": _l("Enter a title."),
    "title_too_long": _l("The title is too long (at most %(max)s characters)."),
    "too_many_units": _l("A course can have at most %(max)s units."),
    "text_too_large": _l("The text is too long (at most %(megabytes)s MB)."),
    "bad_version": _l("Enter a version of at most %(max)s characters, such as 2026.2."),
    "has_errors": _l("The course still has errors (%(count)s). It can be published once they "
                      "are all fixed."),
    "version_exists": _l("Version %(version)s has been published already. Raise “version:” in "
                         "course.md, for example to %(suggestion)s."),
    "id_changed": _l("The course id in course.md was changed to “%(got)s”. A draft publishes "
                     "the course “%(course_id)s”; to start a new course, create one."),
    "draft_exists": _l("There is an open draft of the course “%(course_id)s” already. Publish "
                       "or discard it first."),
    "zip_no_course_id": _l("The course.md in the zip has no usable course id."),
    # uploads
    "svg": _l("%(name)s: SVG images are not accepted, since they can contain scripts. Save "
              "the image as PNG."),
    "image_type": _l("%(name)s: only PNG, JPEG, GIF and WebP images are accepted."),
    "image_mismatch": _l("%(name)s: the content is not an image of the type its name says."),
    "image_too_large": _l("%(name)s is larger than %(megabytes)s MB."),
    "empty": _l("%(name)s is empty."),
    "no_upload": _l("Choose a file."),
    "not_a_zip": _l("This is not a zip file."),
    "zip_too_large": _l("The zip file is larger than %(megabytes)s MB."),
    "zip_too_many_entries": _l("The zip file has more than %(count)s entries."),
    "zip_too_much_data": _l("The zip file unpacks to more than %(megabytes)s MB."),
    "zip_ratio": _l("%(name)s in the zip file is compressed suspiciously strongly; it is "
                    "refused as a possible zip bomb."),
    "zip_backslash": _l("The name %(name)s in the zip file contains a backslash."),
    "zip_absolute": _l("The name %(name)s in the zip file is an absolute path."),
    "zip_traversal": _l("The name %(name)s in the zip file points outside the course folder."),
    "zip_symlink": _l("%(name)s in the zip file is a symbolic link."),
    "zip_encrypted": _l("%(name)s in the zip file is encrypted."),
    "zip_duplicate": _l("The name %(name)s appears twice in the zip file."),
    "zip_bad_name": _l("The name %(name)s in the zip file may only contain letters a–z, "
                       "digits, “.”, “-” and “_” (no spaces or umlauts). Rename the file and "
                       "the references to it."),
    "zip_corrupt": _l("%(name)s in the zip file is damaged."),
    "zip_no_course": _l("The zip file has no course.md, neither at the top nor in one folder."),
    "not_utf8": _l("%(name)s is not UTF-8 text."),
    "source_too_large": _l("%(name)s is larger than %(megabytes)s MB."),
}
STATUS = {"stale": 409, "no_draft": 404, "no_course": 404, "course_exists": 409,
          "version_exists": 409, "draft_exists": 409, "has_errors": 409, "id_changed": 409}


def message_for(error: AuthoringError | UploadError) -> str:
    details: dict[str, Any] = dict(error.details)
    if isinstance(error, UploadError):
        details["name"] = error.name or "?"
    template = MESSAGES.get(error.code, MESSAGES["bad_request"])
    try:
        return str(template) % details if details or "%(" in str(template) else str(template)
    except (KeyError, ValueError, TypeError):
        return str(MESSAGES["bad_request"])


def status_for(error: AuthoringError | UploadError) -> int:
    return STATUS.get(error.code, 400)


def diagnostic_language() -> str:
    from flask_babel import get_locale

    locale = get_locale()
    return "de" if locale is None or locale.language == "de" else "en"


def diagnostic_rows(diagnostics: tuple[Diagnostic, ...] | list[Diagnostic]) -> list[dict[str, Any]]:
    language = diagnostic_language()
    return [{"path": d.path, "line": d.line, "column": d.column, "is_error": d.is_error,
             "message": d.message(language), "code": d.code.slug} for d in diagnostics]


def zip_limits() -> ZipLimits:
    return ZipLimits(max_archive_bytes=int(current_app.config.get("COURSE_ZIP_MAX_BYTES",
                                                                  DEFAULT_ZIP_MAX_BYTES)))


def _raise_upload_limits() -> None:
    """Runs before the CSRF check parses the form: uploads and long texts may be larger than
    other requests (MAX_CONTENT_LENGTH)."""
    endpoint = request.endpoint
    if endpoint in ZIP_ENDPOINTS:
        request.max_content_length = zip_limits().max_archive_bytes + 64 * 1024
    elif endpoint in MEDIA_ENDPOINTS:
        request.max_content_length = MAX_IMAGE_BYTES + 64 * 1024
    elif endpoint in TEXT_ENDPOINTS:
        request.max_content_length = TEXT_REQUEST_BYTES
        request.max_form_memory_size = TEXT_REQUEST_BYTES


@bp.record_once
def _install_limits(state: BlueprintSetupState) -> None:
    state.app.before_request_funcs.setdefault(None, []).insert(0, _raise_upload_limits)


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(_error: RequestEntityTooLarge) -> tuple[str, int]:
    if request.endpoint in ZIP_ENDPOINTS:
        megabytes = zip_limits().max_archive_bytes / (1024 * 1024)
        return render_error(413, _("The zip file is larger than %(size)s MB. Leave out large "
                                   "files that the course does not use.", size=f"{megabytes:g}"))
    if request.endpoint in MEDIA_ENDPOINTS:
        return render_error(413, _("The image is larger than %(size)s MB. Save it smaller "
                                   "(for example as JPEG) and upload it again.",
                                   size=f"{MAX_IMAGE_BYTES / (1024 * 1024):g}"))
    if request.endpoint in TEXT_ENDPOINTS:
        return render_error(413, _("The text is longer than %(size)s MB. Split the unit into "
                                   "several units.", size=f"{MAX_SOURCE_BYTES / (1024 * 1024):g}"))
    return render_error(413)


def actor_id() -> int:
    return int(current_user.id)


def revision_from_form() -> int:
    revision = parse_int(request.form.get("revision"))
    if revision is None:
        raise AuthoringError("bad_request")
    return revision


# --- courses ---------------------------------------------------------------------------------


@bp.route("/")
def index() -> tuple[str, int]:
    return _render_index()


def _render_index(*, error: str | None = None, diagnostics: list[dict[str, Any]] | None = None,
                  new_course: dict[str, str] | None = None, new_course_error: str | None = None,
                  status: int = 200) -> tuple[str, int]:
    session = get_session()
    versions = authoring.list_versions(session)
    open_drafts = {d.course_id: d for d in authoring.list_drafts(session)}
    courses: dict[str, dict[str, Any]] = {}
    for version in versions:  # newest first within each course
        entry = courses.setdefault(version.course_id, {"course_id": version.course_id,
                                                       "title": version.title, "versions": []})
        entry["versions"].append(version)
    for course_id, draft in open_drafts.items():
        courses.setdefault(course_id, {"course_id": course_id, "title": "", "versions": []})
        courses[course_id]["draft"] = draft
    rows = sorted(courses.values(), key=lambda c: (c["title"] or c["course_id"]).casefold())
    return render_template(
        "trainer/index.html", courses=rows, error=error, diagnostics=diagnostics or [],
        new_course=new_course or {}, new_course_error=new_course_error,
        zip_megabytes=f"{zip_limits().max_archive_bytes / (1024 * 1024):g}"), status


@bp.route("/courses/<course_id>")
def course_page(course_id: str) -> str:
    session = get_session()
    versions = authoring.list_versions(session, course_id)
    draft = authoring.find_draft(session, course_id)
    if not versions and draft is None:
        abort(404)
    from lernmodul.services.packages import FORMAT_NAMES

    return render_template("trainer/course.html", course_id=course_id, versions=versions,
                           draft=draft, title=versions[0].title if versions else course_id,
                           package_formats=FORMAT_NAMES)


@bp.post("/courses/<course_id>/draft")
def open_draft(course_id: str) -> Response | tuple[str, int]:
    try:
        draft, created = authoring.open_draft(get_session(), course_id, actor_id=actor_id(),
                                              now=utcnow())
    except AuthoringError as error:
        return render_error(status_for(error), message_for(error))
    if created:
        flash(_("A draft has been created from the newest version."), "success")
    return redirect(url_for("trainer.edit_draft", draft_id=draft.id), 303)


@bp.post("/courses")
def create_course() -> Response | tuple[str, int]:
    course_id = request.form.get("course_id", "")[:200]
    title = request.form.get("title", "")[:1000]
    try:
        draft = authoring.create_course(get_session(), course_id, title, actor_id=actor_id(),
                                        now=utcnow())
    except AuthoringError as error:
        return _render_index(new_course={"course_id": course_id, "title": title},
                             new_course_error=message_for(error), status=status_for(error))
    flash(_("The course “%(title)s” has been created as a draft.", title=title.strip()),
          "success")
    return redirect(url_for("trainer.edit_draft", draft_id=draft.id), 303)


@bp.post("/upload")
def upload_zip() -> Response | tuple[str, int]:
    upload = request.files.get("archive")
    if upload is None or not upload.filename:
        return _render_index(error=str(MESSAGES["no_upload"]), status=400)
    limits = zip_limits()
    data = upload.read(limits.max_archive_bytes + 1)
    publish = request.form.get("mode") == "publish"
    try:
        outcome = authoring.import_zip(get_session(), data, publish=publish,
                                       actor_id=actor_id(), now=utcnow(), limits=limits)
    except (AuthoringError, UploadError) as error:
        rows = diagnostic_rows(error.diagnostics) if isinstance(error, AuthoringError) else []
        status = 413 if error.code == "zip_too_large" else status_for(error)
        return _render_index(error=message_for(error), diagnostics=rows, status=status)
    if outcome.version is not None:
        flash(_("Version %(version)s of “%(title)s” has been published.",
                version=outcome.version.version, title=outcome.version.title), "success")
        return redirect(url_for("trainer.course_page", course_id=outcome.course_id), 303)
    assert outcome.draft is not None
    flash(_("The zip file has been opened as a draft."), "success")
    return redirect(url_for("trainer.edit_draft", draft_id=outcome.draft.id), 303)


@bp.route("/versions/<int:version_id>/download")
def download_version(version_id: int) -> Response:
    session = get_session()
    version = session.get(CourseVersion, version_id)
    if version is None:
        abort(404)
    data = authoring.export_version_zip(session, version)
    record_audit(action=authoring.DOWNLOAD_ACTION, actor_id=actor_id(),
                 **authoring.download_detail(version))
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", f"{version.course_id}-{version.version}")
    response = Response(data, mimetype="application/zip")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}.zip"'
    return response


# the editor's routes, registered on `bp` when imported
from lernmodul.web.trainer import drafts, packages  # noqa: E402, F401
