"""The deep-linking dialog: lernmodul's catalogue as a picker, and the signed answer to the platform.

The platform shows the dialog in its iframe or a window of its own, where our session cookie
may not exist: the picker form therefore carries its context itself, signed with the app's
secret (itsdangerous) and bound to a one-time value in the database. A forged, expired or
replayed form is refused before anything is written; the JWT is made and signed by pylti1p3.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import Response, current_app, g, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from itsdangerous import BadData, URLSafeTimedSerializer
from sqlalchemy import delete

from lernmodul.db.lti import LtiOneTime, LtiPlatform
from lernmodul.db.models import User, utcnow
from lernmodul.identity.claims import IdentityError
from lernmodul.lti import Launch, sign_in_launch
from lernmodul.lti.deep_linking import (
    TARGET_COURSE,
    TARGET_EXAM,
    TARGETS,
    ContentChoice,
    DeepLinkRequest,
    request_of,
    response_jwt,
)
from lernmodul.lti.users import may_place_content
from lernmodul.services import courses as course_service
from lernmodul.services.audit import record_event
from lernmodul.web import csrf
from lernmodul.web.access import public
from lernmodul.web.database import get_session
from lernmodul.web.lti.views import IFRAME_DESTINATIONS, MESSAGES, _keys, _origin, _refuse, bp
from lernmodul.web.security import request_id
from lernmodul.web.security_log import log_security_event
from lernmodul.web.sessions import start_session

PICKER_LIFETIME = timedelta(minutes=30)
_SALT = "lernmodul.lti.deep-link"
_COMPILED = course_service.CompiledCourses()
HEADING = _l("The content cannot be chosen")


def _refuse_choice(code: str, detail: str, status: int = 400) -> tuple[str, int]:
    """A refusal of the content selection, under a heading of its own."""
    log_security_event("lti.refused", reason=code, detail=detail[:300])
    return render_template("lti/refused.html", heading=HEADING, message=MESSAGES[code],
                           request_id=request_id()), status


@dataclass(frozen=True, slots=True)
class CatalogueEntry:
    """A published course as the picker offers it."""

    course_id: str
    title: str
    summary: str
    has_exam: bool


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key or "", salt=_SALT)


def _one_time_key(secret: str) -> str:
    return "deep_link:" + hashlib.sha256(secret.encode()).hexdigest()


def catalogue() -> list[CatalogueEntry]:
    """The newest version of every published course, by title; a course that no longer
    compiles is left out."""
    entries = []
    for version in course_service.latest_versions(get_session()):
        base = url_for("learner.course_media", version_id=version.id, name="x")[:-1]
        try:
            course = _COMPILED.get(version, base)
        except course_service.CourseError:
            continue
        entries.append(CatalogueEntry(course_id=course.id, title=course.title, summary=course.summary,
                                      has_exam=course.exam is not None))
    return entries


def start_deep_linking(launch: Launch, now: datetime) -> Response | tuple[str, int]:
    """A validated LtiDeepLinkingRequest: sign the author in and show the picker."""
    if not may_place_content(launch.claims):
        return _refuse_choice("not_author", "roles", 403)
    session = get_session()
    try:
        user, created = sign_in_launch(session, launch, now=now)
    except IdentityError as error:
        return _refuse(error.code, error.detail, 403)
    log_security_event("lti.deep_linking", user_id=user.id, created=created)
    in_frame = request.headers.get("Sec-Fetch-Dest") in IFRAME_DESTINATIONS
    if not in_frame:
        start_session(user)
    secret = secrets.token_urlsafe(32)
    settings = request_of(launch)
    session.add(LtiOneTime(key=_one_time_key(secret), purpose="deep_link", user_id=user.id,
                           platform_id=launch.platform.id, expires_at=now + PICKER_LIFETIME))
    token = _serializer().dumps({"k": secret, "p": launch.platform.id, "u": user.id,
                                 "d": settings.deployment_id, "r": settings.return_url,
                                 "x": settings.data})
    _allow_platform(launch.platform)
    return Response(render_template("lti/deep_link_picker.html", token=token, courses=catalogue(),
                                    error=None))


def _allow_platform(platform: LtiPlatform, return_url: str | None = None) -> None:
    """The platform may frame these pages; the answer's form may post to its return URL."""
    origin = _origin(platform.auth_login_url) or _origin(platform.issuer)
    if origin:
        g.frame_ancestors = origin
    if return_url and _origin(return_url):
        g.form_action_origins = (_origin(return_url),)


def _choice(value: str, courses: list[CatalogueEntry]) -> ContentChoice | None:
    course_id, _sep, target = value.rpartition(":")
    entry = next((c for c in courses if c.course_id == course_id), None)
    if entry is None or target not in TARGETS or (target == TARGET_EXAM and not entry.has_exam):
        return None
    title = entry.title if target == TARGET_COURSE else _("%(title)s – final exam", title=entry.title)
    return ContentChoice(course_id=entry.course_id, target=target, title=title)


@bp.post("/deep-link")
@csrf.exempt
@public
def deep_link_submit() -> Response | tuple[str, int]:
    """The picker's form: check its signed context, use it once, answer the platform."""
    token = request.form.get("request", "")
    try:
        context: dict[str, Any] = _serializer().loads(token, max_age=int(PICKER_LIFETIME.total_seconds()))
        platform_id, user_id = int(context["p"]), int(context["u"])
        settings = DeepLinkRequest(deployment_id=str(context["d"]), return_url=str(context["r"]),
                                   data=context.get("x"))
        secret = str(context["k"])
    except (BadData, KeyError, TypeError, ValueError) as error:
        return _refuse_choice("deep_link_refused", f"picker form: {type(error).__name__}")
    session = get_session()
    platform = session.get(LtiPlatform, platform_id)
    user = session.get(User, user_id)
    if platform is None or user is None or not user.is_active \
            or settings.deployment_id not in platform.deployments:
        return _refuse_choice("deep_link_refused", "platform, deployment or user gone")
    courses = catalogue()
    choice = _choice(request.form.get("choice", ""), courses)
    if choice is None:
        _allow_platform(platform)
        return render_template("lti/deep_link_picker.html", token=token, courses=courses,
                               error=_("Please choose a course or its final exam.")), 400
    now = utcnow()
    used = session.execute(delete(LtiOneTime).where(
        LtiOneTime.key == _one_time_key(secret), LtiOneTime.purpose == "deep_link",
        LtiOneTime.expires_at >= now))
    if getattr(used, "rowcount", 0) != 1:
        return _refuse_choice("deep_link_refused", "picker form used or expired")
    jwt = response_jwt(platform, settings, choice, launch_url=url_for("lti.launch", _external=True),
                       keys=_keys())
    record_event(session, action="lti.deep_link", at=now, actor_id=user.id,
                 target=f"lti_platform:{platform.id}",
                 detail={"course": choice.course_id, "target": choice.target,
                         "deployment_id": settings.deployment_id})
    log_security_event("lti.deep_link", user_id=user.id, course=choice.course_id)
    _allow_platform(platform, settings.return_url)
    return Response(render_template("lti/deep_link_return.html", return_url=settings.return_url,
                                    jwt=jwt, choice=choice))
