"""A1 password rules and A2 argon2id hashes."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from lernmodul.db.models import User
from lernmodul.services.passwords import (
    HashParameters,
    PasswordProblem,
    check_password,
    make_hasher,
    verify_password,
)

CHEAP = HashParameters(time_cost=1, memory_cost=8, parallelism=1)


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("Hund-Katz-1", PasswordProblem.TOO_SHORT),  # 11 characters
        ("x7" * 64 + "y", PasswordProblem.TOO_LONG),  # 129 characters
        ("Passwort2024!", PasswordProblem.COMMON),
        ("password1234", PasswordProblem.COMMON),
        ("qwertzuiop123", PasswordProblem.COMMON),
        ("123456789012", PasswordProblem.COMMON),
        ("aaaaaaaaaaaaaa", PasswordProblem.COMMON),
        ("Sommer-Sommer-2025", PasswordProblem.COMMON),
        ("mustermann-1985-x", PasswordProblem.CONTAINS_PERSONAL_DATA),
    ],
)
def test_weak_passwords_are_rejected(password: str, problem: PasswordProblem) -> None:
    assert problem in check_password(password, personal=("max.mustermann@example.org", "Max"))


@pytest.mark.parametrize(
    "password",
    [
        "twelve chars",  # exactly 12, only lower-case letters and a space: no composition rules
        "hund katze maus baum",
        "839201746512",
        "ä" * 1 + "x9" * 63 + "z",  # exactly 128
        "Der Zug nach Kassel fährt um 7",
    ],
)
def test_good_passwords_pass_without_composition_rules(password: str) -> None:
    assert check_password(password) == []


def test_same_password_gives_different_salted_argon2id_hashes(app, make_user, db_session) -> None:
    make_user(email="a@example.org", password="same-password-here")
    make_user(email="b@example.org", password="same-password-here")
    hashes = list(db_session.scalars(select(User.password_hash).order_by(User.id)))
    assert len(hashes) == 2
    assert hashes[0] != hashes[1]
    assert all(h.startswith("$argon2id$") for h in hashes)
    hasher = make_hasher(CHEAP)
    assert all(verify_password(hasher, h, "same-password-here") for h in hashes)
    assert not verify_password(hasher, hashes[0], "same-password-herE")


def test_production_parameters_are_not_the_cheap_test_ones(app) -> None:
    from lernmodul.web.config import DefaultConfig

    assert DefaultConfig.PASSWORD_HASH_MEMORY_COST >= 19 * 1024  # OWASP minimum for argon2id
    assert DefaultConfig.PASSWORD_HASH_TIME_COST >= 2


def test_a_missing_or_broken_hash_never_verifies() -> None:
    hasher = make_hasher(CHEAP)
    assert not verify_password(hasher, None, "anything at all")
    assert not verify_password(hasher, "not-a-hash", "anything at all")


@pytest.mark.parametrize(
    ("new_password", "expected_status", "message"),
    [
        ("kurz-11-abc", 200, "Verwenden Sie mindestens 12 Zeichen."),
        ("x" * 129, 200, "Verwenden Sie höchstens 128 Zeichen."),
        ("Passwort2024!", 200, "zu verbreitet"),
        ("zwölf zeichen", 302, None),
        ("y" * 100 + "zx" * 14, 302, None),  # 128
    ],
)
def test_password_change_applies_the_rules(
    client, make_user, login, post_form, new_password, expected_status, message
) -> None:
    make_user(email="p@example.org")
    login(client, "p@example.org")
    response = post_form(
        client,
        "/password",
        {
            "current_password": "correct-horse-battery",
            "new_password": new_password,
            "confirm_password": new_password,
        },
    )
    assert response.status_code == expected_status
    if message:
        assert message in response.get_data(as_text=True)
    else:
        fresh = client.application.test_client()
        assert login(fresh, "p@example.org", new_password).status_code == 302


def _change(client, post_form, current, new="ein-ganz-neues-passwort"):
    return post_form(client, "/password", {"current_password": current, "new_password": new,
                                           "confirm_password": new})


def test_wrong_current_passwords_are_limited_like_sign_ins(app, client, make_user, login,
                                                           post_form, db_session) -> None:
    user = make_user(email="p@example.org")
    login(client, "p@example.org")
    statuses = [_change(client, post_form, f"falsch-geraten-{n}").status_code for n in range(5)]
    assert statuses == [200] * 5
    blocked = _change(client, post_form, "correct-horse-battery")  # right, but blocked
    assert blocked.status_code == 429
    assert 0 < int(blocked.headers["Retry-After"]) <= 15 * 60
    assert "Zu viele falsche Eingaben des aktuellen Passworts" in blocked.get_data(as_text=True)
    db_session.rollback()
    assert db_session.get(User, user.id).password_hash == user.password_hash  # unchanged
    assert client.get("/").status_code == 200  # the session itself stays signed in


def test_the_password_limit_is_shared_by_workers_and_ends_after_the_window(
        make_app, make_user, login, post_form) -> None:
    from datetime import UTC, datetime, timedelta

    from freezegun import freeze_time

    make_user(email="p@example.org")
    first, second = make_app().test_client(), make_app().test_client()
    with freeze_time(datetime(2025, 5, 5, 9, 0, tzinfo=UTC)) as frozen:
        login(first, "p@example.org")
        login(second, "p@example.org")
        for n in range(5):
            _change((first, second)[n % 2], post_form, f"falsch-geraten-{n}")
        assert _change(second, post_form, "correct-horse-battery").status_code == 429
        frozen.tick(timedelta(minutes=16))
        assert _change(second, post_form, "correct-horse-battery").status_code == 302


def test_the_password_limit_does_not_block_signing_in(app, client, make_user, login,
                                                      post_form) -> None:
    """Only a signed-in session can fail here: its count does not lock the account's
    sign-in, so it is no new way to lock somebody out."""
    make_user(email="p@example.org")
    login(client, "p@example.org")
    for n in range(5):
        _change(client, post_form, f"falsch-geraten-{n}")
    assert login(app.test_client(), "p@example.org").status_code == 302


def test_failed_sign_ins_of_others_do_not_block_the_change_of_password(
        app, client, make_user, login, post_form) -> None:
    make_user(email="p@example.org")
    login(client, "p@example.org")
    stranger = app.test_client()
    for _ in range(5):
        login(stranger, "p@example.org", "wrong-password-123")
    assert login(app.test_client(), "p@example.org").status_code == 429
    assert _change(client, post_form, "correct-horse-battery").status_code == 302


def test_a_right_current_password_clears_the_count(client, make_user, login, post_form) -> None:
    make_user(email="p@example.org")
    login(client, "p@example.org")
    for n in range(4):
        _change(client, post_form, f"falsch-geraten-{n}")
    assert _change(client, post_form, "correct-horse-battery").status_code == 302
    for n in range(4):
        assert _change(client, post_form, f"falsch-geraten-{n}", "noch-ein-neues-passwort"
                       ).status_code == 200
    assert _change(client, post_form, "ein-ganz-neues-passwort",
                   "noch-ein-neues-passwort").status_code == 302
