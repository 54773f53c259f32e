"""Audit log entries (who did what to whom, when) written in the caller's transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from lernmodul.db.models import AuditLog


def record_event(
    session: Session,
    *,
    action: str,
    at: datetime,
    actor_id: int | None = None,
    target: str | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditLog:
    entry = AuditLog(at=at, actor_id=actor_id, action=action, target=target, detail=detail)
    session.add(entry)
    session.flush()
    return entry
