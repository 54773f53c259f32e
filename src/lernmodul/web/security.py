"""Response hardening and error pages: headers and CSP, correlation ids, friendly 4xx/5xx."""

from __future__ import annotations

import logging
import secrets
from functools import lru_cache
from urllib.parse import urlsplit

from flask import Flask, current_app, g, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.wrappers import Response

from lernmodul.web.logs import make_formatter
from lernmodul.web.security_log import log_security_event

logger = logging.getLogger("lernmodul.web")

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

# Origins a form of ours may lead to beyond 'self': the sign-out form's redirect to an identity
# provider's single logout (browsers apply form-action to the redirects after a submission too).
FORM_ACTION_ORIGINS = "lernmodul.form_action_origins"


def allow_form_redirect_to(app: Flask, origin: str) -> None:
    """Lets forms lead to `origin` (scheme://host[:port]) through a redirect."""
    origins: list[str] = app.extensions.setdefault(FORM_ACTION_ORIGINS, [])
    if origin not in origins:
        origins.append(origin)


ERROR_TEXTS = {
    400: (lazy_gettext("Bad request"), lazy_gettext("The request could not be understood.")),
    401: (lazy_gettext("Sign-in required"), lazy_gettext("Please sign in first.")),
    403: (
        lazy_gettext("Access denied"),
        lazy_gettext("You do not have permission to open this page."),
    ),
    404: (
        lazy_gettext("Page not found"),
        lazy_gettext("The page does not exist or is not available to you."),
    ),
    405: (
        lazy_gettext("Method not allowed"),
        lazy_gettext("This page cannot be used that way."),
    ),
    409: (
        lazy_gettext("Conflict"),
        lazy_gettext("The data changed in the meantime. Please reload the page and try again."),
    ),
    413: (
        lazy_gettext("Request too large"),
        lazy_gettext("What you sent is too large."),
    ),
    429: (
        lazy_gettext("Too many requests"),
        lazy_gettext("Too many attempts. Please wait a few minutes and try again."),
    ),
    500: (
        lazy_gettext("Internal error"),
        lazy_gettext("Something went wrong on our side. Please try again later."),
    ),
}


def init_app(app: Flask) -> None:
    if app.config["PROXY_FIX_X_FOR"] or app.config["PROXY_FIX_X_PROTO"]:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app,
            x_for=app.config["PROXY_FIX_X_FOR"],
            x_proto=app.config["PROXY_FIX_X_PROTO"],
        )
    app.before_request(_assign_request_id)
    app.after_request(_set_headers)
    app.register_error_handler(CSRFError, _handle_csrf_error)
    app.register_error_handler(HTTPException, _handle_http_error)
    app.register_error_handler(Exception, _handle_unexpected_error)
    _configure_logging(app)


def _configure_logging(app: Flask) -> None:
    root = logging.getLogger("lernmodul")
    if app.testing or root.handlers:
        return
    handler = logging.StreamHandler()
    handler.setFormatter(make_formatter(app.config["LOG_FORMAT"]))
    root.addHandler(handler)
    root.setLevel(logging.INFO)


def _assign_request_id() -> None:
    g.request_id = secrets.token_hex(8)


def request_id() -> str:
    if "request_id" not in g:
        g.request_id = secrets.token_hex(8)
    return str(g.request_id)


@lru_cache(maxsize=8)
def content_security_policy(oidc_issuer: str | None, other_origins: tuple[str, ...] = ()) -> str:
    """The policy; with sign-in through an OpenID provider, forms may also lead there (the
    sign-in button and the sign-out, whose redirect goes on to the provider's logout), and to
    the `other_origins` (a SAML IdP's single logout, see allow_form_redirect_to)."""
    origins = list(other_origins)
    if oidc_issuer:
        parts = urlsplit(oidc_issuer)
        origin = f"{parts.scheme}://{parts.netloc}"
        if parts.scheme in {"http", "https"} and parts.netloc and not any(c in origin for c in " ;,'\""):
            origins.insert(0, origin)
    if not origins:
        return CONTENT_SECURITY_POLICY
    return CONTENT_SECURITY_POLICY.replace("form-action 'self'", " ".join(["form-action 'self'", *origins]))


def _set_headers(response: Response) -> Response:
    headers = response.headers
    # g.form_action_origins: where one response's form may post (an LTI platform's return URL)
    policy = content_security_policy(current_app.config.get("OIDC_ISSUER") or None,
                                     tuple(current_app.extensions.get(FORM_ACTION_ORIGINS, ()))
                                     + tuple(g.get("form_action_origins", ())))
    frame_ancestors = g.get("frame_ancestors")
    if frame_ancestors:
        # the one page a platform may embed (the LTI launch): its origin only, no X-Frame-Options
        headers.setdefault("Content-Security-Policy", policy.replace(
            "frame-ancestors 'none'", f"frame-ancestors {frame_ancestors}"))
    else:
        headers.setdefault("Content-Security-Policy", policy)
        headers["X-Frame-Options"] = "DENY"
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Referrer-Policy"] = "same-origin"
    # g.opener_policy: a page opened by a platform's window that must write back to it
    headers["Cross-Origin-Opener-Policy"] = g.get("opener_policy", "same-origin")
    headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
    headers["X-Request-ID"] = request_id()
    if request.is_secure:
        headers["Strict-Transport-Security"] = "max-age=31536000"
    if request.endpoint != "static":
        # Pages may show personal data: never store them in any cache.
        headers["Cache-Control"] = "no-store"
        headers["Pragma"] = "no-cache"
    return response


# An SVG is a document that may carry scripts: opened on its own it runs under this policy.
SVG_CONTENT_SECURITY_POLICY = "default-src 'none'; style-src 'unsafe-inline'"


def media_response(content: bytes, media_type: str) -> Response:
    """A course image as a response; SVGs get the sandboxing policy wherever they are served."""
    response = Response(content, mimetype=media_type)
    if media_type == "image/svg+xml":
        response.headers["Content-Security-Policy"] = SVG_CONTENT_SECURITY_POLICY
    return response


def render_error(code: int, message: str | None = None) -> tuple[str, int]:
    title, default_message = ERROR_TEXTS.get(code, ERROR_TEXTS[500])
    html = render_template(
        "errors/error.html",
        code=code,
        title=title,
        message=message or default_message,
        request_id=request_id(),
    )
    return html, code


def _handle_csrf_error(error: CSRFError) -> Response | tuple[str, int]:
    log_security_event("csrf.rejected", endpoint=request.endpoint, reason=error.description)
    return render_error(
        400,
        _(
            "The form has expired or did not come from this site. "
            "Please go back, reload the page and send the form again."
        ),
    )


def _handle_http_error(error: HTTPException) -> Response | tuple[str, int]:
    code = error.code or 500
    if code < 400:  # redirects raised as exceptions pass through unchanged
        return error.get_response()
    html, status = render_error(code if code in ERROR_TEXTS else _fallback_code(code))
    response = Response(html, status=code, mimetype="text/html")
    for name in ("Allow", "Retry-After", "WWW-Authenticate"):
        value = error.get_response().headers.get(name)
        if value:
            response.headers[name] = value
    del status
    return response


def _fallback_code(code: int) -> int:
    return 400 if code < 500 else 500


def _handle_unexpected_error(error: Exception) -> Response | tuple[str, int]:
    if isinstance(error, HTTPException):  # pragma: no cover - handled above
        return _handle_http_error(error)
    logger.error(
        "unhandled error request_id=%s endpoint=%s",
        request_id(),
        request.endpoint,
        exc_info=error,
    )
    try:
        return render_error(500)
    except Exception:  # the template itself failed: still no trace for the user
        logger.exception("error page failed request_id=%s", request_id())
        return Response(
            f"Internal error. Error id: {request_id()}\n", status=500, mimetype="text/plain"
        ), 500


__all__ = ["InternalServerError", "init_app", "render_error", "request_id"]
