"""Model of LTI 1.3 platforms (ILIAS, Moodle, …) and the one-time values of their launches."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from lernmodul.db.models import Base, utcnow


class LtiPlatform(Base):
    """A learning platform registered to launch lernmodul: its issuer, our client id there,
    the deployment ids it may use, and the addresses of its login, token and key endpoints.

    `trust_instructors`: whether the platform's Instructor role makes a person a trainer here.
    `context_units`: which LMS course (context id) puts a launched person into which existing
    org unit, one "context id<TAB>unit id" a line; empty: launches never change a person's unit."""

    __tablename__ = "lti_platforms"
    __table_args__ = (UniqueConstraint("issuer", "client_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    issuer: Mapped[str] = mapped_column(String(500))
    client_id: Mapped[str] = mapped_column(String(255))
    deployment_ids: Mapped[str] = mapped_column(Text, default="")  # one a line
    auth_login_url: Mapped[str] = mapped_column(String(1000))
    token_url: Mapped[str] = mapped_column(String(1000), default="")
    jwks_url: Mapped[str] = mapped_column(String(1000))
    trust_instructors: Mapped[bool] = mapped_column(Boolean, default=False)
    context_units: Mapped[str] = mapped_column(Text, default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def deployments(self) -> list[str]:
        """The deployment ids, in the order entered."""
        return [line.strip() for line in self.deployment_ids.splitlines() if line.strip()]


class LtiOneTime(Base):
    """A value usable once before `expires_at`: the nonce of a login initiation ("nonce"), or
    the token that starts the session of a launch in a new window ("start")."""

    __tablename__ = "lti_one_time"

    key: Mapped[str] = mapped_column(String(128), primary_key=True)  # SHA-256 hex for "start"
    purpose: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=True)
    course_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    platform_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    expires_at: Mapped[datetime] = mapped_column()


class LtiLineItem(Base):
    """Where a platform takes the scores of one person in one course: the AGS line item of the
    resource link they launched, with the person's LTI subject (the `userId` of a score).
    Written at each launch that carries the AGS endpoint claim with the score scope."""

    __tablename__ = "lti_line_items"
    __table_args__ = (UniqueConstraint("platform_id", "user_id", "course_id", "resource_link_id",
                                       name="uq_lti_line_items_link"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform_id: Mapped[int] = mapped_column(ForeignKey("lti_platforms.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    course_id: Mapped[str] = mapped_column(String(200))
    resource_link_id: Mapped[str] = mapped_column(String(255))
    subject: Mapped[str] = mapped_column(String(255))
    lineitem_url: Mapped[str] = mapped_column(String(1000))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
