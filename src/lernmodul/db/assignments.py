"""Model of mandatory-course assignments: a course required in an org unit and its sub-units."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from lernmodul.db.models import Base, User, utcnow


class Assignment(Base):
    """Course `course_id` is mandatory for everybody in `org_unit_id` and the units below it,
    due either on a fixed date (`due_at`) or `due_days` after the person joined (or after the
    assignment was made, for people who were there before)."""

    __tablename__ = "assignments"
    __table_args__ = (
        UniqueConstraint("course_id", "org_unit_id"),
        CheckConstraint("(due_at IS NULL) <> (due_days IS NULL)", name="one_due_rule"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[str] = mapped_column(String(100), index=True)
    org_unit_id: Mapped[int] = mapped_column(
        ForeignKey("org_units.id", ondelete="CASCADE"), index=True
    )
    due_at: Mapped[datetime | None] = mapped_column()
    due_days: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )


# The HR person list walks people by name: the first page needs no sort of every enrolment,
# and an export streams in flat memory.
Index("ix_users_name_id", User.__table__.c.name, User.__table__.c.id)
