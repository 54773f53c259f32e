"""The blueprint and what its views share: configuration, the signing key, the issuer, layouts,
and issuing in the transaction of the request that completes a course.

Issue timing: a learner completes a course in a POST of the learner area (marking the last
unit read or passing the exam). After such a request, before the request's single commit,
`issue_after_completion` issues the certificate of every completion that has none yet, so
completion and certificate are committed together. A completion recorded in any other way
(or before certificates existed) is issued from the learner's certificate page (a POST)."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask import Blueprint, Flask, current_app, g, request, url_for
from flask.blueprints import BlueprintSetupState
from flask_babel import get_locale
from flask_login import current_user
from werkzeug.wrappers import Response

from lernmodul.certificates import Language, Layout, load_layout, load_or_create_signing_key
from lernmodul.core.model import Course
from lernmodul.db.certificates import Certificate
from lernmodul.db.models import CourseVersion, Enrolment, utcnow
from lernmodul.services import certificates as service
from lernmodul.services import learning
from lernmodul.services.courses import CompiledCourses
from lernmodul.web.config import public_base_url
from lernmodul.web.database import SAFE_METHODS, get_session

logger = logging.getLogger("lernmodul.web")

bp = Blueprint("certificates", __name__)

EXTENSION_KEY = "lernmodul.certificates"
CONFIG_DEFAULTS: dict[str, Any] = {
    # Days before expiry from which the course is offered again.
    "CERTIFICATE_RENEWAL_DAYS": service.DEFAULT_RENEWAL_DAYS,
    # Lookups on /verify/<code> per client address and window, shared by all workers.
    "VERIFY_LOOKUPS_PER_WINDOW": 30,
    "VERIFY_WINDOW_MINUTES": 10,
}


@dataclass
class CertificateState:
    signing_key: Ed25519PrivateKey
    courses: CompiledCourses


@bp.record_once
def _set_up(state: BlueprintSetupState) -> None:
    app = state.app
    for key, value in CONFIG_DEFAULTS.items():
        app.config.setdefault(key, value)
    # PUBLIC_BASE_URL (web/config.py) is printed into every QR code and signed credential.
    base = app.config.get("PUBLIC_BASE_URL")
    if base is not None and not re.fullmatch(r"https?://[^/?#\s]+/?", str(base)):
        # printed into every QR code: refuse to start rather than issue unusable certificates
        raise RuntimeError(f"PUBLIC_BASE_URL must be scheme and host like https://lernen.example.de, "
                           f"not {base!r}")
    # The key is created into the instance folder on first start (race-free across workers).
    app.extensions[EXTENSION_KEY] = CertificateState(
        signing_key=load_or_create_signing_key(Path(app.instance_path)),
        courses=CompiledCourses())


def certificate_state(app: Flask | None = None) -> CertificateState:
    state: CertificateState = (app or current_app).extensions[EXTENSION_KEY]
    return state


def timezone() -> ZoneInfo:
    return ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])


def today() -> date:
    return utcnow().astimezone(timezone()).date()


NO_BASE_URL = "no_public_base_url"


def issuer() -> service.Issuer:
    """What the service needs to issue; CertificateError(NO_BASE_URL) when there is no
    configured public address (production without PUBLIC_BASE_URL): a certificate never
    points to the Host header a client sent."""
    base = public_base_url(current_app.config)
    if base is None:
        raise service.CertificateError(NO_BASE_URL)

    def verify_url(code: str) -> str:
        # the absolute address of the verify page for `code` (what the QR code encodes)
        return base + url_for("certificates.verify", code=code)

    return service.Issuer(certificate_state().signing_key, verify_url, timezone(),
                          context_url=base + url_for("certificates.credential_context"))


def ui_language() -> Language:
    """The certificate's language: English if the UI is English, else German."""
    return "en" if str(get_locale() or "") == "en" else "de"


def course_of(version: CourseVersion) -> Course:
    return certificate_state().courses.get(version, "")


def layout() -> Layout:
    """templates/certificate/layout.toml of the configured templates, else the shipped one."""
    path = Path(current_app.config["TEMPLATES_PATH"]) / "certificate" / "layout.toml"
    return load_layout(path if path.is_file() else None)


def issue_pending_for_current_user() -> list[Any]:
    return service.issue_pending_certificates(
        get_session(), current_user, language=ui_language(), issuer=issuer(), now=utcnow(),
        course_of=course_of)


@bp.after_app_request
def issue_after_completion(response: Response) -> Response:
    """Issues certificates for completions made by this learner request, in its transaction.

    Runs before the request's commit (after_request functions run in reverse order of
    registration, and the database's commit was registered first)."""
    if (request.method in SAFE_METHODS or request.blueprint != "learner"
            or response.status_code >= 400 or "db_session" not in g
            or not current_user.is_authenticated):
        return response
    session = get_session()
    if not session.info.get(learning.COMPLETED_KEY):
        return response  # nothing was completed by this request
    try:
        with session.begin_nested():
            issue_pending_for_current_user()
    except service.CertificateError as error:
        # e.g. no PUBLIC_BASE_URL: the completion is kept, the certificate page says why
        logger.warning("certificate not issued user_id=%s reason=%s", current_user.id, error.code)
    except Exception:
        # The completion is kept; its certificate is issued from the certificate page.
        logger.exception("certificate issue failed user_id=%s", current_user.id)
    return response


@bp.app_template_global()
def current_certificate(enrolment: Enrolment | None) -> Certificate | None:
    """For the learner's course and result pages: the enrolment's current certificate."""
    if enrolment is None or enrolment.completed_at is None:
        return None
    return service.find_current_certificate(get_session(), enrolment.id)
