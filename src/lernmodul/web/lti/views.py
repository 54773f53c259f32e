"""The LTI 1.3 edge: thin routes around `lernmodul.lti`.

The platform posts the login initiation and the launch cross-site, without our CSRF token:
those two routes are exempt from CSRF and protected by the protocol's state cookie and the
single-use nonce instead. Only these routes set a SameSite=None cookie (the state); the app's
own session cookie stays as configured. A launch inside the platform's iframe cannot keep a
session there (the session cookie is not third-party), so it shows "open in a new window",
a link with a one-time token that starts the session in the new window.
"""

from __future__ import annotations

import hashlib
import secrets
from contextlib import nullcontext
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Response,
    current_app,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete

from lernmodul.db.engine import session_scope
from lernmodul.db.lti import LtiOneTime
from lernmodul.db.models import User, utcnow
from lernmodul.identity.claims import IdentityError
from lernmodul.lti import (
    LaunchError,
    load_or_create_tool_key,
    login_redirect_url,
    sign_in_launch,
    tool_jwks,
    validate_launch,
)
from lernmodul.lti.ags import remember_line_item
from lernmodul.lti.users import course_of
from lernmodul.services import courses as course_service
from lernmodul.web import csrf
from lernmodul.web.access import public
from lernmodul.web.database import SAFE_METHODS, get_database, get_session
from lernmodul.web.security import request_id
from lernmodul.web.security_log import log_security_event
from lernmodul.web.sessions import start_session

bp = Blueprint("lti", __name__, url_prefix="/lti")
START_LIFETIME = timedelta(minutes=2)
IFRAME_DESTINATIONS = frozenset({"iframe", "frame"})

MESSAGES = {
    "bad_request": _l("The platform's request is incomplete."),
    "bad_token": _l("The platform's launch message cannot be read."),
    "unknown_issuer": _l("This learning platform is not registered here."),
    "unknown_client": _l("The client ID of this learning platform is not registered here."),
    "unknown_deployment": _l("This deployment of the learning platform is not registered here."),
    "bad_signature": _l("The signature of the launch message is not valid."),
    "expired": _l("The launch message has expired. Please start the course again from the "
                  "learning platform."),
    "replayed_nonce": _l("This launch has been used already. Please start the course again from "
                         "the learning platform."),
    "no_state": _l("The launch cannot be matched to its start. Your browser may block cookies "
                   "in embedded pages: open the course in a new window from the learning platform."),
    "wrong_message_type": _l("This kind of LTI message is not supported."),
    "no_subject": _l("The platform did not say who is signing in."),
    "unknown_course": _l("The course of this link does not exist here."),
    "start_refused": _l("This link has expired or has been used already. Please start the course "
                        "again from the learning platform."),
    "missing_claim": _l("The platform did not send an e-mail address. Please ask its "
                        "administration to send name and e-mail address to this tool."),
    "bad_claim": _l("The platform sent data that cannot be used."),
    "email_taken": _l("An account with this e-mail address exists already. Please ask the "
                      "administration of the learning platform to link it."),
    "account_disabled": _l("This account is deactivated."),
    "already_linked": _l("This account is already linked to another person of this platform."),
    "personnel_number_conflict": _l("The personnel number does not match the account."),
    "no_account": _l("No account could be created."),
}


def _keys() -> tuple[str, str]:
    keys = current_app.extensions.get("lernmodul.lti_keys")
    if keys is None:
        keys = load_or_create_tool_key(Path(current_app.instance_path))
        current_app.extensions["lernmodul.lti_keys"] = keys
    return keys  # type: ignore[no-any-return]


def _write() -> Any:
    """Where a one-time value is written: a GET's session refuses writes, so a short transaction
    of its own; a POST writes in the request's transaction (on SQLite a second writer would wait
    for the request's own write lock)."""
    if request.method in SAFE_METHODS:
        return session_scope(get_database().sessions)
    return nullcontext(get_session())


def _params() -> dict[str, str]:
    source = request.form if request.method == "POST" else request.args
    return {key: source.get(key, "") for key in source}


def _refuse(code: str, detail: str, status: int = 400) -> tuple[str, int]:
    log_security_event("lti.refused", reason=code, detail=detail[:300])
    message = MESSAGES.get(code, MESSAGES["bad_request"])
    return render_template("lti/refused.html", message=message, code=code,
                           request_id=request_id()), status


@bp.route("/login", methods=["GET", "POST"])
@csrf.exempt
@public
def login() -> Response | tuple[str, int]:
    """Third-party initiated login: redirect to the platform's authorisation endpoint."""
    params = _params()
    try:
        url, cookies = login_redirect_url(get_session(), params,
                                          launch_url=url_for("lti.launch", _external=True),
                                          write=_write, now=utcnow(), keys=_keys())
    except LaunchError as error:
        return _refuse(error.code, error.detail)
    response = redirect(url, 302)
    cookies.update_response(response)
    return response


@bp.post("/launch")
@csrf.exempt
@public
def launch() -> Response | tuple[str, int]:
    """The platform's id token: validate, sign in, then into the course (or a new window)."""
    session = get_session()
    now = utcnow()
    try:
        checked = validate_launch(session, _params(), dict(request.cookies), write=_write, now=now,
                                  keys=_keys())
    except LaunchError as error:
        return _refuse(error.code, error.detail, 403 if error.code == "replayed_nonce" else 400)
    course_id = course_of(checked.claims)
    if course_id is not None and course_service.find_latest_version(session, course_id) is None:
        return _refuse("unknown_course", course_id, 404)
    try:
        user, created = sign_in_launch(session, checked, now=now)
    except IdentityError as error:
        return _refuse(error.code, error.detail, 403)
    log_security_event("lti.launch", user_id=user.id, created=created)
    if course_id is not None:  # where this person's scores for this course go back to
        remember_line_item(session, checked, user_id=user.id, course_id=course_id, now=now)
    if request.headers.get("Sec-Fetch-Dest") in IFRAME_DESTINATIONS:
        token = secrets.token_urlsafe(32)
        session.add(LtiOneTime(key=_hash(token), purpose="start", user_id=user.id, course_id=course_id,
                               platform_id=checked.platform.id, expires_at=now + START_LIFETIME))
        origin = _origin(checked.platform.auth_login_url) or _origin(checked.platform.issuer)
        if origin:
            g.frame_ancestors = origin
        html = render_template("lti/new_window.html", start_url=url_for("lti.start", token=token))
        return Response(html)
    start_session(user)
    return redirect(_target(course_id), 303)


@bp.get("/start/<token>")
@public
def start(token: str) -> Response | tuple[str, int]:
    """The one-time link of a launch made in an iframe: starts the session in this window."""
    now = utcnow()
    with _write() as session:
        row = session.get(LtiOneTime, _hash(token))
        valid = row is not None and row.purpose == "start" and row.expires_at >= now
        user_id, course_id = (row.user_id, row.course_id) if row is not None else (None, None)
        if row is not None:
            session.execute(delete(LtiOneTime).where(LtiOneTime.key == row.key))
    user = get_session().get(User, user_id) if valid and user_id is not None else None
    if user is None or not user.is_active:
        return _refuse("start_refused", "start token", 404)
    start_session(user)
    log_security_event("lti.start", user_id=user.id)
    return redirect(_target(course_id), 303)


@bp.get("/jwks")
@public
def jwks() -> Response:
    """The tool's public keys, for the platforms (AGS, deep linking later)."""
    return jsonify(tool_jwks(_keys()[1]))


def _hash(token: str) -> str:
    return "start:" + hashlib.sha256(token.encode()).hexdigest()


def _origin(url: str) -> str | None:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme in ("http", "https") and parts.netloc else None


def _target(course_id: str | None) -> str:
    if course_id:
        return url_for("learner.course_page", course_id=course_id)
    return url_for("learner.dashboard")
