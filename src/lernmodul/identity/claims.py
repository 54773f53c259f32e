"""From a provider's claims (OIDC ID token/userinfo, SAML attributes, LDAP entry) to an Identity.

Pure: plain dicts in, an `Identity` out, or `IdentityError` with a code the web edge turns into
a message. The mapping is configuration: which claim holds the personnel number, e-mail, name
and org-unit path, and which groups give which role.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

ROLES = ("learner", "trainer", "hr", "admin")
MAX_NAME = 200
MAX_EMAIL = 320
MAX_NUMBER = 64
MAX_SUBJECT = 255
MAX_ISSUER = 500
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_CONTROL = re.compile(r"[\x00-\x1f]")


class IdentityError(Exception):
    """Why an identity cannot sign in; `code` names it for the message, `detail` for the log."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail


@dataclass(frozen=True, slots=True)
class Identity:
    """A person as the identity provider or directory describes them.

    `unit_path` None: the provider says nothing about the unit (it stays as it is); `roles`
    None: roles are not managed by the provider (they stay as they are)."""

    kind: str  # oidc | saml | ldap | lti
    issuer: str
    subject: str
    email: str
    name: str
    personnel_number: str | None = None
    unit_path: tuple[str, ...] | None = None
    roles: frozenset[str] | None = None


@dataclass(frozen=True, slots=True)
class ClaimMapping:
    """Which claim (attribute) holds what; `group_roles` maps group names to roles.

    With `group_roles` empty, roles are not managed by the provider. Every person the provider
    signs in is a learner; groups add roles."""

    personnel_number: str | None = "employeeNumber"
    email: str = "email"
    name: str = "name"
    unit_path: str | None = None
    unit_separator: str = "/"
    groups: str = "groups"
    group_roles: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any], prefix: str) -> ClaimMapping:
        """From settings such as OIDC_CLAIM_EMAIL, OIDC_GROUP_ROLES = {"lm-hr": "hr"}."""
        def get(key: str, default: Any) -> Any:
            value = settings.get(f"{prefix}_{key}", default)
            return default if value == "" else value

        group_roles = get("GROUP_ROLES", {}) or {}
        if isinstance(group_roles, str):  # from the environment: "group=role,group=role"
            group_roles = dict(pair.split("=", 1) for pair in group_roles.split(",") if "=" in pair)
        bad = sorted({role for role in group_roles.values() if role not in ROLES})
        if bad:
            raise ValueError(f"{prefix}_GROUP_ROLES names unknown roles: {', '.join(bad)}")
        base = cls()
        return cls(personnel_number=get("CLAIM_PERSONNEL_NUMBER", base.personnel_number),
                   email=get("CLAIM_EMAIL", base.email), name=get("CLAIM_NAME", base.name),
                   unit_path=get("CLAIM_UNIT_PATH", base.unit_path),
                   unit_separator=get("UNIT_SEPARATOR", base.unit_separator),
                   groups=get("CLAIM_GROUPS", base.groups), group_roles=dict(group_roles))


def _first(value: Any) -> Any:
    """SAML and LDAP give lists of values; the first one counts."""
    if isinstance(value, (list, tuple)):
        return value[0] if value else None
    return value


def _text(claims: Mapping[str, Any], key: str | None) -> str | None:
    if not key:
        return None
    value = _first(claims.get(key))
    if value is None:
        return None
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    text = str(value).strip()
    if _CONTROL.search(text):
        raise IdentityError("bad_claim", f"{key} contains control characters")
    return text or None


def _groups(claims: Mapping[str, Any], key: str) -> list[str]:
    value = claims.get(key)
    if value is None:
        return []
    values: Sequence[Any] = value if isinstance(value, (list, tuple)) else [value]
    return [v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v) for v in values]


def group_name(value: str) -> str:
    """A group as configured: 'cn=lm-hr,ou=groups,dc=…' and '/lm-hr' both match 'lm-hr'."""
    text = value.strip()
    if "=" in text.split(",", 1)[0]:
        text = text.split(",", 1)[0].split("=", 1)[1]
    return text.strip("/").rsplit("/", 1)[-1].strip()


@functools.lru_cache(maxsize=64)
def _wanted_groups(group_roles: tuple[tuple[str, str], ...]) -> dict[str, str]:
    """Configured group name (casefolded) -> role; a directory sync maps thousands of people."""
    return {group_name(key).casefold(): role for key, role in group_roles}


def map_claims(claims: Mapping[str, Any], mapping: ClaimMapping, *, kind: str, issuer: str,
               subject: str) -> Identity:
    """The Identity the claims describe; IdentityError("missing_claim" | "bad_claim") else."""
    if not issuer or len(issuer) > MAX_ISSUER:
        raise IdentityError("bad_claim", "issuer")
    if not subject or len(subject) > MAX_SUBJECT or _CONTROL.search(subject) is not None:
        raise IdentityError("bad_claim", "subject")
    email = _text(claims, mapping.email)
    if email is None:
        raise IdentityError("missing_claim", mapping.email)
    email = email.lower()
    if len(email) > MAX_EMAIL or not _EMAIL.match(email):
        raise IdentityError("bad_claim", f"{mapping.email} is not an e-mail address")
    name = _text(claims, mapping.name) or email.split("@", 1)[0]
    number = _text(claims, mapping.personnel_number)
    if number is not None and len(number) > MAX_NUMBER:
        raise IdentityError("bad_claim", f"{mapping.personnel_number} is too long")
    unit_path: tuple[str, ...] | None = None
    if mapping.unit_path:
        raw = claims.get(mapping.unit_path)
        if isinstance(raw, (list, tuple)) and len(raw) > 1:
            parts = [str(p).strip() for p in raw]  # a path given as a list of names
        else:
            text = _text(claims, mapping.unit_path)
            parts = [p.strip() for p in text.split(mapping.unit_separator)] if text else []
        parts = [p for p in parts if p]
        unit_path = tuple(parts) if parts else None
    roles: frozenset[str] | None = None
    if mapping.group_roles:
        wanted = _wanted_groups(tuple(mapping.group_roles.items()))
        granted = {wanted[g] for g in (group_name(x).casefold() for x in _groups(claims, mapping.groups))
                   if g in wanted}
        roles = frozenset({"learner", *granted})
    return Identity(kind=kind, issuer=issuer, subject=subject, email=email, name=name[:MAX_NAME],
                    personnel_number=number, unit_path=unit_path, roles=roles)
