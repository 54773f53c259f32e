"""The connection to the directory (ldap3): TLS with a verified certificate, paged searches,
the person of a login name, and a password check by binding as that person.

Never anonymous: the service account (LDAP_BIND_DN) reads; a person's password is checked by
a simple bind as their DN, and an empty password is refused before any bind (an LDAP server
takes a simple bind with an empty password as an anonymous one, RFC 4513 5.1.2).

Active Directory (and Samba's AD DC) refuses a simple bind without TLS (strongerAuthRequired,
"LDAP server signing requirements"): that is reported as such, with what to configure. A refused
bind of AD names its reason in the diagnostic message ("…, data 533, …"): 52e is a wrong
password; 533 (disabled) and 701 (expired account), 532 and 773 (the password has expired or
must be changed) come only with the right password."""

from __future__ import annotations

import enum
import re
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urlsplit

from ldap3 import NONE, SIMPLE, SUBTREE, Connection, Server, Tls
from ldap3.core.exceptions import (
    LDAPBindError,
    LDAPException,
    LDAPInvalidCredentialsResult,
    LDAPStrongerAuthRequiredResult,
)
from ldap3.utils.conv import escape_filter_chars

from lernmodul.identity.ldap.entries import DirectoryEntry, is_disabled, normalise_dn
from lernmodul.identity.ldap.settings import DirectorySettings

MAX_PASSWORD = 128


class DirectoryError(Exception):
    """The directory cannot be reached or refused the service account or a search."""


class TransportSecurityRequired(DirectoryError):
    """The directory refuses a simple bind over a connection without TLS (AD, Samba)."""


class PasswordCheck(enum.Enum):
    RIGHT = "right"
    WRONG = "wrong"  # also: locked out, unknown, anything the server does not explain
    DISABLED = "disabled"  # AD: the password is right, the account is disabled or expired
    # AD: the password is right, but it has expired or must be changed first
    PASSWORD_EXPIRED = "password_expired"  # noqa: S105  # nosec B105


# AD's sub-codes of invalidCredentials that it sends only for the right password
_AD_DATA = re.compile(r"\bdata ([0-9a-f]{3})\b", re.IGNORECASE)
_AD_REASONS = {"533": PasswordCheck.DISABLED, "701": PasswordCheck.DISABLED,
               "532": PasswordCheck.PASSWORD_EXPIRED, "773": PasswordCheck.PASSWORD_EXPIRED}


def ad_reason(message: str | None) -> PasswordCheck:
    """What AD's diagnostic message of a refused bind says (WRONG when it says nothing known)."""
    found = _AD_DATA.search(message or "")
    return _AD_REASONS.get(found.group(1).lower(), PasswordCheck.WRONG) if found else PasswordCheck.WRONG


def _needs_tls(settings: DirectorySettings,
               error: LDAPStrongerAuthRequiredResult) -> TransportSecurityRequired:
    return TransportSecurityRequired(
        f"{settings.url} refuses a simple bind without TLS ({error.description}: "
        f"{error.message or 'stronger authentication required'}): use an ldaps:// URL in LDAP_URL "
        "or set LDAP_START_TLS = true, with LDAP_CA_FILE for the directory's CA")


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Everything one sync reads: the people, the DNs marked disabled, group DNs per person."""

    entries: list[DirectoryEntry]
    disabled: frozenset[str]  # normalised DNs
    groups: dict[str, list[str]]  # normalised person DN -> group DNs


def server_of(settings: DirectorySettings) -> Server:
    """The ldap3 Server of LDAP_URL, with certificate verification against LDAP_CA_FILE or the
    system's CAs (host name checked) whenever TLS is used."""
    parts = urlsplit(settings.url)
    use_ssl = parts.scheme == "ldaps"
    tls = None
    if use_ssl or settings.start_tls:
        tls = Tls(validate=ssl.CERT_REQUIRED, ca_certs_file=settings.ca_file,
                  version=ssl.PROTOCOL_TLS_CLIENT)
    port = parts.port or (636 if use_ssl else 389)
    assert parts.hostname is not None  # checked by DirectorySettings.from_config
    return Server(parts.hostname, port=port, use_ssl=use_ssl, tls=tls, get_info=NONE,
                  connect_timeout=settings.timeout)


def _open(settings: DirectorySettings, user: str, password: str) -> Connection:
    connection = Connection(server_of(settings), user=user, password=password, authentication=SIMPLE,
                            receive_timeout=settings.timeout, raise_exceptions=True,
                            read_only=True, auto_referrals=False)
    connection.open()
    if settings.start_tls:
        connection.start_tls()
    connection.bind()
    return connection


@contextmanager
def service_connection(settings: DirectorySettings) -> Iterator[Connection]:
    """A connection bound as the service account; DirectoryError when that fails."""
    if not settings.bind_dn or not settings.bind_password:
        raise DirectoryError("no service account (LDAP_BIND_DN, LDAP_BIND_PASSWORD)")
    try:
        connection = _open(settings, settings.bind_dn, settings.bind_password)
    except LDAPStrongerAuthRequiredResult as error:
        raise _needs_tls(settings, error) from error
    except LDAPException as error:
        raise DirectoryError(f"cannot bind as {settings.bind_dn} to {settings.url}: {error}") from error
    try:
        yield connection
    finally:
        connection.unbind()


def paged_entries(connection: Connection, settings: DirectorySettings, base: str, search_filter: str,
                  attributes: list[str]) -> Iterator[DirectoryEntry]:
    """Every entry of a subtree search, page by page (the paged results control, RFC 2696)."""
    try:
        for item in connection.extend.standard.paged_search(
                base, search_filter, search_scope=SUBTREE, attributes=attributes,
                paged_size=settings.page_size, generator=True):
            if item.get("type") == "searchResEntry":
                yield DirectoryEntry.from_raw(item["dn"], item["raw_attributes"])
    except LDAPException as error:
        raise DirectoryError(f"search {search_filter} below {base} failed: {error}") from error


def read_snapshot(connection: Connection, settings: DirectorySettings) -> Snapshot:
    """The people below the base DN, who of them is disabled, and their groups."""
    entries = list(paged_entries(connection, settings, settings.base_dn, settings.user_filter,
                                 settings.attributes))
    disabled: set[str] = set()
    if settings.disabled_filter:
        disabled = {normalise_dn(e.dn) for e in paged_entries(
            connection, settings, settings.base_dn,
            f"(&{settings.user_filter}{settings.disabled_filter})", ["1.1"])}
    groups: dict[str, list[str]] = {}
    if settings.group_roles and settings.group_membership == "member":
        for group in paged_entries(connection, settings, settings.group_base_dn or settings.base_dn,
                                   settings.group_filter, ["member", "uniqueMember"]):
            for member in group.texts("member") + group.texts("uniqueMember"):
                groups.setdefault(normalise_dn(member), []).append(group.dn)
    return Snapshot(entries=entries, disabled=frozenset(disabled), groups=groups)


def login_filter(settings: DirectorySettings, login: str) -> str | None:
    """The filter finding a person by e-mail address, personnel number or a login attribute,
    the typed text escaped (RFC 4515)."""
    value = escape_filter_chars(login.strip())
    attributes = [settings.email_attribute if "@" in login else settings.personnel_number_attribute,
                  *settings.login_attributes]
    alternatives = "".join(f"({name}={value})" for name in attributes if name)
    return f"(&{settings.user_filter}(|{alternatives}))" if alternatives else None


def find_person(settings: DirectorySettings, login: str) -> tuple[DirectoryEntry, bool, list[str]] | None:
    """The one entry the login names, whether it is disabled, and its group DNs (for
    LDAP_GROUP_MEMBERSHIP = "member"); None for none or several."""
    search_filter = login_filter(settings, login) if login.strip() else None
    if search_filter is None:
        return None
    with service_connection(settings) as connection:
        found = list(paged_entries(connection, settings, settings.base_dn, search_filter,
                                   settings.attributes))
        if len(found) != 1:
            return None
        entry = found[0]
        disabled = is_disabled(entry, settings)  # AD: userAccountControl
        if settings.disabled_filter and not disabled:
            disabled = bool(list(paged_entries(connection, settings, entry.dn,
                                               f"(&{settings.user_filter}{settings.disabled_filter})",
                                               ["1.1"])))
        groups: list[str] = []
        if settings.group_roles and settings.group_membership == "member":
            dn = escape_filter_chars(entry.dn)
            groups = [g.dn for g in paged_entries(
                connection, settings, settings.group_base_dn or settings.base_dn,
                f"(&{settings.group_filter}(|(member={dn})(uniqueMember={dn})))", ["1.1"])]
    return entry, disabled, groups


def check_password(settings: DirectorySettings, dn: str, password: str) -> PasswordCheck:
    """Whether a simple bind as `dn` with `password` succeeds, and for AD why not. An empty (or
    over-long) password is wrong without asking the server; DirectoryError when the server
    cannot be reached, TransportSecurityRequired when it wants TLS for the bind."""
    if not password or len(password) > MAX_PASSWORD or not dn:
        return PasswordCheck.WRONG
    try:
        connection = _open(settings, dn, password)
    except LDAPInvalidCredentialsResult as error:
        return ad_reason(error.message) if settings.is_ad else PasswordCheck.WRONG
    except LDAPBindError:
        return PasswordCheck.WRONG
    except LDAPStrongerAuthRequiredResult as error:
        raise _needs_tls(settings, error) from error
    except LDAPException as error:
        raise DirectoryError(f"cannot check the password at {settings.url}: {error}") from error
    try:
        return PasswordCheck.RIGHT if connection.bound else PasswordCheck.WRONG
    finally:
        connection.unbind()

