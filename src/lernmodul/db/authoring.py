"""Models of course authoring: a course's open draft (its Markdown files) and the draft's images.

A course has at most one open draft, shared by every trainer; its `revision` counter makes a
save from an outdated form fail instead of overwriting newer text. Publishing turns the
draft into an immutable CourseVersion and deletes it; discarding deletes it too (both are in
the audit log)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer, LargeBinary, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from lernmodul.db.models import Base, utcnow


class CourseDraft(Base):
    """Work in progress on a course: a copy of the newest version (or a new course's skeleton)."""

    __tablename__ = "course_drafts"

    id: Mapped[int] = mapped_column(primary_key=True)
    # one open draft per course
    course_id: Mapped[str] = mapped_column(String(100), unique=True)
    # the version the draft started from; NULL for a new course
    base_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("course_versions.id", ondelete="SET NULL"), index=True
    )
    # file name (course.md, exam.md, 01-x.md) -> Markdown text
    files: Mapped[dict[str, Any]] = mapped_column()
    revision: Mapped[int] = mapped_column(Integer, default=1, server_default=text("1"))
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class DraftMedia(Base):
    """An image of a draft, under a generated name such as media/3f2a9c1e0b7d4a68.png."""

    __tablename__ = "draft_media"
    __table_args__ = (UniqueConstraint("draft_id", "path"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    draft_id: Mapped[int] = mapped_column(
        ForeignKey("course_drafts.id", ondelete="CASCADE"), index=True
    )
    path: Mapped[str] = mapped_column(String(255))
    media_type: Mapped[str] = mapped_column(String(100))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
