"""LTI Dynamic Registration at /lti/register/<link>: the platform opens it, an admin confirms.

Platforms such as Moodle open the registration URL inside their own page (an iframe), where
the browser sends no lernmodul session cookie. So the URL itself carries the authority: an
administrator creates a one-time registration link in /admin/lti (24 hours, used once) and
enters it at the platform. The link's secret stands in for the session and for the CSRF token
of the confirmation form. A failed registration stores nothing and leaves the link usable.
"""

from __future__ import annotations

from datetime import datetime

from flask import Response, g, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete

from lernmodul.db.lti import LtiOneTime
from lernmodul.db.models import User, utcnow
from lernmodul.lti.platforms import PlatformError, PlatformValues, registration_link_key, save_platform
from lernmodul.lti.registration import (
    PlatformConfiguration,
    RegistrationError,
    ToolAddresses,
    fetch_configuration,
    register_tool,
)
from lernmodul.web import csrf
from lernmodul.web.access import public
from lernmodul.web.database import get_session
from lernmodul.web.lti.views import _origin, bp
from lernmodul.web.security import request_id
from lernmodul.web.security_log import log_security_event

MAX_NAME = 200

MESSAGES = {
    "link_refused": _l("This registration link is not valid, has expired or has been used already. "
                       "Please create a new one in lernmodul's administration (Learning platforms)."),
    "no_configuration": _l("The platform did not say where its configuration is "
                           "(openid_configuration is missing)."),
    "missing_fields": _l("The platform's configuration lacks required entries (issuer, "
                         "authorization, token, key set or registration endpoint, LTI platform "
                         "configuration)."),
    "not_https": _l("The platform's configuration names an address that is not https."),
    "wrong_issuer": _l("The platform's issuer does not match the address of its configuration. "
                       "The registration has been stopped."),
    "unsupported": _l("The platform does not offer what LTI 1.3 needs (RS256 signatures, "
                      "private_key_jwt)."),
    "bad_configuration": _l("The platform's configuration cannot be read."),
    "configuration_unreachable": _l("The platform's configuration cannot be fetched."),
    "registration_failed": _l("The platform refused the registration or did not answer. Nothing "
                              "has been stored; the registration link can be used again."),
    "bad_answer": _l("The platform's answer to the registration cannot be used (no client ID)."),
    "no_deployment": _l("The platform did not send a deployment ID. Please register it by hand in "
                        "lernmodul's administration."),
    "taken": _l("This platform (issuer and client ID) is registered already."),
}
STATUS = {"link_refused": 404, "registration_failed": 502, "configuration_unreachable": 502,
          "bad_answer": 502, "no_deployment": 502, "taken": 409}
HEADING = _l("The platform cannot be registered")


def _refuse(code: str, detail: str = "") -> tuple[str, int]:
    log_security_event("lti.registration_refused", reason=code, detail=detail[:300])
    return render_template("lti/refused.html", heading=HEADING, message=MESSAGES[code],
                           request_id=request_id()), STATUS.get(code, 400)


def _link_owner(link: str, now: datetime) -> User | None:
    row = get_session().get(LtiOneTime, registration_link_key(link))
    if row is None or row.purpose != "registration" or row.expires_at < now or row.user_id is None:
        return None
    user = get_session().get(User, row.user_id)
    return user if user is not None and user.is_active and user.has_role("admin") else None


def _tool() -> ToolAddresses:
    return ToolAddresses(name="lernmodul", description=str(_l("Courses and exams of lernmodul")),
                         login_url=url_for("lti.login", _external=True),
                         launch_url=url_for("lti.launch", _external=True),
                         jwks_url=url_for("lti.jwks", _external=True))


@bp.route("/register/<link>", methods=["GET", "POST"])
@csrf.exempt
@public
def register(link: str) -> Response | tuple[str, int]:
    """GET: the platform's configuration and a confirmation; POST: register and store."""
    now = utcnow()
    owner = _link_owner(link, now)
    if owner is None:
        return _refuse("link_refused", "registration link")
    source = request.form if request.method == "POST" else request.args
    config_url = source.get("openid_configuration", "").strip()
    registration_token = source.get("registration_token", "").strip() or None
    if not config_url:
        return _refuse("no_configuration")
    origin = _origin(config_url)
    if origin:
        g.frame_ancestors = origin  # the platform shows this page in its own
        g.opener_policy = "unsafe-none"  # or in a window it opened, and waits for its message
    try:
        configuration = fetch_configuration(config_url)
    except RegistrationError as error:
        return _refuse(error.code, error.detail)
    name = (source.get("name", "").strip() or configuration.product_family_code
            or configuration.issuer)[:MAX_NAME]
    trust = source.get("trust_instructors") == "y"
    if request.method == "GET":
        return Response(render_template("lti/register_confirm.html", configuration=configuration,
                                        config_url=config_url, registration_token=registration_token,
                                        name=name, trust=trust))
    return _complete(link, owner, configuration, config_url, registration_token, name, trust, now)


def _complete(link: str, owner: User, configuration: PlatformConfiguration, config_url: str,
              registration_token: str | None, name: str, trust: bool,
              now: datetime) -> Response | tuple[str, int]:
    session = get_session()
    try:
        client = register_tool(configuration, config_url, registration_token, _tool())
        platform = save_platform(session, PlatformValues(
            name=name, issuer=configuration.issuer, client_id=client.client_id,
            deployment_ids=(client.deployment_id,),
            auth_login_url=configuration.authorization_endpoint,
            token_url=configuration.token_endpoint, jwks_url=configuration.jwks_uri,
            trust_instructors=trust), now=now, actor_id=owner.id)
    except RegistrationError as error:
        return _refuse(error.code, error.detail)
    except PlatformError as error:
        return _refuse("taken" if error.code == "taken" else "missing_fields", str(error))
    session.execute(delete(LtiOneTime).where(LtiOneTime.key == registration_link_key(link)))
    log_security_event("lti.registered", user_id=owner.id, platform=platform.id)
    return Response(render_template("lti/register_done.html", platform=platform))
