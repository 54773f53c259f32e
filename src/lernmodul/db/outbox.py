"""Model of the delivery outbox: messages to other systems (LTI scores, xAPI statements)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, Integer, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from lernmodul.db.models import Base, utcnow

PENDING = "pending"
DELIVERED = "delivered"
FAILED = "failed"  # given up: too many attempts, a permanent refusal, or an administrator


class Delivery(Base):
    """One message to send, once: `kind` names its sender ("ags", "xapi"), `key` the result it
    reports (unique per kind, so the same result is never queued twice), `target` where it
    goes (platform id, URL). `claim` and `next_attempt_at` form the lease of the worker sending
    it: a claimed row's next attempt lies in the future, so no other worker takes it."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("kind", "key"),
        Index("ix_deliveries_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    key: Mapped[str] = mapped_column(String(255))
    payload: Mapped[dict[str, Any]] = mapped_column()
    target: Mapped[str] = mapped_column(String(1000), default="")
    status: Mapped[str] = mapped_column(String(16), default=PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    claim: Mapped[str | None] = mapped_column(String(32))
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column()
