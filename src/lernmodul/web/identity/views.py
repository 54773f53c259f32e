"""/oidc/login sends the browser to the provider, /oidc/callback signs it in from the answer.

Both are public (the sign-in itself). The pending sign-in (state, nonce, PKCE verifier) lives
in this browser's session and is taken out on the first answer, so an answer counts once. The
callback is a GET (the provider redirects the browser), so the account is written in a write
transaction of its own: one per sign-in, committed only when everything was accepted.
"""

from __future__ import annotations

import time
from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from lernmodul.db.engine import session_scope
from lernmodul.db.models import utcnow
from lernmodul.identity import ClaimMapping, IdentityError, map_claims, sign_in
from lernmodul.identity.oidc import OidcClient, OidcError, OidcSettings, PendingSignIn
from lernmodul.web.access import public
from lernmodul.web.config import public_base_url
from lernmodul.web.database import get_database
from lernmodul.web.navigation import home_url, safe_next_url
from lernmodul.web.security_log import log_security_event
from lernmodul.web.sessions import start_session

bp = Blueprint("identity", __name__)

EXTENSION_KEY = "lernmodul.oidc"
PENDING = "oidc_pending"
PENDING_NEXT = "oidc_next"
# session keys (not secrets)
ID_TOKEN = "oidc_id_token"  # noqa: S105  # nosec B105
SIGNED_IN = "oidc_signed_in"
# The ID token rides in the signed session cookie for the logout hint; a larger one is left
# out (the provider's logout then works from the client id alone).
MAX_ID_TOKEN_IN_COOKIE = 2000
ACCOUNT_ERRORS = frozenset({"email_taken", "account_disabled", "no_account", "already_linked",
                            "personnel_number_conflict"})


def oidc_client() -> OidcClient | None:
    """The app's client for the configured provider, or None when OIDC is not configured."""
    base = public_base_url(current_app.config)
    if not current_app.config.get("OIDC_ISSUER") or base is None:
        return None
    settings = OidcSettings.from_settings(current_app.config, base + url_for("identity.oidc_callback"))
    if settings is None:
        return None
    clients: dict[OidcSettings, OidcClient] = current_app.extensions.setdefault(EXTENSION_KEY, {})
    if settings not in clients:
        clients[settings] = OidcClient(settings)
    return clients[settings]


def oidc_display_name() -> str | None:
    """"Stadtverwaltung Lindenau" (OIDC_DISPLAY_NAME, else the issuer's host), or None."""
    issuer = current_app.config.get("OIDC_ISSUER")
    if not issuer or public_base_url(current_app.config) is None:
        return None
    return str(current_app.config.get("OIDC_DISPLAY_NAME") or urlsplit(str(issuer)).hostname or issuer)


def provider_logout_url() -> str | None:
    """Where the browser ends its session at the provider after signing out here, or None
    (not signed in through the provider). Read it before this site's session is ended."""
    client = oidc_client()
    base = public_base_url(current_app.config)
    if client is None or base is None or session.get(SIGNED_IN) is not True:
        return None
    id_token = session.get(ID_TOKEN)
    hint = id_token if isinstance(id_token, str) else None
    try:
        return client.logout_url(id_token_hint=hint, post_logout_redirect_uri=base + url_for("auth.login"))
    except OidcError as error:
        log_security_event("oidc.logout_unavailable", detail=error.detail)
        return None


@bp.route("/oidc/login", methods=["POST"])
@public
def oidc_login() -> Response | tuple[str, int]:
    client = oidc_client()
    if client is None:
        abort(404)
    if current_user.is_authenticated:
        return redirect(home_url(current_user))
    try:
        url, pending = client.begin(now=int(time.time()))
    except OidcError as error:
        return _refuse(error.code, error.detail)
    session[PENDING] = pending.to_dict()
    target = safe_next_url(request.form.get("next"))
    if target:
        session[PENDING_NEXT] = target
    else:
        session.pop(PENDING_NEXT, None)
    return redirect(url, 303)


@bp.route("/oidc/callback")
@public
def oidc_callback() -> Response | tuple[str, int]:
    client = oidc_client()
    if client is None:
        abort(404)
    pending = PendingSignIn.from_dict(session.pop(PENDING, None))  # single use, whatever follows
    target = safe_next_url(session.pop(PENDING_NEXT, None))
    try:
        signed_in = client.finish(request.args, pending, now=int(time.time()))
        mapping = ClaimMapping.from_settings(current_app.config, "OIDC")
        identity = map_claims(signed_in.claims, mapping, kind="oidc", issuer=client.settings.issuer,
                              subject=str(signed_in.claims["sub"]))
        with session_scope(get_database().sessions) as db:
            result = sign_in(db, identity, now=utcnow(),
                             create_accounts=bool(current_app.config.get("OIDC_CREATE_ACCOUNTS", True)))
            user = result.user
            destination = target or home_url(user)
    except OidcError as error:
        return _refuse(error.code, error.detail)
    except IdentityError as error:
        return _refuse(error.code, error.detail)
    start_session(user)
    session[SIGNED_IN] = True
    if len(signed_in.id_token) <= MAX_ID_TOKEN_IN_COOKIE:
        session[ID_TOKEN] = signed_in.id_token
    log_security_event("login.success", user_id=user.id, method="oidc", created=result.created)
    return redirect(destination)


def _refuse(code: str, detail: str) -> tuple[str, int]:
    """The error page for a refused sign-in; nothing was written."""
    log_security_event("oidc.refused", code=code, detail=detail)
    name = oidc_display_name() or ""
    status = 403 if code in ACCOUNT_ERRORS else 502 if code == "provider_unavailable" else 400
    return render_template("identity/error.html", message=_message(code, name), code=code), status


def _message(code: str, name: str) -> str:
    if code == "provider_error":
        return _("The sign-in at %(name)s was cancelled or refused. You have not been signed in.",
                 name=name)
    if code == "state":
        return _("This sign-in has expired or was already used. Please start the sign-in again.")
    if code in {"id_token", "issuer", "token_request", "userinfo"}:
        return _("The answer from %(name)s could not be verified, so for your protection you have "
                 "not been signed in. Please try again; if this happens again, tell your "
                 "administrator.", name=name)
    if code == "provider_unavailable":
        return _("%(name)s cannot be reached at the moment. Please try again later.", name=name)
    if code == "email_taken":
        return _("An account with your e-mail address exists here, but it is not linked to your "
                 "account at %(name)s. Please ask your administrator to link the two.", name=name)
    if code == "account_disabled":
        return _("Your account has been deactivated. Please contact your administrator.")
    if code == "no_account":
        return _("There is no account for you here yet, and accounts are not created "
                 "automatically. Please contact your administrator.")
    return _("Your details from %(name)s do not fit the account here. Please contact your "
             "administrator (reason: %(code)s).", name=name, code=code)
