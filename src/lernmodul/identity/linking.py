"""Signing in with an external identity: find, link or create the account, then update it.

In the caller's transaction (one per sign-in); every change is in the audit log.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lernmodul.db.identities import ExternalIdentity
from lernmodul.db.models import Role, User, UserRole
from lernmodul.identity.claims import Identity, IdentityError
from lernmodul.services.audit import record_event
from lernmodul.services.org_units import MAX_DEPTH, OrgUnitError, UnitIndex


@dataclass(slots=True)
class SignInResult:
    """The account signed in, whether it was created or linked now, and what changed."""

    user: User
    created: bool = False
    linked: bool = False
    changes: list[str] = field(default_factory=list)


def identities_of(session: Session, user_id: int) -> list[ExternalIdentity]:
    """The external identities linked to an account, oldest first."""
    return list(session.scalars(select(ExternalIdentity).where(ExternalIdentity.user_id == user_id)
                                .order_by(ExternalIdentity.id)))


def find_link(session: Session, issuer: str, subject: str) -> ExternalIdentity | None:
    """The link of (issuer, subject), if any."""
    return session.scalars(select(ExternalIdentity).where(
        ExternalIdentity.issuer == issuer, ExternalIdentity.subject == subject)).first()


def sign_in(session: Session, identity: Identity, *, now: datetime,
            create_accounts: bool = True) -> SignInResult:
    """The account for `identity`, created just in time and brought up to date.

    Raises IdentityError: "account_disabled", "no_account" (creation off), "email_taken" (an
    account has the address but not the personnel number: an admin must link them),
    "already_linked" (the account is linked to another subject of this issuer),
    "personnel_number_conflict", "bad_claim" (a unit path that cannot be created)."""
    link = find_link(session, identity.issuer, identity.subject)
    if link is not None:
        result = SignInResult(link.user)
    else:
        result = _link_or_create(session, identity, now=now, create_accounts=create_accounts)
        link = ExternalIdentity(user_id=result.user.id, kind=identity.kind, issuer=identity.issuer,
                                subject=identity.subject, created_at=now, last_seen_at=now)
        session.add(link)
    user = result.user
    if not user.is_active:
        raise IdentityError("account_disabled", f"user:{user.id}")
    link.last_seen_at = now
    if not result.created:
        result.changes = update_account(session, user, identity, now=now)
    session.flush()
    record_event(session, action="identity.sign_in", at=now, actor_id=user.id, target=f"user:{user.id}",
                 detail={"kind": identity.kind, "issuer": identity.issuer, "created": result.created,
                         "linked": result.linked, "changes": result.changes})
    return result


def _link_or_create(session: Session, identity: Identity, *, now: datetime,
                    create_accounts: bool) -> SignInResult:
    user = None
    if identity.personnel_number is not None:
        user = session.scalars(select(User).where(
            User.personnel_number == identity.personnel_number)).first()
    if user is not None:
        other = session.scalar(select(ExternalIdentity.subject).where(
            ExternalIdentity.user_id == user.id, ExternalIdentity.issuer == identity.issuer))
        if other is not None:
            raise IdentityError("already_linked", f"user:{user.id}")
        return SignInResult(user, linked=True)
    owner = session.scalar(select(User.id).where(User.email == identity.email))
    if owner is not None:
        # Never linked by e-mail address alone: whoever controls an address at the provider
        # would take over the account.
        raise IdentityError("email_taken", f"user:{owner}")
    if not create_accounts:
        raise IdentityError("no_account")
    user = User(email=identity.email, name=identity.name, personnel_number=identity.personnel_number,
                password_hash=None, created_at=now, roles=[])
    session.add(user)
    session.flush()
    changes = update_account(session, user, identity, now=now, new=True)
    record_event(session, action="user.create", at=now, actor_id=None, target=f"user:{user.id}",
                 detail={"source": identity.kind, "issuer": identity.issuer, "fields": changes})
    return SignInResult(user, created=True, linked=True, changes=changes)


def update_account(session: Session, user: User, identity: Identity, *, now: datetime,
                   new: bool = False, units: UnitIndex | None = None,
                   audit: list[dict[str, Any]] | None = None) -> list[str]:
    """Brings name, e-mail, personnel number, unit and roles in line with the identity.

    Returns the names of the changed fields (audited as "user.update" unless `new`). The checks
    come first: when it raises IdentityError, the account is as it was. `units`: a tree index
    shared by many calls (a directory sync), else the tree is read for this call; `audit`: a
    list that takes the audit row (for the caller to insert with others) instead of writing
    and flushing it now."""
    if identity.personnel_number is not None and user.personnel_number != identity.personnel_number:
        if user.personnel_number is not None:
            raise IdentityError("personnel_number_conflict", f"user:{user.id}")
        taken = session.scalar(select(User.id).where(User.personnel_number == identity.personnel_number))
        if taken is not None:
            raise IdentityError("personnel_number_conflict", f"user:{taken}")
    unit_id = None
    if identity.unit_path is not None:
        unit_id = ensure_unit(session, identity.unit_path, now=now, units=units)
    changes: list[str] = []
    detail: dict[str, object] = {"source": identity.kind}
    if identity.name and user.name != identity.name:
        user.name = identity.name
        changes.append("name")
    if user.email != identity.email:
        taken = session.scalar(select(User.id).where(User.email == identity.email, User.id != user.id))
        if taken is None:
            user.email = identity.email
            changes.append("email")
        else:
            detail["email_not_changed"] = f"taken by user:{taken}"
    if identity.personnel_number is not None and user.personnel_number != identity.personnel_number:
        user.personnel_number = identity.personnel_number
        changes.append("personnel_number")
    if unit_id is not None and user.org_unit_id != unit_id:
        detail["org_unit"] = {"from": user.org_unit_id, "to": unit_id}
        user.org_unit_id = unit_id
        changes.append("org_unit")
    if identity.roles is not None or new:
        wanted = identity.roles if identity.roles is not None else frozenset({Role.LEARNER.value})
        if _set_roles(user, wanted):
            detail["roles"] = sorted(user.role_names)
            changes.append("roles")
    if changes and not new:
        if audit is not None:
            audit.append({"at": now, "actor_id": None, "action": "user.update",
                          "target": f"user:{user.id}", "detail": {**detail, "fields": changes}})
            return changes
        session.flush()
        record_event(session, action="user.update", at=now, actor_id=None, target=f"user:{user.id}",
                     detail={**detail, "fields": changes})
    return changes


def ensure_unit(session: Session, path: tuple[str, ...], *, now: datetime,
                units: UnitIndex | None = None) -> int:
    """The id of the unit at `path`, creating missing parts; IdentityError("bad_claim") for a
    path that cannot be created."""
    if len(path) > MAX_DEPTH:
        raise IdentityError("bad_claim", f"org unit path deeper than {MAX_DEPTH}")
    try:
        unit_id, _created = (units or UnitIndex(session)).ensure(session, list(path), now=now)
    except OrgUnitError as error:
        raise IdentityError("bad_claim", f"org unit path: {error}") from error
    return unit_id


def role_grants(wanted: frozenset[str], org_unit_id: int | None) -> set[tuple[str, int | None]]:
    """The (role, scope) grants of the provider's roles for a person in `org_unit_id`: HR is
    scoped to the person's own unit (least privilege), every other role is unscoped. Without a
    unit there is no HR scope to give: the HR role waits until the unit is known."""
    target: set[tuple[str, int | None]] = set()
    for role in wanted:
        if role == Role.HR.value:
            if org_unit_id is not None:
                target.add((role, org_unit_id))
        else:
            target.add((role, None))
    return target


def _set_roles(user: User, wanted: frozenset[str]) -> bool:
    """The provider's roles; HR is scoped to the person's own unit (least privilege).

    Without a unit there is no HR scope to give: the HR role waits until the unit is known."""
    target = role_grants(wanted, user.org_unit_id)
    current = {(grant.role, grant.org_unit_id) for grant in user.roles}
    if current == target:
        return False
    for grant in [g for g in user.roles if (g.role, g.org_unit_id) not in target]:
        user.roles.remove(grant)
    for role, unit in sorted(target - current, key=lambda t: (t[0], t[1] or 0)):
        user.roles.append(UserRole(role=role, org_unit_id=unit))
    return True
