"""The delivery outbox on SQLite and PostgreSQL: queued once, sent once, retried with back-off."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from lernmodul.db.outbox import DELIVERED, FAILED, PENDING, Delivery
from lernmodul.outbox import (
    DeliveryItem,
    PermanentDeliveryError,
    RetryableDeliveryError,
    backoff_seconds,
    deliver_due,
    enqueue,
    give_up,
    list_deliveries,
    register_sender,
    retry_now,
)
from lernmodul.outbox import delivery as delivery_module

T0 = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
CONFIG = {"OUTBOX_MAX_ATTEMPTS": 3, "OUTBOX_BACKOFF_BASE_SECONDS": 60,
          "OUTBOX_BACKOFF_MAX_SECONDS": 21600}


class Receiver:
    """A sender that records what it got and fails as told."""

    def __init__(self) -> None:
        self.got: list[DeliveryItem] = []
        self.fail: Exception | None = None
        self.lock = threading.Lock()

    def __call__(self, item: DeliveryItem, config: Any) -> None:
        if self.fail is not None:
            raise self.fail
        with self.lock:
            self.got.append(item)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    saved = dict(delivery_module._SENDERS)
    delivery_module._SENDERS.clear()
    receiver = Receiver()
    register_sender("test", receiver)
    yield receiver
    delivery_module._SENDERS.clear()
    delivery_module._SENDERS.update(saved)


def _queue(sessions: Any, key: str, kind: str = "test", **payload: Any) -> bool:
    with sessions() as session, session.begin():
        return enqueue(session, kind=kind, key=key, payload=payload or {"n": key},
                       target="https://lms.example/x", now=T0)


def _rows(sessions: Any) -> list[Delivery]:
    with sessions() as session:
        return list(session.scalars(select(Delivery).order_by(Delivery.id)))


def test_enqueue_is_idempotent_per_kind_and_key(sessions: Any) -> None:
    assert _queue(sessions, "attempt:1") is True
    assert _queue(sessions, "attempt:1") is False
    assert _queue(sessions, "attempt:1", kind="other") is True
    rows = _rows(sessions)
    assert [(r.kind, r.key, r.status, r.attempts) for r in rows] == [
        ("test", "attempt:1", PENDING, 0), ("other", "attempt:1", PENDING, 0)]
    assert rows[0].payload == {"n": "attempt:1"}


def test_enqueue_rolls_back_with_the_callers_transaction(sessions: Any) -> None:
    with sessions() as session:
        session.begin()
        assert enqueue(session, kind="test", key="k", payload={}, now=T0)
        session.rollback()
    assert _rows(sessions) == []
    assert _queue(sessions, "k") is True


def test_concurrent_enqueues_of_one_result_queue_it_once(sessions: Any) -> None:
    results: list[bool] = []
    barrier = threading.Barrier(8)

    def worker() -> None:
        barrier.wait()
        results.append(_queue(sessions, "exam:7"))

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False] * 7 + [True]
    assert len(_rows(sessions)) == 1


def test_delivered_once_and_not_again(sessions: Any, receiver: Receiver) -> None:
    _queue(sessions, "a")
    stats = deliver_due(sessions, config=CONFIG, now=T0)
    assert (stats.claimed, stats.delivered) == (1, 1)
    assert [i.key for i in receiver.got] == ["a"]
    assert deliver_due(sessions, config=CONFIG, now=T0 + timedelta(days=1)).claimed == 0
    row = _rows(sessions)[0]
    assert (row.status, row.attempts, row.delivered_at, row.claim) == (DELIVERED, 1, T0, None)
    assert _queue(sessions, "a") is False  # a delivered result is not queued again


def test_retryable_failure_backs_off_then_gives_up(sessions: Any, receiver: Receiver) -> None:
    _queue(sessions, "a")
    receiver.fail = RetryableDeliveryError("platform answered 503")
    stats = deliver_due(sessions, config=CONFIG, now=T0)
    assert (stats.claimed, stats.retrying) == (1, 1)
    row = _rows(sessions)[0]
    assert (row.status, row.attempts, row.last_error) == (PENDING, 1, "platform answered 503")
    assert T0 + timedelta(seconds=45) <= row.next_attempt_at <= T0 + timedelta(seconds=60)
    # not due before its time
    assert deliver_due(sessions, config=CONFIG, now=T0 + timedelta(seconds=44)).claimed == 0
    second = T0 + timedelta(seconds=61)
    deliver_due(sessions, config=CONFIG, now=second)
    row = _rows(sessions)[0]
    assert row.attempts == 2
    assert second + timedelta(seconds=90) <= row.next_attempt_at <= second + timedelta(seconds=120)
    stats = deliver_due(sessions, config=CONFIG, now=second + timedelta(seconds=121))
    assert stats.failed == 1
    row = _rows(sessions)[0]
    assert (row.status, row.attempts) == (FAILED, 3)
    assert receiver.got == []


def test_other_exceptions_count_as_retryable(sessions: Any, receiver: Receiver) -> None:
    _queue(sessions, "a")
    receiver.fail = ConnectionRefusedError("[Errno 111] Connection refused\nsecond line")
    assert deliver_due(sessions, config=CONFIG, now=T0).retrying == 1
    row = _rows(sessions)[0]
    assert row.status == PENDING
    assert row.last_error == "ConnectionRefusedError: [Errno 111] Connection refused second line"


def test_permanent_failure_fails_at_once(sessions: Any, receiver: Receiver) -> None:
    _queue(sessions, "a")
    receiver.fail = PermanentDeliveryError("platform answered 400: unknown user " + "x" * 600)
    assert deliver_due(sessions, config=CONFIG, now=T0).failed == 1
    row = _rows(sessions)[0]
    assert (row.status, row.attempts) == (FAILED, 1)
    assert row.last_error is not None and len(row.last_error) == 300


def test_backoff_doubles_up_to_the_cap() -> None:
    assert [backoff_seconds(n, jitter=1.0) for n in (1, 2, 3, 10, 30)] == [
        60, 120, 240, 21600, 21600]
    assert backoff_seconds(1, jitter=0.0) == 45
    assert all(45 <= backoff_seconds(1) <= 60 for _ in range(100))


def test_rows_of_kinds_without_a_sender_stay_untouched(sessions: Any, receiver: Receiver) -> None:
    _queue(sessions, "a", kind="xapi-not-here")
    assert deliver_due(sessions, config=CONFIG, now=T0).claimed == 0
    assert _rows(sessions)[0].attempts == 0


def test_only_sends_just_the_named_rows(sessions: Any, receiver: Receiver) -> None:
    for key in ("a", "b", "c"):
        _queue(sessions, key)
    stats = deliver_due(sessions, config=CONFIG, now=T0, only=[("test", "b")])
    assert stats.delivered == 1
    assert [i.key for i in receiver.got] == ["b"]
    assert deliver_due(sessions, config=CONFIG, now=T0, only=[]).claimed == 0


def test_parallel_workers_send_each_row_once(sessions: Any, receiver: Receiver) -> None:
    for number in range(40):
        _queue(sessions, f"r{number}")
    barrier = threading.Barrier(4)
    totals: list[int] = []

    def worker() -> None:
        barrier.wait()
        total = 0
        while True:
            stats = deliver_due(sessions, config=CONFIG, now=T0, limit=3)
            if stats.claimed == 0:
                break
            total += stats.delivered
        totals.append(total)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    keys = [item.key for item in receiver.got]
    assert sorted(keys) == sorted(f"r{n}" for n in range(40))
    assert len(keys) == len(set(keys)) == sum(totals) == 40
    assert {r.status for r in _rows(sessions)} == {DELIVERED}


def test_a_claimed_row_is_left_to_its_worker(sessions: Any, receiver: Receiver) -> None:
    _queue(sessions, "a")
    seen: list[int] = []

    def slow(item: DeliveryItem, config: Any) -> None:
        # while this worker sends, a second run finds nothing due, and the admin cannot
        # retry or give up the row
        seen.append(deliver_due(sessions, config=CONFIG, now=T0).claimed)
        with sessions() as session, session.begin():
            seen.append(int(retry_now(session, item.id, now=T0)))
            seen.append(int(give_up(session, item.id, now=T0)))

    register_sender("test", slow)
    assert deliver_due(sessions, config=CONFIG, now=T0).delivered == 1
    assert seen == [0, 0, 0]


def test_admin_retry_and_give_up(sessions: Any, receiver: Receiver) -> None:
    _queue(sessions, "a")
    _queue(sessions, "b")
    receiver.fail = PermanentDeliveryError("400")
    deliver_due(sessions, config=CONFIG, now=T0, only=[("test", "a")])
    with sessions() as session:
        assert [d.key for d in list_deliveries(session, statuses=(FAILED,))] == ["a"]
        ids = {d.key: d.id for d in list_deliveries(session)}
    later = T0 + timedelta(hours=1)
    with sessions() as session, session.begin():
        assert retry_now(session, ids["a"], now=later) is True
        assert give_up(session, ids["b"], now=later) is True
        assert give_up(session, ids["b"], now=later) is False  # failed already
    receiver.fail = None
    stats = deliver_due(sessions, config=CONFIG, now=later)
    assert (stats.claimed, stats.delivered) == (1, 1)
    rows = {r.key: r for r in _rows(sessions)}
    assert (rows["a"].status, rows["a"].attempts) == (DELIVERED, 2)
    assert (rows["b"].status, rows["b"].last_error) == (FAILED, "given up by an administrator")
    with sessions() as session, session.begin():
        assert retry_now(session, ids["a"], now=later) is False  # delivered: stays so


def test_enqueue_checks_its_arguments(sessions: Any) -> None:
    with sessions() as session:
        for kwargs in ({"kind": "", "key": "k"}, {"kind": "k", "key": ""},
                       {"kind": "k", "key": "x" * 256}, {"kind": "x" * 33, "key": "k"}):
            with pytest.raises(ValueError):
                enqueue(session, payload={}, **kwargs)
