"""User import page: upload a CSV, see the dry run, confirm; the same service as the CLI.

The confirmation posts the file again (base64 in a hidden field), so the server keeps no
temporary files; the import then runs against the database as it is at that moment."""

from __future__ import annotations

import base64
import binascii

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.wrappers import Response

from lernmodul.db.models import utcnow
from lernmodul.services import user_import
from lernmodul.services.user_import import ImportFileError, ImportReport, LineProblem
from lernmodul.web.admin.forms import ImportConfirmForm, ImportUploadForm
from lernmodul.web.admin.views import bp, import_max_bytes
from lernmodul.web.database import get_session

SHOWN_ROWS = 200  # the preview lists this many changes and problems; the counts are complete
FIELD_LABELS = {
    "name": _l("name"),
    "email": _l("e-mail address"),
    "org_unit": _l("org unit"),
    "roles": _l("roles"),
    "hr_scope": _l("HR scope"),
}
FILE_ERRORS = {
    "empty": _l("The file is empty."),
    "binary": _l("This is not a CSV text file."),
    "encoding": _l("The file is neither UTF-8 nor Windows-1252 text. Save it as CSV (UTF-8)."),
}
PROBLEMS = {
    "no_rows": _l("The file has a header line but no data rows."),
    "unknown_column": _l("Unknown column “%(value)s”."),
    "duplicate_column": _l("The column “%(value)s” appears twice."),
    "missing_column": _l("The required column “%(value)s” is missing."),
    "too_many_fields": _l("More fields than columns in the header line."),
    "field_too_long": _l("A field is longer than %(value)s KiB: this is not a file of people."),
    "unreadable_line": _l("The line cannot be read as CSV."),
    "personnel_number_missing": _l("The personnel number is missing."),
    "personnel_number_too_long": _l("The personnel number is longer than 64 characters."),
    "personnel_number_duplicate": _l(
        "The personnel number %(value)s appears already on line %(other_line)s."),
    "name_missing": _l("The name is missing."),
    "name_too_long": _l("The name is longer than 200 characters."),
    "email_invalid": _l("“%(value)s” is not a valid e-mail address."),
    "email_duplicate": _l("The e-mail address %(value)s appears already on line %(other_line)s."),
    "email_taken": _l("The e-mail address %(value)s belongs to another person already."),
    "org_unit_invalid": _l("The org unit path “%(value)s” has an empty or too long part."),
    "org_unit_too_deep": _l("The org unit path has more than 12 levels."),
    "role_unknown": _l(
        "Unknown role “%(value)s” (allowed: learner, trainer, hr, admin)."),
    "self_lockout": _l("This would take the admin role from you."),
    "hr_scope_invalid": _l("The HR scope “%(value)s” is not valid: give org unit paths "
                           "separated by | or * for all units."),
    "hr_scope_unknown": _l("HR scope: the org unit “%(value)s” does not exist and is not "
                           "created by this file."),
    "hr_scope_without_hr": _l("An HR scope is given, but the person has no HR role."),
    "hr_scope_no_unit": _l("An HR role needs an org unit or an HR scope (column HR-Bereich); "
                           "* gives all units."),
}
COLUMN_NAMES = {
    "personnel_number": "Personalnummer",
    "name": "Name",
    "email": "E-Mail",
}


def problem_message(problem: LineProblem) -> str:
    value = COLUMN_NAMES.get(problem.value, problem.value) \
        if problem.code == "missing_column" else problem.value
    return str(PROBLEMS.get(problem.code, problem.code)) % {
        "value": value, "other_line": problem.other_line or ""}


def _render(upload_form: ImportUploadForm, *, report: ImportReport | None = None,
            confirm_form: ImportConfirmForm | None = None, file_name: str = "",
            status: int = 200) -> tuple[str, int]:
    return render_template(
        "admin/import.html", upload_form=upload_form, report=report, confirm_form=confirm_form,
        file_name=file_name, shown=SHOWN_ROWS, problem_message=problem_message,
        field_labels=FIELD_LABELS, max_megabytes=f"{import_max_bytes() / (1024 * 1024):g}"), status


@bp.route("/users/import")
def import_form() -> tuple[str, int]:
    return _render(ImportUploadForm(formdata=None))


def _run(data: bytes, *, dry_run: bool, deactivate_missing: bool) -> ImportReport:
    return user_import.import_users(
        get_session(), data, dry_run=dry_run, now=utcnow(),
        deactivate_missing=deactivate_missing, actor_id=current_user.id)


@bp.post("/users/import")
def import_users() -> tuple[str, int]:
    """Step 1: the dry run of the uploaded file, and a confirmation form carrying it."""
    form = ImportUploadForm()
    if not form.validate_on_submit():
        return _render(form, status=400)
    data = form.file.data.read(import_max_bytes() + 1)
    file_name = (form.file.data.filename or "")[:200]
    if len(data) > import_max_bytes():  # a body without Content-Length got this far
        return _render(form, status=413)
    deactivate_missing = bool(form.deactivate_missing.data)
    try:
        report = _run(data, dry_run=True, deactivate_missing=deactivate_missing)
    except ImportFileError as error:
        form.file.errors = [str(FILE_ERRORS[error.code])]
        return _render(form, status=400)
    confirm = None
    if report.is_ok and report.change_count:
        confirm = ImportConfirmForm(
            formdata=None, content=base64.b64encode(data).decode("ascii"), file_name=file_name,
            deactivate_missing="1" if deactivate_missing else "")
    return _render(ImportUploadForm(formdata=None, deactivate_missing=deactivate_missing),
                   report=report, confirm_form=confirm, file_name=file_name,
                   status=200 if report.is_ok else 400)


@bp.post("/users/import/confirm")
def confirm_import() -> Response | tuple[str, int]:
    """Step 2: the same file again, imported for real in this request's transaction."""
    form = ImportConfirmForm()
    upload_form = ImportUploadForm(formdata=None)
    try:
        data = base64.b64decode(form.content.data or "", validate=True)
    except (binascii.Error, ValueError):
        data = b""
    if not form.validate_on_submit() or not data:
        upload_form.file.errors = [_("The confirmation did not carry the file. Upload it again.")]
        return _render(upload_form, status=400)
    file_name = (form.file_name.data or "")[:200]
    try:
        report = _run(data, dry_run=False, deactivate_missing=form.deactivate_missing.data == "1")
    except ImportFileError as error:
        upload_form.file.errors = [str(FILE_ERRORS[error.code])]
        return _render(upload_form, status=400)
    if not report.is_ok:  # the database changed since the dry run
        return _render(upload_form, report=report, file_name=file_name, status=409)
    flash(_("Import of %(file)s finished: %(created)s created, %(updated)s updated, "
            "%(unchanged)s unchanged, %(deactivated)s deactivated, %(units)s org units created.",
            file=file_name or "CSV", created=report.created, updated=report.updated,
            unchanged=report.unchanged, deactivated=len(report.deactivated),
            units=len(report.units_created)), "success")
    if report.created:
        flash(_("New users have no password yet: they cannot sign in until an administrator "
                "sets one on their page. No e-mail has been sent."), "info")
    return redirect(url_for("admin.import_form"), 303)
