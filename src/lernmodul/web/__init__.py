"""The Flask app: `create_app(test_config=None)` wires config, database, auth, i18n, blueprints."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask
from flask_babel import get_locale
from flask_login import current_user
from flask_wtf.csrf import CSRFProtect
from jinja2 import FileSystemLoader

from lernmodul.web import (
    access,
    chrome,
    database,
    i18n,
    outbox_edge,
    report_database,
    request_values,
    security,
    sessions,
)
from lernmodul.web import auth as auth_settings
from lernmodul.web.config import default_instance_path, load_config

csrf = CSRFProtect()


def create_app(
    test_config: dict[str, Any] | None = None, *, default_env: str = "production"
) -> Flask:
    """Builds the app. `test_config` (applied last) may also set INSTANCE_PATH.

    `default_env` is the ENV used when neither instance/config.py nor LERNMODUL_ENV sets
    one (`run-dev` passes "development").
    """
    instance_path = Path(
        (test_config or {}).get("INSTANCE_PATH") or default_instance_path()
    ).resolve()
    app = Flask(
        __name__,
        instance_path=str(instance_path),
        instance_relative_config=True,
        static_folder="static",
        template_folder=None,
    )
    instance_path.mkdir(parents=True, exist_ok=True)
    load_config(app.config, instance_path, test_config, default_env=default_env)
    app.jinja_loader = FileSystemLoader(app.config["TEMPLATES_PATH"])  # type: ignore[assignment]
    app.jinja_env.autoescape = True

    # Order matters: request id first, then the check of the request's values (before any
    # route is added: it bounds the int converter), CSRF before the role guard, sessions
    # (timeouts) before the guard, the database before everything that reads users.
    security.init_app(app)
    request_values.init_app(app)
    outbox_edge.init_app(app)  # before the database: its after-request step follows the commit
    database.init_app(app)
    report_database.init_app(app)
    csrf.init_app(app)
    i18n.init_app(app)
    chrome.init_app(app)
    auth_settings.init_app(app)
    sessions.init_app(app)
    access.init_app(app)

    from lernmodul.web.admin import bp as admin_bp
    from lernmodul.web.auth.reset import bp as password_reset_bp
    from lernmodul.web.auth.views import bp as auth_bp
    from lernmodul.web.certificates import bp as certificates_bp
    from lernmodul.web.hr import bp as hr_bp
    from lernmodul.web.identity import bp as identity_bp
    from lernmodul.web.learner import bp as learner_bp
    from lernmodul.web.lti import bp as lti_bp
    from lernmodul.web.public import bp as public_bp
    from lernmodul.web.saml import bp as saml_bp
    from lernmodul.web.saml import init_app as init_saml
    from lernmodul.web.saml.views import acs as saml_acs
    from lernmodul.web.saml.views import single_logout_location as saml_logout_location
    from lernmodul.web.trainer import bp as trainer_bp
    from lernmodul.web.transparency import bp as transparency_bp
    from lernmodul.web.xapi import init_app as init_xapi

    for blueprint in (public_bp, auth_bp, password_reset_bp, identity_bp, learner_bp, trainer_bp,
                      hr_bp, admin_bp, certificates_bp, transparency_bp, saml_bp, lti_bp):
        app.register_blueprint(blueprint)
    # The IdP posts the response from its own site: no CSRF token can come along. The signed
    # assertion, its InResponseTo bound to this browser's request and the replay check stand in.
    csrf.exempt(saml_acs)
    init_saml(app)
    init_xapi(app)
    sessions.register_single_logout(app, "saml", saml_logout_location)

    @app.context_processor
    def _template_globals() -> dict[str, Any]:
        return {
            "current_locale": str(get_locale() or app.config["BABEL_DEFAULT_LOCALE"]),
            # the user object itself: templates read it a dozen times, the proxy costs each time
            "current_user": current_user._get_current_object(),  # type: ignore[attr-defined]
        }

    return app
