"""Accounts: create, authenticate, change password, deactivate, end sessions, demo accounts."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from argon2 import PasswordHasher
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from lernmodul.db.models import Role, User, UserRole
from lernmodul.services import login_throttle
from lernmodul.services.audit import record_event
from lernmodul.services.passwords import (
    PasswordProblem,
    check_password,
    hash_password,
    needs_rehash,
    verify_password,
)


class AccountError(Exception):
    """A use-case refusal with a code the edge turns into a message."""

    def __init__(self, code: str, problems: Iterable[PasswordProblem] = ()) -> None:
        super().__init__(code)
        self.code = code
        self.problems = list(problems)


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_user(session: Session, user_id: int) -> User | None:
    return session.get(User, user_id)


def get_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise LookupError(f"no user {user_id}")
    return user


def find_user_by_login(session: Session, login: str) -> User | None:
    """By e-mail (contains @) or personnel number."""
    login = login.strip()
    if not login:
        return None
    by_email = "@" in login
    clause = User.email == normalise_email(login) if by_email else User.personnel_number == login
    return session.scalars(select(User).options(selectinload(User.roles)).where(clause)).first()


def create_user(
    session: Session,
    *,
    hasher: PasswordHasher,
    email: str,
    name: str,
    password: str | None,
    roles: Iterable[tuple[str, int | None]] = ((Role.LEARNER.value, None),),
    personnel_number: str | None = None,
    org_unit_id: int | None = None,
    locale: str | None = None,
    is_demo: bool = False,
    now: datetime,
    actor_id: int | None = None,
) -> User:
    """Creates an account; raises AccountError("email_taken" | "weak_password" | "bad_role")."""
    email = normalise_email(email)
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise AccountError("email_taken")
    if personnel_number is not None and session.scalar(
        select(User.id).where(User.personnel_number == personnel_number)
    ):
        raise AccountError("personnel_number_taken")
    role_rows = []
    for role, unit in roles:
        if role not in {r.value for r in Role}:
            raise AccountError("bad_role")
        role_rows.append(UserRole(role=role, org_unit_id=unit))
    password_hash = None
    if password is not None:
        problems = check_password(password, personal=(email, name))
        if problems:
            raise AccountError("weak_password", problems)
        password_hash = hash_password(hasher, password)
    user = User(
        email=email,
        name=name.strip(),
        personnel_number=personnel_number,
        password_hash=password_hash,
        org_unit_id=org_unit_id,
        locale=locale,
        is_demo=is_demo,
        created_at=now,
        roles=role_rows,
    )
    session.add(user)
    session.flush()
    record_event(session, action="user.create", at=now, actor_id=actor_id, target=f"user:{user.id}")
    return user


class LoginOutcome(enum.Enum):
    OK = "ok"
    INVALID = "invalid"
    THROTTLED = "throttled"


@dataclass(frozen=True, slots=True)
class LoginResult:
    outcome: LoginOutcome
    user: User | None = None
    retry_after_seconds: int = 0
    throttle_reason: login_throttle.ThrottleReason = login_throttle.ThrottleReason.NONE


def authenticate(
    session: Session,
    *,
    hasher: PasswordHasher,
    login: str,
    password: str,
    ip: str | None,
    now: datetime,
    limits: login_throttle.ThrottleLimits,
    allow_demo: bool,
) -> LoginResult:
    """Checks the throttle, then the password (no lock held), then the throttle again on the
    locked counters; records the outcome in the same transaction.

    Unknown account, wrong password, inactive account and (in production) demo account all
    give the same INVALID outcome and take the same time. Failures count per account
    (e-mail address and personnel number are one counter; a typed name that names no
    account has a counter of its own) and client address, per address, and per account
    from anywhere (growing delays, then a block: see login_throttle).
    """
    user = find_user_by_login(session, login)
    account = login_throttle.user_key(user.id) if user else login_throttle.account_key(login)
    address = login_throttle.ip_key(ip)
    keys = [account, login_throttle.pair_key(account, ip), address]
    state = login_throttle.precheck(session, keys, now, limits)
    if state.is_blocked:
        return _throttled(state)
    if len(password) > 128:
        ok = False  # never hash megabytes; still counts as a failure
    else:  # the slow part, before any lock
        ok = verify_password(hasher, user.password_hash if user else None, password)
    rehashed = (hash_password(hasher, password) if ok and user and user.password_hash
                and needs_rehash(hasher, user.password_hash) else None)
    succeeds = bool(user and ok and user.is_active and (allow_demo or not user.is_demo))
    # a sign-in that succeeds leaves the address's counter as it is: it only reads it
    rows = login_throttle.lock_throttles(session, keys, now, shared=(address,) if succeeds else ())
    state = login_throttle.check_throttles(rows, now, limits)  # again, on the locked rows
    if state.is_blocked:
        return _throttled(state)
    if not succeeds:
        login_throttle.record_failure(session, rows, now, limits)
        record_event(
            session,
            action="login.failure",
            at=now,
            actor_id=None,
            target=f"user:{user.id}" if user else None,
            detail={"ip": ip},
        )
        return LoginResult(LoginOutcome.INVALID)
    assert user is not None  # succeeds
    login_throttle.record_success(session, rows)
    if rehashed is not None:
        user.password_hash = rehashed
    record_event(session, action="login.success", at=now, actor_id=user.id, detail={"ip": ip})
    return LoginResult(LoginOutcome.OK, user=user)


def _throttled(state: login_throttle.ThrottleState) -> LoginResult:
    return LoginResult(LoginOutcome.THROTTLED, retry_after_seconds=state.retry_after_seconds,
                       throttle_reason=state.reason)


def end_sessions(session: Session, user: User) -> None:
    """Every session of this user stops working on its next request."""
    user.session_version += 1
    session.flush()


def log_out(session: Session, user: User, *, now: datetime) -> None:
    end_sessions(session, user)
    record_event(session, action="logout", at=now, actor_id=user.id)


class PasswordChangeThrottled(AccountError):
    """Too many wrong current passwords in the window: try again after `retry_after_seconds`."""

    def __init__(self, retry_after_seconds: int) -> None:
        super().__init__("throttled")
        self.retry_after_seconds = retry_after_seconds


def change_password(
    session: Session,
    *,
    hasher: PasswordHasher,
    user: User,
    current_password: str,
    new_password: str,
    now: datetime,
    limits: login_throttle.ThrottleLimits,
) -> None:
    """Raises AccountError("wrong_password" | "weak_password" | "same_password") or
    PasswordChangeThrottled. Wrong current passwords count like failed sign-ins of one
    account and address (the same limit and window, shared by all workers), on a counter of
    their own: only the signed-in session can fail here, so it does not lock the account's
    sign-in."""
    keys = [login_throttle.password_key(user.id)]
    early = login_throttle.precheck(session, keys, now, limits)
    if early.is_blocked:
        raise PasswordChangeThrottled(early.retry_after_seconds)
    ok = verify_password(hasher, user.password_hash, current_password[:128])  # before the lock
    rows = login_throttle.lock_throttles(session, keys, now)
    state = login_throttle.check_throttles(rows, now, limits)  # again, on the locked row
    if state.is_blocked:
        raise PasswordChangeThrottled(state.retry_after_seconds)
    if not ok:
        login_throttle.record_failure(session, rows, now, limits)
        record_event(session, action="password.change_failure", at=now, actor_id=user.id)
        raise AccountError("wrong_password")
    login_throttle.record_success(session, rows)
    problems = check_password(new_password, personal=(user.email, user.name))
    if problems:
        raise AccountError("weak_password", problems)
    if new_password == current_password:
        raise AccountError("same_password")
    user.password_hash = hash_password(hasher, new_password)
    end_sessions(session, user)
    record_event(session, action="password.change", at=now, actor_id=user.id)


def set_password(
    session: Session, *, hasher: PasswordHasher, user: User, password: str, now: datetime
) -> None:
    """Sets a password without knowing the old one (administration, demo set-up)."""
    problems = check_password(password, personal=(user.email, user.name))
    if problems:
        raise AccountError("weak_password", problems)
    user.password_hash = hash_password(hasher, password)
    end_sessions(session, user)
    record_event(session, action="password.set", at=now, target=f"user:{user.id}")


def deactivate_user(
    session: Session, user: User, *, now: datetime, actor_id: int | None = None
) -> None:
    user.is_active = False
    end_sessions(session, user)
    record_event(
        session, action="user.deactivate", at=now, actor_id=actor_id, target=f"user:{user.id}"
    )


@dataclass(frozen=True, slots=True)
class DemoAccount:
    email: str
    name: str
    password: str
    role: Role


DEMO_ACCOUNTS = (
    DemoAccount("lernende@example.org", "Lea Lernende", "lesen-lernen-2025", Role.LEARNER),
    DemoAccount("trainer@example.org", "Tim Trainer", "tafel-kreide-2025", Role.TRAINER),
    DemoAccount("personal@example.org", "Petra Personal", "akten-ordner-2025", Role.HR),
    DemoAccount("admin@example.org", "Anton Admin", "schalt-zentrale-2025", Role.ADMIN),
)


def ensure_demo_accounts(
    session: Session, *, hasher: PasswordHasher, now: datetime, home_unit_id: int,
    hr_scope_id: int,
) -> tuple[DemoAccount, ...]:
    """Creates (or resets) the demo accounts: members of `home_unit_id`, the HR account
    scoped to `hr_scope_id`. For development only: the caller checks the environment, and
    production refuses demo accounts at login."""
    for demo in DEMO_ACCOUNTS:
        scope = hr_scope_id if demo.role is Role.HR else None
        user = find_user_by_login(session, demo.email)
        if user is None:
            user = create_user(
                session,
                hasher=hasher,
                email=demo.email,
                name=demo.name,
                password=demo.password,
                roles=[(demo.role.value, scope)],
                org_unit_id=home_unit_id,
                is_demo=True,
                now=now,
            )
        else:
            user.is_active = True
            user.is_demo = True
            if user.org_unit_id != home_unit_id:
                user.org_unit_id = home_unit_id
            if not verify_password(hasher, user.password_hash, demo.password):
                user.password_hash = hash_password(hasher, demo.password)
            # the demo role with the demo scope (an older demo scoped HR elsewhere)
            for role in [r for r in user.roles
                         if r.role == demo.role.value and r.org_unit_id != scope]:
                user.roles.remove(role)
            if not any(r.role == demo.role.value for r in user.roles):
                user.roles.append(UserRole(role=demo.role.value, org_unit_id=scope))
    session.flush()
    return DEMO_ACCOUNTS
