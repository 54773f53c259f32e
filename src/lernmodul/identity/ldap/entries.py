"""From a directory entry to an `Identity`: subject, e-mail, name, personnel number, unit, roles.

Pure (no connection): an entry is its DN and its raw attribute values as the server sent them.
The org unit is the entry's OU path below the base DN, top first
(`uid=…,ou=Bürgeramt,ou=Dezernat II,ou=Stadtverwaltung,dc=…` → Stadtverwaltung / Dezernat II /
Bürgeramt), or the value of LDAP_UNIT_ATTRIBUTE split at LDAP_UNIT_SEPARATOR."""

from __future__ import annotations

import dataclasses
import functools
import re
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from lernmodul.identity.claims import ClaimMapping, Identity, IdentityError, map_claims
from lernmodul.identity.ldap.settings import DirectorySettings

ACCOUNTDISABLE = 0x2  # userAccountControl bit of a disabled AD account
_HEX_ESCAPE = re.compile(rb"\\([0-9A-Fa-f]{2})")
# RDNs type=value joined by commas, without escapes, "+", ";" or spaces around "=" and ","
_PLAIN_RDN = r"[A-Za-z][A-Za-z0-9-]*=[^\s\\,;+=\"](?:[^\\,;+=\"]*[^\s\\,;+=\"])?"
_PLAIN_DN = re.compile(rf"{_PLAIN_RDN}(?:,{_PLAIN_RDN})*")


@dataclass(frozen=True, slots=True)
class DirectoryEntry:
    """One entry of a search: its DN and attribute values (names casefolded, values raw)."""

    dn: str
    values: Mapping[str, list[bytes]] = field(default_factory=dict)

    @classmethod
    def from_raw(cls, dn: str, raw: Mapping[str, Iterable[bytes]]) -> DirectoryEntry:
        return cls(dn=dn, values={key.casefold(): list(value) for key, value in raw.items()})

    def texts(self, attribute: str) -> list[str]:
        return [value.decode("utf-8", "replace") for value in self.values.get(attribute.casefold(), [])]

    def first(self, attribute: str) -> str | None:
        texts = self.texts(attribute)
        return texts[0] if texts else None


def _unescape(value: str) -> str:
    r"""A DN attribute value without its escapes (\, \2C \+ \"…), as UTF-8 text."""
    data = _HEX_ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), value.encode("utf-8"))
    return re.sub(r"\\(.)", r"\1", data.decode("utf-8", "replace"))


def split_dn(dn: str) -> list[tuple[str, str]]:
    """The RDNs of a DN, leaf first, as (attribute type casefolded, unescaped value).

    A multi-valued RDN (a+b=…) counts by its first part."""
    return list(_split_dn(dn))


@functools.lru_cache(maxsize=4096)
def _split_dn(dn: str) -> tuple[tuple[str, str], ...]:
    if "\\" in dn:
        parts, current, index = [], [], 0
        while index < len(dn):
            char = dn[index]
            if char == "\\" and index + 1 < len(dn):
                current.append(dn[index:index + 2])
                index += 2
                continue
            if char in ",;":
                parts.append("".join(current))
                current = []
            else:
                current.append(char)
            index += 1
        parts.append("".join(current))
    else:  # the usual case, and fast: no escapes
        parts = dn.replace(";", ",").split(",")
    rdns = []
    for part in parts:
        first = re.split(r"(?<!\\)\+", part, maxsplit=1)[0] if "+" in part else part
        kind, equals, value = first.partition("=")
        if not equals:
            raise IdentityError("bad_claim", f"not a DN: {dn!r}")
        value = value.strip()
        rdns.append((kind.strip().casefold(), _unescape(value) if "\\" in value else value))
    return tuple(rdns)


def normalise_dn(dn: str) -> str:
    """A DN for comparisons: types and values casefolded, escapes and spaces resolved."""
    if _PLAIN_DN.fullmatch(dn):  # no escapes, no spaces to resolve: casefolding is all
        return dn.casefold()
    return ",".join(f"{kind}={value.casefold()}" for kind, value in split_dn(dn))


def ou_path(dn: str, base_dn: str) -> tuple[str, ...] | None:
    """The OU names between the base DN and the entry, top first; None when there are none."""
    if "\\" not in dn:  # the usual case: the path of the parent, worked out once per unit
        leaf, _comma, parent = dn.replace(";", ",").partition(",")
        if "=" not in leaf.split("+", 1)[0]:
            raise IdentityError("bad_claim", f"not a DN: {dn!r}")
        return _ou_path_below(parent, base_dn, 1)
    return _ou_path_below(dn, base_dn, 0)


@functools.lru_cache(maxsize=1024)
def _ou_path_below(dn: str, base_dn: str, depth: int) -> tuple[str, ...] | None:
    """ou_path of an entry `depth` levels below `dn` (the parent, or the entry itself)."""
    rdns = split_dn(dn) if dn else []
    base = split_dn(base_dn)
    folded = [(kind, value.casefold()) for kind, value in base]
    below = rdns[: len(rdns) - len(base)]
    if len(rdns) + depth <= len(base) or [(k, v.casefold()) for k, v in rdns[len(below):]] != folded:
        raise IdentityError("bad_claim", "entry is not below the base DN")
    names = [value.strip() for kind, value in reversed(below[1 - depth:]) if kind == "ou" and value.strip()]
    return tuple(names) or None


def subject_of(entry: DirectoryEntry, settings: DirectorySettings) -> str:
    """entryUUID as the server gives it; objectGUID (16 bytes) as a UUID string."""
    raw = entry.values.get(settings.subject_attribute.casefold(), [])
    if not raw:
        raise IdentityError("missing_claim", settings.subject_attribute)
    if settings.subject_attribute.casefold() == "objectguid":
        if len(raw[0]) != 16:
            raise IdentityError("bad_claim", "objectGUID is not 16 bytes")
        return str(uuid.UUID(bytes_le=raw[0]))
    return raw[0].decode("utf-8", "replace").strip().lower()


def is_disabled(entry: DirectoryEntry, settings: DirectorySettings) -> bool:
    """AD: userAccountControl has ACCOUNTDISABLE set. (OpenLDAP: LDAP_DISABLED_FILTER, which the
    server evaluates: see client.disabled_dns.)"""
    if not settings.is_ad:
        return False
    flags = entry.first("userAccountControl")
    try:
        return bool(int(flags or "0") & ACCOUNTDISABLE)
    except ValueError:
        return False


def claim_mapping(settings: DirectorySettings) -> ClaimMapping:
    return ClaimMapping(personnel_number=settings.personnel_number_attribute,
                        email=settings.email_attribute, name="_name", unit_path="_unit",
                        unit_separator=settings.unit_separator, groups="_groups",
                        group_roles=dict(settings.group_roles))


def to_identity(entry: DirectoryEntry, settings: DirectorySettings, *, mapping: ClaimMapping | None = None,
                groups: Iterable[str] = (), subject: str | None = None) -> Identity:
    """The Identity of a person's entry; `groups` are group DNs from the group entries
    (LDAP_GROUP_MEMBERSHIP = "member"), `subject` its subject_of when the caller has it.
    IdentityError for an entry that cannot be an account."""
    if subject is None:
        subject = subject_of(entry, settings)
    claims: dict[str, object] = {}
    if settings.personnel_number_attribute:
        claims[settings.personnel_number_attribute] = entry.texts(settings.personnel_number_attribute)
    claims[settings.email_attribute] = entry.texts(settings.email_attribute)
    claims["_name"] = next((name for name in map(entry.first, settings.name_attributes) if name), None)
    if settings.unit_attribute:
        claims["_unit"] = entry.texts(settings.unit_attribute)
    member_of = entry.texts("memberOf") if settings.group_membership == "memberOf" else []
    claims["_groups"] = [*member_of, *groups]
    identity = map_claims(claims, mapping or claim_mapping(settings), kind="ldap",
                          issuer=settings.issuer, subject=subject)
    if not settings.unit_attribute:
        identity = dataclasses.replace(identity, unit_path=ou_path(entry.dn, settings.base_dn))
    return identity
