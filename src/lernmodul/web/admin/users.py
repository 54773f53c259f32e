"""User administration: list with search and paging, profile, roles, activity, password,
sign-in block."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from lernmodul.db.identities import ExternalIdentity
from lernmodul.db.models import AuditLog, User, utcnow
from lernmodul.services import login_throttle, user_admin
from lernmodul.services.accounts import AccountError
from lernmodul.services.login_throttle import ThrottleReason
from lernmodul.services.org_units import descendant_ids
from lernmodul.services.user_admin import ProfileChanges, UserAdminError
from lernmodul.web.admin.forms import ConfirmForm, PasswordForm, RolesForm, UserProfileForm
from lernmodul.web.admin.views import bp, role_label, unit_choices, unit_tree
from lernmodul.web.auth import auth_settings
from lernmodul.web.database import get_session
from lernmodul.web.request_values import parse_int

PER_PAGE = 50
MESSAGES = {
    "email_taken": _l("Another account uses this e-mail address already."),
    "email_invalid": _l("Enter a valid e-mail address, like name@example.org."),
    "name_required": _l("Enter the name."),
    "name_too_long": _l("The name is too long (at most 200 characters)."),
    "no_unit": _l("The chosen unit does not exist."),
    "extra_time_range": _l("Enter a whole number from 0 to 300."),
    "bad_role": _l("Unknown role."),
    "self_lockout": _l("You cannot take the admin role from yourself or deactivate your own "
                       "account. Ask another administrator."),
}
PASSWORD_PROBLEMS = {
    "too_short": _l("at least 12 characters"),
    "too_long": _l("at most 128 characters"),
    "common": _l("not a common or easily guessed password"),
    "personal": _l("not containing the name or e-mail address"),
}
STATUSES = ("all", "active", "inactive")


def _user(user_id: int) -> User:
    user = get_session().get(User, user_id)
    if user is None:
        abort(404)
    return user


def _int_arg(name: str, default: int) -> int:
    value = parse_int(request.args.get(name))
    return default if value is None else value


@bp.route("/users")
def users() -> tuple[str, int]:
    session = get_session()
    query = request.args.get("q", "")[:200]
    status = request.args.get("status", "all")
    status = status if status in STATUSES else "all"
    rows = unit_tree()
    unit_id = _int_arg("unit", 0) or None
    if unit_id is not None and unit_id not in {r.id for r in rows}:
        unit_id = None
    page = user_admin.list_users(
        session, query=query, status=status, page=_int_arg("page", 1), per_page=PER_PAGE,
        unit_ids=descendant_ids(session, [unit_id]) if unit_id is not None else None)
    paths = {r.id: r.path for r in rows}
    filters = {"q": query or None, "status": status if status != "all" else None,
               "unit": unit_id}
    return render_template(
        "admin/users.html", page=page, paths=paths, units=rows, query=query, status=status,
        unit_id=unit_id, filters={k: v for k, v in filters.items() if v}), 200


def _render_user(user: User, *, profile_form: UserProfileForm | None = None,
                 roles_form: RolesForm | None = None, password_form: PasswordForm | None = None,
                 status_error: str | None = None, status: int = 200) -> tuple[str, int]:
    session = get_session()
    rows = unit_tree()
    paths = {r.id: r.path for r in rows}
    if profile_form is None:
        profile_form = UserProfileForm(
            formdata=None, name=user.name, email=user.email, org_unit=user.org_unit_id or "",
            extra_time_percent=user.extra_time_percent)
    profile_form.org_unit.choices = unit_choices(rows, _("(no unit)"))
    roles_form = roles_form or RolesForm(formdata=None)
    _role_choices(roles_form, user, rows)
    events = list(session.scalars(
        select(AuditLog).where(AuditLog.target == f"user:{user.id}")
        .order_by(AuditLog.at.desc(), AuditLog.id.desc()).limit(20)))
    actor_ids = {e.actor_id for e in events if e.actor_id is not None}
    actors = dict(session.execute(select(User.id, User.name).where(User.id.in_(actor_ids))).all()) \
        if actor_ids else {}
    identities = list(session.scalars(select(ExternalIdentity).where(
        ExternalIdentity.user_id == user.id).order_by(ExternalIdentity.id)))
    failures, sign_in = login_throttle.account_failures(session, user.id, utcnow(),
                                                        auth_settings().limits)
    return render_template(
        "admin/user.html", user=user, paths=paths, profile_form=profile_form,
        failures=failures, sign_in_blocked=sign_in.reason is ThrottleReason.BLOCKED,
        roles_form=roles_form, password_form=password_form or PasswordForm(formdata=None),
        status_form=ConfirmForm(formdata=None), status_error=status_error, events=events,
        actors=actors, is_self=user.id == current_user.id, identities=identities), status


def _role_choices(form: RolesForm, user: User, rows: list) -> None:  # type: ignore[type-arg]
    paths = {r.id: r.path for r in rows}
    form.remove.choices = [
        SelectChoice(grant.id, _("%(role)s – %(scope)s", role=role_label(grant.role),
                     scope=paths.get(grant.org_unit_id, "") if grant.org_unit_id
                     else _("all units")))
        for grant in sorted(user.roles, key=lambda g: (g.role, g.id))
    ]
    form.add_role.choices = [SelectChoice("", _("(no new role)"))] + [
        SelectChoice(role, role_label(role)) for role in user_admin.ROLE_NAMES]
    form.add_scope.choices = unit_choices(rows, _("all units"))


@bp.route("/users/<int:user_id>")
def user(user_id: int) -> tuple[str, int]:
    return _render_user(_user(user_id))


@bp.post("/users/<int:user_id>")
def update_user(user_id: int) -> Response | tuple[str, int]:
    user = _user(user_id)
    form = UserProfileForm()
    form.org_unit.choices = unit_choices(unit_tree(), "")
    if not form.validate_on_submit():
        return _render_user(user, profile_form=form, status=400)
    changes = ProfileChanges(
        name=form.name.data or "", email=form.email.data or "", org_unit_id=form.org_unit.data,
        extra_time_percent=form.extra_time_percent.data or 0)
    try:
        changed = user_admin.update_profile(get_session(), user, changes, now=utcnow(),
                                            actor_id=current_user.id)
    except UserAdminError as error:
        field = {"email_taken": form.email, "email_invalid": form.email,
                 "no_unit": form.org_unit, "extra_time_range": form.extra_time_percent}.get(
                     error.code, form.name)
        field.errors = [str(MESSAGES[error.code])]
        return _render_user(user, profile_form=form, status=400)
    flash(_("The changes have been saved.") if changed else _("Nothing was changed."),
          "success")
    return redirect(url_for("admin.user", user_id=user.id), 303)


@bp.post("/users/<int:user_id>/roles")
def update_roles(user_id: int) -> Response | tuple[str, int]:
    user = _user(user_id)
    form = RolesForm()
    _role_choices(form, user, unit_tree())
    if not form.validate_on_submit():
        return _render_user(user, roles_form=form, status=400)
    removed = set(form.remove.data or [])
    grants = {(g.role, g.org_unit_id) for g in user.roles if g.id not in removed}
    if form.add_role.data:
        grants.add((form.add_role.data, form.add_scope.data))
    try:
        changed = user_admin.set_roles(get_session(), user, grants, now=utcnow(),
                                       actor_id=current_user.id)
    except UserAdminError as error:
        form.add_role.errors = [str(MESSAGES[error.code])]
        return _render_user(user, roles_form=form, status=400)
    flash(_("The roles have been saved.") if changed else _("Nothing was changed."), "success")
    return redirect(url_for("admin.user", user_id=user.id), 303)


@bp.post("/users/<int:user_id>/deactivate")
def deactivate_user(user_id: int) -> Response | tuple[str, int]:
    return _set_active(user_id, active=False)


@bp.post("/users/<int:user_id>/reactivate")
def reactivate_user(user_id: int) -> Response | tuple[str, int]:
    return _set_active(user_id, active=True)


def _set_active(user_id: int, *, active: bool) -> Response | tuple[str, int]:
    user = _user(user_id)
    if not ConfirmForm().validate_on_submit():
        return _render_user(user, status=400)
    try:
        if active:
            user_admin.reactivate(get_session(), user, now=utcnow(), actor_id=current_user.id)
        else:
            user_admin.deactivate(get_session(), user, now=utcnow(), actor_id=current_user.id)
    except UserAdminError as error:
        return _render_user(user, status_error=str(MESSAGES[error.code]), status=409)
    flash(_("The account is active again.") if active else
          _("The account has been deactivated; its sessions have ended."), "success")
    return redirect(url_for("admin.user", user_id=user.id), 303)


@bp.post("/users/<int:user_id>/password")
def set_password(user_id: int) -> Response | tuple[str, int]:
    user = _user(user_id)
    form = PasswordForm()
    if not form.validate_on_submit():
        return _render_user(user, password_form=form, status=400)
    try:
        user_admin.set_password_by_admin(
            get_session(), user, hasher=auth_settings(current_app).hasher,
            password=form.password.data or "", now=utcnow(), actor_id=current_user.id)
    except AccountError as error:
        form.password.errors = [_("The password must be: %(rules)s.", rules="; ".join(
            str(PASSWORD_PROBLEMS[p.value]) for p in error.problems))]
        return _render_user(user, password_form=form, status=400)
    flash(_("The password has been set. Tell the person in a safe way; their other sessions "
            "have ended."), "success")
    return redirect(url_for("admin.user", user_id=user.id), 303)


@bp.post("/users/<int:user_id>/unblock")
def unblock_user(user_id: int) -> Response | tuple[str, int]:
    user = _user(user_id)
    if not ConfirmForm().validate_on_submit():
        return _render_user(user, status=400)
    lifted = user_admin.lift_login_block(get_session(), user, now=utcnow(),
                                         actor_id=current_user.id)
    flash(_("The sign-in block has been lifted; failed attempts on this account count from "
            "zero again.") if lifted else _("Nothing was changed."), "success")
    return redirect(url_for("admin.user", user_id=user.id), 303)
