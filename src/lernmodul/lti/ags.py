"""LTI Assignment and Grade Services: the line item of a launch, and the score sender.

A launch with the AGS endpoint claim (a `lineitem` and the score scope) is remembered per
(platform, person, course, resource link). The sender of the outbox's "ags" deliveries gets
an access token by OAuth 2 client credentials with a JWT assertion signed by the tool key
(pylti1p3's ServiceConnector), keeps it until shortly before it expires, and posts the score
to `<lineitem>/scores` (pylti1p3's AssignmentsGradesService)."""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import requests
from pylti1p3.assignments_grades import AssignmentsGradesService
from pylti1p3.exception import LtiServiceException
from pylti1p3.grade import Grade
from pylti1p3.registration import Registration
from pylti1p3.service_connector import ServiceConnector
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from lernmodul.db.lti import LtiLineItem, LtiPlatform
from lernmodul.lti.keys import load_or_create_tool_key
from lernmodul.lti.launch import Launch
from lernmodul.lti.users import RESOURCE_LINK_CLAIM
from lernmodul.outbox import DeliveryItem, PermanentDeliveryError, RetryableDeliveryError
from lernmodul.services.score_return import KIND

AGS_CLAIM = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
SCORE_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
TOKEN_MARGIN_SECONDS = 30  # renew this long before the platform says the token expires
MAX_MESSAGE = 200
#: config key of the session factory the sender reads platforms with (set by the web edge)
SESSIONS_KEY = "OUTBOX_DB_SESSIONS"

__all__ = ["AGS_CLAIM", "KIND", "SCORE_SCOPE", "remember_line_item", "send_score"]


def remember_line_item(session: Session, launch: Launch, *, user_id: int, course_id: str,
                       now: datetime) -> LtiLineItem | None:
    """Stores (or updates) the line item of this launch when the platform offers score return;
    None when the launch has no AGS claim with a line item and the score scope."""
    claim = launch.claims.get(AGS_CLAIM)
    if not isinstance(claim, dict):
        return None
    url, scopes = claim.get("lineitem"), claim.get("scope")
    if not isinstance(url, str) or not url.startswith(("https://", "http://")) or len(url) > 1000 \
            or not isinstance(scopes, list) or SCORE_SCOPE not in scopes:
        return None
    link = launch.claims.get(RESOURCE_LINK_CLAIM)
    link_id = str(link.get("id", "")) if isinstance(link, dict) else ""
    subject = str(launch.claims.get("sub", ""))
    row = session.scalars(select(LtiLineItem).where(
        LtiLineItem.platform_id == launch.platform.id, LtiLineItem.user_id == user_id,
        LtiLineItem.course_id == course_id, LtiLineItem.resource_link_id == link_id[:255])).first()
    if row is None:
        row = LtiLineItem(platform_id=launch.platform.id, user_id=user_id, course_id=course_id,
                          resource_link_id=link_id[:255])
        session.add(row)
    row.subject, row.lineitem_url, row.updated_at = subject[:255], url, now
    session.flush()
    return row


# --- sending -------------------------------------------------------------------------------

_tokens: dict[str, tuple[str, float]] = {}  # scope key -> (token, monotonic expiry)
_tokens_lock = threading.Lock()


class _CachingConnector(ServiceConnector):
    """pylti1p3's connector with the process-wide token cache it leaves to its users."""

    def _get_cached_access_token(self, scope_key: str) -> str | None:
        with _tokens_lock:
            found = _tokens.get(scope_key)
            if found is not None and found[1] > time.monotonic():
                return found[0]
            _tokens.pop(scope_key, None)
        return None

    def _cache_access_token(self, scope_key: str, access_token: str, expires_in: float) -> None:
        lifetime = float(expires_in or 0) - TOKEN_MARGIN_SECONDS
        if lifetime > 0:
            with _tokens_lock:
                _tokens[scope_key] = (access_token, time.monotonic() + lifetime)

    def forget_token(self, scopes: list[str]) -> None:
        with _tokens_lock:
            _tokens.pop(self._scope_key(sorted(scopes)), None)


class _TimeoutSession(requests.Session):
    def __init__(self, timeout: float) -> None:
        super().__init__()
        self.timeout = timeout
        self.headers["User-Agent"] = "lernmodul"

    def request(self, *args: Any, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", self.timeout)
        return super().request(*args, **kwargs)


def _platform(config: Mapping[str, Any], platform_id: int) -> tuple[str, str, str]:
    factory: sessionmaker[Session] = config[SESSIONS_KEY]
    with factory() as session:
        platform = session.get(LtiPlatform, platform_id)
        if platform is None:
            raise PermanentDeliveryError(f"platform {platform_id} is no longer registered")
        return platform.issuer, platform.client_id, platform.token_url


def send_score(item: DeliveryItem, config: Mapping[str, Any]) -> None:
    """The outbox's sender of "ags" deliveries: token (cached), then POST <lineitem>/scores."""
    issuer, client_id, token_url = _platform(config, int(item.payload["platform_id"]))
    if not token_url:
        raise RetryableDeliveryError("the platform has no token URL (admin area: LTI platforms)")
    private_pem, public_pem = load_or_create_tool_key(Path(config["INSTANCE_PATH"]))
    # the public key gives the assertion's kid: the one /lti/jwks publishes
    registration = (Registration().set_issuer(issuer).set_client_id(client_id)
                    .set_auth_token_url(token_url).set_auth_audience(token_url)
                    .set_tool_private_key(private_pem).set_tool_public_key(public_pem))
    connector = _CachingConnector(registration, _TimeoutSession(
        float(config.get("OUTBOX_SEND_TIMEOUT_SECONDS", 10))))
    scopes = [SCORE_SCOPE]
    service = AssignmentsGradesService(connector, {"scope": scopes,  # type: ignore[typeddict-item]
                                                   "lineitem": item.payload["lineitem"]})
    score = item.payload["score"]
    grade = (Grade().set_user_id(score["userId"]).set_score_given(score["scoreGiven"])
             .set_score_maximum(score["scoreMaximum"])
             .set_activity_progress(score["activityProgress"])
             .set_grading_progress(score["gradingProgress"]).set_timestamp(score["timestamp"]))
    for attempt in (1, 2):
        try:
            service.put_grade(grade)
            return
        except LtiServiceException as error:
            status = error.response.status_code
            if status == 401 and attempt == 1:  # the token expired early: a new one, once
                connector.forget_token(scopes)
                continue
            raise _failure(error.response, "token" if "access token" in str(error) else "score") \
                from error
        except requests.RequestException as error:
            raise RetryableDeliveryError(f"{type(error).__name__}: {_host(item)}") from error


def _host(item: DeliveryItem) -> str:
    return str(item.payload.get("lineitem", ""))[:MAX_MESSAGE]


def _failure(response: requests.Response, step: str) -> Exception:
    message = " ".join((response.text or "").split())[:MAX_MESSAGE]
    text = f"platform answered {response.status_code} to the {step} request" + (
        f": {message}" if message else "")
    if response.status_code >= 500 or response.status_code in (401, 408, 429):
        return RetryableDeliveryError(text)
    return PermanentDeliveryError(text)
