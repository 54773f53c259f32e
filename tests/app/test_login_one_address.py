"""Sign-ins from one address (a whole office behind one NAT or proxy address): a right
password only reads the address's counter, so such sign-ins do not wait for each other on
PostgreSQL's row locks; a wrong password counts on that counter and still waits for them
(and they for it), so no attempt slips past the limits (services/login_throttle.py)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from tests.conftest import TEST_PASSWORD

from lernmodul.db.models import LoginThrottle, utcnow
from lernmodul.services import accounts, login_throttle
from lernmodul.web.auth import auth_settings
from lernmodul.web.database import get_database

OFFICE = "192.0.2.10"


def _sign_in(app: Any, session: Any, email: str, password: str) -> accounts.LoginResult:
    return accounts.authenticate(session, hasher=auth_settings(app).hasher, login=email,
                                 password=password, ip=OFFICE, now=utcnow(),
                                 limits=login_throttle.ThrottleLimits(), allow_demo=False)


def _waiting_ends_the_statement(session: Any) -> None:
    # a row lock that cannot be had within the limit raises instead of waiting
    session.execute(text("SET LOCAL lock_timeout = '1s'"))


def _known_address(app: Any, sessions: Any) -> None:
    # the address's counter row exists once anyone has signed in from there (a row that
    # another transaction is still inserting makes every INSERT of the same key wait)
    with sessions() as session:
        assert _sign_in(app, session, "ben@example.org", TEST_PASSWORD).outcome \
            is accounts.LoginOutcome.OK
        session.commit()


@pytest.fixture
def postgres_only(backend: Any) -> None:
    if backend.name != "postgresql":
        pytest.skip("row locks are PostgreSQL's: on SQLite every write transaction waits "
                    "for the one before (BEGIN IMMEDIATE)")


def test_right_passwords_from_one_address_do_not_wait_for_each_other(
        postgres_only: None, app: Any, make_user: Any) -> None:
    make_user(email="lea@example.org")
    make_user(email="ben@example.org")
    sessions = get_database(app).sessions
    _known_address(app, sessions)
    first, second, third = sessions(), sessions(), sessions()
    try:
        # Lea's sign-in holds its counter rows until it commits
        assert _sign_in(app, first, "lea@example.org", TEST_PASSWORD).outcome is accounts.LoginOutcome.OK
        _waiting_ends_the_statement(second)
        assert _sign_in(app, second, "ben@example.org", TEST_PASSWORD).outcome is accounts.LoginOutcome.OK
        second.commit()
        # a wrong password from the same address must wait for Lea's sign-in to end
        _waiting_ends_the_statement(third)
        with pytest.raises(OperationalError, match="lock timeout"):
            _sign_in(app, third, "ben@example.org", "wrong-password-123")
        third.rollback()
        first.commit()
        # … and once it has ended, it counts on the address
        assert _sign_in(app, third, "ben@example.org", "wrong-password-123").outcome \
            is accounts.LoginOutcome.INVALID
        third.commit()
        row = third.get(LoginThrottle, login_throttle.ip_key(OFFICE))
        assert row is not None and row.failures == 1
    finally:
        for session in (first, second, third):
            session.close()


def test_a_failure_in_progress_makes_a_right_password_wait(
        postgres_only: None, app: Any, make_user: Any) -> None:
    make_user(email="lea@example.org")
    make_user(email="ben@example.org")
    sessions = get_database(app).sessions
    _known_address(app, sessions)
    failing, right = sessions(), sessions()
    try:
        assert _sign_in(app, failing, "lea@example.org", "wrong-password-123").outcome \
            is accounts.LoginOutcome.INVALID
        _waiting_ends_the_statement(right)
        with pytest.raises(OperationalError, match="lock timeout"):
            _sign_in(app, right, "ben@example.org", TEST_PASSWORD)
    finally:
        failing.close()
        right.close()
