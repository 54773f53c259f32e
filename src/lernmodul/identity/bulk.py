"""Many identities of one issuer at once (a directory sync): the rules of `linking`, bulk lookups.

The same rules as a sign-in: keyed by (issuer, subject); a new subject is linked to an account
by personnel number, never by e-mail address alone; HR is scoped to the own unit; the same audit
rows ("user.create", "user.update", "user.deactivate", and "identity.link" when a subject is
linked to an existing account). What differs is the cost: the links, accounts and roles of
the issuer are read in a few queries, the unit tree once, and an unchanged person costs no
query at all. Accounts linked to this issuer whose subject is missing or disabled are
deactivated and their sessions end; nothing is deleted, and accounts of other issuers or
without a link are never touched. In the caller's transaction."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from lernmodul.db.identities import ExternalIdentity
from lernmodul.db.models import User
from lernmodul.identity.claims import Identity, IdentityError
from lernmodul.identity.linking import ensure_unit, update_account
from lernmodul.services.accounts import deactivate_user
from lernmodul.services.audit import record_event
from lernmodul.services.org_units import UnitIndex

CHUNK = 500


@dataclass(frozen=True, slots=True)
class Person:
    """One person as the directory lists them: `key` names them in reports (the DN), `subject`
    is None when even that could not be read, `identity` is the mapping's result or its error."""

    key: str
    subject: str | None
    identity: Identity | IdentityError
    disabled: bool = False


@dataclass(frozen=True, slots=True)
class Change:
    key: str
    user_id: int
    email: str
    fields: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Problem:
    key: str
    code: str
    detail: str = ""


@dataclass(slots=True)
class BulkReport:
    created: list[Change] = field(default_factory=list)
    updated: list[Change] = field(default_factory=list)
    deactivated: list[Change] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    unchanged: int = 0
    disabled_not_created: int = 0


def _chunks(values: Sequence[str]) -> Iterable[Sequence[str]]:
    for start in range(0, len(values), CHUNK):
        yield values[start:start + CHUNK]


def _links(session: Session, issuer: str) -> dict[str, ExternalIdentity]:
    rows = session.scalars(select(ExternalIdentity).where(ExternalIdentity.issuer == issuer)
                           .options(selectinload(ExternalIdentity.user).selectinload(User.roles)))
    return {link.subject: link for link in rows}


def _users_by_number(session: Session, numbers: Sequence[str]) -> dict[str, User]:
    found: dict[str, User] = {}
    for chunk in _chunks(numbers):
        for user in session.scalars(select(User).where(User.personnel_number.in_(chunk))
                                    .options(selectinload(User.roles))):
            if user.personnel_number is not None:
                found[user.personnel_number] = user
    return found


def _email_owners(session: Session, emails: Sequence[str]) -> dict[str, int]:
    owners: dict[str, int] = {}
    for chunk in _chunks(emails):
        owners.update({email: user_id for user_id, email in
                       session.execute(select(User.id, User.email).where(User.email.in_(chunk)))})
    return owners


def sync_identities(session: Session, people: Sequence[Person], *, issuer: str,
                    now: datetime, create_accounts: bool = True) -> BulkReport:
    """Creates, links, updates and deactivates accounts so that they match `people`, the
    complete list of the issuer's people; problems are reported per person and skipped."""
    report = BulkReport()
    links = _links(session, issuer)
    units = UnitIndex(session)
    seen: set[str] = set()
    linked_users = {link.user_id for link in links.values()}
    pending: list[tuple[Person, Identity]] = []
    for person in people:
        if person.subject is not None:
            if person.subject in seen:
                report.problems.append(Problem(person.key, "duplicate_subject", person.subject))
                continue
            seen.add(person.subject)
        link = links.get(person.subject) if person.subject is not None else None
        if link is not None and person.disabled:
            _deactivate(session, report, person.key, link.user, now=now, reason="disabled")
            continue
        if isinstance(person.identity, IdentityError):
            report.problems.append(Problem(person.key, person.identity.code, person.identity.detail))
            continue
        if link is None:
            if person.disabled:
                report.disabled_not_created += 1
            else:
                pending.append((person, person.identity))
            continue
        try:
            fields = update_account(session, link.user, person.identity, now=now, units=units)
        except IdentityError as error:
            report.problems.append(Problem(person.key, error.code, error.detail))
            continue
        if fields:
            report.updated.append(Change(person.key, link.user.id, link.user.email, tuple(fields)))
        else:
            report.unchanged += 1
    # New subjects after the updates, so that the lookups see this run's changes.
    by_number = _users_by_number(session, sorted({i.personnel_number for _p, i in pending
                                                  if i.personnel_number is not None}))
    owners = _email_owners(session, sorted({i.email for _p, i in pending}))
    for person, identity in pending:
        try:
            change, created = _link_or_create(session, person.key, identity, by_number=by_number,
                                              owners=owners, linked_users=linked_users, units=units,
                                              now=now, create_accounts=create_accounts)
        except IdentityError as error:
            report.problems.append(Problem(person.key, error.code, error.detail))
            continue
        (report.created if created else report.updated).append(change)
    for subject, link in links.items():
        if subject not in seen:
            _deactivate(session, report, subject, link.user, now=now, reason="missing")
    session.flush()
    return report


def _deactivate(session: Session, report: BulkReport, key: str, user: User, *, now: datetime,
                reason: str) -> None:
    if not user.is_active:
        return
    deactivate_user(session, user, now=now)
    report.deactivated.append(Change(key, user.id, user.email, (reason,)))


def _link_or_create(session: Session, key: str, identity: Identity, *, by_number: dict[str, User],
                    owners: dict[str, int], linked_users: set[int], units: UnitIndex,
                    now: datetime, create_accounts: bool) -> tuple[Change, bool]:
    user = by_number.get(identity.personnel_number) if identity.personnel_number is not None else None
    if user is not None:
        if user.id in linked_users:
            raise IdentityError("already_linked", f"user:{user.id}")
        fields = update_account(session, user, identity, now=now, units=units)
        _add_link(session, user.id, identity, now=now)
        linked_users.add(user.id)
        owners[user.email] = user.id
        record_event(session, action="identity.link", at=now, actor_id=None, target=f"user:{user.id}",
                     detail={"kind": identity.kind, "issuer": identity.issuer, "by": "personnel_number"})
        return Change(key, user.id, user.email, ("link", *fields)), False
    owner = owners.get(identity.email)
    if owner is not None:
        # Never linked by e-mail address alone (see linking._link_or_create).
        raise IdentityError("email_taken", f"user:{owner}")
    if not create_accounts:
        raise IdentityError("no_account")
    if identity.unit_path is not None:  # a unit that cannot be created refuses before any insert
        ensure_unit(session, identity.unit_path, now=now, units=units)
    user = User(email=identity.email, name=identity.name, personnel_number=identity.personnel_number,
                password_hash=None, created_at=now, roles=[])
    session.add(user)
    session.flush()
    fields = update_account(session, user, identity, now=now, new=True, units=units)
    record_event(session, action="user.create", at=now, actor_id=None, target=f"user:{user.id}",
                 detail={"source": identity.kind, "issuer": identity.issuer, "fields": fields})
    _add_link(session, user.id, identity, now=now)
    linked_users.add(user.id)
    owners[user.email] = user.id
    if user.personnel_number is not None:
        by_number[user.personnel_number] = user
    return Change(key, user.id, user.email, tuple(fields)), True


def _add_link(session: Session, user_id: int, identity: Identity, *, now: datetime) -> None:
    session.add(ExternalIdentity(user_id=user_id, kind=identity.kind, issuer=identity.issuer,
                                 subject=identity.subject, created_at=now, last_seen_at=now))
