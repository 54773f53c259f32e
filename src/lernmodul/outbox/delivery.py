"""Sending due deliveries: claim (short transaction), send (no transaction), record (short)."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from lernmodul.db.engine import session_scope
from lernmodul.db.models import utcnow
from lernmodul.db.outbox import DELIVERED, FAILED, PENDING, Delivery

logger = logging.getLogger("lernmodul.outbox")

DEFAULT_MAX_ATTEMPTS = 20  # 1, 2, 4 … minutes, then every 6 hours: about three days
DEFAULT_BACKOFF_BASE_SECONDS = 60
DEFAULT_BACKOFF_MAX_SECONDS = 6 * 3600
DEFAULT_LEASE_SECONDS = 300  # longer than any send may take
MAX_ERROR = 300
_random = secrets.SystemRandom()


class RetryableDeliveryError(Exception):
    """The receiver is away or busy (timeout, 5xx, 429): try again later."""


class PermanentDeliveryError(Exception):
    """The receiver refused the message for good (4xx): mark it failed at once."""


@dataclass(frozen=True, slots=True)
class DeliveryItem:
    """What a sender gets of a claimed row: plain values, no session."""

    id: int
    kind: str
    key: str
    payload: dict[str, Any]
    target: str
    attempts: int  # attempts before this one


Sender = Callable[[DeliveryItem, Mapping[str, Any]], None]
_SENDERS: dict[str, Sender] = {}


def register_sender(kind: str, sender: Sender) -> None:
    """Makes `sender` the sender of deliveries of `kind` (a second call replaces it). A sender
    returns when the receiver took the message, raises RetryableDeliveryError (back off and
    retry) or PermanentDeliveryError (failed at once); any other exception counts as retryable."""
    _SENDERS[kind] = sender


def registered_kinds() -> tuple[str, ...]:
    """The kinds that have a sender; rows of other kinds stay untouched."""
    return tuple(sorted(_SENDERS))


@dataclass(frozen=True, slots=True)
class DeliveryStats:
    """What one `deliver_due` run did."""

    claimed: int = 0
    delivered: int = 0
    retrying: int = 0  # failed this time, will be tried again
    failed: int = 0  # given up


def backoff_seconds(attempts: int, *, base: float = DEFAULT_BACKOFF_BASE_SECONDS,
                    cap: float = DEFAULT_BACKOFF_MAX_SECONDS, jitter: float | None = None) -> float:
    """The wait after the `attempts`-th failed attempt: base · 2^(attempts−1), at most `cap`,
    times a random factor in [0.75, 1] so that many rows queued together spread out."""
    delay = min(cap, base * 2 ** max(0, attempts - 1))
    factor = 0.75 + 0.25 * (_random.random() if jitter is None else jitter)
    return float(delay * factor)


def deliver_due(session_factory: sessionmaker[Session], *, config: Mapping[str, Any],
                now: datetime | None = None, limit: int = 100,
                only: Iterable[tuple[str, str]] | None = None) -> DeliveryStats:
    """Sends up to `limit` due deliveries of the registered kinds (`only`: just these
    (kind, key) pairs, e.g. the ones a request has just queued) and records each outcome.

    Config keys (all optional): OUTBOX_MAX_ATTEMPTS, OUTBOX_BACKOFF_BASE_SECONDS,
    OUTBOX_BACKOFF_MAX_SECONDS, OUTBOX_LEASE_SECONDS; the whole mapping goes to the senders."""
    kinds = registered_kinds()
    wanted = list(only) if only is not None else None
    if not kinds or wanted == []:
        return DeliveryStats()
    clock: Callable[[], datetime] = (lambda: now) if now is not None else utcnow
    token = secrets.token_hex(16)
    items = _claim(session_factory, kinds, wanted, token, clock(), limit,
                   int(config.get("OUTBOX_LEASE_SECONDS", DEFAULT_LEASE_SECONDS)))
    delivered = retrying = failed = 0
    for item in items:
        outcome = _send(item, config)
        status = _record(session_factory, item, token, outcome, clock(), config)
        if status == DELIVERED:
            delivered += 1
        elif status == FAILED:
            failed += 1
        elif status == PENDING:
            retrying += 1
    return DeliveryStats(claimed=len(items), delivered=delivered, retrying=retrying, failed=failed)


def _claim(factory: sessionmaker[Session], kinds: tuple[str, ...],
           wanted: list[tuple[str, str]] | None, token: str, now: datetime, limit: int,
           lease: int) -> list[DeliveryItem]:
    """Leases due rows to this run: PostgreSQL skips rows another run has locked; SQLite runs
    write transactions one at a time (BEGIN IMMEDIATE) and the UPDATE's condition decides."""
    due = and_(Delivery.status == PENDING, Delivery.next_attempt_at <= now,
               Delivery.kind.in_(kinds))
    query = select(Delivery.id).where(due)
    if wanted is not None:
        query = query.where(or_(*(and_(Delivery.kind == k, Delivery.key == key)
                                  for k, key in wanted)))
    query = query.order_by(Delivery.next_attempt_at, Delivery.id).limit(limit)
    with session_scope(factory) as session:
        ids = list(session.scalars(query.with_for_update(skip_locked=True)))
        if not ids:
            return []
        session.execute(update(Delivery).where(Delivery.id.in_(ids), due).values(
            claim=token, next_attempt_at=now + timedelta(seconds=lease),
        ).execution_options(synchronize_session=False))
        rows = session.scalars(select(Delivery).where(Delivery.claim == token)
                               .order_by(Delivery.id))
        return [DeliveryItem(id=r.id, kind=r.kind, key=r.key, payload=dict(r.payload),
                             target=r.target, attempts=r.attempts) for r in rows]


def _send(item: DeliveryItem, config: Mapping[str, Any]) -> Exception | None:
    sender = _SENDERS.get(item.kind)
    if sender is None:  # unregistered since the claim: try again later
        return RetryableDeliveryError(f"no sender for {item.kind!r}")
    try:
        sender(item, config)
    except Exception as error:  # every failure of a sender is recorded
        return error
    return None


def _short(error: Exception) -> str:
    text = str(error) if isinstance(error, (RetryableDeliveryError, PermanentDeliveryError)) \
        else f"{type(error).__name__}: {error}"
    return " ".join(text.split())[:MAX_ERROR] or type(error).__name__


def _record(factory: sessionmaker[Session], item: DeliveryItem, token: str,
            outcome: Exception | None, now: datetime, config: Mapping[str, Any]) -> str | None:
    attempts = item.attempts + 1
    values: dict[str, Any] = {"attempts": attempts, "claim": None}
    if outcome is None:
        values.update(status=DELIVERED, delivered_at=now, last_error=None)
        logger.info("delivered kind=%s id=%s attempt=%s", item.kind, item.id, attempts)
    else:
        values["last_error"] = _short(outcome)
        limit = int(config.get("OUTBOX_MAX_ATTEMPTS", DEFAULT_MAX_ATTEMPTS))
        if isinstance(outcome, PermanentDeliveryError) or attempts >= limit:
            values["status"] = FAILED
            logger.warning("delivery failed kind=%s id=%s attempt=%s error=%s", item.kind,
                           item.id, attempts, values["last_error"])
        else:
            wait = backoff_seconds(
                attempts, base=float(config.get("OUTBOX_BACKOFF_BASE_SECONDS",
                                                DEFAULT_BACKOFF_BASE_SECONDS)),
                cap=float(config.get("OUTBOX_BACKOFF_MAX_SECONDS", DEFAULT_BACKOFF_MAX_SECONDS)))
            values.update(status=PENDING, next_attempt_at=now + timedelta(seconds=wait))
            logger.info("delivery retry kind=%s id=%s attempt=%s in=%.0fs error=%s", item.kind,
                        item.id, attempts, wait, values["last_error"])
    with session_scope(factory) as session:
        changed = session.execute(update(Delivery).where(
            Delivery.id == item.id, Delivery.claim == token).values(**values).execution_options(
            synchronize_session=False)).rowcount  # type: ignore[attr-defined]
    # 0: an administrator changed the row meanwhile (gave up, retry now); theirs stands
    return str(values["status"]) if changed == 1 else None
