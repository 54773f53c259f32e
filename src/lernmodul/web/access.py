"""Access control: every endpoint declares who may use it; anything undeclared is denied.

Declare on a blueprint (all its views) with `require_roles(bp, "hr")`, or per view with
`@roles_required("trainer", "admin")`, `@login_required_any` (any signed-in user) or
`@public` (anonymous allowed). The guard runs once per request, before the view.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Blueprint, Flask, abort, current_app, redirect, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from lernmodul.db.models import Role
from lernmodul.web.security_log import log_security_event

F = TypeVar("F", bound=Callable[..., Any])

PUBLIC = "public"
AUTHENTICATED = "authenticated"
ACCESS_ATTRIBUTE = "lernmodul_access"
ALL_ROLES = frozenset(r.value for r in Role)

# Endpoints that Flask or extensions add and that must stay reachable without login.
PUBLIC_ENDPOINTS = frozenset({"static"})

Access = str | frozenset[str]


def _mark(view: F, access: Access) -> F:
    setattr(view, ACCESS_ATTRIBUTE, access)
    return view


def public(view: F) -> F:
    """Anyone, signed in or not."""
    return _mark(view, PUBLIC)


def login_required_any(view: F) -> F:
    """Any signed-in user, whatever their roles."""
    return _mark(view, AUTHENTICATED)


def roles_required(*roles: str) -> Callable[[F], F]:
    unknown = set(roles) - ALL_ROLES
    if unknown or not roles:
        raise ValueError(f"unknown roles {unknown}")

    def decorate(view: F) -> F:
        return _mark(view, frozenset(roles))

    return decorate


def require_roles(blueprint: Blueprint, *roles: str) -> None:
    """Default for every view of the blueprint (a view's own declaration wins)."""
    unknown = set(roles) - ALL_ROLES
    if unknown or not roles:
        raise ValueError(f"unknown roles {unknown}")
    setattr(blueprint, ACCESS_ATTRIBUTE, frozenset(roles))


def endpoint_access(app: Flask, endpoint: str) -> Access | None:
    """What the endpoint declared, or None (undeclared: denied)."""
    if endpoint in PUBLIC_ENDPOINTS:
        return PUBLIC
    view = app.view_functions.get(endpoint)
    declared: Access | None = getattr(view, ACCESS_ATTRIBUTE, None)
    if declared is not None:
        return declared
    blueprint_name = endpoint.rpartition(".")[0]
    blueprint = app.blueprints.get(blueprint_name)
    return getattr(blueprint, ACCESS_ATTRIBUTE, None)


def init_app(app: Flask) -> None:
    app.before_request(_guard)


def _guard() -> Response | None:
    endpoint = request.endpoint
    if endpoint is None:
        return None  # no route matched: the 404/405 error page follows
    access = endpoint_access(current_app, endpoint)
    if access == PUBLIC:
        return None
    if access is None:
        log_security_event("access.undeclared", endpoint=endpoint)
        abort(403)
    if not current_user.is_authenticated:
        log_security_event("access.login_required", endpoint=endpoint)
        return redirect(url_for("auth.login", next=_relative_request_path()))
    if access == AUTHENTICATED:
        return None
    if not isinstance(access, frozenset) or not current_user.has_role(*access):
        log_security_event("access.denied", endpoint=endpoint, user_id=current_user.id)
        abort(403)
    return None


def _relative_request_path() -> str:
    path = request.full_path
    return path[:-1] if path.endswith("?") else path
