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
