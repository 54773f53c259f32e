"""Failed-login limits per account and per IP, kept in the database so all workers share them.

Keys: "user:<id>" for an existing account, whichever of its names (e-mail address,
personnel number) was typed; "account:<typed name>" for a name that belongs to no account
(so that guessing at names is limited the same way); "ip:<address>"; and
"password:<user id>" for wrong current passwords on the password change page.

The counter rows are locked (SELECT … FOR UPDATE on PostgreSQL; SQLite write transactions
start with BEGIN IMMEDIATE) from the check until the outcome is recorded, so concurrent
attempts cannot slip past the limit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from lernmodul.db.engine import on_conflict_insert
from lernmodul.db.models import LoginThrottle


@dataclass(frozen=True, slots=True)
class ThrottleLimits:
    per_account: int = 5
    per_ip: int = 50
    window: timedelta = timedelta(minutes=15)


@dataclass(frozen=True, slots=True)
class ThrottleState:
    is_blocked: bool
    retry_after: timedelta


def account_key(login: str) -> str:
    """The counter of a typed name that belongs to no account."""
    return "account:" + login.strip().casefold()[:380]


def user_key(user_id: int) -> str:
    """The counter of an account, shared by its e-mail address and personnel number."""
    return f"user:{user_id}"


def password_key(user_id: int) -> str:
    """The counter of wrong current passwords given on the password change page."""
    return f"password:{user_id}"


def _is_per_account(key: str) -> bool:
    return not key.startswith("ip:")


def ip_key(address: str | None) -> str:
    return "ip:" + (address or "unknown")[:380]


def _limit_for(key: str, limits: ThrottleLimits) -> int:
    return limits.per_account if _is_per_account(key) else limits.per_ip


def lock_throttles(session: Session, keys: list[str], now: datetime) -> list[LoginThrottle]:
    """Creates missing counter rows and locks them, in a fixed order (no deadlocks)."""
    keys = sorted(set(keys))
    values = [{"key": k, "failures": 0, "window_started_at": now} for k in keys]
    session.execute(on_conflict_insert(session, LoginThrottle).values(values)
                    .on_conflict_do_nothing())
    rows = session.scalars(
        select(LoginThrottle)
        .where(LoginThrottle.key.in_(keys))
        .order_by(LoginThrottle.key)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()
    return list(rows)


def check_throttles(
    rows: list[LoginThrottle], now: datetime, limits: ThrottleLimits
) -> ThrottleState:
    retry_after = timedelta(0)
    for row in rows:
        window_end = row.window_started_at + limits.window
        if now < window_end and row.failures >= _limit_for(row.key, limits):
            retry_after = max(retry_after, window_end - now)
    return ThrottleState(is_blocked=retry_after > timedelta(0), retry_after=retry_after)


def record_failure(
    session: Session, rows: list[LoginThrottle], now: datetime, limits: ThrottleLimits
) -> None:
    for row in rows:
        if now >= row.window_started_at + limits.window:
            row.failures = 0
            row.window_started_at = now
        row.failures += 1
    session.flush()


def record_success(session: Session, rows: list[LoginThrottle]) -> None:
    """A correct login clears its account's counter (not the IP's: one good account there
    must not reset the count of guesses against others)."""
    for row in rows:
        if _is_per_account(row.key):
            row.failures = 0
    session.flush()
