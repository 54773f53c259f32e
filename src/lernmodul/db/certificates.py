"""Models of certificates: one row per issued certificate, and the verify page's lookup counters."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from lernmodul.db.models import Base, utcnow


class Certificate(Base):
    """A certificate as issued: every claim it makes (frozen at issue) and the signed credential.

    A completion (an enrolment's `completed_at`) has exactly one *current* certificate: a
    re-issue (name change) or a recertification sets `superseded_at` on the old row before
    the new one is inserted, and a partial unique index allows one row per enrolment without
    `superseded_at`. Revoked certificates stay current, so a revoked completion is not
    silently issued again; revoking the current certificate undoes its completion (the
    course is to be retaken), and the next completion's certificate supersedes it."""

    __tablename__ = "certificates"
    __table_args__ = (
        Index(
            "uq_certificates_one_current",
            "enrolment_id",
            unique=True,
            sqlite_where=text("superseded_at IS NULL"),
            postgresql_where=text("superseded_at IS NULL"),
        ),
        # revoked current certificates: the courses HR sees as to be retaken (migration 0010)
        Index(
            "ix_certificates_revoked_current",
            "enrolment_id",
            sqlite_where=text("revoked_at IS NOT NULL AND superseded_at IS NULL"),
            postgresql_where=text("revoked_at IS NOT NULL AND superseded_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The grouped form from lernmodul.certificates.normalize_code: 135 random bits.
    code: Mapped[str] = mapped_column(String(40), unique=True)
    # Certificates are proof that must outlive accounts and enrolments: deleting either
    # while it has certificates is refused.
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("enrolments.id", ondelete="RESTRICT"))
    course_id: Mapped[str] = mapped_column(String(100), index=True)
    course_version_id: Mapped[int] = mapped_column(
        ForeignKey("course_versions.id", ondelete="RESTRICT"), index=True
    )
    # The claims, as printed and signed
    course_title: Mapped[str] = mapped_column(Text)
    course_version: Mapped[str] = mapped_column(String(50))
    duration_minutes: Mapped[int] = mapped_column(Integer)
    certificate_title: Mapped[str] = mapped_column(Text)
    signatory: Mapped[str] = mapped_column(Text, default="")
    participant_name: Mapped[str] = mapped_column(String(200))
    completed_at: Mapped[datetime] = mapped_column()  # the enrolment's completion this certifies
    completed_on: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date)
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    language: Mapped[str] = mapped_column(String(8))
    verify_url: Mapped[str] = mapped_column(String(500))
    credential: Mapped[dict[str, Any]] = mapped_column()
    # Lifecycle
    revoked_at: Mapped[datetime | None] = mapped_column()
    revoked_reason: Mapped[str | None] = mapped_column(Text)
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    superseded_at: Mapped[datetime | None] = mapped_column()
    superseded_reason: Mapped[str | None] = mapped_column(String(32))  # reissued | recertified
    superseded_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("certificates.id", ondelete="SET NULL")
    )


class VerificationThrottle(Base):
    """Lookups on the public verify page per key ("ip:<address>") in the current window,
    kept in the database so that every worker counts against the same limit."""

    __tablename__ = "verification_throttles"

    key: Mapped[str] = mapped_column(String(400), primary_key=True)
    hits: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    window_started_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
