"""Models of learning: course media, unit progress, attempts and their results."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from lernmodul.db.models import Base, utcnow


class CourseMedia(Base):
    """An image of a course version, stored with it so every app host serves the same bytes."""

    __tablename__ = "course_media"
    __table_args__ = (UniqueConstraint("course_version_id", "path"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_version_id: Mapped[int] = mapped_column(
        ForeignKey("course_versions.id", ondelete="CASCADE"), index=True
    )
    path: Mapped[str] = mapped_column(String(255))  # e.g. media/ampel.png
    media_type: Mapped[str] = mapped_column(String(100))
    content: Mapped[bytes] = mapped_column(LargeBinary)


class UnitProgress(Base):
    """One learner's state in one unit of the course version they take."""

    __tablename__ = "unit_progress"
    __table_args__ = (UniqueConstraint("enrolment_id", "unit_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(
        ForeignKey("enrolments.id", ondelete="CASCADE"), index=True
    )
    unit_id: Mapped[str] = mapped_column(String(100))
    read_at: Mapped[datetime | None] = mapped_column()
    quiz_passed_at: Mapped[datetime | None] = mapped_column()
    # the newest graded quiz attempt's score, shown on the unit page without another query
    last_quiz_points: Mapped[float | None] = mapped_column(Float)
    last_quiz_max_points: Mapped[float | None] = mapped_column(Float)


class Attempt(Base):
    """One try at a unit quiz or the final exam: the drawn questions (from `seed`), the
    responses so far, and a state that only moves in_progress → submitted | expired."""

    __tablename__ = "attempts"
    __table_args__ = (
        # at most one open attempt per learner and quiz (unit_key '' is the final exam)
        Index(
            "uq_attempts_one_open",
            "enrolment_id",
            "kind",
            "unit_key",
            unique=True,
            sqlite_where=text("state = 'in_progress'"),
            postgresql_where=text("state = 'in_progress'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    enrolment_id: Mapped[int] = mapped_column(
        ForeignKey("enrolments.id", ondelete="CASCADE"), index=True
    )
    course_version_id: Mapped[int] = mapped_column(
        ForeignKey("course_versions.id", ondelete="RESTRICT"), index=True
    )
    kind: Mapped[str] = mapped_column(String(8))  # quiz | exam
    unit_key: Mapped[str] = mapped_column(String(100), default="")
    seed: Mapped[int] = mapped_column(Integer)
    # [[question id, [option ids in display order]], ...]
    questions: Mapped[list[Any]] = mapped_column(JSON)
    responses: Mapped[dict[str, Any]] = mapped_column(default=dict)
    revision: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    state: Mapped[str] = mapped_column(String(16), default="in_progress", index=True)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    deadline_at: Mapped[datetime | None] = mapped_column()
    submitted_at: Mapped[datetime | None] = mapped_column()


class AttemptResult(Base):
    """The grade of a submitted attempt: exactly one per attempt (a unique key guards it)."""

    __tablename__ = "attempt_results"

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(
        ForeignKey("attempts.id", ondelete="CASCADE"), unique=True
    )
    points: Mapped[float] = mapped_column(Float)
    max_points: Mapped[float] = mapped_column(Float)
    is_passed: Mapped[bool] = mapped_column(Boolean)
    # question id -> {"points": .., "max": .., "marks": {option id: right?}}
    scores: Mapped[dict[str, Any]] = mapped_column()
    graded_at: Mapped[datetime] = mapped_column(default=utcnow)
