"""Signed-in sessions: Flask-Login, server-side invalidation and idle/absolute timeouts.

The session cookie holds "<user id>:<session version>". Logout, password change and
deactivation bump `users.session_version`, so every older cookie, even a copied one,
stops working on its next request. Idle (30 min) and absolute (9 h) limits are checked
on the server from timestamps inside the signed cookie.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from flask import Flask, current_app, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import LoginManager, current_user, login_user, logout_user
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload
from werkzeug.wrappers import Response

from lernmodul.db.models import User
from lernmodul.web.access import PUBLIC, endpoint_access
from lernmodul.web.database import get_session
from lernmodul.web.security_log import log_security_event

login_manager = LoginManager()

LOGIN_AT = "login_at"
SEEN_AT = "seen_at"
SEEN_RESOLUTION_SECONDS = 30  # rewrite the cookie at most this often
# What a sign-in through an identity provider leaves for its single logout: {"kind": …, …}
SINGLE_LOGOUT = "single_logout"
SINGLE_LOGOUT_HANDLERS = "lernmodul.single_logout"


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.session_protection = "basic"
    app.permanent_session_lifetime = timedelta(hours=app.config["SESSION_ABSOLUTE_HOURS"])
    app.before_request(_enforce_timeouts)


# built once: constructing the statement costs about as much as running it
_USER_WITH_ROLES = (
    select(User).options(joinedload(User.roles)).where(User.id == bindparam("user_id"))
)


@login_manager.user_loader
def _load_user(token: str) -> User | None:
    user_id, _sep, version = token.partition(":")
    if not (user_id.isdigit() and version.isdigit()):
        return None
    # one query for the user and their roles: it runs on every request
    user = get_session().scalars(_USER_WITH_ROLES, {"user_id": int(user_id)}).unique().first()
    if user is None or not user.is_active or user.session_version != int(version):
        return None
    if user.is_demo and current_app.config["ENV"] == "production":
        return None
    return user


def start_session(user: User) -> None:
    """A fresh session for a just-authenticated user: nothing from before login survives."""
    session.clear()
    login_user(user, remember=False, fresh=True)
    now = int(time.time())
    session[LOGIN_AT] = now
    session[SEEN_AT] = now
    session.permanent = True


def end_session() -> None:
    logout_user()
    session.clear()


def register_single_logout(app: Flask, kind: str, handler: Callable[[dict[str, Any]], str | None]) -> None:
    """`handler(handoff)` gives the identity provider's logout URL for a session signed in
    through `kind`, or None; it runs after lernmodul's own session has ended."""
    app.extensions.setdefault(SINGLE_LOGOUT_HANDLERS, {})[kind] = handler


def single_logout_location(handoff: object) -> str | None:
    """Where to send the browser for the provider's single logout, or None."""
    if not isinstance(handoff, dict):
        return None
    handler = current_app.extensions.get(SINGLE_LOGOUT_HANDLERS, {}).get(handoff.get("kind"))
    if handler is None:
        return None
    location: str | None = handler(handoff)
    return location


def _enforce_timeouts() -> Response | None:
    if request.endpoint == "static" or not current_user.is_authenticated:
        return None
    now = int(time.time())
    login_at = session.get(LOGIN_AT)
    seen_at = session.get(SEEN_AT)
    idle = current_app.config["SESSION_IDLE_MINUTES"] * 60
    absolute = current_app.config["SESSION_ABSOLUTE_HOURS"] * 3600
    if (
        not isinstance(login_at, int)
        or not isinstance(seen_at, int)
        or now - seen_at > idle
        or now - login_at > absolute
    ):
        log_security_event("session.expired", user_id=current_user.id)
        end_session()
        flash(_("Your session has expired. Please sign in again."), "info")
        endpoint = request.endpoint
        if endpoint is not None and endpoint_access(current_app, endpoint) == PUBLIC:
            return None
        return redirect(url_for("auth.login"))
    if now - seen_at >= SEEN_RESOLUTION_SECONDS:
        session[SEEN_AT] = now
    return None
