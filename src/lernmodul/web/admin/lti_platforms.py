"""Registered LTI 1.3 platforms: list, add, edit; the values to enter at the platform."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from lernmodul.db.lti import LtiPlatform
from lernmodul.db.models import utcnow
from lernmodul.lti.context import ContextMappingError, format_context_units, parse_context_units
from lernmodul.lti.platforms import (
    PlatformError,
    PlatformValues,
    create_registration_secret,
    parse_deployments,
    save_platform,
)
from lernmodul.web.admin.forms import LtiPlatformForm, RegistrationLinkForm
from lernmodul.web.admin.views import bp
from lernmodul.web.database import get_session

MESSAGES = {
    "required": _l("This value is required."),
    "not_https": _l("Enter a complete https:// address."),
    "too_many": _l("At most 50 deployment IDs of at most 255 characters each."),
    "taken": _l("This client ID of this issuer is registered already."),
}
CONTEXT_MESSAGES = {
    "bad_line": _l("Line %(line)d: write “context ID = unit”, e.g. “42 = Stadt Lindenau / Bürgeramt”."),
    "unknown_unit": _l("Line %(line)d: there is no such org unit. Create it under Org units first."),
    "duplicate": _l("Line %(line)d: this context ID is listed already."),
    "too_many": _l("At most 500 lines."),
}


def tool_values() -> dict[str, str]:
    """What the platform's administrator enters for lernmodul (ILIAS and Moodle name them so):
    the launch URL is the tool URL, the redirection URI and the deep-linking URL at once."""
    return {
        "tool_url": url_for("lti.launch", _external=True),
        "login_url": url_for("lti.login", _external=True),
        "launch_url": url_for("lti.launch", _external=True),
        "deep_linking_url": url_for("lti.launch", _external=True),
        "jwks_url": url_for("lti.jwks", _external=True),
        "domain": urlsplit(url_for("lti.launch", _external=True)).netloc,
    }


def _platform(platform_id: int) -> LtiPlatform:
    platform = get_session().get(LtiPlatform, platform_id)
    if platform is None:
        abort(404)
    return platform


def _list(registration_link: str | None = None) -> str:
    platforms = list(get_session().scalars(select(LtiPlatform).order_by(LtiPlatform.name, LtiPlatform.id)))
    return render_template("admin/lti_platforms.html", platforms=platforms, tool=tool_values(),
                           registration_link=registration_link, link_form=RegistrationLinkForm())


@bp.route("/lti")
def lti_platforms() -> str:
    return _list()


@bp.post("/lti/registration-link")
def lti_registration_link() -> str | tuple[str, int]:
    """A one-time link for LTI Dynamic Registration, shown once (stored only as a hash)."""
    if not RegistrationLinkForm().validate_on_submit():
        return _list(), 400
    secret = create_registration_secret(get_session(), actor_id=current_user.id, now=utcnow())
    return _list(url_for("lti.register", link=secret, _external=True))


@bp.route("/lti/new", methods=["GET", "POST"])
def lti_platform_new() -> Response | tuple[str, int]:
    return _edit(None, LtiPlatformForm())


@bp.route("/lti/<int:platform_id>", methods=["GET", "POST"])
def lti_platform(platform_id: int) -> Response | tuple[str, int]:
    platform = _platform(platform_id)
    form = LtiPlatformForm(obj=platform)
    if not form.is_submitted():
        form.deployment_ids.data = platform.deployment_ids
        form.context_units.data = format_context_units(get_session(), platform)
    return _edit(platform, form)


def _edit(platform: LtiPlatform | None, form: LtiPlatformForm) -> Response | tuple[str, int]:
    if form.is_submitted():
        if form.validate():
            try:
                context_units = parse_context_units(get_session(), form.context_units.data or "")
            except ContextMappingError as error:
                form.context_units.errors = [str(CONTEXT_MESSAGES[error.code]) % {"line": error.line}]
                return _page(platform, form, 400)
            try:
                values = PlatformValues(
                    name=form.name.data or "", issuer=form.issuer.data or "",
                    client_id=form.client_id.data or "",
                    deployment_ids=parse_deployments(form.deployment_ids.data or ""),
                    auth_login_url=form.auth_login_url.data or "", token_url=form.token_url.data or "",
                    jwks_url=form.jwks_url.data or "", trust_instructors=bool(form.trust_instructors.data),
                    context_units=context_units)
                saved = save_platform(get_session(), values, now=utcnow(), actor_id=current_user.id,
                                      platform=platform)
            except PlatformError as error:
                getattr(form, error.field).errors = [str(MESSAGES[error.code])]
            else:
                flash(_("The platform “%(name)s” has been saved.", name=saved.name), "success")
                return redirect(url_for("admin.lti_platforms"), 303)
        return _page(platform, form, 400)
    return _page(platform, form, 200)


def _page(platform: LtiPlatform | None, form: LtiPlatformForm, status: int) -> tuple[str, int]:
    return render_template("admin/lti_platform.html", form=form, platform=platform,
                           tool=tool_values()), status
