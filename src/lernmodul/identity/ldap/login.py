"""Sign-in with the directory password (LDAP_BIND_LOGIN): find the person with the service
account, bind as their DN with the typed password, then `identity.linking.sign_in`.

Wrong passwords count in the login throttle exactly like those of the password login (the
same counters through the same functions: the account's, else the typed name's, and the IP
address's), checked before the directory is asked. An empty password is wrong without a bind.
A person the directory does not know is not this module's: the caller falls back to the
local password (the administrator created with `lernmodul users create`)."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from lernmodul.db.models import LoginThrottle, User
from lernmodul.identity.claims import IdentityError
from lernmodul.identity.ldap.client import PasswordCheck, check_password, find_person
from lernmodul.identity.ldap.entries import subject_of, to_identity
from lernmodul.identity.ldap.settings import DirectorySettings
from lernmodul.identity.linking import find_link, sign_in
from lernmodul.services import login_throttle
from lernmodul.services.accounts import find_user_by_login
from lernmodul.services.audit import record_event


class DirectoryLogin(enum.Enum):
    OK = "ok"
    INVALID = "invalid"  # wrong or empty password, an account deactivated here
    DISABLED = "disabled"  # the right password, but the directory has disabled the person
    # AD: the right password, but expired or to be changed
    PASSWORD_EXPIRED = "password_expired"  # noqa: S105  # nosec B105
    THROTTLED = "throttled"
    REFUSED = "refused"  # the password is right, but the identity cannot sign in (`code`)


@dataclass(frozen=True, slots=True)
class DirectoryLoginResult:
    outcome: DirectoryLogin
    user: User | None = None
    retry_after_seconds: int = 0
    code: str = ""


def authenticate_with_directory(session: Session, settings: DirectorySettings, *, login: str,
                                password: str, ip: str | None, now: datetime,
                                limits: login_throttle.ThrottleLimits) -> DirectoryLoginResult | None:
    """The outcome of signing in with the directory password; None when the directory knows
    no (or more than one) person by this login. DirectoryError when it cannot be asked."""
    found = find_person(settings, login)
    if found is None:
        return None
    entry, disabled, groups = found
    try:
        link = find_link(session, settings.issuer, subject_of(entry, settings))
    except IdentityError:
        link = None
    local = find_user_by_login(session, login) if link is None else None
    if link is not None:
        account = login_throttle.user_key(link.user_id)
    elif local is not None:
        account = login_throttle.user_key(local.id)
    else:
        account = login_throttle.account_key(login)
    # the same counters as the password login: the account, the account at this address, the address
    keys = [account, login_throttle.pair_key(account, ip), login_throttle.ip_key(ip)]
    state = login_throttle.precheck(session, keys, now, limits)
    if state.is_blocked:
        return _throttled(state)
    check = check_password(settings, entry.dn, password)  # the directory's bind: before any lock
    rows = login_throttle.lock_throttles(session, keys, now)
    state = login_throttle.check_throttles(rows, now, limits)  # again, on the locked rows
    if state.is_blocked:
        return _throttled(state)
    if check is PasswordCheck.RIGHT and disabled:
        check = PasswordCheck.DISABLED
    user_id = link.user_id if link is not None else (local.id if local is not None else None)
    if check is not PasswordCheck.RIGHT:
        # a refusal with a reason only after the right password: no hint for a guesser
        outcome = {PasswordCheck.DISABLED: DirectoryLogin.DISABLED,
                   PasswordCheck.PASSWORD_EXPIRED: DirectoryLogin.PASSWORD_EXPIRED}.get(
                       check, DirectoryLogin.INVALID)
        return _failure(session, rows, now, limits, ip=ip, user_id=user_id, outcome=outcome)
    try:
        result = sign_in(session, to_identity(entry, settings, groups=groups), now=now)
    except IdentityError as error:
        if error.code == "account_disabled":  # like an inactive account at the password login
            return _failure(session, rows, now, limits, ip=ip, user_id=user_id)
        record_event(session, action="login.failure", at=now, actor_id=None,
                     target=f"user:{user_id}" if user_id else None,
                     detail={"ip": ip, "source": "ldap", "reason": error.code})
        return DirectoryLoginResult(DirectoryLogin.REFUSED, code=error.code)
    login_throttle.record_success(session, rows)
    record_event(session, action="login.success", at=now, actor_id=result.user.id,
                 detail={"ip": ip, "source": "ldap"})
    return DirectoryLoginResult(DirectoryLogin.OK, user=result.user)


def _throttled(state: login_throttle.ThrottleState) -> DirectoryLoginResult:
    return DirectoryLoginResult(DirectoryLogin.THROTTLED,
                                retry_after_seconds=int(state.retry_after.total_seconds()) + 1)


def _failure(session: Session, rows: list[LoginThrottle], now: datetime,
             limits: login_throttle.ThrottleLimits, *, ip: str | None, user_id: int | None,
             outcome: DirectoryLogin = DirectoryLogin.INVALID) -> DirectoryLoginResult:
    login_throttle.record_failure(session, rows, now, limits)
    detail: dict[str, str | None] = {"ip": ip, "source": "ldap"}
    if outcome is not DirectoryLogin.INVALID:
        detail["reason"] = outcome.value
    record_event(session, action="login.failure", at=now, actor_id=None,
                 target=f"user:{user_id}" if user_id else None, detail=detail)
    return DirectoryLoginResult(outcome)
