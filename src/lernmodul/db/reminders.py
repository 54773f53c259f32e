"""Model of sent reminder e-mails: one row per event, so a rerun or a second process skips it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from lernmodul.db.models import Base, utcnow


class SentReminder(Base):
    """A reminder claimed for sending, committed only together with a successful send.

    `event_key` ties the reminder to the facts it is about (an enrolment and its due date, a
    certificate and its expiry date, the ISO week of an HR digest): a moved due date is a new
    event, a rerun is not. The unique key makes a second sender's insert fail."""

    __tablename__ = "sent_reminders"
    __table_args__ = (UniqueConstraint("kind", "user_id", "event_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # due_soon | overdue | expiring | revoked | hr_digest
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    event_key: Mapped[str] = mapped_column(String(100))
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)
