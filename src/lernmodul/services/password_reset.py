"""Self-service password reset: a random, single-use, time-limited token sent by e-mail.

Only the SHA-256 of a token is stored. A request does the same work whether or not the
address belongs to an account (throttle counters, a new token and its hash), so that its
outcome and its time do not tell who has an account; only an active account with a password
gets a token row and an e-mail. Using a token marks it used with a conditional UPDATE (two
requests with the same link: one wins) and marks every other open token of the account used;
the new password follows the policy of every password change, and all sessions end.

Requests are limited with the login throttle's database counters (`login_throttles`, rows
locked by `login_throttle.lock_throttles` until the transaction ends), on keys of their own,
each counting requests in a fixed window: "reset-address:<SHA-256 of the typed address>"
(over the limit: THROTTLED, for any address alike; the hash keeps addresses nobody has out
of the table), "reset-ip:<address>" (THROTTLED) and "reset-user:<id>" (over the limit no
further e-mail, but the ordinary answer: a refusal there would tell that the address has an
account). Functions take the Session and the time, flush, never commit.
"""

from __future__ import annotations

import enum
import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from lernmodul.db.models import LoginThrottle, User
from lernmodul.db.password_resets import PasswordResetToken
from lernmodul.services import login_throttle
from lernmodul.services.accounts import AccountError, end_sessions, normalise_email
from lernmodul.services.audit import record_event
from lernmodul.services.passwords import check_password, hash_password

TOKEN_BYTES = 32  # 256 bits from `secrets`
MAX_TOKEN_LENGTH = 100  # a longer path segment is no token of ours


@dataclass(frozen=True, slots=True)
class ResetLimits:
    per_address: int = 3
    per_account: int = 3
    per_ip: int = 20
    window: timedelta = timedelta(minutes=60)


class RequestOutcome(enum.Enum):
    SENT = "sent"  # an e-mail with `token` goes to `user`
    NOTHING = "nothing"  # no such active account with a password, or its limit is reached
    THROTTLED = "throttled"


@dataclass(frozen=True, slots=True)
class ResetRequest:
    outcome: RequestOutcome
    user: User | None = None
    token: str | None = None  # the raw token: for the e-mail only, never stored or logged
    retry_after_seconds: int = 0


def hash_token(token: str) -> str:
    """The stored form of a token: SHA-256, hex (a 256-bit random token needs no salt)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def address_key(email: str) -> str:
    """The counter of reset requests for a typed e-mail address, known or not."""
    return "reset-address:" + hashlib.sha256(normalise_email(email).encode("utf-8")).hexdigest()


def user_key(user_id: int) -> str:
    """The counter of reset e-mails sent to an account."""
    return f"reset-user:{user_id}"


def ip_key(address: str | None) -> str:
    """The counter of reset requests from one IP address."""
    return "reset-ip:" + (address or "unknown")[:380]


def _wait(row: LoginThrottle, limit: int, now: datetime, window: timedelta) -> timedelta:
    """How long the counter stays over `limit` requests in its window (0: not over it)."""
    end = row.window_started_at + window
    return end - now if now < end and row.failures >= limit else timedelta(0)


def _count(row: LoginThrottle, now: datetime, window: timedelta) -> None:
    if now >= row.window_started_at + window:
        row.failures = 0
        row.window_started_at = now
    row.failures += 1


def _find_user_by_email(session: Session, email: str) -> User | None:
    return session.scalars(select(User).where(User.email == email)).first()


def request_reset(
    session: Session,
    *,
    email: str,
    ip: str | None,
    now: datetime,
    lifetime: timedelta,
    limits: ResetLimits,
    allow_demo: bool,
    make_token: Callable[[], str] = new_token,
) -> ResetRequest:
    """Counts the request and, for an active account with a password, stores a new token.

    The address and IP counters are checked first: over either limit the outcome is
    THROTTLED, whether the address is known or not, and nothing is counted."""
    email = normalise_email(email)[:320]
    user = _find_user_by_email(session, email) if email else None
    keys = [address_key(email), ip_key(ip)] + ([user_key(user.id)] if user else [])
    rows = {row.key: row for row in login_throttle.lock_throttles(session, keys, now)}
    by_address, by_ip = rows[address_key(email)], rows[ip_key(ip)]
    wait = max(_wait(by_address, limits.per_address, now, limits.window),
               _wait(by_ip, limits.per_ip, now, limits.window))
    if wait > timedelta(0):
        return ResetRequest(RequestOutcome.THROTTLED,
                            retry_after_seconds=int(wait.total_seconds()) + 1)
    token = make_token()
    token_hash = hash_token(token)  # computed for every request: the same work for all
    _count(by_address, now, limits.window)
    _count(by_ip, now, limits.window)
    eligible = (user is not None and user.is_active and user.password_hash is not None
                and (allow_demo or not user.is_demo))
    if user is None or not eligible:
        session.flush()
        return ResetRequest(RequestOutcome.NOTHING)
    by_account = rows[user_key(user.id)]
    if _wait(by_account, limits.per_account, now, limits.window):
        record_event(session, action="password.reset_request_limited", at=now,
                     target=f"user:{user.id}", detail={"ip": ip})
        return ResetRequest(RequestOutcome.NOTHING)
    _count(by_account, now, limits.window)
    session.add(PasswordResetToken(user_id=user.id, token_hash=token_hash, created_at=now,
                                   expires_at=now + lifetime))
    record_event(session, action="password.reset_request", at=now, target=f"user:{user.id}",
                 detail={"ip": ip})
    return ResetRequest(RequestOutcome.SENT, user=user, token=token)


class TokenProblem(enum.Enum):
    INVALID = "invalid"  # unknown (mistyped, forged) or its account can no longer use it
    EXPIRED = "expired"
    USED = "used"


class TokenRefused(AccountError):
    """The link cannot set a password; `problem` says why."""

    def __init__(self, problem: TokenProblem) -> None:
        super().__init__(f"token_{problem.value}")
        self.problem = problem


def _usable(user: User) -> bool:
    return user.is_active and user.password_hash is not None


def check_token(session: Session, token: str, *, now: datetime,
                allow_demo: bool) -> PasswordResetToken:
    """The open token row of `token`; raises TokenRefused (invalid, expired, used)."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        raise TokenRefused(TokenProblem.INVALID)
    row = session.scalars(select(PasswordResetToken)
                          .where(PasswordResetToken.token_hash == hash_token(token))).first()
    if row is None:
        raise TokenRefused(TokenProblem.INVALID)
    user = session.get(User, row.user_id)
    if user is None or not _usable(user) or (user.is_demo and not allow_demo):
        raise TokenRefused(TokenProblem.INVALID)
    if row.used_at is not None:
        raise TokenRefused(TokenProblem.USED)
    if now >= row.expires_at:
        raise TokenRefused(TokenProblem.EXPIRED)
    return row


def reset_password(
    session: Session,
    *,
    hasher: PasswordHasher,
    token: str,
    new_password: str,
    now: datetime,
    ip: str | None,
    allow_demo: bool,
) -> User:
    """Sets the account's new password through the link; ends all its sessions.

    Raises TokenRefused, or AccountError("weak_password") (the link stays usable then)."""
    row = check_token(session, token, now=now, allow_demo=allow_demo)
    user = session.get(User, row.user_id)
    assert user is not None  # check_token found it
    problems = check_password(new_password, personal=(user.email, user.name))
    if problems:
        raise AccountError("weak_password", problems)
    claimed = session.execute(
        update(PasswordResetToken)
        .where(PasswordResetToken.id == row.id, PasswordResetToken.used_at.is_(None),
               PasswordResetToken.expires_at > now)
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if getattr(claimed, "rowcount", 0) != 1:  # another request used it a moment ago
        raise TokenRefused(TokenProblem.USED)
    # every other link of the account stops working as well
    session.execute(
        update(PasswordResetToken)
        .where(PasswordResetToken.user_id == user.id, PasswordResetToken.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    user.password_hash = hash_password(hasher, new_password)
    end_sessions(session, user)
    record_event(session, action="password.reset", at=now, actor_id=user.id,
                 target=f"user:{user.id}", detail={"ip": ip})
    return user
