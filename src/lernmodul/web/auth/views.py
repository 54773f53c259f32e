"""Views of the auth area: /login, /logout, /password."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from werkzeug.wrappers import Response

from lernmodul.db.models import User, utcnow
from lernmodul.identity.ldap import DirectoryError
from lernmodul.identity.ldap.login import (
    DirectoryLogin,
    DirectoryLoginResult,
    authenticate_with_directory,
)
from lernmodul.services import accounts
from lernmodul.services.login_throttle import ThrottleReason
from lernmodul.services.passwords import PasswordProblem
from lernmodul.web.access import login_required_any, public
from lernmodul.web.auth import auth_settings
from lernmodul.web.auth.forms import LoginForm, PasswordChangeForm
from lernmodul.web.database import get_session
from lernmodul.web.identity import oidc_display_name, provider_logout_url
from lernmodul.web.navigation import home_url, safe_next_url
from lernmodul.web.security_log import log_security_event
from lernmodul.web.sessions import SINGLE_LOGOUT, end_session, single_logout_location, start_session

bp = Blueprint("auth", __name__)


def password_problem_message(problem: PasswordProblem) -> str:
    messages = {
        PasswordProblem.TOO_SHORT: _("Use at least 12 characters."),
        PasswordProblem.TOO_LONG: _("Use at most 128 characters."),
        PasswordProblem.COMMON: _(
            "This password is too common or too easy to guess. Choose a different one."
        ),
        PasswordProblem.CONTAINS_PERSONAL_DATA: _(
            "The password must not contain your name or e-mail address."
        ),
    }
    return messages[problem]


def throttled_message(reason: ThrottleReason, seconds: int) -> str:
    """Why signing in is refused now, and for how long."""
    minutes = max(1, (seconds + 59) // 60)
    if reason is ThrottleReason.BLOCKED:
        return ngettext(
            "After too many failed sign-in attempts this account is blocked for %(num)s "
            "hour. An administrator can lift the block sooner.",
            "After too many failed sign-in attempts this account is blocked for %(num)s "
            "hours. An administrator can lift the block sooner.",
            max(1, (seconds + 3599) // 3600),
        )
    if reason is ThrottleReason.DELAY and seconds < 120:
        return ngettext(
            "There have been many failed sign-in attempts for this account. For its "
            "protection, please wait %(num)s second before trying again.",
            "There have been many failed sign-in attempts for this account. For its "
            "protection, please wait %(num)s seconds before trying again.",
            seconds,
        )
    if reason is ThrottleReason.DELAY:
        return ngettext(
            "There have been many failed sign-in attempts for this account. For its "
            "protection, please wait %(num)s minute before trying again.",
            "There have been many failed sign-in attempts for this account. For its "
            "protection, please wait %(num)s minutes before trying again.",
            minutes,
        )
    return _(
        "Too many failed sign-in attempts. For your protection, signing in is blocked "
        "for %(minutes)s minutes. Please try again later.",
        minutes=minutes,
    )


def password_sign_in_allowed(login: str) -> bool:
    """Whether `login` may sign in with a password: always with LOCAL_PASSWORDS, else only the
    emergency accounts of BREAK_GLASS_ACCOUNTS (named by e-mail address)."""
    if current_app.config.get("LOCAL_PASSWORDS", True):
        return True
    return login.strip().lower() in current_app.config.get("BREAK_GLASS_ACCOUNTS", ())


def _login_page(form: LoginForm, error: str | None, target: str | None) -> str:
    local = bool(current_app.config.get("LOCAL_PASSWORDS", True))
    show_password_form = local or bool(request.args.get("emergency")) or form.is_submitted()
    return render_template("auth/login.html", form=form, error=error, next_url=target,
                           oidc_name=oidc_display_name(), local_passwords=local,
                           show_password_form=show_password_form)


@bp.route("/login", methods=["GET", "POST"])
@public
def login() -> Response | str | tuple[str, int, dict[str, str]] | tuple[str, int]:
    target = safe_next_url(request.args.get("next"))
    if current_user.is_authenticated:
        return redirect(target or home_url(current_user))
    form = LoginForm()
    error = None
    if form.validate_on_submit() and not password_sign_in_allowed(form.login.data or ""):
        log_security_event("login.password_disabled", login=form.login.data)
        error = _("Signing in with a password is switched off. Please use the sign-in of your "
                  "organisation.")
        return _login_page(form, error, target), 403
    if form.validate_on_submit():
        settings = auth_settings()
        directory_result = None
        if settings.directory is not None:
            try:
                directory_result = _directory_login(form.login.data or "", form.password.data or "")
            except DirectoryError as failure:
                log_security_event("login.directory_unavailable", reason=str(failure))
                error = _("The directory cannot be reached right now. Please try again later.")
                return _login_page(form, error, target), 503, {}
            if directory_result is not None and directory_result.outcome is DirectoryLogin.REFUSED:
                log_security_event("login.refused", login=form.login.data,
                                   reason=directory_result.code)
                error = _("Your directory account cannot be used here yet. Please contact the "
                          "administration of the learning platform.")
                return _login_page(form, error, target), 403, {}
            if directory_result is not None and directory_result.outcome in _DIRECTORY_REFUSALS:
                log_security_event("login.refused", login=form.login.data,
                                   reason=directory_result.outcome.value)
                error = _DIRECTORY_REFUSALS[directory_result.outcome]()
                get_session().commit()  # the failure counts (throttle, audit) despite the 403
                return _login_page(form, error, target), 403, {}
        result = _as_login_result(directory_result) if directory_result else accounts.authenticate(
            get_session(),
            hasher=settings.hasher,
            login=form.login.data or "",
            password=form.password.data or "",
            ip=request.remote_addr,
            now=utcnow(),
            limits=settings.limits,
            allow_demo=current_app.config["ENV"] == "development",
        )
        if result.outcome is accounts.LoginOutcome.THROTTLED:
            log_security_event("login.throttled", login=form.login.data,
                               reason=result.throttle_reason.value)
            error = throttled_message(result.throttle_reason, result.retry_after_seconds)
            return _login_page(form, error, target), 429, {"Retry-After": str(result.retry_after_seconds)}
        if result.outcome is accounts.LoginOutcome.INVALID:
            log_security_event("login.failure", login=form.login.data)
            error = _("The e-mail address, personnel number or password is not correct.")
        else:
            user = result.user
            assert user is not None
            start_session(user)
            log_security_event("login.success", user_id=user.id)
            return redirect(target or home_url(user))
    return _login_page(form, error, target)


_DIRECTORY_REFUSALS = {  # the directory password was right, the directory refuses the person
    DirectoryLogin.DISABLED: lambda: _("Your account is disabled in the directory. Please contact "
                                       "your IT department."),
    DirectoryLogin.PASSWORD_EXPIRED: lambda: _("Your directory password has expired or must be "
                                               "changed. Please change it first, for example when "
                                               "signing in at your workplace."),
}


def _directory_login(login: str, password: str) -> DirectoryLoginResult | None:
    """The directory's answer (LDAP_BIND_LOGIN), None when it does not know the login."""
    settings = auth_settings()
    assert settings.directory is not None
    return authenticate_with_directory(get_session(), settings.directory, login=login,
                                       password=password, ip=request.remote_addr, now=utcnow(),
                                       limits=settings.limits)


def _as_login_result(result: DirectoryLoginResult) -> accounts.LoginResult:
    outcomes = {DirectoryLogin.OK: accounts.LoginOutcome.OK,
                DirectoryLogin.THROTTLED: accounts.LoginOutcome.THROTTLED}
    return accounts.LoginResult(outcomes.get(result.outcome, accounts.LoginOutcome.INVALID),
                                user=result.user, retry_after_seconds=result.retry_after_seconds)


@bp.route("/logout", methods=["POST"])
@login_required_any
def logout() -> Response:
    user: User = current_user._get_current_object()  # type: ignore[attr-defined]
    provider_url = provider_logout_url()  # from this session, before it ends
    accounts.log_out(get_session(), user, now=utcnow())
    log_security_event("logout", user_id=user.id)
    handoff = session.get(SINGLE_LOGOUT)
    end_session()  # this site's session ends first, whatever the provider does
    flash(_("You have been signed out."), "info")
    return redirect(provider_url or single_logout_location(handoff) or url_for("auth.login"))


@bp.route("/password", methods=["GET", "POST"])
@login_required_any
def change_password() -> Response | str | tuple[str, int, dict[str, str]]:
    form = PasswordChangeForm()
    user: User = current_user._get_current_object()  # type: ignore[attr-defined]
    if form.validate_on_submit():
        settings = auth_settings()
        try:
            accounts.change_password(
                get_session(),
                hasher=settings.hasher,
                user=user,
                current_password=form.current_password.data or "",
                new_password=form.new_password.data or "",
                now=utcnow(),
                limits=settings.limits,
            )
        except accounts.PasswordChangeThrottled as blocked:
            log_security_event("password.throttled", user_id=user.id)
            minutes = max(1, (blocked.retry_after_seconds + 59) // 60)
            form.current_password.errors = [_(
                "Too many wrong entries of the current password. For your protection, "
                "changing the password is blocked for %(minutes)s minutes.", minutes=minutes)]
            html = render_template("auth/password.html", form=form)
            return html, 429, {"Retry-After": str(blocked.retry_after_seconds)}
        except accounts.AccountError as error:
            if error.code == "wrong_password":
                log_security_event("password.failure", user_id=user.id)
                form.current_password.errors = [_("The current password is not correct.")]
            elif error.code == "same_password":
                form.new_password.errors = [_("The new password must differ from the current one.")]
            else:
                form.new_password.errors = [password_problem_message(p) for p in error.problems]
        else:
            log_security_event("password.changed", user_id=user.id)
            start_session(user)  # this browser stays signed in; every other session ends
            flash(_("Your password has been changed. Other sessions have been signed out."), "info")
            return redirect(home_url(user))
    return render_template("auth/password.html", form=form)
