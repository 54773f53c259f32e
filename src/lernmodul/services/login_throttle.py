"""Failed-login limits, kept in the database so all workers share them.

Three counters answer every sign-in attempt, so that nobody can lock another person out
from one address, and guessing stays slow from many:

- "pair:<account>|<address>": an account (or typed name) from one client address; blocked
  for the window after `per_pair` failures (5 in 15 minutes).
- "ip:<address>": every name tried from one address; blocked after `per_ip` failures (50).
- "user:<id>" for an existing account, whichever of its names (e-mail address, personnel
  number) was typed, and "account:<typed name>" for a name that belongs to no account (so
  that guessing at names meets the same answers and cannot tell which names exist): the
  consecutive failures from any address. From `delay_after` (10) on, each further attempt
  waits 1 s, 2 s, 4 s … up to `max_delay` (15 minutes) after the last failure; at
  `block_after` (100, the ceiling of NIST SP 800-63B 5.2.2) the account is blocked until an
  administrator lifts it or `block` (24 hours) has passed since the last failure. A
  successful sign-in resets the count.

"password:<user id>" counts wrong current passwords on the password change page, in a
window like a pair (only the signed-in session can fail there).

A sign-in reads its counters without a lock first (`precheck`: an attempt over a limit is
refused before any password is hashed or any directory asked), checks the password, and only
then locks the counter rows (`lock_throttles`: SELECT … FOR UPDATE on PostgreSQL; on SQLite
its INSERT begins the request's write transaction) to check the limits again and record the
outcome (a right password reads the address's row FOR SHARE: it does not change it, and
sign-ins of one office behind one address do not queue behind each other). So concurrent
attempts cannot slip past a limit or a delay — an attempt that another
one pushed over the limit meanwhile is answered THROTTLED whatever its password — and the
slow password check holds no lock. Attempts refused by a limit do not count.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import groupby

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from lernmodul.db.engine import on_conflict_insert
from lernmodul.db.models import LoginThrottle


@dataclass(frozen=True, slots=True)
class ThrottleLimits:
    per_pair: int = 5
    per_ip: int = 50
    window: timedelta = timedelta(minutes=15)
    delay_after: int = 10
    max_delay: timedelta = timedelta(minutes=15)
    block_after: int = 100
    block: timedelta = timedelta(hours=24)


class ThrottleReason(enum.Enum):
    NONE = "none"
    LIMIT = "limit"  # a pair, an address or the password page: blocked for the window
    DELAY = "delay"  # the account's growing delay
    BLOCKED = "blocked"  # the account after `block_after` consecutive failures


@dataclass(frozen=True, slots=True)
class ThrottleState:
    is_blocked: bool
    retry_after: timedelta
    reason: ThrottleReason = ThrottleReason.NONE

    @property
    def retry_after_seconds(self) -> int:
        """Whole seconds to wait (rounded up, at least 1 when blocked): the Retry-After value."""
        return max(1, math.ceil(self.retry_after.total_seconds())) if self.is_blocked else 0


def account_key(login: str) -> str:
    """The counter of a typed name that belongs to no account."""
    return "account:" + login.strip().casefold()[:380]


def user_key(user_id: int) -> str:
    """The counter of an account, shared by its e-mail address and personnel number."""
    return f"user:{user_id}"


def password_key(user_id: int) -> str:
    """The counter of wrong current passwords given on the password change page."""
    return f"password:{user_id}"


def ip_key(address: str | None) -> str:
    """The counter of every name tried from one client address."""
    return "ip:" + (address or "unknown")[:380]


def pair_key(account: str, address: str | None) -> str:
    """The counter of one account (a `user_key` or `account_key`) from one client address."""
    return f"pair:{account[:300]}|{(address or 'unknown')[:90]}"


def _is_consecutive(key: str) -> bool:
    return key.startswith(("user:", "account:"))


def _window_limit(key: str, limits: ThrottleLimits) -> int:
    return limits.per_ip if key.startswith("ip:") else limits.per_pair


def account_delay(failures: int, limits: ThrottleLimits) -> timedelta:
    """How long after its last failure an account with `failures` in a row waits."""
    if failures < limits.delay_after:
        return timedelta(0)
    exponent = failures - limits.delay_after
    if exponent >= 40:
        return limits.max_delay
    return min(timedelta(seconds=2**exponent), limits.max_delay)


def _consecutive_failures(row: LoginThrottle, now: datetime, limits: ThrottleLimits) -> int:
    """The row's count, or 0 once `block` has passed since its last failure."""
    if row.last_failure_at is None or now >= row.last_failure_at + limits.block:
        return 0
    return row.failures


def precheck(session: Session, keys: list[str], now: datetime,
             limits: ThrottleLimits) -> ThrottleState:
    """The limits on the counter rows as they are now, read without a lock and without
    creating rows: the early refusal. The decision is made again on `lock_throttles`' rows."""
    rows = session.scalars(select(LoginThrottle).where(LoginThrottle.key.in_(sorted(set(keys)))))
    return check_throttles(list(rows), now, limits)


def lock_throttles(session: Session, keys: list[str], now: datetime, *,
                   shared: Collection[str] = ()) -> list[LoginThrottle]:
    """Creates missing counter rows and locks them, in a fixed order (no deadlocks).

    The rows of `shared` are locked FOR SHARE on PostgreSQL, the others FOR UPDATE: a
    sign-in whose password was right only reads the address's counter (`record_success`
    leaves it as it is), so right passwords from one address — a whole office behind one
    NAT or proxy address — do not wait for each other, while a failure from there (which
    counts on the address, FOR UPDATE) still waits for them and they for it. Only rows
    that the transaction will not change may be in `shared`."""
    keys = sorted(set(keys))
    values = [{"key": k, "failures": 0, "window_started_at": now} for k in keys]
    session.execute(on_conflict_insert(session, LoginThrottle).values(values)
                    .on_conflict_do_nothing())
    if session.get_bind().dialect.name != "postgresql":
        shared = ()  # SQLite: the write transaction itself is the lock
    rows: list[LoginThrottle] = []
    # consecutive keys of the same lock mode, in key order: one statement per run
    for is_shared, run in groupby(keys, key=lambda k: k in shared):
        rows.extend(session.scalars(
            select(LoginThrottle)
            .where(LoginThrottle.key.in_(list(run)))
            .order_by(LoginThrottle.key)
            .with_for_update(read=is_shared)
            .execution_options(populate_existing=True)
        ))
    return rows


def _row_state(row: LoginThrottle, now: datetime, limits: ThrottleLimits) -> ThrottleState:
    if _is_consecutive(row.key):
        failures = _consecutive_failures(row, now, limits)
        if failures >= limits.block_after and row.last_failure_at is not None:
            end, reason = row.last_failure_at + limits.block, ThrottleReason.BLOCKED
        elif failures >= limits.delay_after and row.last_failure_at is not None:
            end = row.last_failure_at + account_delay(failures, limits)
            reason = ThrottleReason.DELAY
        else:
            return ThrottleState(False, timedelta(0))
    else:
        end, reason = row.window_started_at + limits.window, ThrottleReason.LIMIT
        if row.failures < _window_limit(row.key, limits):
            return ThrottleState(False, timedelta(0))
    if now >= end:
        return ThrottleState(False, timedelta(0))
    return ThrottleState(True, end - now, reason)


def check_throttles(
    rows: list[LoginThrottle], now: datetime, limits: ThrottleLimits
) -> ThrottleState:
    """Whether an attempt may go ahead; if not, the longest wait of the rows and its reason."""
    worst = ThrottleState(False, timedelta(0))
    for row in rows:
        state = _row_state(row, now, limits)
        if state.is_blocked and state.retry_after > worst.retry_after:
            worst = state
    return worst


def record_failure(
    session: Session, rows: list[LoginThrottle], now: datetime, limits: ThrottleLimits
) -> None:
    """Counts a failed attempt on every row (a window that has passed starts again)."""
    for row in rows:
        if _is_consecutive(row.key):
            if _consecutive_failures(row, now, limits) == 0:
                row.failures = 0
                row.window_started_at = now  # where this run of failures began
        elif now >= row.window_started_at + limits.window:
            row.failures = 0
            row.window_started_at = now
        row.failures += 1
        row.last_failure_at = now
    session.flush()


def record_success(session: Session, rows: list[LoginThrottle]) -> None:
    """A correct login clears its account's and its pair's counter (not the address's: one
    good account there must not reset the count of guesses against others)."""
    for row in rows:
        if not row.key.startswith("ip:"):
            row.failures = 0
            row.last_failure_at = None
    session.flush()


def clear_account(session: Session, user_id: int) -> int:
    """Lifts every sign-in limit of an account: its consecutive count and its pairs.
    Returns how many counters had failures."""
    account = user_key(user_id)
    result = session.execute(
        update(LoginThrottle)
        .where(or_(LoginThrottle.key == account,
                   LoginThrottle.key.startswith(f"pair:{account}|", autoescape=True)))
        .where(LoginThrottle.failures > 0)
        .values(failures=0, last_failure_at=None)
        .execution_options(synchronize_session=False)
    )
    session.flush()
    return int(result.rowcount)  # type: ignore[attr-defined]


def account_failures(session: Session, user_id: int, now: datetime,
                     limits: ThrottleLimits) -> tuple[int, ThrottleState]:
    """An account's consecutive failures and whether signing in to it is delayed or blocked
    (for the administrator's page; reads without locking)."""
    row = session.get(LoginThrottle, user_key(user_id))
    if row is None:
        return 0, ThrottleState(False, timedelta(0))
    return _consecutive_failures(row, now, limits), _row_state(row, now, limits)
