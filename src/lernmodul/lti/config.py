"""What pylti1p3 asks of the tool: registrations from the database, nonces kept in it, cookies.

Flask-specific only through the library's own Flask adapter (request and cookie reading)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import datetime, timedelta
from typing import Any

from pylti1p3.contrib.flask.cookie import FlaskCookieService
from pylti1p3.contrib.flask.request import FlaskRequest
from pylti1p3.contrib.flask.session import FlaskSessionService
from pylti1p3.deployment import Deployment
from pylti1p3.registration import Registration
from pylti1p3.tool_config.abstract import ToolConfAbstract
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from lernmodul.db.lti import LtiOneTime, LtiPlatform

NONCE_LIFETIME = timedelta(minutes=10)
STATE_COOKIE_SECONDS = 5 * 60


def find_platform(session: Session, issuer: str | None, client_id: str | None) -> LtiPlatform | None:
    """The platform of (issuer, client id); with no client id, the issuer's only platform."""
    if not issuer:
        return None
    query = select(LtiPlatform).where(LtiPlatform.issuer == issuer)
    if client_id:
        return session.scalars(query.where(LtiPlatform.client_id == client_id)).first()
    found = list(session.scalars(query.limit(2)))
    return found[0] if len(found) == 1 else None


def registration_of(platform: LtiPlatform, private_pem: str, public_pem: str) -> Registration:
    """The library's registration of a platform, with the tool key that signs our messages."""
    return (Registration().set_issuer(platform.issuer).set_client_id(platform.client_id)
            .set_key_set_url(platform.jwks_url).set_auth_login_url(platform.auth_login_url)
            .set_auth_token_url(platform.token_url or "").set_auth_audience(platform.token_url or "")
            .set_tool_private_key(private_pem).set_tool_public_key(public_pem))


class DatabaseToolConf(ToolConfAbstract[FlaskRequest]):
    """The registered platforms as the library's tool configuration (many clients per issuer)."""

    def __init__(self, session: Session, private_pem: str, public_pem: str) -> None:
        self._session = session
        self._private_pem = private_pem
        self._public_pem = public_pem
        self.platform: LtiPlatform | None = None

    def check_iss_has_one_client(self, iss: str) -> bool:
        return False

    def check_iss_has_many_clients(self, iss: str) -> bool:
        return True

    def _registration(self, platform: LtiPlatform | None) -> Registration:
        self.platform = platform
        if platform is None:
            return None  # type: ignore[return-value]  # the library checks for a falsy value
        return registration_of(platform, self._private_pem, self._public_pem)

    def find_registration_by_issuer(self, iss: str, *args: Any, **kwargs: Any) -> Registration:
        return self._registration(find_platform(self._session, iss, None))

    def find_registration_by_params(self, iss: str, client_id: str, *args: Any,
                                    **kwargs: Any) -> Registration:
        return self._registration(find_platform(self._session, iss, client_id))

    def find_deployment(self, iss: str, deployment_id: str) -> Deployment | None:
        return self.find_deployment_by_params(iss, deployment_id, "")

    def find_deployment_by_params(self, iss: str, deployment_id: str, client_id: str, *args: Any,
                                  **kwargs: Any) -> Deployment | None:
        platform = find_platform(self._session, iss, client_id or None)
        if platform is None or deployment_id not in platform.deployments:
            return None
        return Deployment().set_deployment_id(deployment_id)


def nonce_key(nonce: str) -> str:
    return "nonce:" + hashlib.sha256(nonce.encode()).hexdigest()


class DatabaseSessionService(FlaskSessionService):
    """Nonces in the database, each usable once by whichever worker receives the launch.

    `write` opens a short transaction of its own for the nonce of a login initiation (which may
    be a GET); the launch consumes the nonce in `session`, the request's transaction, so that a
    refused launch leaves it as it was. The library's launch cache is not used."""

    def __init__(self, request: FlaskRequest, session: Session,
                 write: Callable[[], AbstractContextManager[Session]], now: datetime) -> None:
        super().__init__(request)
        self._session = session
        self._write = write
        self._now = now

    def save_nonce(self, nonce: str) -> None:
        with self._write() as session:
            # whatever has expired (nonces and new-window tokens) goes on the way
            session.execute(delete(LtiOneTime).where(LtiOneTime.expires_at < self._now))
            session.add(LtiOneTime(key=nonce_key(nonce), purpose="nonce",
                                   expires_at=self._now + NONCE_LIFETIME))

    def check_nonce(self, nonce: str) -> bool:
        result = self._session.execute(delete(LtiOneTime).where(
            LtiOneTime.key == nonce_key(nonce), LtiOneTime.purpose == "nonce",
            LtiOneTime.expires_at >= self._now))
        return bool(getattr(result, "rowcount", 0) == 1)

    def save_launch_data(self, key: str, jwt_body: Any) -> None:
        return None

    def set_state_valid(self, state: str, id_token_hash: str) -> None:
        return None

    def check_state_is_valid(self, state: str, id_token_hash: str) -> bool:
        return False  # only the state cookie counts


class LtiCookieService(FlaskCookieService):
    """The state cookie of the login: SameSite=None; Secure, because the launch is a cross-site
    POST from the platform (often inside its iframe). Only the LTI routes set it."""

    def update_response(self, response: Any) -> None:
        for key, data in self._cookie_data_to_set.items():
            response.set_cookie(key=key, value=data["value"], max_age=data["exp"], secure=True,
                                path="/lti/", httponly=True, samesite="None", partitioned=True)
