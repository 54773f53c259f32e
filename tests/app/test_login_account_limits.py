"""A3 without a lock-out weapon: failures count per account and address (5 per window), per
address (50), and per account from anywhere with growing delays after 10 and a block at
100 consecutive failures (NIST SP 800-63B 5.2.2); a success resets the account's count."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from click.testing import CliRunner
from freezegun import freeze_time
from sqlalchemy import select

from lernmodul.db.models import AuditLog, LoginThrottle

WRONG = "wrong-password-123"
START = datetime(2025, 5, 5, 9, 0, tzinfo=UTC)
PAIR_BLOCKED = "Zu viele fehlgeschlagene Anmeldeversuche"
DELAYED = "Bitte warten Sie"
ACCOUNT_BLOCKED = "ist dieses Konto"


def from_address(app: Any, address: str) -> Any:
    """A browser at another client address."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def address(n: int) -> str:
    return f"198.51.100.{n}"


def fail(app: Any, login: Any, who: str, count: int, frozen: Any, first_address: int = 1) -> int:
    """`count` failed sign-ins on `who`, 5 from each address, waiting out every 429 (its
    Retry-After) as a patient attacker would; returns the number of 429s met on the way."""
    waits = 0
    done = 0
    while done < count:
        client = from_address(app, address(first_address + done // 5))
        response = login(client, who, WRONG)
        if response.status_code == 429:
            waits += 1
            frozen.tick(timedelta(seconds=int(response.headers["Retry-After"])))
            continue
        assert response.status_code == 200
        done += 1
    return waits


def test_twenty_wrong_attempts_from_one_address_do_not_lock_out_the_owner(app, make_user, login):
    make_user(email="lea@example.org")
    attacker = from_address(app, "203.0.113.66")
    statuses = [login(attacker, "lea@example.org", WRONG).status_code for _ in range(20)]
    assert statuses == [200] * 5 + [429] * 15
    assert login(from_address(app, "192.0.2.10"), "lea@example.org").status_code == 302


def test_the_pair_is_blocked_after_its_limit_and_only_the_pair(app, make_user, login, db_session):
    user = make_user(email="lea@example.org")
    make_user(email="otto@example.org")
    here = from_address(app, address(1))
    assert [login(here, "lea@example.org", WRONG).status_code for _ in range(5)] == [200] * 5
    blocked = login(here, "lea@example.org")  # the right password, but this pair is blocked
    assert blocked.status_code == 429
    assert PAIR_BLOCKED in blocked.get_data(as_text=True)
    assert 0 < int(blocked.headers["Retry-After"]) <= 15 * 60
    assert login(here, "otto@example.org").status_code == 302  # another account, same address
    assert login(from_address(app, address(2)), "lea@example.org", WRONG).status_code == 200
    assert db_session.get(LoginThrottle, f"pair:user:{user.id}|{address(1)}").failures == 5
    assert db_session.get(LoginThrottle, f"user:{user.id}").failures == 6


def test_the_per_address_limit_blocks_guessing_across_many_accounts(app, make_user, login):
    emails = [f"u{n}@example.org" for n in range(11)]
    for email in emails:
        make_user(email=email)
    attacker = from_address(app, "203.0.113.66")
    statuses = [login(attacker, email, WRONG).status_code for email in emails[:10] for _ in range(5)]
    assert statuses == [200] * 50
    assert login(attacker, emails[10], WRONG).status_code == 429  # 51st failure from here
    assert login(attacker, emails[10]).status_code == 429
    # the owners, elsewhere, are not locked out
    assert login(from_address(app, "192.0.2.10"), emails[0]).status_code == 302
    assert login(from_address(app, "192.0.2.11"), emails[10]).status_code == 302


def test_the_accounts_growing_delay_applies_across_addresses(app, make_user, login):
    make_user(email="lea@example.org")
    with freeze_time(START) as frozen:
        assert fail(app, login, "lea@example.org", 10, frozen) == 0  # two addresses, 5 each
        delays = []
        for n in range(5):
            fresh = from_address(app, address(10 + n))
            response = login(fresh, "lea@example.org")  # even the right password waits
            assert response.status_code == 429
            assert DELAYED in response.get_data(as_text=True)
            delays.append(int(response.headers["Retry-After"]))
            frozen.tick(timedelta(seconds=delays[-1] - 1))
            assert login(fresh, "lea@example.org", WRONG).status_code == 429  # 1 s too early
            frozen.tick(timedelta(seconds=1))
            assert login(fresh, "lea@example.org", WRONG).status_code == 200
        assert delays == [1, 2, 4, 8, 16]
        # the delay is capped at 15 minutes
        fail(app, login, "lea@example.org", 10, frozen, first_address=30)
        late = login(from_address(app, address(60)), "lea@example.org")
        assert late.status_code == 429 and int(late.headers["Retry-After"]) == 15 * 60
        frozen.tick(timedelta(minutes=15))
        assert login(from_address(app, address(60)), "lea@example.org").status_code == 302


def test_a_hundred_consecutive_failures_block_the_account_for_a_day(app, make_user, login):
    make_user(email="lea@example.org")
    with freeze_time(START) as frozen:
        fail(app, login, "lea@example.org", 100, frozen)
        blocked = login(from_address(app, "192.0.2.10"), "lea@example.org")
        assert blocked.status_code == 429
        assert ACCOUNT_BLOCKED in blocked.get_data(as_text=True)
        assert int(blocked.headers["Retry-After"]) == 24 * 3600
        frozen.tick(timedelta(hours=23, minutes=59))
        assert login(from_address(app, "192.0.2.10"), "lea@example.org").status_code == 429
        frozen.tick(timedelta(minutes=1))
        assert login(from_address(app, "192.0.2.10"), "lea@example.org").status_code == 302


def test_an_admin_lifts_the_block_on_the_user_page(app, make_user, login, post_form,
                                                   db_session):
    user = make_user(email="lea@example.org")
    make_user(("admin",), email="admin@example.org")
    with freeze_time(START) as frozen:
        fail(app, login, "lea@example.org", 100, frozen)
        admin = app.test_client()
        assert login(admin, "admin@example.org").status_code == 302
        page = admin.get(f"/admin/users/{user.id}").get_data(as_text=True)
        assert "Anmeldung gesperrt" in page
        response = post_form(admin, f"/admin/users/{user.id}", {},
                             action=f"/admin/users/{user.id}/unblock")
        assert response.status_code == 303
        assert "Die Anmeldesperre ist aufgehoben" in admin.get(
            response.headers["Location"]).get_data(as_text=True)
        assert login(from_address(app, "192.0.2.10"), "lea@example.org").status_code == 302
    db_session.rollback()
    actions = db_session.scalars(select(AuditLog.action)
                                 .where(AuditLog.target == f"user:{user.id}")).all()
    assert "user.unblock" in actions


def test_the_unblock_command_lifts_the_block(app, make_user, login, monkeypatch):
    user = make_user(email="lea@example.org", personnel_number="1001")
    with freeze_time(START) as frozen:
        fail(app, login, "lea@example.org", 100, frozen)
        assert login(from_address(app, "192.0.2.10"), "1001").status_code == 429
        from lernmodul.cli import main

        monkeypatch.setenv("LERNMODUL_DATABASE_URL", app.config["DATABASE_URL"])
        monkeypatch.setenv("LERNMODUL_INSTANCE_PATH", app.instance_path)
        monkeypatch.setenv("LERNMODUL_SECRET_KEY", "x" * 32)
        result = CliRunner().invoke(main, ["users", "unblock", " 1001 "])
        assert result.exit_code == 0, result.output
        assert f"user {user.id}" in result.output
        assert login(from_address(app, "192.0.2.10"), "lea@example.org").status_code == 302
        unknown = CliRunner().invoke(main, ["users", "unblock", "nobody@example.org"])
        assert unknown.exit_code == 1 and "no account" in unknown.output


def test_a_success_resets_the_consecutive_count(app, make_user, login, db_session):
    user = make_user(email="lea@example.org")
    with freeze_time(START) as frozen:
        fail(app, login, "lea@example.org", 14, frozen)  # delays are running now
        frozen.tick(timedelta(minutes=1))
        assert login(from_address(app, "192.0.2.10"), "lea@example.org").status_code == 302
        db_session.rollback()
        row = db_session.get(LoginThrottle, f"user:{user.id}")
        assert row.failures == 0
        # nine further failures from anywhere meet no delay again
        statuses = [login(from_address(app, address(40 + n)), "lea@example.org", WRONG).status_code
                    for n in range(9)]
        assert statuses == [200] * 9
        assert login(from_address(app, address(50)), "lea@example.org").status_code == 302


def test_unknown_names_get_the_same_answers_as_accounts(app, make_user, login):
    make_user(email="lea@example.org")

    def answers(who: str) -> list[tuple[int, str | None]]:
        with freeze_time(START):
            plan = [1] * 6 + [2] * 5 + [3]
            results = []
            for n in plan:
                response = login(from_address(app, address(n)), who, WRONG)
                results.append((response.status_code, response.headers.get("Retry-After")))
            return results

    known, unknown = answers("lea@example.org"), answers("nobody@example.org")
    assert [status for status, _ in known] == [200] * 5 + [429] + [200] * 5 + [429]
    assert known[-1][1] == "1"  # the account's delay, not the 15-minute pair block
    assert unknown == known


def test_concurrent_wrong_attempts_from_many_addresses_cannot_pass_the_delay(make_app,
                                                                             make_user, login):
    apps = [make_app(), make_app()]
    make_user(email="lea@example.org")
    with freeze_time(START) as frozen:
        fail(apps[0], login, "lea@example.org", 10, frozen)
        frozen.tick(timedelta(seconds=1))  # the delay after the tenth failure has passed
        results: list[int] = []
        lock = threading.Lock()

        def attempt(n: int) -> None:
            status = login(from_address(apps[n % 2], address(100 + n)), "lea@example.org",
                           WRONG).status_code
            with lock:
                results.append(status)

        threads = [threading.Thread(target=attempt, args=(n,)) for n in range(12)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert Counter(results) == {200: 1, 429: 11}
