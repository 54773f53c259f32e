"""Routes of SAML sign-in: /saml/metadata, /saml/login, /saml/acs, /saml/logout."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
)
from flask_babel import gettext as _
from flask_login import current_user
from itsdangerous import BadData, URLSafeTimedSerializer

from lernmodul.db.engine import session_scope
from lernmodul.db.models import User, utcnow
from lernmodul.identity import IdentityError, map_claims, sign_in
from lernmodul.identity.saml import SamlError, remember_message_ids
from lernmodul.services import accounts
from lernmodul.web.access import public
from lernmodul.web.database import get_database, get_session
from lernmodul.web.navigation import home_url, safe_next_url
from lernmodul.web.saml.setup import SamlState, saml_state
from lernmodul.web.security import request_id
from lernmodul.web.security_log import log_security_event
from lernmodul.web.sessions import SINGLE_LOGOUT, end_session, start_session

bp = Blueprint("saml", __name__, url_prefix="/saml")

REQUEST_COOKIE = "lernmodul_saml_request"
REQUEST_MAX_AGE_SECONDS = 15 * 60
LOGOUT_REQUEST = "saml_logout_request"
_SALT = "lernmodul.saml.request"
# account problems are the person's (403); everything about the message itself is 400
_ACCOUNT_CODES = {"account_disabled", "no_account", "email_taken", "already_linked",
                  "personnel_number_conflict"}


def _state() -> SamlState:
    state = saml_state()
    if state is None:
        abort(404)
    return state


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key or "", salt=_SALT)


def request_cookie_value(request_id_: str, next_url: str | None) -> str:
    """The signed cookie value that binds an AuthnRequest to this browser."""
    return str(_serializer().dumps({"id": request_id_, "next": next_url or ""}))


def _started_request() -> tuple[str | None, str | None]:
    raw = request.cookies.get(REQUEST_COOKIE)
    if not raw:
        return None, None
    try:
        data: Any = _serializer().loads(raw, max_age=REQUEST_MAX_AGE_SECONDS)
    except BadData:
        return None, None
    if not isinstance(data, dict):
        return None, None
    return str(data.get("id") or "") or None, safe_next_url(data.get("next"))


def _cookie_options() -> dict[str, Any]:
    # The IdP posts the response from its own site: a Lax cookie would not come along when
    # that site is another one, so over https the cookie is SameSite=None (it only carries
    # the signed id of the request this browser started).
    secure = bool(current_app.config.get("SESSION_COOKIE_SECURE"))
    return {"path": bp.url_prefix or "/saml", "httponly": True, "secure": secure,
            "samesite": "None" if secure else "Lax"}


def error_message(code: str) -> str:
    """What a refused sign-in tells the person."""
    messages = {
        "unsolicited": _("The sign-in took too long or was not started in this browser. "
                         "Please start it again."),
        "expired": _("The sign-in confirmation of the identity provider has expired. "
                     "Please sign in again."),
        "replayed": _("This sign-in confirmation has already been used. Please sign in again."),
        "bad_signature": _("The sign-in confirmation does not carry a valid signature of the "
                           "identity provider. You have not been signed in."),
        "unsigned": _("The sign-in confirmation is not signed by the identity provider. "
                      "You have not been signed in."),
        "wrong_audience": _("The sign-in confirmation was issued for another service. "
                            "You have not been signed in."),
        "wrong_destination": _("The sign-in confirmation was sent to another address. "
                               "You have not been signed in."),
        "idp_refused": _("The identity provider did not confirm the sign-in."),
        "missing_claim": _("The identity provider did not send all required details "
                           "(e-mail address). Please contact your administrator."),
        "bad_claim": _("The identity provider sent details that cannot be used. "
                       "Please contact your administrator."),
        "account_disabled": _("Your account is deactivated. Please contact your administrator."),
        "no_account": _("There is no account for you yet. Please contact your administrator."),
        "email_taken": _("An account with your e-mail address exists but is not linked to this "
                         "sign-in. An administrator must link it (by personnel number)."),
        "already_linked": _("Your account is already linked to another person of this identity "
                            "provider. Please contact your administrator."),
        "personnel_number_conflict": _("Your personnel number does not match your account. "
                                       "Please contact your administrator."),
    }
    return messages.get(code, _("The sign-in confirmation could not be read. "
                                "You have not been signed in."))


def _refuse(code: str, detail: str, status: int | None = None) -> tuple[str, int]:
    log_security_event("saml.refused", code=code, detail=detail[:300])
    status = status or (403 if code in _ACCOUNT_CODES else 400)
    html = render_template("saml/error.html", message=error_message(code), code=status,
                           request_id=request_id())
    return html, status


@bp.app_context_processor
def _login_choice() -> dict[str, Any]:
    state = saml_state()
    return {"saml_display_name": state.display_name if state is not None else None}


@bp.route("/metadata")
@public
def metadata() -> Response:
    """The SP's metadata for the IdP's administrators (a stable URL: the entity id)."""
    xml = _state().provider.metadata_xml()
    return Response(xml, mimetype="application/samlmetadata+xml")


@bp.route("/login")
@public
def login() -> Response:
    """Starts SP-initiated sign-in: a signed AuthnRequest by HTTP-Redirect."""
    state = _state()
    target = safe_next_url(request.args.get("next"))
    if current_user.is_authenticated:
        return redirect(target or home_url(current_user))
    authn_id, location = state.provider.start_login()
    log_security_event("saml.login_started", request_id_saml=authn_id)
    response = redirect(location)
    response.set_cookie(REQUEST_COOKIE, request_cookie_value(authn_id, target),
                        max_age=REQUEST_MAX_AGE_SECONDS, **_cookie_options())
    return response


@bp.route("/acs", methods=["POST"])
@public
def acs() -> Response | tuple[str, int]:
    """The assertion consumer (HTTP-POST): checks the response, then signs the person in."""
    state = _state()
    raw = request.form.get("SAMLResponse", "")
    if not raw:
        return _refuse("invalid", "no SAMLResponse")
    started, target = _started_request()
    now = utcnow()
    db = get_session()
    try:
        assertion = state.provider.read_response(raw, request_id=started, now=now)
        identity = map_claims(assertion.claims, state.mapping, kind="saml", issuer=assertion.issuer,
                              subject=assertion.name_id)
        remember_message_ids(db, assertion, now=now)
        result = sign_in(db, identity, now=now, create_accounts=state.create_accounts)
    except (SamlError, IdentityError) as error:
        return _refuse(error.code, error.detail)
    user = result.user
    start_session(user)
    session[SINGLE_LOGOUT] = {"kind": "saml", "name_id": assertion.name_id,
                              "format": assertion.name_id_format,
                              "session_index": assertion.session_index}
    log_security_event("login.success", user_id=user.id, method="saml", created=result.created)
    response = redirect(target or home_url(user))
    response.delete_cookie(REQUEST_COOKIE, path=_cookie_options()["path"])
    return response


def single_logout_location(handoff: dict[str, Any]) -> str | None:
    """After lernmodul's own session ended: the IdP's logout URL with a LogoutRequest, if any."""
    state = saml_state()
    if state is None or not handoff.get("name_id"):
        return None
    logout = state.provider.logout_request(name_id=str(handoff["name_id"]),
                                           name_id_format=handoff.get("format"),
                                           session_index=handoff.get("session_index"))
    if logout is None:
        return None
    session[LOGOUT_REQUEST] = logout[0]
    log_security_event("saml.logout_started")
    return logout[1]


def _logout_requested_by_idp(state: SamlState) -> Response | tuple[str, int]:
    """The IdP ends the person's sign-in everywhere: end this browser's session, answer."""
    handoff = session.get(SINGLE_LOGOUT)
    signed_in = isinstance(handoff, dict) and current_user.is_authenticated
    signed_in_as = handoff.get("name_id") if signed_in else None
    try:
        matches, location = state.provider.answer_logout_request(
            request.args["SAMLRequest"], relay_state=request.args.get("RelayState", ""),
            sigalg=request.args.get("SigAlg"), signature=request.args.get("Signature"),
            name_id=signed_in_as)
    except SamlError as error:
        log_security_event("saml.logout_refused", code=error.code, detail=error.detail[:300])
        return _refuse(error.code, error.detail)
    if matches:
        user_id = current_user.id
        # the redirect binding makes this a GET, whose request session only reads: the
        # logout (every session of the account ends, audited) is its own short transaction
        with session_scope(get_database().sessions) as db:
            user = db.get(User, user_id)
            if user is not None:
                accounts.log_out(db, user, now=utcnow())
        log_security_event("logout", user_id=user_id, method="saml", initiated_by="idp")
        end_session()
    return redirect(location)


@bp.route("/logout")
@public
def logout() -> Response | tuple[str, int]:
    """Where the IdP answers a LogoutRequest (HTTP-Redirect); lernmodul's session has ended."""
    state = _state()
    if request.args.get("SAMLRequest"):
        return _logout_requested_by_idp(state)
    raw = request.args.get("SAMLResponse", "")
    if not raw:
        return _refuse("invalid", "no SAMLResponse in the logout answer")
    expected = session.pop(LOGOUT_REQUEST, None)
    try:
        succeeded = state.provider.read_logout_response(raw)
    except SamlError as error:
        log_security_event("saml.logout_refused", code=error.code, detail=error.detail[:300])
        succeeded = False
    if expected is None:
        log_security_event("saml.logout_unexpected")
    if not succeeded:
        flash(_("You have been signed out here. The identity provider could not confirm that "
                "its own sign-in has ended: close the browser to be sure."), "info")
    return redirect("/login")
