"""CertificateData: every claim a certificate makes, as plain values."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

Language = Literal["de", "en"]
LANGUAGES: tuple[Language, ...] = ("de", "en")


@dataclass(frozen=True, slots=True)
class CertificateData:
    """What a certificate states. The PDF, the credential and the verify page all show these."""

    code: str  # the grouped form from `normalize_code`
    participant_name: str  # as it was at issue
    course_id: str
    course_title: str
    course_version: str
    duration_minutes: int
    completed_on: date
    valid_until: date | None  # None: no expiry
    signatory: str
    certificate_title: str
    verify_url: str
    language: Language
    issued_at: datetime  # timezone-aware; the PDF prints its date in its own zone, the credential in UTC
    # Only for signing, not printed: the recipient's e-mail address goes into the credential
    # as a salted SHA-256 hash (an Open Badges IdentityObject) together with the salt.
    recipient_email: str | None = None
    identity_salt: str | None = None
    context_url: str | None = None  # the project's JSON-LD context (terms not in Open Badges 3.0)

    def __post_init__(self) -> None:
        if self.language not in LANGUAGES:
            raise ValueError(f"language must be one of {LANGUAGES}, not {self.language!r}")
        if self.issued_at.tzinfo is None or self.issued_at.utcoffset() is None:
            raise ValueError("issued_at must be timezone-aware (UTC)")
        if self.duration_minutes < 0:
            raise ValueError("duration_minutes must not be negative")
        if self.valid_until is not None and self.valid_until < self.completed_on:
            raise ValueError("valid_until lies before completed_on")
        if self.recipient_email is not None and not self.identity_salt:
            raise ValueError("a recipient_email needs an identity_salt")
        for name in ("code", "participant_name", "course_id", "course_title", "course_version",
                     "certificate_title", "verify_url"):
            if not getattr(self, name).strip():
                raise ValueError(f"{name} must not be empty")
