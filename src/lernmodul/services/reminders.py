"""Reminder e-mails: which are due (learners before the due date, when overdue, before a
certificate expires and when a revoked certificate opens a course again; a weekly digest for
HR) and the claim that makes each one go out once.

A reminder is an event with a key that ties it to its facts (`event_key`): an enrolment and
its due date, a certificate and its expiry date, an HR user and the ISO week of the digest.
A moved due date is a new event; a rerun finds the same events and skips them. The edge
sends each reminder in its own transaction: `claim_reminder` inserts the row (a second
sender, even one running at the same moment, gets False), then the edge sends and commits,
or rolls back when sending failed so that the next run tries again.

The status of an enrolment ("overdue") and of a certificate (valid, in its renewal window)
come from `services.hr` and `services.certificates`; nothing here defines them again.
Functions take the Session and the time, flush and never commit."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import and_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from lernmodul.db.certificates import Certificate
from lernmodul.db.engine import on_conflict_insert
from lernmodul.db.models import Enrolment, Role, User, UserRole
from lernmodul.db.reminders import SentReminder
from lernmodul.services import certificates, hr
from lernmodul.services.assignments import course_titles, end_of_day
from lernmodul.services.audit import record_event
from lernmodul.services.org_units import role_scope

DUE_SOON = "due_soon"
OVERDUE = "overdue"
EXPIRING = "expiring"
REVOKED = "revoked"  # the certificate was revoked: the course is to be taken again
HR_DIGEST = "hr_digest"
KINDS = (DUE_SOON, OVERDUE, EXPIRING, REVOKED, HR_DIGEST)
DEFAULT_DUE_SOON_DAYS = 7
# A digest lists at most this many people per section; the counts are always complete.
DEFAULT_DIGEST_ROWS = 200


@dataclass(frozen=True, slots=True)
class Recipient:
    user_id: int
    name: str
    email: str
    locale: str


@dataclass(frozen=True, slots=True)
class Digest:
    """What an HR user's weekly e-mail lists: allowlisted person rows only (`hr.PersonRow`)."""

    overdue: tuple[hr.PersonRow, ...]
    expiring: tuple[hr.PersonRow, ...]
    overdue_total: int
    expiring_total: int
    user_ids: tuple[int, ...] = ()  # whom the listed rows show (for the audit log), never sent
    revoked: tuple[hr.PersonRow, ...] = ()  # revoked, to be retaken
    revoked_total: int = 0


@dataclass(frozen=True, slots=True)
class Reminder:
    kind: str
    recipient: Recipient
    event_key: str
    course_id: str | None = None
    course: str | None = None  # the course title
    due: date | None = None
    expires: date | None = None
    digest: Digest | None = None


@dataclass(frozen=True, slots=True)
class Rules:
    """When reminders are due: `clock` gives the moment, the calendar (time zone) and, as
    `expiring_days`, the window of the HR digest's "certificate expires soon" (the HR pages'
    window); `due_soon_days` before the due date; `renewal_days` before a certificate expires
    (the renewal window, in which the course is offered again)."""

    clock: hr.Clock
    due_soon_days: int = DEFAULT_DUE_SOON_DAYS
    renewal_days: int = certificates.DEFAULT_RENEWAL_DAYS
    languages: Sequence[str] = ("de", "en")
    default_locale: str = "de"
    digest_rows: int = DEFAULT_DIGEST_ROWS


@dataclass(frozen=True, slots=True)
class Plan:
    """The reminders to send now, and how many of each kind were sent before (skipped)."""

    reminders: list[Reminder]
    already_sent: dict[str, int]


def digest_week(day: date) -> str:
    """The ISO week of `day` ("2026-W48"): an HR user gets at most one digest in it."""
    year, week, _weekday = day.isocalendar()
    return f"{year}-W{week:02d}"


def plan_reminders(session: Session, rules: Rules) -> Plan:
    """Every reminder event that is due and not yet sent, learners first, then HR digests.

    A revoked certificate is one event of its own (the course is to be taken again); in the
    run that sends it, the same course's due-date reminder waits for the next run, so that
    nobody gets two messages about one course at once."""
    revoked = _revocation_reminders(session, rules)
    found = [*revoked, *_enrolment_reminders(session, rules), *_expiry_reminders(session, rules)]
    hr_users = _hr_users(session)
    sent = _sent_keys(session, {r.recipient.user_id for r in found} | {u.id for u in hr_users})
    fresh = [r for r in found if (r.kind, r.recipient.user_id, r.event_key) not in sent]
    told = {(r.recipient.user_id, r.course_id) for r in fresh if r.kind == REVOKED}
    fresh = [r for r in fresh if r.kind not in (DUE_SOON, OVERDUE)
             or (r.recipient.user_id, r.course_id) not in told]
    skipped = {kind: 0 for kind in KINDS}
    for reminder in found:
        if (reminder.kind, reminder.recipient.user_id, reminder.event_key) in sent:
            skipped[reminder.kind] += 1
    digests, digests_sent = _hr_digests(session, rules, hr_users, sent)
    skipped[HR_DIGEST] = digests_sent
    return Plan(reminders=fresh + digests, already_sent=skipped)


def claim_reminder(session: Session, reminder: Reminder, now: datetime) -> bool:
    """Records `reminder` as sent; False when it was recorded before (by this or another
    process). On PostgreSQL a concurrent, uncommitted claim of the same event makes this wait
    for that transaction: its commit means False, its rollback lets this claim succeed. On
    SQLite the write transaction (BEGIN IMMEDIATE) serialises the senders. A digest's claim
    also writes the audit entry of HR's access to person-level data."""
    insert = on_conflict_insert(session, SentReminder)
    statement = (insert.values(kind=reminder.kind, user_id=reminder.recipient.user_id,
                               event_key=reminder.event_key, sent_at=now)
                 .on_conflict_do_nothing(index_elements=["kind", "user_id", "event_key"])
                 .returning(SentReminder.id))
    claimed = session.execute(statement).scalar_one_or_none() is not None
    if claimed and reminder.digest is not None:
        _record_digest(session, reminder, now)
    return claimed


# --- learners ------------------------------------------------------------------------------


def _locale(value: str | None, rules: Rules) -> str:
    return value if value is not None and value in rules.languages else rules.default_locale


def _reachable() -> ColumnElement[bool]:
    """Conditions on User: active and with an address to write to."""
    return and_(User.is_active.is_(True), User.email.is_not(None), User.email.contains("@"))


def _enrolment_reminders(session: Session, rules: Rules) -> list[Reminder]:
    """Open mandatory enrolments due within `due_soon_days` (due_soon) or past due (overdue)."""
    clock = rules.clock
    horizon = end_of_day(clock.today + timedelta(days=rules.due_soon_days), clock.timezone)
    rows = session.execute(
        select(Enrolment.id, Enrolment.course_id, Enrolment.due_at, Enrolment.started_at,
               Enrolment.completed_at, User.id, User.name, User.email, User.locale)
        .join(User, User.id == Enrolment.user_id)
        .where(Enrolment.is_mandatory.is_(True), Enrolment.completed_at.is_(None),
               Enrolment.due_at.is_not(None), Enrolment.due_at <= horizon, _reachable())
        .order_by(Enrolment.due_at, Enrolment.id)).all()
    titles = course_titles(session, {row[1] for row in rows})
    found = []
    for enrolment_id, course_id, due_at, started_at, completed_at, uid, name, email, locale in rows:
        status = hr.status_of(due_at=due_at, started_at=started_at, completed_at=completed_at,
                              now=clock.now)
        assert due_at is not None  # the query selects enrolments with a due date
        due = due_at.astimezone(clock.timezone).date()
        found.append(Reminder(
            kind=OVERDUE if status == hr.OVERDUE else DUE_SOON,
            recipient=Recipient(uid, name, email, _locale(locale, rules)),
            event_key=f"enrolment:{enrolment_id}:{due.isoformat()}",
            course_id=course_id, course=titles.get(course_id, course_id), due=due))
    return found


def _revocation_reminders(session: Session, rules: Rules) -> list[Reminder]:
    """Mandatory courses open again because their current certificate was revoked: one
    reminder per revoked certificate, with the due date if there is one."""
    clock = rules.clock
    rows = session.execute(
        select(Certificate.id, Enrolment.course_id, Enrolment.due_at, User.id, User.name,
               User.email, User.locale)
        .join(Enrolment, Enrolment.id == Certificate.enrolment_id)
        .join(User, User.id == Enrolment.user_id)
        .where(Certificate.revoked_at.is_not(None), Certificate.superseded_at.is_(None),
               Enrolment.is_mandatory.is_(True), Enrolment.completed_at.is_(None), _reachable())
        .order_by(Certificate.id)).all()
    titles = course_titles(session, {row[1] for row in rows})
    return [Reminder(
        kind=REVOKED, recipient=Recipient(uid, name, email, _locale(locale, rules)),
        event_key=f"certificate:{certificate_id}:revoked", course_id=course_id,
        course=titles.get(course_id, course_id),
        due=due_at.astimezone(clock.timezone).date() if due_at else None)
        for certificate_id, course_id, due_at, uid, name, email, locale in rows]


def _expiry_reminders(session: Session, rules: Rules) -> list[Reminder]:
    """Completed mandatory courses whose current certificate is valid and in its renewal window."""
    today = rules.clock.today
    rows = session.execute(
        select(Certificate, User.id, User.name, User.email, User.locale)
        .join(Enrolment, Enrolment.id == Certificate.enrolment_id)
        .join(User, User.id == Enrolment.user_id)
        .where(Enrolment.is_mandatory.is_(True), Enrolment.completed_at.is_not(None),
               Certificate.completed_at == Enrolment.completed_at,
               Certificate.superseded_at.is_(None), Certificate.revoked_at.is_(None),
               Certificate.valid_until.is_not(None),
               Certificate.valid_until <= today + timedelta(days=rules.renewal_days),
               _reachable())
        .order_by(Certificate.valid_until, Certificate.id)).all()
    titles = course_titles(session, {row[0].course_id for row in rows})
    found = []
    for certificate, uid, name, email, locale in rows:
        if (certificates.status_of(certificate, today) != certificates.VALID
                or not certificates.renewal_is_open(certificate, today, rules.renewal_days)):
            continue
        assert certificate.valid_until is not None  # renewal_is_open needs an expiry date
        found.append(Reminder(
            kind=EXPIRING, recipient=Recipient(uid, name, email, _locale(locale, rules)),
            event_key=f"certificate:{certificate.id}:{certificate.valid_until.isoformat()}",
            course_id=certificate.course_id,
            course=titles.get(certificate.course_id, certificate.course_title),
            expires=certificate.valid_until))
    return found


# --- HR ------------------------------------------------------------------------------------


def _hr_users(session: Session) -> list[User]:
    hr_ids = select(UserRole.user_id).where(UserRole.role == Role.HR.value)
    return list(session.scalars(select(User).where(User.id.in_(hr_ids), _reachable())
                                .order_by(User.id)))


def _hr_digests(session: Session, rules: Rules, users: list[User],
                sent: set[tuple[str, int, str]]) -> tuple[list[Reminder], int]:
    """One digest per HR user and ISO week listing, for the units in their scope, who is
    overdue and whose certificate expires soon; nothing to report means no digest."""
    week = digest_week(rules.clock.today)
    found, already = [], 0
    for user in users:
        if (HR_DIGEST, user.id, week) in sent:
            already += 1
            continue
        scope = role_scope(session, user, Role.HR.value)
        if scope is not None and not scope:
            continue
        overdue, overdue_total, overdue_ids = _section(session, scope, hr.OVERDUE, rules)
        expiring, expiring_total, expiring_ids = _section(session, scope, hr.EXPIRING, rules)
        revoked, revoked_total, revoked_ids = _section(session, scope, hr.REVOKED, rules)
        if not overdue_total and not expiring_total and not revoked_total:
            continue
        found.append(Reminder(
            kind=HR_DIGEST,
            recipient=Recipient(user.id, user.name, user.email, _locale(user.locale, rules)),
            event_key=week,
            digest=Digest(overdue=overdue, expiring=expiring, overdue_total=overdue_total,
                          expiring_total=expiring_total,
                          user_ids=tuple(sorted({*overdue_ids, *expiring_ids, *revoked_ids})),
                          revoked=revoked, revoked_total=revoked_total)))
    return found, already


def _section(session: Session, scope: set[int] | None, status: str,
             rules: Rules) -> tuple[tuple[hr.PersonRow, ...], int, list[int]]:
    """The first rows of the HR person list with `status`, their total and whom they show."""
    page = hr.person_page(session, scope, hr.PersonFilter(status=status), rules.clock,
                          page_size=rules.digest_rows)
    total = len(page.rows)
    if page.has_next:
        total = sum(1 for _row in hr.person_rows(session, scope, hr.PersonFilter(status=status),
                                                 rules.clock))
    return tuple(page.rows), total, page.user_ids


def _record_digest(session: Session, reminder: Reminder, now: datetime) -> None:
    """Audit entry for a digest (HR access to person-level data is logged: who, whom, when)."""
    assert reminder.digest is not None
    record_event(session, action="reminder.hr_digest", at=now, actor_id=None,
                 target=f"user:{reminder.recipient.user_id}",
                 detail={"week": reminder.event_key, "overdue": reminder.digest.overdue_total,
                         "expiring": reminder.digest.expiring_total,
                         "revoked": reminder.digest.revoked_total,
                         "user_ids": list(reminder.digest.user_ids)})


def _sent_keys(session: Session, user_ids: set[int],
               batch: int = 1000) -> set[tuple[str, int, str]]:
    """The events recorded for these users (read in batches: the table only grows)."""
    ordered = sorted(user_ids)
    found: set[tuple[str, int, str]] = set()
    for start in range(0, len(ordered), batch):
        found.update((kind, user_id, key) for kind, user_id, key in session.execute(
            select(SentReminder.kind, SentReminder.user_id, SentReminder.event_key)
            .where(SentReminder.user_id.in_(ordered[start:start + batch]))))
    return found
