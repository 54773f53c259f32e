"""Certificates as records: issue once per completion, look up, revoke, re-issue, renew; lookup limits.

Issuing freezes every claim (participant name, course title and version, dates) in a row,
signs the credential with the instance key and stores it with the row; the PDF is rendered
from the row on demand, so the same row always gives the same document. Exactly one
certificate per completion: a partial unique index allows one current (not superseded)
certificate per enrolment, so double clicks and concurrent workers end with one row.
Every function takes the Session and the time, flushes and never commits."""

from __future__ import annotations

import calendar
import dataclasses
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import and_, case, delete, literal, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lernmodul.certificates import CertificateData, Language, new_code, sign_credential
from lernmodul.core.model import Course
from lernmodul.db.certificates import Certificate, VerificationThrottle
from lernmodul.db.engine import on_conflict_insert
from lernmodul.db.learning import Attempt, UnitProgress
from lernmodul.db.models import CourseVersion, Enrolment, Role, User, UTCDateTime
from lernmodul.services.audit import record_event
from lernmodul.services.learning import COURSE_STARTED, note_event
from lernmodul.services.org_units import role_scope

VALID = "valid"
EXPIRED = "expired"
REVOKED = "revoked"
SUPERSEDED = "superseded"
REISSUED = "reissued"  # why a certificate was superseded: an admin issued a corrected one
RECERTIFIED = "recertified"  # … or the participant completed the course again
MAX_REASON_LENGTH = 500
DEFAULT_RENEWAL_DAYS = 60


class CertificateError(Exception):
    """A refusal with a code the edge turns into a message (and a 4xx)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


class _LostRace(Exception):
    """Another transaction superseded the certificate first."""


@dataclass(frozen=True, slots=True)
class Issuer:
    """What issuing needs from the edge: the signing key, the verify page's absolute address
    for a code, the time zone in which completion and issue dates are printed, and the
    absolute address of the project's JSON-LD context (None: not referenced)."""

    signing_key: Ed25519PrivateKey
    verify_url: Callable[[str], str]
    timezone: tzinfo
    context_url: str | None = None


# --- rules ---------------------------------------------------------------------------------


def add_months(day: date, months: int) -> date:
    """`day` plus calendar months; the 31st becomes the last day of a shorter month."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def status_of(certificate: Certificate, today: date) -> str:
    """revoked, superseded, expired or valid (in that order of precedence)."""
    if certificate.revoked_at is not None:
        return REVOKED
    if certificate.superseded_at is not None:
        return SUPERSEDED
    if certificate.valid_until is not None and today > certificate.valid_until:
        return EXPIRED
    return VALID


def renewal_opens_on(certificate: Certificate, renewal_days: int) -> date | None:
    """The first day on which the course is offered again; None for certificates without expiry."""
    if certificate.valid_until is None:
        return None
    return certificate.valid_until - timedelta(days=renewal_days)


def renewal_is_open(certificate: Certificate, today: date, renewal_days: int) -> bool:
    """In the renewal window (or past expiry) of a certificate that is neither revoked nor superseded."""
    opens = renewal_opens_on(certificate, renewal_days)
    return (opens is not None and today >= opens and certificate.revoked_at is None
            and certificate.superseded_at is None)


def certificate_data(certificate: Certificate, timezone: tzinfo) -> CertificateData:
    """The claims of a stored certificate, for the PDF and the verify page."""
    return CertificateData(
        code=certificate.code, participant_name=certificate.participant_name,
        course_id=certificate.course_id, course_title=certificate.course_title,
        course_version=certificate.course_version, duration_minutes=certificate.duration_minutes,
        completed_on=certificate.completed_on, valid_until=certificate.valid_until,
        signatory=certificate.signatory, certificate_title=certificate.certificate_title,
        verify_url=certificate.verify_url, language=_language(certificate.language),
        issued_at=certificate.issued_at.astimezone(timezone))


def _language(value: str) -> Language:
    return "en" if value == "en" else "de"


def _clean_reason(reason: str) -> str:
    reason = " ".join(reason.split())
    if not reason:
        raise CertificateError("reason_required")
    if len(reason) > MAX_REASON_LENGTH:
        raise CertificateError("reason_too_long")
    return reason


# --- lookups -------------------------------------------------------------------------------


def find_certificate_by_code(session: Session, code: str) -> Certificate | None:
    """`code` in the grouped form of `normalize_code`."""
    return session.scalars(select(Certificate).where(Certificate.code == code)).first()


def find_current_certificate(session: Session, enrolment_id: int) -> Certificate | None:
    """The enrolment's certificate that is not superseded (it may be revoked or expired)."""
    return session.scalars(
        select(Certificate).where(Certificate.enrolment_id == enrolment_id,
                                  Certificate.superseded_at.is_(None))
        .execution_options(populate_existing=True)).first()


def get_certificate(session: Session, certificate_id: int, viewer: User) -> Certificate:
    """A certificate the viewer may download: their own, any for an admin, and for HR those
    of people in their org units (sub-units included).

    Raises LookupError otherwise, so a stranger's certificate does not exist for the
    viewer (404)."""
    certificate = session.get(Certificate, certificate_id)
    if certificate is None:
        raise LookupError("no such certificate")
    if certificate.user_id == viewer.id or viewer.has_role(Role.ADMIN.value):
        return certificate
    if viewer.has_role(Role.HR.value):
        owner = session.get(User, certificate.user_id)
        scope = role_scope(session, viewer, Role.HR.value)
        if owner is not None and owner.org_unit_id is not None and (
                scope is None or owner.org_unit_id in scope):
            return certificate
    raise LookupError("no such certificate")


def list_certificates(session: Session, user_id: int) -> list[Certificate]:
    """All of a user's certificates, newest first (superseded and revoked ones included)."""
    return list(session.scalars(select(Certificate).where(Certificate.user_id == user_id)
                                .order_by(Certificate.issued_at.desc(), Certificate.id.desc())))


def list_recent_certificates(session: Session, limit: int = 50) -> list[Certificate]:
    return list(session.scalars(select(Certificate).order_by(Certificate.id.desc()).limit(limit)))


def pending_completions(session: Session, user_id: int) -> list[Enrolment]:
    """The user's completions without a certificate for them (at most one query).

    Includes completions of courses without a certificate section; `issue_certificate`
    skips those."""
    return list(session.scalars(
        select(Enrolment)
        .outerjoin(Certificate, and_(Certificate.enrolment_id == Enrolment.id,
                                     Certificate.superseded_at.is_(None)))
        .where(Enrolment.user_id == user_id, Enrolment.completed_at.is_not(None),
               Enrolment.course_version_id.is_not(None),
               or_(Certificate.id.is_(None), Certificate.completed_at != Enrolment.completed_at))
        .order_by(Enrolment.id)))


# --- issuing -------------------------------------------------------------------------------


def _sign(certificate: Certificate, issuer: Issuer, session: Session) -> None:
    """Signs the credential. It names the recipient by a salted hash of their e-mail address
    at issue (Open Badges IdentityObject); the salt is part of the stored credential."""
    owner = session.get(User, certificate.user_id)
    data = dataclasses.replace(
        certificate_data(certificate, issuer.timezone), context_url=issuer.context_url,
        recipient_email=owner.email if owner is not None else None,
        identity_salt=secrets.token_hex(16))
    certificate.credential = sign_credential(data, issuer.signing_key)


def _supersede(session: Session, certificate: Certificate, reason: str, now: datetime) -> None:
    """Marks the certificate superseded unless another transaction did so first."""
    changed = session.execute(
        update(Certificate).where(Certificate.id == certificate.id,
                                  Certificate.superseded_at.is_(None))
        .values(superseded_at=now, superseded_reason=reason)
        .execution_options(synchronize_session=False)).rowcount  # type: ignore[attr-defined]
    if changed != 1:
        raise _LostRace()
    session.refresh(certificate)


def issue_certificate(session: Session, *, enrolment: Enrolment, version: CourseVersion,
                      course: Course, participant_name: str, language: Language, issuer: Issuer,
                      now: datetime) -> Certificate | None:
    """The certificate for the enrolment's completion, issued now if it has none yet.

    None when the enrolment is not complete or the course has no certificate. Idempotent:
    a second call, a second tab or another worker gets the same row. A new completion
    (recertification) supersedes the certificate of the previous one."""
    settings = course.certificate
    if enrolment.completed_at is None or settings is None:
        return None
    current = find_current_certificate(session, enrolment.id)
    if current is not None and current.completed_at == enrolment.completed_at:
        return current
    name = " ".join(participant_name.split())
    if not name:
        raise CertificateError("no_name")
    completed_on = enrolment.completed_at.astimezone(issuer.timezone).date()
    code = new_code()
    certificate = Certificate(
        code=code, user_id=enrolment.user_id, enrolment_id=enrolment.id,
        course_id=course.id, course_version_id=version.id, course_title=course.title,
        course_version=course.version, duration_minutes=course.total_duration,
        certificate_title=settings.title, signatory=settings.signatory,
        participant_name=name[:200], completed_at=enrolment.completed_at,
        completed_on=completed_on,
        valid_until=add_months(completed_on, settings.valid_months) if settings.valid_months else None,
        issued_at=now.replace(microsecond=0), language=language, verify_url=issuer.verify_url(code))
    _sign(certificate, issuer, session)
    try:
        with session.begin_nested():
            if current is not None:
                _supersede(session, current, RECERTIFIED, now)
            session.add(certificate)
            session.flush()
            if current is not None:
                current.superseded_by_id = certificate.id
                session.flush()
    except (IntegrityError, _LostRace):
        # Another request issued it in the same moment: that one is the certificate.
        winner = find_current_certificate(session, enrolment.id)
        if winner is None or winner.completed_at != enrolment.completed_at:
            raise
        return winner
    record_event(session, action="certificate.issue", at=now, actor_id=enrolment.user_id,
                 target=f"certificate:{certificate.id}",
                 detail={"code": code, "course_id": course.id, "course_version": course.version,
                         **({"supersedes": current.code} if current is not None else {})})
    return certificate


def issue_pending_certificates(session: Session, user: User, *, language: Language,
                               issuer: Issuer, now: datetime,
                               course_of: Callable[[CourseVersion], Course]) -> list[Certificate]:
    """Issues the certificates of all the user's completions that have none yet."""
    issued = []
    for enrolment in pending_completions(session, user.id):
        assert enrolment.course_version_id is not None
        version = session.get(CourseVersion, enrolment.course_version_id)
        if version is None:  # pragma: no cover - the foreign key forbids it
            continue
        certificate = issue_certificate(session, enrolment=enrolment, version=version,
                                        course=course_of(version), participant_name=user.name,
                                        language=language, issuer=issuer, now=now)
        if certificate is not None:
            issued.append(certificate)
    return issued


# --- lifecycle -----------------------------------------------------------------------------


def revoke_certificate(session: Session, certificate: Certificate, *, reason: str,
                       actor_id: int, now: datetime) -> None:
    """Revokes with a reason (shown on the verify page); audit-logged.

    Revoking the current certificate of a completion opens the course again: the completion
    is undone as when a renewal starts (progress cleared, open attempts expired, attempts
    and results kept), and the version is chosen anew when the learner starts. HR then sees
    "revoked – to be retaken" until a new completion brings a new certificate, which
    supersedes the revoked one."""
    reason = _clean_reason(reason)
    changed = session.execute(
        update(Certificate).where(Certificate.id == certificate.id, Certificate.revoked_at.is_(None))
        .values(revoked_at=now, revoked_reason=reason, revoked_by_id=actor_id)
        .execution_options(synchronize_session=False)).rowcount  # type: ignore[attr-defined]
    if changed != 1:
        raise CertificateError("already_revoked")
    session.refresh(certificate)
    reopened = certificate.superseded_at is None and _reopen_enrolment(
        session, certificate, version_id=None, started_at=None, now=now)
    record_event(session, action="certificate.revoke", at=now, actor_id=actor_id,
                 target=f"certificate:{certificate.id}",
                 detail={"code": certificate.code, "user_id": certificate.user_id, "reason": reason,
                         "course_reopened": reopened})


def _reopen_enrolment(session: Session, certificate: Certificate, *, version_id: int | None,
                      started_at: datetime | None, now: datetime) -> bool:
    """Undoes the completion the certificate certifies, if it is still the enrolment's:
    the enrolment starts over on `version_id` (None: chosen at the next start), its progress
    is cleared and its open attempts expire (attempts and results stay as records). False
    when the enrolment has moved on (another completion, or reopened already)."""
    changed = session.execute(
        update(Enrolment).where(Enrolment.id == certificate.enrolment_id,
                                Enrolment.completed_at == certificate.completed_at)
        .values(completed_at=None, exam_passed_at=None, course_version_id=version_id,
                started_at=started_at)
        .execution_options(synchronize_session=False)).rowcount  # type: ignore[attr-defined]
    if changed != 1:
        return False
    session.execute(delete(UnitProgress).where(UnitProgress.enrolment_id == certificate.enrolment_id)
                    .execution_options(synchronize_session=False))
    session.execute(update(Attempt).where(Attempt.enrolment_id == certificate.enrolment_id,
                                          Attempt.state == "in_progress")
                    .values(state="expired", submitted_at=now)
                    .execution_options(synchronize_session=False))
    session.get(Enrolment, certificate.enrolment_id, populate_existing=True)
    return True


def reissue_certificate(session: Session, certificate: Certificate, *, participant_name: str,
                        language: Language, reason: str, actor_id: int, issuer: Issuer,
                        now: datetime) -> Certificate:
    """A new certificate for the same completion (e.g. after a name change) with a new code;
    the old one is superseded. Course, version and dates stay as issued."""
    reason = _clean_reason(reason)
    name = " ".join(participant_name.split())
    if not name:
        raise CertificateError("no_name")
    if certificate.superseded_at is not None:
        raise CertificateError("superseded")
    code = new_code()
    new = Certificate(
        code=code, user_id=certificate.user_id, enrolment_id=certificate.enrolment_id,
        course_id=certificate.course_id, course_version_id=certificate.course_version_id,
        course_title=certificate.course_title, course_version=certificate.course_version,
        duration_minutes=certificate.duration_minutes,
        certificate_title=certificate.certificate_title, signatory=certificate.signatory,
        participant_name=name[:200], completed_at=certificate.completed_at,
        completed_on=certificate.completed_on, valid_until=certificate.valid_until,
        issued_at=now.replace(microsecond=0), language=language, verify_url=issuer.verify_url(code))
    _sign(new, issuer, session)
    try:
        with session.begin_nested():
            _supersede(session, certificate, REISSUED, now)
            session.add(new)
            session.flush()
            certificate.superseded_by_id = new.id
            session.flush()
    except (_LostRace, IntegrityError) as error:
        raise CertificateError("superseded") from error
    record_event(session, action="certificate.reissue", at=now, actor_id=actor_id,
                 target=f"certificate:{new.id}",
                 detail={"code": code, "supersedes": certificate.code, "user_id": new.user_id,
                         "reason": reason})
    return new


def start_renewal(session: Session, certificate: Certificate, *, version: CourseVersion,
                  renewal_days: int, now: datetime, today: date) -> Enrolment:
    """Offers the course again in the renewal window: the enrolment starts over on `version`
    (the newest). The certificate stays valid until a new completion supersedes it.

    Progress of the earlier round is cleared and its open attempts expire; its attempts and
    results stay as records."""
    if not renewal_is_open(certificate, today, renewal_days):
        raise CertificateError("renewal_not_open")
    if version.course_id != certificate.course_id:
        raise ValueError("the version belongs to another course")
    if not _reopen_enrolment(session, certificate, version_id=version.id, started_at=now,
                             now=now):
        raise CertificateError("renewal_started")
    enrolment = session.get(Enrolment, certificate.enrolment_id)
    assert enrolment is not None
    note_event(session, COURSE_STARTED, enrolment.id)  # a new round (xAPI registration)
    record_event(session, action="certificate.renewal_start", at=now, actor_id=certificate.user_id,
                 target=f"certificate:{certificate.id}",
                 detail={"code": certificate.code, "course_version": version.version})
    return enrolment


# --- the verify page's lookup limit --------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LookupAllowance:
    is_allowed: bool
    retry_after: timedelta


def lookup_key(address: str | None) -> str:
    return "ip:" + (address or "unknown")[:380]


def count_lookup(session: Session, key: str, *, now: datetime, limit: int,
                 window: timedelta) -> LookupAllowance:
    """Counts one lookup for `key` and says whether it is within `limit` per `window`.

    One atomic upsert (INSERT … ON CONFLICT DO UPDATE … RETURNING): concurrent workers
    cannot both read the same count, and a window that has passed starts again at 1."""
    table = VerificationThrottle
    insert = on_conflict_insert(session, table)
    moment = literal(now, UTCDateTime())
    window_over = table.window_started_at <= now - window
    statement = insert.values(key=key, hits=1, window_started_at=now).on_conflict_do_update(
        index_elements=[table.key],
        set_={"hits": case((window_over, 1), else_=table.hits + 1),
              "window_started_at": case((window_over, moment), else_=table.window_started_at)},
    ).returning(table.hits, table.window_started_at)
    hits, started = session.execute(statement).one()
    if hits <= limit:
        return LookupAllowance(True, timedelta(0))
    return LookupAllowance(False, max(timedelta(seconds=1), started + window - now))


def prune_lookup_counters(session: Session, *, before: datetime) -> int:
    """Deletes counters whose window began before `before`; returns how many."""
    result = session.execute(delete(VerificationThrottle)
                             .where(VerificationThrottle.window_started_at < before))
    return int(result.rowcount)  # type: ignore[attr-defined]
