"""User administration: find users page by page, change profile, roles, activity, password,
lift a sign-in block."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from argon2 import PasswordHasher
from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.orm import Session

from lernmodul.db.models import OrgUnit, Role, User, UserRole
from lernmodul.services.accounts import AccountError, end_sessions, normalise_email
from lernmodul.services.audit import record_event
from lernmodul.services.login_throttle import clear_account
from lernmodul.services.passwords import check_password, hash_password

MAX_PER_PAGE = 100
MAX_QUERY_LENGTH = 200
MAX_NAME_LENGTH = 200
MAX_EMAIL_LENGTH = 320
MAX_EXTRA_TIME_PERCENT = 300
ROLE_NAMES = tuple(r.value for r in Role)
# One @, something on either side, a dot in the domain, no spaces: what mail servers accept
# in practice. Deliverability is not checked here.
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")


class UserAdminError(Exception):
    """A refused change: "email_taken", "email_invalid", "name_required", "name_too_long",
    "no_unit", "extra_time_range", "bad_role", "self_lockout"."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def is_valid_email(email: str) -> bool:
    return len(email) <= MAX_EMAIL_LENGTH and EMAIL_PATTERN.match(email) is not None


# --- listing --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class UserPage:
    users: list[User]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def _like_pattern(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _search_clause(query: str) -> ColumnElement[bool]:
    pattern = _like_pattern(query)
    return or_(
        User.name.ilike(pattern, escape="\\"),
        User.email.ilike(pattern, escape="\\"),
        User.personnel_number.ilike(pattern, escape="\\"),
    )


def list_users(
    session: Session,
    *,
    query: str = "",
    unit_ids: Iterable[int] | None = None,
    status: str = "all",
    page: int = 1,
    per_page: int = 50,
) -> UserPage:
    """One page of users by name, searched in name, e-mail and personnel number.

    Two queries (count and page, LIMIT/OFFSET) plus one for the page's roles. `unit_ids`
    restricts to these units; `status` is "all", "active" or "inactive"."""
    per_page = min(max(per_page, 1), MAX_PER_PAGE)
    filtered: Select[tuple[int]] = select(User.id)
    query = query.strip()[:MAX_QUERY_LENGTH]
    conditions: list[ColumnElement[bool]] = []
    if query:
        conditions.append(_search_clause(query))
    if unit_ids is not None:
        conditions.append(User.org_unit_id.in_(list(unit_ids)))
    if status == "active":
        conditions.append(User.is_active.is_(True))
    elif status == "inactive":
        conditions.append(User.is_active.is_(False))
    filtered = filtered.where(*conditions)
    total = session.scalar(select(func.count()).select_from(filtered.subquery())) or 0
    pages = max(1, -(-total // per_page))
    page = min(max(page, 1), pages)
    users = list(
        session.scalars(
            select(User).where(*conditions).order_by(User.name, User.id)
            .limit(per_page).offset((page - 1) * per_page)
        )
    )
    return UserPage(users=users, total=total, page=page, per_page=per_page)


# --- changes --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ProfileChanges:
    """Exactly the fields of the profile form; nothing else of a user can change through it."""

    name: str
    email: str
    org_unit_id: int | None
    extra_time_percent: int


def update_profile(
    session: Session, user: User, changes: ProfileChanges, *, now: datetime, actor_id: int | None
) -> list[str]:
    """Applies the changes; returns the names of the fields that changed (audit-logged)."""
    name = " ".join(changes.name.split())
    if not name:
        raise UserAdminError("name_required")
    if len(name) > MAX_NAME_LENGTH:
        raise UserAdminError("name_too_long")
    email = normalise_email(changes.email)
    if not is_valid_email(email):
        raise UserAdminError("email_invalid")
    if not 0 <= changes.extra_time_percent <= MAX_EXTRA_TIME_PERCENT:
        raise UserAdminError("extra_time_range")
    if changes.org_unit_id is not None and session.get(OrgUnit, changes.org_unit_id) is None:
        raise UserAdminError("no_unit")
    if email != user.email and session.scalar(
        select(User.id).where(User.email == email, User.id != user.id)
    ) is not None:
        raise UserAdminError("email_taken")
    new_values = {
        "name": name,
        "email": email,
        "org_unit_id": changes.org_unit_id,
        "extra_time_percent": changes.extra_time_percent,
    }
    changed = [field for field, value in new_values.items() if getattr(user, field) != value]
    if not changed:
        return []
    detail: dict[str, object] = {"fields": changed}
    if "org_unit_id" in changed:
        detail["org_unit"] = {"from": user.org_unit_id, "to": changes.org_unit_id}
    if "extra_time_percent" in changed:
        detail["extra_time_percent"] = {"from": user.extra_time_percent,
                                        "to": changes.extra_time_percent}
    for field in changed:
        setattr(user, field, new_values[field])
    session.flush()
    record_event(session, action="user.update", at=now, actor_id=actor_id,
                 target=f"user:{user.id}", detail=detail)
    return changed


Grant = tuple[str, int | None]


def role_grants(user: User) -> set[Grant]:
    return {(r.role, r.org_unit_id) for r in user.roles}


def set_roles(
    session: Session, user: User, grants: Iterable[Grant], *, now: datetime,
    actor_id: int | None,
) -> bool:
    """Replaces the user's roles by `grants` (role, scope unit or None for all units).

    Admins are global: an admin grant never carries a unit. An administrator cannot take
    the admin role from themselves ("self_lockout"). Returns False when nothing changed."""
    wanted: set[Grant] = set()
    for role, unit_id in grants:
        if role not in ROLE_NAMES:
            raise UserAdminError("bad_role")
        wanted.add((role, None if role == Role.ADMIN.value else unit_id))
    units = {unit_id for _role, unit_id in wanted if unit_id is not None}
    if units and len(set(session.scalars(select(OrgUnit.id).where(OrgUnit.id.in_(units))))) \
            != len(units):
        raise UserAdminError("no_unit")
    current = role_grants(user)
    if wanted == current:
        return False
    if user.id == actor_id and user.has_role(Role.ADMIN.value) and \
            (Role.ADMIN.value, None) not in wanted:
        raise UserAdminError("self_lockout")
    for row in list(user.roles):
        if (row.role, row.org_unit_id) not in wanted:
            user.roles.remove(row)
    for role, unit_id in sorted(wanted - current, key=lambda g: (g[0], g[1] or 0)):
        user.roles.append(UserRole(role=role, org_unit_id=unit_id))
    session.flush()
    record_event(
        session, action="user.roles", at=now, actor_id=actor_id, target=f"user:{user.id}",
        detail={"added": sorted([list(g) for g in wanted - current], key=str),
                "removed": sorted([list(g) for g in current - wanted], key=str)},
    )
    return True


def deactivate(session: Session, user: User, *, now: datetime, actor_id: int | None) -> bool:
    """Deactivates the account and ends its sessions at once. False if inactive already."""
    if user.id == actor_id:
        raise UserAdminError("self_lockout")
    if not user.is_active:
        return False
    user.is_active = False
    end_sessions(session, user)
    record_event(session, action="user.deactivate", at=now, actor_id=actor_id,
                 target=f"user:{user.id}")
    return True


def reactivate(session: Session, user: User, *, now: datetime, actor_id: int | None) -> bool:
    if user.is_active:
        return False
    user.is_active = True
    session.flush()
    record_event(session, action="user.reactivate", at=now, actor_id=actor_id,
                 target=f"user:{user.id}")
    return True


def set_password_by_admin(
    session: Session, user: User, *, hasher: PasswordHasher, password: str, now: datetime,
    actor_id: int | None,
) -> None:
    """Sets a password for the user (e.g. after an import) and ends their sessions.

    Raises AccountError("weak_password", problems) like every other password change."""
    problems = check_password(password, personal=(user.email, user.name))
    if problems:
        raise AccountError("weak_password", problems)
    user.password_hash = hash_password(hasher, password)
    end_sessions(session, user)
    record_event(session, action="password.set", at=now, actor_id=actor_id,
                 target=f"user:{user.id}")


def lift_login_block(session: Session, user: User, *, now: datetime,
                     actor_id: int | None) -> bool:
    """Clears the account's failed sign-ins (its delays and block, and the limits of each
    address on it). False if there was nothing to clear."""
    cleared = clear_account(session, user.id)
    if not cleared:
        return False
    record_event(session, action="user.unblock", at=now, actor_id=actor_id,
                 target=f"user:{user.id}")
    return True
