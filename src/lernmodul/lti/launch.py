"""Login initiation and resource-link launch, validated by pylti1p3 plus the checks it leaves out."""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import jwt
from pylti1p3.contrib.flask.message_launch import FlaskMessageLaunch
from pylti1p3.contrib.flask.oidc_login import FlaskOIDCLogin
from pylti1p3.contrib.flask.request import FlaskRequest
from pylti1p3.exception import LtiException, OIDCException
from sqlalchemy import select
from sqlalchemy.orm import Session

from lernmodul.db.lti import LtiPlatform
from lernmodul.lti.config import (
    DatabaseSessionService,
    DatabaseToolConf,
    LtiCookieService,
    find_platform,
)

MESSAGE_TYPE = "https://purl.imsglobal.org/spec/lti/claim/message_type"
VERSION = "https://purl.imsglobal.org/spec/lti/claim/version"
DEEP_LINKING_SETTINGS = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"
RESOURCE_LINK_REQUEST = "LtiResourceLinkRequest"
DEEP_LINKING_REQUEST = "LtiDeepLinkingRequest"
MESSAGE_TYPES = frozenset({RESOURCE_LINK_REQUEST, DEEP_LINKING_REQUEST})
CLOCK_SKEW_SECONDS = 60
Write = Callable[[], AbstractContextManager[Session]]


class LaunchError(Exception):
    """Why a login or launch is refused; `code` names the message, `detail` is for the log."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail


@dataclass(frozen=True, slots=True)
class Launch:
    """A validated launch (resource link or deep linking): the platform and the id token's claims."""

    platform: LtiPlatform
    claims: dict[str, Any]

    @property
    def is_deep_linking(self) -> bool:
        """Whether the platform asks for content to place (an LtiDeepLinkingRequest)."""
        return self.claims.get(MESSAGE_TYPE) == DEEP_LINKING_REQUEST


def login_redirect_url(session: Session, params: dict[str, str], *, launch_url: str,
                       write: Write, now: datetime, keys: tuple[str, str]) -> tuple[str, Any]:
    """Third-party login initiation: the platform's authorisation URL to redirect to, and the
    library's cookie service (its state cookie goes on the response). LaunchError else."""
    if not _issuer_known(session, params.get("iss")):
        raise LaunchError("unknown_issuer", f"iss={params.get('iss')!r}")
    if find_platform(session, params.get("iss"), params.get("client_id")) is None:
        raise LaunchError("unknown_client", f"client_id={params.get('client_id')!r}")
    request = FlaskRequest(request_data=params, request_is_secure=True)  # type: ignore[no-untyped-call]
    cookies = LtiCookieService(request)  # type: ignore[no-untyped-call]
    login = FlaskOIDCLogin(request, DatabaseToolConf(session, *keys),
                           session_service=DatabaseSessionService(request, session, write, now),
                           cookie_service=cookies)
    try:
        url = login.get_redirect_object(launch_url).get_redirect_url()
    except OIDCException as error:
        raise LaunchError("bad_request", str(error)) from error
    return str(url), cookies


def _issuer_known(session: Session, issuer: str | None) -> bool:
    return bool(issuer) and session.scalar(select(LtiPlatform.id).where(LtiPlatform.issuer == issuer)
                                           .limit(1)) is not None


def validate_launch(session: Session, params: dict[str, str], cookies: dict[str, str], *,
                    write: Write, now: datetime, keys: tuple[str, str]) -> Launch:
    """The launch of the id token in `params`, fully checked; LaunchError with a code else."""
    token = params.get("id_token") or ""
    try:
        header = jwt.get_unverified_header(token)
        unverified = jwt.decode(token, options={"verify_signature": False})
    except jwt.InvalidTokenError as error:
        raise LaunchError("bad_token", str(error)) from error
    if header.get("alg") != "RS256":
        raise LaunchError("bad_signature", f"alg {header.get('alg')!r}")
    issuer = unverified.get("iss")
    audience = unverified.get("aud")
    audiences = audience if isinstance(audience, list) else [audience]
    if not _issuer_known(session, issuer):
        raise LaunchError("unknown_issuer", f"iss={issuer!r}")
    if not any(find_platform(session, issuer, str(a)) for a in audiences if a):
        raise LaunchError("unknown_client", f"aud={audience!r}")
    request = FlaskRequest(  # type: ignore[no-untyped-call]
        cookies=cookies, session={}, request_data=params, request_is_secure=True)
    conf = DatabaseToolConf(session, *keys)
    cookie_service = LtiCookieService(request)  # type: ignore[no-untyped-call]
    message = FlaskMessageLaunch(request, conf, cookie_service=cookie_service,
                                 session_service=DatabaseSessionService(request, session, write, now))
    message.set_jwt_verify_options({"verify_aud": False, "require": ["exp", "iat"]})
    message.set_auto_validation(enable=False)
    # The library's own steps, one by one, so that each refusal has its own code.
    steps = (("no_state", message.validate_state), ("bad_token", message.validate_jwt_format),
             ("replayed_nonce", message.validate_nonce), ("unknown_client", message.validate_registration),
             ("bad_signature", message.validate_jwt_signature),
             ("unknown_deployment", message.validate_deployment),
             ("wrong_message_type", lambda: _check_message_type(dict(message.get_launch_data()))),
             ("no_deep_linking_settings",
              lambda: _check_deep_linking_settings(dict(message.get_launch_data()))),
             ("wrong_message_type", message.validate_message))
    for code, step in steps:
        try:
            step()
        except (LtiException, OIDCException, KeyError, ValueError) as error:
            if code == "bad_signature" and isinstance(error.__cause__, jwt.ExpiredSignatureError):
                code = "expired"
            raise LaunchError(code, str(error)) from error
    claims: dict[str, Any] = dict(message.get_launch_data())
    platform = conf.platform
    assert platform is not None
    _check_claims(claims, platform)
    return Launch(platform=platform, claims=claims)


def _check_message_type(claims: dict[str, Any]) -> None:
    if claims.get(MESSAGE_TYPE) not in MESSAGE_TYPES or claims.get(VERSION) != "1.3.0":
        raise ValueError(f"message type {claims.get(MESSAGE_TYPE)!r}, version {claims.get(VERSION)!r}")


def _check_deep_linking_settings(claims: dict[str, Any]) -> None:
    """A deep-linking request must say where the answer goes and that it takes resource links."""
    if claims.get(MESSAGE_TYPE) != DEEP_LINKING_REQUEST:
        return
    settings = claims.get(DEEP_LINKING_SETTINGS)
    if not isinstance(settings, dict):
        raise ValueError("no deep_linking_settings")
    url = settings.get("deep_link_return_url")
    parts = urlsplit(url) if isinstance(url, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"deep_link_return_url {url!r}")
    accepted = settings.get("accept_types")
    if not isinstance(accepted, list) or "ltiResourceLink" not in accepted:
        raise ValueError(f"accept_types {accepted!r}")


def _check_claims(claims: dict[str, Any], platform: LtiPlatform) -> None:
    """What the library does not check: audience/azp, issued-at, the subject."""
    audience = claims.get("aud")
    audiences = audience if isinstance(audience, list) else [audience]
    if platform.client_id not in audiences:
        raise LaunchError("unknown_client", "aud")
    azp = claims.get("azp")
    if (len(audiences) > 1 or azp is not None) and azp != platform.client_id:
        raise LaunchError("unknown_client", "azp")
    issued = claims.get("iat")
    if not isinstance(issued, (int, float)) or issued > time.time() + CLOCK_SKEW_SECONDS:
        raise LaunchError("expired", "iat in the future")
    if not claims.get("sub"):
        raise LaunchError("no_subject")
