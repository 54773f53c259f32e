"""Model of password reset links: the SHA-256 of each random token, never the token itself."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from lernmodul.db.models import Base, utcnow


class PasswordResetToken(Base):
    """One e-mailed reset link. Only the hash is stored, so a copy of the database opens no
    account; `used_at` is set when the link sets a password (or when another link of the
    same account did), after which it no longer works."""

    __tablename__ = "password_reset_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)  # SHA-256, hex
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    used_at: Mapped[datetime | None] = mapped_column()
