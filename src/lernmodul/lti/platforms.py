"""Registering learning platforms: checked values, one transaction, an audit row per change."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from lernmodul.db.lti import LtiOneTime, LtiPlatform
from lernmodul.lti.context import store_context_units, stored_context_units
from lernmodul.services.audit import record_event

LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
MAX_DEPLOYMENTS = 50


class PlatformError(ValueError):
    """A value that cannot be registered; `field` names the form field, `code` the message."""

    def __init__(self, field: str, code: str) -> None:
        super().__init__(f"{field}: {code}")
        self.field = field
        self.code = code


@dataclass(frozen=True, slots=True)
class PlatformValues:
    """What an administrator enters for a platform."""

    name: str
    issuer: str
    client_id: str
    deployment_ids: tuple[str, ...]
    auth_login_url: str
    token_url: str
    jwks_url: str
    trust_instructors: bool
    # LMS context id -> existing org unit id; None keeps what the platform has (dynamic registration)
    context_units: tuple[tuple[str, int], ...] | None = None


def check_url(value: str, field: str, *, required: bool = True) -> str:
    """An https URL (http only for this machine, for tests); PlatformError else."""
    text = value.strip()
    if not text:
        if required:
            raise PlatformError(field, "required")
        return ""
    parts = urlsplit(text)
    local = parts.scheme == "http" and (parts.hostname or "") in LOCAL_HOSTS
    if not parts.netloc or (parts.scheme != "https" and not local) or any(c.isspace() for c in text):
        raise PlatformError(field, "not_https")
    return text


def parse_deployments(text: str) -> tuple[str, ...]:
    """Deployment ids, one a line (commas also separate); duplicates dropped, order kept."""
    seen: dict[str, None] = {}
    for part in text.replace(",", "\n").splitlines():
        if part.strip():
            seen[part.strip()] = None
    if not seen:
        raise PlatformError("deployment_ids", "required")
    if len(seen) > MAX_DEPLOYMENTS or any(len(d) > 255 for d in seen):
        raise PlatformError("deployment_ids", "too_many")
    return tuple(seen)


def save_platform(session: Session, values: PlatformValues, *, now: datetime, actor_id: int,
                  platform: LtiPlatform | None = None) -> LtiPlatform:
    """Creates (platform None) or updates a platform; PlatformError("issuer", "taken") when the
    (issuer, client id) pair is registered already."""
    issuer = check_url(values.issuer, "issuer")
    client_id = values.client_id.strip()
    if not client_id:
        raise PlatformError("client_id", "required")
    auth = check_url(values.auth_login_url, "auth_login_url")
    token = check_url(values.token_url, "token_url", required=False)
    jwks = check_url(values.jwks_url, "jwks_url")
    other = session.scalar(select(LtiPlatform.id).where(
        LtiPlatform.issuer == issuer, LtiPlatform.client_id == client_id))
    if other is not None and (platform is None or other != platform.id):
        raise PlatformError("client_id", "taken")
    created = platform is None
    if platform is None:
        platform = LtiPlatform(created_at=now)
        session.add(platform)
    platform.name = values.name.strip() or issuer
    platform.issuer, platform.client_id = issuer, client_id
    platform.deployment_ids = "\n".join(values.deployment_ids)
    platform.auth_login_url, platform.token_url, platform.jwks_url = auth, token, jwks
    platform.trust_instructors = values.trust_instructors
    if values.context_units is not None:
        platform.context_units = store_context_units(values.context_units)
    elif created:
        platform.context_units = ""
    platform.updated_at = now
    session.flush()
    record_event(session, action="lti.platform_create" if created else "lti.platform_update", at=now,
                 actor_id=actor_id, target=f"lti_platform:{platform.id}",
                 detail={"issuer": issuer, "client_id": client_id,
                         "deployment_ids": list(values.deployment_ids),
                         "trust_instructors": values.trust_instructors,
                         "context_units": dict(stored_context_units(platform))})
    return platform


REGISTRATION_LINK_LIFETIME = timedelta(hours=24)


def registration_link_key(secret: str) -> str:
    """How a registration link's secret is stored: hashed, never as it is."""
    return "registration:" + hashlib.sha256(secret.encode()).hexdigest()


def create_registration_secret(session: Session, *, actor_id: int, now: datetime) -> str:
    """The secret of a new one-time link for LTI Dynamic Registration (24 hours, used once),
    stored hashed with its creator; audit-logged."""
    secret = secrets.token_urlsafe(32)
    session.add(LtiOneTime(key=registration_link_key(secret), purpose="registration", user_id=actor_id,
                           expires_at=now + REGISTRATION_LINK_LIFETIME))
    record_event(session, action="lti.registration_link", at=now, actor_id=actor_id,
                 target=f"user:{actor_id}", detail={"expires_at": (now + REGISTRATION_LINK_LIFETIME)
                                                    .isoformat()})
    return secret
