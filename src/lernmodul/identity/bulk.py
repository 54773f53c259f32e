"""Many identities of one issuer at once (a directory sync): the rules of `linking`, bulk lookups.

The same rules as a sign-in: keyed by (issuer, subject); a new subject is linked to an account
by personnel number, never by e-mail address alone; HR is scoped to the own unit; the same audit
rows ("user.create", "user.update", "user.deactivate", and "identity.link" when a subject is
linked to an existing account). What differs is the cost: the links, accounts and roles of
the issuer are read as plain rows in a few queries, the unit tree once; what changed is worked
out on those rows, so an unchanged person costs neither a query nor an ORM object. Changed
people go through `linking.update_account`; new accounts, their roles, links and audit rows
are inserted in batches, and leavers are deactivated with one statement per chunk. Accounts
linked to this issuer whose subject is missing or disabled are deactivated and their sessions
end; nothing is deleted, and accounts of other issuers or without a link are never touched.
In the caller's transaction."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, text, update
from sqlalchemy.orm import Session

from lernmodul.db.identities import ExternalIdentity
from lernmodul.db.models import AuditLog, Role, User, UserRole
from lernmodul.identity.claims import Identity, IdentityError
from lernmodul.identity.linking import ensure_unit, role_grants, update_account
from lernmodul.services.audit import record_event
from lernmodul.services.org_units import MAX_DEPTH, UnitIndex

CHUNK = 500
ANALYZE_AFTER = 1_000  # new accounts after which PostgreSQL's planner statistics are refreshed
LEARNER = frozenset({Role.LEARNER.value})


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


@dataclass(slots=True)
class _Account:
    """An account as plain rows read it: the fields a directory sets, and its role grants."""

    id: int
    email: str
    name: str
    personnel_number: str | None
    org_unit_id: int | None
    is_active: bool
    grants: set[tuple[str, int | None]] = field(default_factory=set)


def _chunks(values: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), CHUNK):
        yield values[start:start + CHUNK]


def _accounts(session: Session, issuer: str) -> dict[str, _Account]:
    """subject -> the linked account, for every link of the issuer (two queries, no ORM objects)."""
    by_id: dict[int, _Account] = {}
    links: dict[str, _Account] = {}
    for subject, user_id, email, name, number, unit_id, active in session.execute(
            select(ExternalIdentity.subject, User.id, User.email, User.name, User.personnel_number,
                   User.org_unit_id, User.is_active)
            .join(User, User.id == ExternalIdentity.user_id).where(ExternalIdentity.issuer == issuer)):
        account = by_id.get(user_id)
        if account is None:
            account = by_id[user_id] = _Account(user_id, email, name, number, unit_id, bool(active))
        links[subject] = account
    if by_id:
        for user_id, role, unit_id in session.execute(
                select(UserRole.user_id, UserRole.role, UserRole.org_unit_id).where(
                    UserRole.user_id.in_(select(ExternalIdentity.user_id)
                                         .where(ExternalIdentity.issuer == issuer)))):
            by_id[user_id].grants.add((role, unit_id))
    return links


def _users_by_number(session: Session, numbers: Sequence[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for chunk in _chunks(numbers):
        for user_id, number in session.execute(select(User.id, User.personnel_number)
                                               .where(User.personnel_number.in_(chunk))):
            if number is not None:
                found[number] = user_id
    return found


def _email_owners(session: Session, emails: Sequence[str]) -> dict[str, int]:
    owners: dict[str, int] = {}
    for chunk in _chunks(emails):
        owners.update({email: user_id for user_id, email in
                       session.execute(select(User.id, User.email).where(User.email.in_(chunk)))})
    return owners


def _event(now: datetime, action: str, user_id: int, detail: dict[str, Any] | None) -> dict[str, Any]:
    return {"at": now, "actor_id": None, "action": action, "target": f"user:{user_id}", "detail": detail}


class _Sync:
    """One run: the issuer's accounts as rows, the unit tree, and what is still to be written."""

    def __init__(self, session: Session, issuer: str, now: datetime, create_accounts: bool) -> None:
        self.session, self.issuer, self.now = session, issuer, now
        self.create_accounts = create_accounts
        self.report = BulkReport()
        self.links = _accounts(session, issuer)
        self.units = UnitIndex(session)
        self.unit_ids: dict[tuple[str, ...], int] = {}
        self.linked_users = {account.id for account in self.links.values()}
        self.leaving: dict[int, None] = {}  # user ids to deactivate, in order
        self.changed: list[tuple[Person, _Account, Identity]] = []  # accounts to update
        self.queue: list[tuple[Person, Identity, int | None]] = []  # accounts to create
        self.queued_emails: set[str] = set()
        self.queued_numbers: set[str] = set()
        self.by_number: dict[str, int] = {}
        self.owners: dict[str, int] = {}
        self.events: list[dict[str, Any]] = []

    def unit_id(self, path: tuple[str, ...]) -> int | None:
        """The id of an existing unit at `path` (None: it does not exist yet, or cannot)."""
        found = self.unit_ids.get(path)
        if found is None and len(path) <= MAX_DEPTH:
            found = self.units.find(list(path))
            if found is not None:  # a missing unit may be created by this run: asked again
                self.unit_ids[path] = found
        return found

    def is_unchanged(self, account: _Account, identity: Identity) -> bool:
        """Whether update_account would change nothing (on the rows, without a query)."""
        if identity.personnel_number is not None and account.personnel_number != identity.personnel_number:
            return False
        if (identity.name and account.name != identity.name) or account.email != identity.email:
            return False
        unit_id = account.org_unit_id
        if identity.unit_path is not None:
            unit_id = self.unit_id(identity.unit_path)
            if unit_id is None or unit_id != account.org_unit_id:
                return False
        return identity.roles is None or role_grants(identity.roles, unit_id) == account.grants

    def update(self, person: Person, account: _Account, identity: Identity) -> None:
        if self.is_unchanged(account, identity):
            self.report.unchanged += 1
        else:
            self.changed.append((person, account, identity))

    def apply_changes(self) -> None:
        """update_account for each changed person, their accounts loaded a chunk at a time."""
        for chunk in _chunks(self.changed):
            users = {user.id: user for user in self.session.scalars(
                select(User).where(User.id.in_({account.id for _p, account, _i in chunk})))}
            for person, account, identity in chunk:
                user = users[account.id]
                try:
                    fields = update_account(self.session, user, identity, now=self.now,
                                            units=self.units, audit=self.events)
                except IdentityError as error:
                    self.report.problems.append(Problem(person.key, error.code, error.detail))
                    continue
                account.email = user.email
                if fields:
                    self.report.updated.append(Change(person.key, user.id, user.email, tuple(fields)))
                else:
                    self.report.unchanged += 1
        self.changed = []

    def deactivate(self, key: str, account: _Account, reason: str) -> None:
        if not account.is_active or account.id in self.leaving:
            return
        self.leaving[account.id] = None
        self.report.deactivated.append(Change(key, account.id, account.email, (reason,)))

    def add_new(self, person: Person, identity: Identity) -> None:
        """Links `identity` to the account with its personnel number, or queues a new account."""
        number = identity.personnel_number
        if identity.email in self.queued_emails or (number is not None and number in self.queued_numbers):
            self.create_queued()  # a conflict with a queued account names its id
        user_id = self.by_number.get(number) if number is not None else None
        if user_id is not None:
            if user_id in self.linked_users:
                raise IdentityError("already_linked", f"user:{user_id}")
            self.create_queued()  # the checks of update_account see every account made so far
            self.link(person, identity, self.session.get_one(User, user_id))
            return
        owner = self.owners.get(identity.email)
        if owner is not None:
            # Never linked by e-mail address alone (see linking._link_or_create).
            raise IdentityError("email_taken", f"user:{owner}")
        if not self.create_accounts:
            raise IdentityError("no_account")
        unit_id = None
        if identity.unit_path is not None:  # a unit that cannot be created refuses before any insert
            unit_id = self.unit_ids[identity.unit_path] = ensure_unit(
                self.session, identity.unit_path, now=self.now, units=self.units)
        self.queue.append((person, identity, unit_id))
        self.queued_emails.add(identity.email)
        if number is not None:
            self.queued_numbers.add(number)

    def link(self, person: Person, identity: Identity, user: User) -> None:
        fields = update_account(self.session, user, identity, now=self.now, units=self.units)
        self.session.add(ExternalIdentity(user_id=user.id, kind=identity.kind, issuer=identity.issuer,
                                          subject=identity.subject, created_at=self.now,
                                          last_seen_at=self.now))
        self.linked_users.add(user.id)
        self.owners[user.email] = user.id
        record_event(self.session, action="identity.link", at=self.now, actor_id=None,
                     target=f"user:{user.id}",
                     detail={"kind": identity.kind, "issuer": identity.issuer, "by": "personnel_number"})
        self.report.updated.append(Change(person.key, user.id, user.email, ("link", *fields)))

    def create_queued(self) -> None:
        """Inserts the queued accounts with their roles, links and "user.create" rows, in batches
        (the e-mail address, unique, tells which new id is whose)."""
        if not self.queue:
            return
        queue, self.queue = self.queue, []
        self.queued_emails.clear()
        self.queued_numbers.clear()
        ids: dict[str, int] = {}
        for chunk in _chunks(queue):
            rows = [{"email": i.email, "name": i.name, "personnel_number": i.personnel_number,
                     "org_unit_id": unit_id, "password_hash": None,  # no password  # nosec B105
                     "created_at": self.now}
                    for _p, i, unit_id in chunk]
            ids.update({email: user_id for user_id, email in self.session.execute(
                insert(User).returning(User.id, User.email), rows)})
        grants: list[dict[str, Any]] = []
        links: list[dict[str, Any]] = []
        for person, identity, unit_id in queue:
            user_id = ids[identity.email]
            granted = sorted(role_grants(identity.roles if identity.roles is not None else LEARNER,
                                         unit_id), key=lambda t: (t[0], t[1] or 0))
            grants += [{"user_id": user_id, "role": role, "org_unit_id": scope} for role, scope in granted]
            fields = (["org_unit"] if unit_id is not None else []) + (["roles"] if granted else [])
            self.events.append(_event(self.now, "user.create", user_id, {
                "source": identity.kind, "issuer": identity.issuer, "fields": fields}))
            links.append({"user_id": user_id, "kind": identity.kind, "issuer": identity.issuer,
                          "subject": identity.subject, "created_at": self.now, "last_seen_at": self.now})
            self.linked_users.add(user_id)
            self.owners[identity.email] = user_id
            if identity.personnel_number is not None:
                self.by_number[identity.personnel_number] = user_id
            self.report.created.append(Change(person.key, user_id, identity.email, tuple(fields)))
        for rows in (grants, links):
            for chunk in _chunks(rows):
                self.session.execute(insert(UserRole if rows is grants else ExternalIdentity), chunk)
        if len(queue) >= ANALYZE_AFTER and self.session.get_bind().dialect.name == "postgresql":
            # Fresh statistics, or PostgreSQL plans the next run's reads on the grown tables
            # as if they were empty (see services.user_import).
            for table in ("users", "user_roles", "external_identities"):
                self.session.execute(text(f"ANALYZE {table}"))

    def finish(self) -> None:
        """Deactivates the leavers (signed out at once: the bumped version ends their sessions)
        and writes the audit rows not yet written."""
        self.create_queued()
        leaving = list(self.leaving)
        for chunk in _chunks(leaving):
            self.session.execute(
                update(User).where(User.id.in_(chunk))
                .values(is_active=False, session_version=User.session_version + 1)
                .execution_options(synchronize_session="fetch"))
        self.events += [_event(self.now, "user.deactivate", user_id, None) for user_id in leaving]
        for chunk in _chunks(self.events):
            self.session.execute(insert(AuditLog), chunk)
        self.session.flush()


def sync_identities(session: Session, people: Sequence[Person], *, issuer: str,
                    now: datetime, create_accounts: bool = True) -> BulkReport:
    """Creates, links, updates and deactivates accounts so that they match `people`, the
    complete list of the issuer's people; problems are reported per person and skipped."""
    run = _Sync(session, issuer, now, create_accounts)
    report = run.report
    seen: set[str] = set()
    pending: list[tuple[Person, Identity]] = []
    for person in people:
        if person.subject is not None:
            if person.subject in seen:
                report.problems.append(Problem(person.key, "duplicate_subject", person.subject))
                continue
            seen.add(person.subject)
        account = run.links.get(person.subject) if person.subject is not None else None
        if account is not None and person.disabled:
            run.deactivate(person.key, account, "disabled")
            continue
        if account is None and person.disabled:  # never created: whether it could be is moot
            report.disabled_not_created += 1
            continue
        if isinstance(person.identity, IdentityError):
            report.problems.append(Problem(person.key, person.identity.code, person.identity.detail))
            continue
        if account is None:
            pending.append((person, person.identity))
            continue
        run.update(person, account, person.identity)
    run.apply_changes()
    # New subjects after the updates, so that the lookups see this run's changes.
    run.by_number = _users_by_number(session, sorted({i.personnel_number for _p, i in pending
                                                      if i.personnel_number is not None}))
    run.owners = _email_owners(session, sorted({i.email for _p, i in pending}))
    for person, identity in pending:
        try:
            run.add_new(person, identity)
        except IdentityError as error:
            report.problems.append(Problem(person.key, error.code, error.detail))
    for subject, account in run.links.items():
        if subject not in seen:
            run.deactivate(subject, account, "missing")
    run.finish()
    return report
