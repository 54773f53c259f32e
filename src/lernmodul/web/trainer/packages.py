"""Trainer view: a published version as a SCORM 1.2, SCORM 2004 or cmi5 package.

A read (GET, like the source zip download); the download is recorded in the audit log."""

from __future__ import annotations

from flask import abort, request
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from lernmodul.db.models import CourseVersion
from lernmodul.packages import FORMATS
from lernmodul.services import packages
from lernmodul.services.courses import CourseError
from lernmodul.web.database import get_session, record_audit
from lernmodul.web.security import render_error
from lernmodul.web.trainer.views import actor_id, bp


@bp.route("/versions/<int:version_id>/package")
def download_package(version_id: int) -> Response | tuple[str, int]:
    package_format = request.args.get("format", "")
    if package_format not in FORMATS:
        return render_error(400, _("Choose one of the package formats."))
    session = get_session()
    version = session.get(CourseVersion, version_id)
    if version is None:
        abort(404)
    try:
        data = packages.package_version(session, version, package_format)
    except CourseError:
        return render_error(409, _("This version cannot be compiled any more, so it cannot "
                                   "be packaged."))
    record_audit(action=packages.PACKAGE_ACTION, actor_id=actor_id(),
                 **packages.package_detail(version, package_format))
    response = Response(data, mimetype="application/zip")
    name = packages.file_name(version.course_id, version.version, package_format)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
