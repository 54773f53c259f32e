"""HR views: dashboard, person list and its exports (hr role), assignments (hr and admin),
the audit log (admin). Scope comes from `role_scope` on every request: a unit outside it
is answered with 403; every view of person-level data and every export is audit-logged."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from wtforms.fields.choices import SelectChoice

from lernmodul.db.models import AuditLog, Role, User, utcnow
from lernmodul.services import assignments as assignment_service
from lernmodul.services import exports, hr
from lernmodul.services.org_units import role_scope
from lernmodul.web.access import require_roles, roles_required
from lernmodul.web.database import get_session, record_audit
from lernmodul.web.hr.forms import AssignmentForm, DeleteForm
from lernmodul.web.report_database import get_report_session, report_sessions
from lernmodul.web.request_values import MAX_ID, parse_int
from lernmodul.web.security import render_error

bp = Blueprint("hr", __name__, url_prefix="/hr")
require_roles(bp, Role.HR.value)

AUDIT_PAGE_SIZE = 100
MAX_PAGE = 100_000

STATUS_LABELS = {
    hr.ASSIGNED: _l("assigned"),
    hr.IN_PROGRESS: _l("in progress"),
    hr.COMPLETED: _l("completed"),
    hr.OVERDUE: _l("overdue"),
    hr.REVOKED: _l("revoked – to be retaken"),
    hr.EXPIRING: _l("certificate expires soon"),
}
COLUMN_LABELS = {
    "name": _l("Name"),
    "org_unit": _l("Organisational unit"),
    "course": _l("Course"),
    "course_version": _l("Course version"),
    "status": _l("Status"),
    "due": _l("Due"),
    "completed": _l("Completed"),
    "expires": _l("Expires"),
}
ASSIGNMENT_ERRORS = {
    "out_of_scope": (403, None),
    "no_unit": (400, _l("This organisational unit does not exist.")),
    "no_course": (400, _l("This course does not exist.")),
    "one_due_rule": (400, _l("Give either a due date or a number of days.")),
    "due_days_range": (400, _l("The number of days is out of range.")),
    "due_in_past": (400, _l("The due date must lie in the future.")),
    "exists": (409, _l("This course is already assigned to this unit.")),
}


class BadQuery(Exception):
    """A query parameter that is not what the page offers (the edge answers 400)."""


def clock() -> hr.Clock:
    config = current_app.config
    return hr.Clock(now=utcnow(), timezone=ZoneInfo(config["BABEL_DEFAULT_TIMEZONE"]),
                    expiring_days=int(config.get("HR_EXPIRING_DAYS", hr.DEFAULT_EXPIRING_DAYS)))


def scope(role: str = Role.HR.value) -> set[int] | None:
    return role_scope(get_session(), current_user, role)


def _int_arg(name: str, minimum: int = 1, maximum: int = MAX_ID) -> int | None:
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    value = parse_int(raw, minimum=minimum, maximum=maximum)
    if value is None:
        raise BadQuery(name)
    return value


def person_filter() -> hr.PersonFilter:
    status = request.args.get("status", "").strip() or None
    if status is not None and status not in hr.FILTER_STATUSES:
        raise BadQuery("status")
    course = request.args.get("course", "").strip() or None
    if course is not None and len(course) > 100:
        raise BadQuery("course")
    return hr.PersonFilter(course_id=course, unit_id=_int_arg("unit"), status=status)


@bp.errorhandler(BadQuery)
def _bad_query(_error: BadQuery) -> tuple[str, int]:
    return render_error(400, _("The filter is not valid. Please choose from the form."))


@bp.errorhandler(hr.OutOfScope)
def _out_of_scope(_error: hr.OutOfScope) -> tuple[str, int]:
    return render_error(403)


def _choices(unit_scope: set[int] | None, session: Session | None = None) -> dict[str, Any]:
    """The units and courses to filter or assign by (from `session`, else the request's)."""
    session = session or get_session()
    paths = hr.unit_paths(hr.unit_tree(session))
    units = sorted(((uid, path) for uid, path in paths.items()
                    if unit_scope is None or uid in unit_scope), key=lambda p: p[1].casefold())
    courses = sorted(assignment_service.course_titles(session).items(),
                     key=lambda c: c[1].casefold())
    return {"unit_choices": units, "course_choices": courses}


@bp.route("/")
def index() -> str:
    unit_scope = scope()
    course = request.args.get("course", "").strip() or None
    board = hr.dashboard(get_report_session(), unit_scope, unit_id=_int_arg("unit"), course_id=course,
                         clock=clock(),
                         min_group_size=int(current_app.config.get(
                             "HR_MIN_GROUP_SIZE", hr.DEFAULT_MIN_GROUP_SIZE)))
    return render_template("hr/index.html", board=board, course=course,
                           min_group_size=current_app.config.get("HR_MIN_GROUP_SIZE",
                                                                 hr.DEFAULT_MIN_GROUP_SIZE),
                           expiring_days=clock().expiring_days,
                           **_choices(unit_scope, get_report_session()))


@bp.route("/people")
def people() -> str:
    unit_scope = scope()
    chosen = person_filter()
    page = _int_arg("page", maximum=MAX_PAGE) or 1
    result = hr.person_page(get_report_session(), unit_scope, chosen, clock(), page=page)
    record_audit(action="hr.view_people", actor_id=current_user.id,
                 target="people", detail={"filter": chosen.as_detail(), "page": page,
                                          "user_ids": result.user_ids})
    return render_template("hr/people.html", result=result, chosen=chosen,
                           columns=COLUMN_LABELS, status_labels=STATUS_LABELS,
                           statuses=hr.FILTER_STATUSES,
                           **_choices(unit_scope, get_report_session()))


def _export(kind: str) -> Response:
    session = get_session()
    unit_scope = scope()
    chosen = person_filter()
    timing = clock()
    hr.visible_units(session, unit_scope, chosen.unit_id)  # 403 before anything is sent
    record_audit(action="hr.export", at=timing.now, actor_id=current_user.id,
                 target=f"people.{kind}", detail={"filter": chosen.as_detail()})
    header = [str(COLUMN_LABELS[name]) for name in hr.PERSON_FIELDS]
    labels = {key: str(value) for key, value in STATUS_LABELS.items()}

    readers = report_sessions()

    def rows() -> Iterator[hr.PersonRow]:
        # Its own session, closed when the last row is sent (or the client goes away): the
        # request's session has committed and closed before the body streams.
        reader = readers()
        try:
            yield from hr.person_rows(reader, unit_scope, chosen, timing)
        finally:
            reader.rollback()
            reader.close()

    stamp = timing.now.astimezone(timing.timezone).strftime("%Y-%m-%d")
    if kind == "csv":
        body: Iterator[Any] = exports.csv_chunks(rows(), header, labels.__getitem__)
        mimetype = "text/csv"  # Flask adds "; charset=utf-8" to text types
    else:
        body = exports.xlsx_chunks(rows(), header, labels.__getitem__, sheet_name=_("People"))
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="people-{stamp}.{kind}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/people/export")
def export() -> Response:
    """The filtered person list as ?format=csv or ?format=xlsx."""
    kind = request.args.get("format", "")
    if kind not in ("csv", "xlsx"):
        raise BadQuery("format")
    return _export(kind)


# --- assignments (hr and admin) ------------------------------------------------------------


def _assignment_scope() -> set[int] | None:
    return None if current_user.has_role(Role.ADMIN.value) else scope()


def _assignment_form(unit_scope: set[int] | None) -> AssignmentForm:
    form = AssignmentForm()
    choices = _choices(unit_scope)
    form.course_id.choices = [SelectChoice("", _("Choose a course"))] + [
        SelectChoice(cid, title) for cid, title in choices["course_choices"]]
    # an empty placeholder: a required select's first option must have no value
    form.org_unit_id.choices = [SelectChoice("", _("Choose a unit"))] + [
        SelectChoice(uid, path) for uid, path in choices["unit_choices"]]
    return form


def _render_assignments(form: AssignmentForm, unit_scope: set[int] | None,
                        status: int = 200, message: str | None = None) -> tuple[str, int]:
    session = get_session()
    paths = hr.unit_paths(hr.unit_tree(session))
    titles = assignment_service.course_titles(session)
    rows = [(a, titles.get(a.course_id, a.course_id), paths.get(a.org_unit_id, ""))
            for a in assignment_service.list_assignments(session, unit_scope)]
    return render_template("hr/assignments.html", form=form, rows=rows, message=message,
                           delete_form=DeleteForm()), status


@bp.route("/assignments")
@roles_required(Role.HR.value, Role.ADMIN.value)
def assignments() -> tuple[str, int]:
    unit_scope = _assignment_scope()
    return _render_assignments(_assignment_form(unit_scope), unit_scope)


@bp.post("/assignments")
@roles_required(Role.HR.value, Role.ADMIN.value)
def create_assignment() -> Response | tuple[str, int]:
    unit_scope = _assignment_scope()
    form = _assignment_form(unit_scope)
    if not form.validate():
        return _render_assignments(form, unit_scope, 400)
    if unit_scope is not None and form.org_unit_id.data not in unit_scope:
        return render_error(403)
    session = get_session()
    timing = clock()
    due_at: datetime | None = None
    if form.rule.data == "date" and form.due_date.data is not None:
        due_at = assignment_service.end_of_day(form.due_date.data, timing.timezone)
    due_days = form.due_days.data if form.rule.data == "days" else None
    try:
        _assignment, outcome = assignment_service.create_assignment(
            session, course_id=form.course_id.data or "", org_unit_id=form.org_unit_id.data,
            scope=unit_scope, due_at=due_at, due_days=due_days, actor_id=current_user.id,
            now=timing.now)
    except assignment_service.AssignmentError as error:
        status, message = ASSIGNMENT_ERRORS.get(error.code, (400, None))
        if status == 403:
            return render_error(403)
        return _render_assignments(form, unit_scope, status, str(message) if message else None)
    flash(_("Course assigned; %(count)d people were enrolled.", count=outcome.enrolled))
    return redirect(url_for("hr.assignments"), 303)


@bp.post("/assignments/<int:assignment_id>/delete")
@roles_required(Role.HR.value, Role.ADMIN.value)
def delete_assignment(assignment_id: int) -> Response | tuple[str, int]:
    form = DeleteForm()
    if not form.validate():
        return render_error(400)
    session = get_session()
    try:
        assignment = assignment_service.get_assignment(session, assignment_id,
                                                       _assignment_scope())
    except LookupError:
        abort(404)
    assignment_service.delete_assignment(session, assignment, actor_id=current_user.id,
                                         now=utcnow())
    flash(_("The assignment was removed. Existing enrolments stay."))
    return redirect(url_for("hr.assignments"), 303)


# --- the audit log (admin) -----------------------------------------------------------------


@bp.route("/audit")
@roles_required(Role.ADMIN.value)
def audit() -> str:
    session = get_session()
    page = _int_arg("page", maximum=MAX_PAGE) or 1
    action = request.args.get("action", "").strip()[:64] or None
    query = select(AuditLog, User.name).outerjoin(User, User.id == AuditLog.actor_id)
    if action:
        query = query.where(AuditLog.action == action)
    rows = session.execute(query.order_by(AuditLog.id.desc()).limit(AUDIT_PAGE_SIZE + 1)
                           .offset((page - 1) * AUDIT_PAGE_SIZE)).all()
    actions = list(session.scalars(select(AuditLog.action).group_by(AuditLog.action)
                                   .order_by(func.min(AuditLog.action))))
    return render_template("hr/audit.html", rows=rows[:AUDIT_PAGE_SIZE], page=page,
                           has_next=len(rows) > AUDIT_PAGE_SIZE, action=action, actions=actions)

