"""Model of external identities: which provider's subject signs in as which account."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lernmodul.db.models import Base, User, utcnow


class ExternalIdentity(Base):
    """One (issuer, subject) of an identity provider or directory, linked to one account.

    `issuer` is the OpenID Connect issuer URL, the SAML IdP entity id or "ldap:<base DN>";
    `subject` the provider's stable id for the person (`sub`, the NameID, entryUUID/objectGUID).
    An account may have several (a directory entry and a sign-in provider)."""

    __tablename__ = "external_identities"
    __table_args__ = (UniqueConstraint("issuer", "subject"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # oidc | saml | ldap | lti
    issuer: Mapped[str] = mapped_column(String(500))
    subject: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship()


class SamlSeenMessage(Base):
    """The id of a SAML response or assertion already accepted, kept until it expires.

    Shared by every worker through the database: a response posted a second time, to any
    worker, finds its id here (the primary key refuses the second insert)."""

    __tablename__ = "saml_seen_messages"

    message_id: Mapped[str] = mapped_column(String(300), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(index=True)
