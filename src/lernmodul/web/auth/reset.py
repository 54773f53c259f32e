"""Self-service password reset (only with LOCAL_PASSWORDS): /password/forgot asks for the
e-mail address and always gives the same answer; the e-mailed link /password/reset/<token>
sets a new password once."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from lernmodul.db.models import utcnow
from lernmodul.services import accounts
from lernmodul.services import password_reset as service
from lernmodul.services.user_admin import is_valid_email
from lernmodul.web.access import public
from lernmodul.web.auth import auth_settings
from lernmodul.web.auth.forms import ForgotPasswordForm, ResetPasswordForm
from lernmodul.web.auth.reset_mail import (
    PLACEHOLDER_ADDRESS,
    find_mail_setup,
    render_reset_mail,
    sender_of,
)
from lernmodul.web.auth.views import password_problem_message
from lernmodul.web.database import get_session
from lernmodul.web.security_log import log_security_event

bp = Blueprint("password_reset", __name__)

Page = Response | str | tuple[str, int] | tuple[str, int, dict[str, str]]


@bp.before_request
def _only_with_local_passwords() -> None:
    if not current_app.config["LOCAL_PASSWORDS"]:
        abort(404)


def _limits() -> service.ResetLimits:
    config = current_app.config
    return service.ResetLimits(
        per_address=config["PASSWORD_RESET_MAX_PER_ADDRESS"],
        per_account=config["PASSWORD_RESET_MAX_PER_ACCOUNT"],
        per_ip=config["PASSWORD_RESET_MAX_PER_IP"],
        window=timedelta(minutes=config["PASSWORD_RESET_THROTTLE_MINUTES"]),
    )


def _allow_demo() -> bool:
    return bool(current_app.config["ENV"] == "development")


def _mail_locale(saved: str | None) -> str:
    """The account's saved language, else the language of the page the form was sent from."""
    if saved in current_app.config["LANGUAGES"]:
        return str(saved)
    return str(get_locale() or current_app.config["BABEL_DEFAULT_LOCALE"])


@bp.route("/password/forgot", methods=["GET", "POST"])
@public
def request_reset() -> Page:
    form = ForgotPasswordForm()
    if not form.validate_on_submit():
        return render_template("auth/forgot_password.html", form=form)
    email = (form.email.data or "").strip()
    if not is_valid_email(accounts.normalise_email(email)):
        form.email.errors = [_("Enter an e-mail address such as name@example.org.")]
        return render_template("auth/forgot_password.html", form=form)
    minutes = current_app.config["PASSWORD_RESET_TOKEN_MINUTES"]
    result = service.request_reset(
        get_session(), email=email, ip=request.remote_addr, now=utcnow(),
        lifetime=timedelta(minutes=minutes), limits=_limits(), allow_demo=_allow_demo())
    if result.outcome is service.RequestOutcome.THROTTLED:
        log_security_event("password_reset.throttled")
        wait = max(1, (result.retry_after_seconds + 59) // 60)
        form.email.errors = [_(
            "Too many requests for a new password. For your protection, please wait "
            "%(minutes)s minutes before you try again.", minutes=wait)]
        html = render_template("auth/forgot_password.html", form=form)
        return html, 429, {"Retry-After": str(result.retry_after_seconds)}
    # The message is rendered for every request (the same work, known address or not) and
    # handed over only after the response has gone out.
    setup = find_mail_setup(current_app)
    user = result.user
    sent = result.outcome is service.RequestOutcome.SENT and user is not None
    message = None
    if setup is not None:
        message = render_reset_mail(
            current_app, setup, name=user.name if sent and user else "",
            address=user.email if sent and user else PLACEHOLDER_ADDRESS,
            token=result.token if sent and result.token else service.new_token(),
            locale=_mail_locale(user.locale if sent and user else None), minutes=minutes)
    html = render_template("auth/forgot_password_sent.html", minutes=minutes)
    response = current_app.make_response(html)
    if sent and user is not None:
        log_security_event("password_reset.requested", user_id=user.id)
        if setup is not None and message is not None:
            response.call_on_close(sender_of(setup, message, user.id))
    return response


def _refused(problem: service.TokenProblem) -> tuple[str, int]:
    messages = {
        service.TokenProblem.INVALID: _(
            "This link is not valid. Check that you opened the whole link from the e-mail, "
            "or request a new one."),
        service.TokenProblem.EXPIRED: _(
            "This link has expired. Please request a new one."),
        service.TokenProblem.USED: _(
            "This link has already been used. Please request a new one if you still need it."),
    }
    log_security_event("password_reset.refused", reason=problem.value)
    status = 400 if problem is service.TokenProblem.INVALID else 410
    return render_template("auth/reset_link_refused.html", message=messages[problem]), status


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@public
def reset_password(token: str) -> Page:
    session = get_session()
    try:
        service.check_token(session, token, now=utcnow(), allow_demo=_allow_demo())
    except service.TokenRefused as refused:
        return _refused(refused.problem)
    form = ResetPasswordForm()
    if not form.validate_on_submit():
        return render_template("auth/reset_password.html", form=form)
    try:
        user = service.reset_password(
            session, hasher=auth_settings().hasher, token=token,
            new_password=form.new_password.data or "", now=utcnow(), ip=request.remote_addr,
            allow_demo=_allow_demo())
    except service.TokenRefused as refused:
        return _refused(refused.problem)
    except accounts.AccountError as error:
        form.new_password.errors = [password_problem_message(p) for p in error.problems]
        return render_template("auth/reset_password.html", form=form)
    log_security_event("password_reset.done", user_id=user.id)
    flash(_("Your password has been changed and all sessions of your account have been "
            "signed out. Please sign in with the new password."), "info")
    return redirect(url_for("auth.login"), 303)
