"""The directory's settings (LDAP_* in the app's configuration), with the OpenLDAP and AD presets.

Pure: a mapping in (the Flask config, or any dict), a `DirectorySettings` out, or
`DirectoryConfigError` naming the setting that is wrong."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from lernmodul.identity.claims import ROLES

PRESETS: dict[str, dict[str, Any]] = {
    "openldap": {
        "USER_FILTER": "(objectClass=inetOrgPerson)",
        "ATTRIBUTE_SUBJECT": "entryUUID",
        "DISABLED_FILTER": None,
        "LOGIN_ATTRIBUTES": "",
    },
    "ad": {
        # objectClass=user alone also matches computer accounts; the built-in accounts
        # (Administrator, Guest, krbtgt) are critical system objects, never staff
        "USER_FILTER": "(&(objectCategory=person)(objectClass=user)(!(isCriticalSystemObject=TRUE)))",
        "ATTRIBUTE_SUBJECT": "objectGUID",
        "DISABLED_FILTER": None,  # userAccountControl bit 2 (ACCOUNTDISABLE), read per entry
        "LOGIN_ATTRIBUTES": "sAMAccountName",
    },
}

#: Every setting with its default; the preset fills those left at None.
DEFAULTS: dict[str, Any] = {
    "LDAP_URL": None,  # ldap://host[:port] or ldaps://host[:port]
    "LDAP_START_TLS": False,
    "LDAP_CA_FILE": None,  # PEM file of a private CA; default: the system's trusted CAs
    "LDAP_BIND_DN": None,
    "LDAP_BIND_PASSWORD": None,  # set it in the environment  # nosec B105
    "LDAP_BASE_DN": None,
    "LDAP_PRESET": "openldap",  # openldap | ad
    "LDAP_USER_FILTER": None,
    "LDAP_DISABLED_FILTER": None,  # e.g. (pwdAccountLockedTime=*) with the ppolicy overlay
    "LDAP_ATTRIBUTE_SUBJECT": None,
    "LDAP_ATTRIBUTE_PERSONNEL_NUMBER": "employeeNumber",
    "LDAP_ATTRIBUTE_NAME": "displayName,cn",  # the first one present
    "LDAP_ATTRIBUTE_EMAIL": "mail",
    "LDAP_UNIT_ATTRIBUTE": None,  # None: the OU path of the entry below the base DN
    "LDAP_UNIT_SEPARATOR": "/",
    "LDAP_GROUP_ROLES": {},  # {"lm-hr": "hr", "cn=lm-trainer,ou=Gruppen,dc=…": "trainer"}
    "LDAP_GROUP_MEMBERSHIP": "memberOf",  # memberOf (on the person) | member (on the group)
    "LDAP_GROUP_BASE_DN": None,  # for "member": default the base DN
    "LDAP_GROUP_FILTER": "(|(objectClass=groupOfNames)(objectClass=groupOfUniqueNames)(objectClass=group))",
    "LDAP_LOGIN_ATTRIBUTES": None,  # further attributes one may sign in with (AD: sAMAccountName)
    "LDAP_BIND_LOGIN": False,  # check the login form's password by binding as the person
    "LDAP_PAGE_SIZE": 500,
    "LDAP_TIMEOUT": 10,
}


class DirectoryConfigError(Exception):
    """A setting is missing or wrong; the message names it."""


def _names(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(",") if part.strip())
    return tuple(str(part).strip() for part in value if str(part).strip())


def _group_roles(value: Any) -> dict[str, str]:
    if not value:
        return {}
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("{"):
            loaded = json.loads(text)
            if not isinstance(loaded, dict):
                raise DirectoryConfigError("LDAP_GROUP_ROLES must map groups to roles")
            value = loaded
        else:  # "lm-hr=hr;lm-admin=admin" (group DNs contain commas, so ';' separates pairs)
            pairs = [pair.rsplit("=", 1) for pair in text.split(";") if "=" in pair]
            value = {group.strip(): role.strip() for group, role in pairs}
    if not isinstance(value, Mapping):
        raise DirectoryConfigError("LDAP_GROUP_ROLES must map groups to roles")
    roles = {str(group): str(role) for group, role in value.items()}
    bad = sorted({role for role in roles.values() if role not in ROLES})
    if bad:
        raise DirectoryConfigError(f"LDAP_GROUP_ROLES names unknown roles: {', '.join(bad)}")
    return roles


def _flag(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true", "yes", "on"}
    return bool(value)


def _whole(config: Mapping[str, Any], key: str) -> int:
    value = config.get(key, DEFAULTS[key])
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise DirectoryConfigError(f"{key} must be a whole number of at least 1, not {value!r}")
    return value


@dataclass(frozen=True, slots=True)
class DirectorySettings:
    """Where the directory is, how to bind, whom to read and which attribute holds what."""

    url: str
    base_dn: str
    bind_dn: str | None = None
    bind_password: str | None = field(default=None, repr=False)
    start_tls: bool = False
    ca_file: str | None = None
    preset: str = "openldap"
    user_filter: str = "(objectClass=inetOrgPerson)"
    disabled_filter: str | None = None
    subject_attribute: str = "entryUUID"
    personnel_number_attribute: str | None = "employeeNumber"
    name_attributes: tuple[str, ...] = ("displayName", "cn")
    email_attribute: str = "mail"
    unit_attribute: str | None = None
    unit_separator: str = "/"
    group_roles: Mapping[str, str] = field(default_factory=dict)
    group_membership: str = "memberOf"
    group_base_dn: str | None = None
    group_filter: str = DEFAULTS["LDAP_GROUP_FILTER"]
    login_attributes: tuple[str, ...] = ()
    bind_login: bool = False
    page_size: int = 500
    timeout: int = 10

    @property
    def issuer(self) -> str:
        """The issuer of this directory's identities: "ldap:<base DN>"."""
        return f"ldap:{self.base_dn}"

    @property
    def is_ad(self) -> bool:
        return self.preset == "ad"

    @property
    def attributes(self) -> list[str]:
        """The attributes a person's entry is read with."""
        wanted = [self.subject_attribute, self.email_attribute, *self.name_attributes]
        if self.personnel_number_attribute:
            wanted.append(self.personnel_number_attribute)
        if self.unit_attribute:
            wanted.append(self.unit_attribute)
        if self.group_roles and self.group_membership == "memberOf":
            wanted.append("memberOf")
        if self.is_ad:
            wanted.append("userAccountControl")
        wanted += self.login_attributes
        return list(dict.fromkeys(wanted))

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> DirectorySettings:
        """From LDAP_* settings; raises DirectoryConfigError for a missing or wrong one."""
        def get(key: str) -> Any:
            value = config.get(key, DEFAULTS[key])
            return None if value == "" else value

        preset_name = str(get("LDAP_PRESET") or "openldap").lower()
        if preset_name not in PRESETS:
            raise DirectoryConfigError(f"LDAP_PRESET must be openldap or ad, not {preset_name!r}")
        preset = PRESETS[preset_name]

        def preset_get(key: str) -> Any:
            value = get(f"LDAP_{key}")
            return preset[key] if value is None else value

        url = get("LDAP_URL")
        if not url:
            raise DirectoryConfigError("LDAP_URL is not set (e.g. ldaps://ldap.behoerde.example)")
        parts = urlsplit(str(url))
        if parts.scheme not in {"ldap", "ldaps"} or not parts.hostname:
            raise DirectoryConfigError(f"LDAP_URL must be ldap://host or ldaps://host, not {url!r}")
        start_tls = _flag(get("LDAP_START_TLS"))
        if start_tls and parts.scheme == "ldaps":
            raise DirectoryConfigError("LDAP_START_TLS is for ldap:// URLs; ldaps:// is TLS already")
        base_dn = get("LDAP_BASE_DN")
        if not base_dn:
            raise DirectoryConfigError("LDAP_BASE_DN is not set (e.g. dc=stadt,dc=example)")
        bind_dn, password = get("LDAP_BIND_DN"), get("LDAP_BIND_PASSWORD")
        if not bind_dn or not password:
            raise DirectoryConfigError("LDAP_BIND_DN and LDAP_BIND_PASSWORD are needed: the directory "
                                       "is read with a service account, never anonymously")
        membership = str(get("LDAP_GROUP_MEMBERSHIP") or "memberOf")
        if membership.lower() not in {"memberof", "member"}:
            raise DirectoryConfigError(
                f"LDAP_GROUP_MEMBERSHIP must be memberOf or member, not {membership!r}")
        names = _names(get("LDAP_ATTRIBUTE_NAME"))
        return cls(
            url=str(url), base_dn=str(base_dn), bind_dn=str(bind_dn), bind_password=str(password),
            start_tls=start_tls, ca_file=get("LDAP_CA_FILE"), preset=preset_name,
            user_filter=str(preset_get("USER_FILTER")), disabled_filter=preset_get("DISABLED_FILTER"),
            subject_attribute=str(preset_get("ATTRIBUTE_SUBJECT")),
            personnel_number_attribute=get("LDAP_ATTRIBUTE_PERSONNEL_NUMBER"),
            name_attributes=names or ("cn",), email_attribute=str(get("LDAP_ATTRIBUTE_EMAIL")),
            unit_attribute=get("LDAP_UNIT_ATTRIBUTE"),
            unit_separator=str(get("LDAP_UNIT_SEPARATOR") or "/"),
            group_roles=_group_roles(get("LDAP_GROUP_ROLES")),
            group_membership="memberOf" if membership.lower() == "memberof" else "member",
            group_base_dn=get("LDAP_GROUP_BASE_DN"), group_filter=str(get("LDAP_GROUP_FILTER")),
            login_attributes=_names(preset_get("LOGIN_ATTRIBUTES")),
            bind_login=_flag(get("LDAP_BIND_LOGIN")),
            page_size=_whole(config, "LDAP_PAGE_SIZE"), timeout=_whole(config, "LDAP_TIMEOUT"))
