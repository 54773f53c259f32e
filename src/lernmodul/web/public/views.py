"""Public views; each one is on the allowlist through @public."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import text
from werkzeug.wrappers import Response

from lernmodul.web.access import public
from lernmodul.web.database import get_session
from lernmodul.web.health import healthz
from lernmodul.web.navigation import safe_next_url

bp = Blueprint("public", __name__)

LANGUAGE_COOKIE_MAX_AGE = 365 * 24 * 3600


@bp.route("/health")
@public
def health() -> Response:
    get_session().execute(text("SELECT 1"))
    return jsonify(status="ok")


bp.add_url_rule("/healthz", "healthz", public(healthz))


@bp.route("/accessibility")
@public
def accessibility() -> str:
    return render_template("public/accessibility.html")


@bp.route("/privacy")
@public
def privacy() -> str:
    return render_template("public/privacy.html")


@bp.route("/language", methods=["POST"])
@public
def set_language() -> Response:
    """Stores the chosen language in a cookie (and on the account when signed in)."""
    language = request.form.get("language", "")
    target = safe_next_url(request.form.get("next")) or url_for("learner.dashboard")
    response = redirect(target, code=303)
    if language not in current_app.config["LANGUAGES"]:
        return response
    response.set_cookie(
        current_app.config["LANGUAGE_COOKIE_NAME"],
        language,
        max_age=LANGUAGE_COOKIE_MAX_AGE,
        secure=current_app.config["SESSION_COOKIE_SECURE"],
        httponly=True,
        samesite="Lax",
    )
    if current_user.is_authenticated:
        current_user.locale = language
        get_session().flush()
    return response
