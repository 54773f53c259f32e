"""Queueing a delivery in the caller's transaction, and the administrator's operations."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, func, or_, select, update
from sqlalchemy.orm import Session

from lernmodul.db.engine import on_conflict_insert
from lernmodul.db.models import utcnow
from lernmodul.db.outbox import DELIVERED, FAILED, PENDING, Delivery

#: Session.info key: (kind, key) of the deliveries this transaction queued, so that the edge
#: can try to send them right after its commit.
ENQUEUED_KEY = "lernmodul.outbox.enqueued"
MAX_KEY = 255
MAX_KIND = 32
MAX_TARGET = 1000


def enqueue(session: Session, *, kind: str, key: str, payload: dict[str, Any],
            target: str = "", now: datetime | None = None) -> bool:
    """Queues a delivery in the caller's transaction (flushes, never commits). Returns False
    when (kind, key) is queued already, whatever its state: the same result is never queued
    twice, even by concurrent transactions (INSERT … ON CONFLICT DO NOTHING)."""
    if not kind or len(kind) > MAX_KIND:
        raise ValueError(f"kind must be 1..{MAX_KIND} characters")
    if not key or len(key) > MAX_KEY:
        raise ValueError(f"key must be 1..{MAX_KEY} characters")
    if len(target) > MAX_TARGET:
        raise ValueError(f"target longer than {MAX_TARGET} characters")
    at = now or utcnow()
    statement = on_conflict_insert(session, Delivery.__table__).values(
        kind=kind, key=key, payload=payload, target=target, status=PENDING, attempts=0,
        next_attempt_at=at, created_at=at,
    ).on_conflict_do_nothing(index_elements=["kind", "key"]).returning(Delivery.id)
    # RETURNING, not rowcount: psycopg reports no row count for this statement
    added = session.execute(statement).scalar() is not None
    if added:
        session.info.setdefault(ENQUEUED_KEY, []).append((kind, key))
    return added


def list_deliveries(session: Session, *, statuses: tuple[str, ...] = (PENDING, FAILED),
                    kind: str | None = None, limit: int = 200) -> list[Delivery]:
    """Deliveries in the given states (default: not delivered), the next due first."""
    query = select(Delivery).where(Delivery.status.in_(statuses))
    if kind:
        query = query.where(Delivery.kind == kind)
    return list(session.scalars(query.order_by(Delivery.next_attempt_at, Delivery.id).limit(limit)))


def _not_in_flight(now: datetime) -> ColumnElement[bool]:
    # a row a worker is sending right now (claimed, lease running) is left to that worker
    return or_(Delivery.claim.is_(None), Delivery.next_attempt_at <= now)


def retry_now(session: Session, delivery_id: int, *, now: datetime) -> bool:
    """Makes a pending or failed delivery due at once (a failed one gets one more attempt;
    it fails again if that one fails). False when it does not exist, was delivered or is
    being sent at this moment."""
    changed = session.execute(update(Delivery).where(
        Delivery.id == delivery_id, Delivery.status.in_((PENDING, FAILED)), _not_in_flight(now),
    ).values(status=PENDING, next_attempt_at=now, claim=None).execution_options(
        synchronize_session=False)).rowcount  # type: ignore[attr-defined]
    return bool(changed == 1)


def give_up(session: Session, delivery_id: int, *, now: datetime,
            reason: str = "given up by an administrator") -> bool:
    """Marks a pending delivery failed: it is not sent any more. False when not pending or
    being sent at this moment."""
    changed = session.execute(update(Delivery).where(
        Delivery.id == delivery_id, Delivery.status == PENDING, _not_in_flight(now),
    ).values(status=FAILED, claim=None, last_error=reason[:500]).execution_options(
        synchronize_session=False)).rowcount  # type: ignore[attr-defined]
    return bool(changed == 1)


def _finished_before(cutoff: datetime) -> ColumnElement[bool]:
    # delivered: when it was delivered; given up: its last scheduled attempt
    return and_(Delivery.status.in_((DELIVERED, FAILED)),
                func.coalesce(Delivery.delivered_at, Delivery.next_attempt_at) < cutoff)


def purge_finished(session: Session, *, before: datetime, dry_run: bool = False) -> int:
    """Deletes the delivered and given-up deliveries (their payloads carry scores) finished
    before `before`; pending ones stay, they are still to be sent. Returns how many rows
    were (with `dry_run`: would be) deleted. A result is reported once, when it is written,
    so a deleted row is never queued again."""
    finished = _finished_before(before)
    rows = session.scalar(select(func.count()).select_from(Delivery).where(finished)) or 0
    if rows and not dry_run:
        session.execute(delete(Delivery).where(finished).execution_options(synchronize_session=False))
    return int(rows)


__all__ = ["DELIVERED", "ENQUEUED_KEY", "enqueue", "give_up", "list_deliveries", "purge_finished",
           "retry_now"]
