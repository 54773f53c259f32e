"""Attempt rules: states and deadlines. The server clock decides; the time comes in as a value."""

from __future__ import annotations

import enum
import math
from datetime import datetime, timedelta

#: Submissions that arrive this long after the deadline still count (network, slow clicks);
#: anything later expires the attempt.
GRACE = timedelta(seconds=30)


class AttemptState(enum.StrEnum):
    IN_PROGRESS = "in_progress"
    SUBMITTED = "submitted"
    EXPIRED = "expired"


#: The only transitions there are; a submitted or expired attempt never changes again.
TRANSITIONS: dict[AttemptState, frozenset[AttemptState]] = {
    AttemptState.IN_PROGRESS: frozenset({AttemptState.SUBMITTED, AttemptState.EXPIRED}),
    AttemptState.SUBMITTED: frozenset(),
    AttemptState.EXPIRED: frozenset(),
}


def can_move(current: AttemptState, target: AttemptState) -> bool:
    return target in TRANSITIONS[current]


def time_allowed(time_limit_minutes: int | None, extra_time_percent: int = 0) -> timedelta | None:
    """The time an attempt may take: the limit plus the learner's extra time (e.g. 25 %
    for a compensation for disadvantage), rounded up to whole seconds. None: no limit."""
    if time_limit_minutes is None:
        return None
    seconds = time_limit_minutes * 60 * (100 + max(0, extra_time_percent)) / 100
    return timedelta(seconds=math.ceil(seconds))


def deadline(started_at: datetime, time_limit_minutes: int | None,
             extra_time_percent: int = 0) -> datetime | None:
    """When an attempt started at `started_at` is due (see time_allowed); None: no limit."""
    allowed = time_allowed(time_limit_minutes, extra_time_percent)
    return None if allowed is None else started_at + allowed


def is_overdue(now: datetime, due: datetime | None) -> bool:
    """True when a submission at `now` comes too late for an attempt due at `due`."""
    return due is not None and now > due + GRACE


def seconds_left(now: datetime, due: datetime | None) -> int | None:
    if due is None:
        return None
    return max(0, int((due - now).total_seconds()))
