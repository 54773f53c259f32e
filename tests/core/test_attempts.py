"""Attempt deadlines with extra time, and the state machine's allowed moves."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from lernmodul.core.attempts import (
    GRACE,
    AttemptState,
    can_move,
    deadline,
    is_overdue,
    seconds_left,
    time_allowed,
)

START = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(("limit", "extra", "expected"), [
    (30, 0, timedelta(minutes=30)), (30, 25, timedelta(minutes=37, seconds=30)),
    (30, 100, timedelta(minutes=60)), (1, 33, timedelta(seconds=80)), (30, -10, timedelta(minutes=30)),
    (None, 50, None),
])
def test_time_allowed_includes_extra_time(limit, extra, expected) -> None:
    assert time_allowed(limit, extra) == expected


def test_deadline_and_grace() -> None:
    due = deadline(START, 30, 0)
    assert due == START + timedelta(minutes=30)
    assert not is_overdue(due, due) and not is_overdue(due + GRACE, due)
    assert is_overdue(due + GRACE + timedelta(seconds=1), due)
    assert not is_overdue(START + timedelta(days=9), None)
    assert seconds_left(START, due) == 1800 and seconds_left(due + GRACE, due) == 0


def test_only_in_progress_attempts_move() -> None:
    assert can_move(AttemptState.IN_PROGRESS, AttemptState.SUBMITTED)
    assert can_move(AttemptState.IN_PROGRESS, AttemptState.EXPIRED)
    for final in (AttemptState.SUBMITTED, AttemptState.EXPIRED):
        assert not any(can_move(final, target) for target in AttemptState)
