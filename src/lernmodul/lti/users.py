"""From a validated launch to a signed-in account and the course its resource link names."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from lernmodul.db.models import Role, User, UserRole
from lernmodul.identity.claims import MAX_NAME, ClaimMapping, Identity, IdentityError, map_claims
from lernmodul.identity.linking import sign_in
from lernmodul.lti.context import apply_context_unit
from lernmodul.lti.launch import Launch
from lernmodul.services.audit import record_event

ROLES_CLAIM = "https://purl.imsglobal.org/spec/lti/claim/roles"
CUSTOM_CLAIM = "https://purl.imsglobal.org/spec/lti/claim/custom"
LIS_CLAIM = "https://purl.imsglobal.org/spec/lti/claim/lis"
RESOURCE_LINK_CLAIM = "https://purl.imsglobal.org/spec/lti/claim/resource_link"
INSTRUCTOR_ROLES = frozenset({
    "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor",
    "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Instructor",
    "Instructor",
})
AUTHOR_ROLE_NAMES = frozenset({"Instructor", "ContentDeveloper", "Administrator"})
PERSONNEL_NUMBER_KEYS = ("personnel_number", "personalnummer")


def personnel_number(claims: dict[str, Any]) -> str | None:
    """A custom parameter personnel_number, else lis.person_sourcedid; None when neither is sent."""
    custom = claims.get(CUSTOM_CLAIM) or {}
    for key in PERSONNEL_NUMBER_KEYS:
        value = custom.get(key) if isinstance(custom, dict) else None
        if isinstance(value, str) and value.strip() and not value.startswith("$"):
            return value.strip()
    lis = claims.get(LIS_CLAIM) or {}
    value = lis.get("person_sourcedid") if isinstance(lis, dict) else None
    return value.strip() if isinstance(value, str) and value.strip() else None


def course_of(claims: dict[str, Any]) -> str | None:
    """The course the resource link points at: the custom parameter course=<course id>."""
    custom = claims.get(CUSTOM_CLAIM) or {}
    value = custom.get("course") if isinstance(custom, dict) else None
    return value.strip() if isinstance(value, str) and value.strip() else None


def target_of(claims: dict[str, Any]) -> str | None:
    """What of the course the link opens: "exam" for its final exam alone, None for the course."""
    custom = claims.get(CUSTOM_CLAIM) or {}
    value = custom.get("target") if isinstance(custom, dict) else None
    return "exam" if isinstance(value, str) and value.strip() == "exam" else None


def may_place_content(claims: dict[str, Any]) -> bool:
    """Whether the person may pick content in a deep-linking dialog: an Instructor, a content
    developer or an administrator of the platform (its course or its institution)."""
    roles = claims.get(ROLES_CLAIM) or []
    return isinstance(roles, list) and any(
        role in INSTRUCTOR_ROLES or str(role).rsplit("#", 1)[-1] in AUTHOR_ROLE_NAMES for role in roles)


def is_instructor(claims: dict[str, Any]) -> bool:
    roles = claims.get(ROLES_CLAIM) or []
    return isinstance(roles, list) and any(role in INSTRUCTOR_ROLES for role in roles)


def identity_of(launch: Launch) -> Identity:
    """The person of the launch, keyed by (platform issuer, sub); roles stay unmanaged here."""
    claims = dict(launch.claims)
    number = personnel_number(claims)
    if number is not None:
        claims["lti_personnel_number"] = number
    identity = map_claims(claims, ClaimMapping(personnel_number="lti_personnel_number", email="email",
                                               name="name"),
                          kind="lti", issuer=launch.platform.issuer, subject=str(claims.get("sub", "")))
    if not claims.get("name"):
        given = " ".join(str(claims.get(k) or "") for k in ("given_name", "family_name")).strip()
        if given:
            identity = Identity(kind=identity.kind, issuer=identity.issuer, subject=identity.subject,
                                email=identity.email, name=given[:MAX_NAME],
                                personnel_number=identity.personnel_number)
    return identity


def sign_in_launch(session: Session, launch: Launch, *, now: datetime) -> tuple[User, bool]:
    """The account of the launch (created just in time) with the roles the launch gives.

    LTI adds roles, never takes them away: every person launched is a learner; Instructor makes
    a trainer only when the platform is trusted for that; the platform's context mapping may put
    the person into an org unit (lernmodul.lti.context). Returns (user, created); raises
    IdentityError (the account cannot sign in)."""
    result = sign_in(session, identity_of(launch), now=now)
    user = result.user
    wanted = {Role.LEARNER.value}
    if launch.platform.trust_instructors and is_instructor(launch.claims):
        wanted.add(Role.TRAINER.value)
    added = sorted(wanted - set(user.role_names))
    if added:
        for role in added:
            user.roles.append(UserRole(role=role, org_unit_id=None))
        session.flush()
        record_event(session, action="user.update", at=now, actor_id=None, target=f"user:{user.id}",
                     detail={"source": "lti", "issuer": launch.platform.issuer, "fields": ["roles"],
                             "roles_added": added})
    apply_context_unit(session, user, launch.platform, launch.claims, now=now)
    record_event(session, action="lti.launch", at=now, actor_id=user.id, target=f"user:{user.id}",
                 detail={"platform": launch.platform.id, "course": course_of(launch.claims),
                         "deployment_id": launch.claims.get(
                             "https://purl.imsglobal.org/spec/lti/claim/deployment_id")})
    return user, result.created


__all__ = ["IdentityError", "course_of", "identity_of", "is_instructor", "may_place_content",
           "sign_in_launch", "target_of"]
