"""Sign-in with the directory password (LDAP_BIND_LOGIN) against a real slapd, on SQLite and
PostgreSQL: the right password signs in (the account created just in time), a wrong or empty
password fails and counts in the login throttle, a disabled person cannot sign in (and is told
so only after the right password), people the
directory does not know use their local password, an unreachable directory is a 503."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from lernmodul.db import ExternalIdentity, User
from lernmodul.db.models import LoginThrottle, utcnow
from lernmodul.identity.ldap import DirectorySettings
from lernmodul.identity.ldap.login import DirectoryLogin, authenticate_with_directory
from lernmodul.services.login_throttle import ThrottleLimits

from .conftest import PASSWORD, ldap_config
from .slapd import free_port

WRONG = "Winter-Regen-2025"


@pytest.fixture
def ldap_app(make_app, slapd):
    return make_app(LDAP_BIND_LOGIN=True, **ldap_config(slapd))


def failures(session):
    session.rollback()
    return {row.key: row.failures for row in session.scalars(select(LoginThrottle))}


def test_directory_password_signs_in_and_creates_the_account(ldap_app, login, db_session):
    client = ldap_app.test_client()
    response = login(client, "j.weiss@lindenau.example", PASSWORD)
    assert response.status_code in (302, 303), response.get_data(as_text=True)
    session = db_session
    session.rollback()
    user = session.scalars(select(User).where(User.email == "j.weiss@lindenau.example")).one()
    assert user.name == "Jürgen Weiß" and {g.role for g in user.roles} == {"learner", "trainer"}
    assert session.scalar(select(ExternalIdentity.issuer).where(ExternalIdentity.user_id == user.id)) == (
        "ldap:dc=lindenau,dc=example")
    assert client.get("/").status_code in (200, 302)
    other = ldap_app.test_client()  # by personnel number
    assert login(other, "4713", PASSWORD).status_code in (302, 303)


def test_a_wrong_password_fails_and_counts_in_the_throttle(ldap_app, login, db_session):
    client = ldap_app.test_client()
    response = login(client, "a.oezdemir@lindenau.example", WRONG)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "nicht korrekt" in page or "not correct" in page
    session = db_session
    session.rollback()
    counted = failures(session)
    assert counted["account:a.oezdemir@lindenau.example"] == 1 and counted["ip:127.0.0.1"] == 1
    for _attempt in range(4):
        login(client, "a.oezdemir@lindenau.example", WRONG)
    blocked = login(client, "a.oezdemir@lindenau.example", PASSWORD)  # even the right one now
    assert blocked.status_code == 429
    assert session.scalars(select(User).where(User.email == "a.oezdemir@lindenau.example")).first() is None


def test_an_empty_password_is_wrong_and_never_an_anonymous_bind(slapd, session):
    settings = DirectorySettings.from_config(ldap_config(slapd))
    limits = ThrottleLimits()
    for password in ("", PASSWORD + "x"):
        result = authenticate_with_directory(session, settings, login="4711", password=password,
                                             ip="10.0.0.7", now=utcnow(), limits=limits)
        assert result is not None and result.outcome is DirectoryLogin.INVALID
    counted = {row.key: row.failures for row in session.scalars(select(LoginThrottle))}
    assert counted["ip:10.0.0.7"] == 2 and counted["account:4711"] == 2
    ok = authenticate_with_directory(session, settings, login="4711", password=PASSWORD, ip="10.0.0.7",
                                     now=utcnow(), limits=limits)
    assert ok is not None and ok.outcome is DirectoryLogin.OK and ok.user.personnel_number == "4711"


def test_filter_characters_in_the_login_are_escaped(slapd, session):
    settings = DirectorySettings.from_config(ldap_config(slapd))
    for login in ("*", "47*", "*)(uid=*", "j.weiss@lindenau.example)(|(mail=*"):
        assert authenticate_with_directory(session, settings, login=login, password=PASSWORD, ip=None,
                                           now=utcnow(), limits=ThrottleLimits()) is None


def test_a_disabled_person_cannot_sign_in(ldap_app, login, db_session):
    response = login(ldap_app.test_client(), "k.braun@lindenau.example", PASSWORD)
    assert response.status_code == 403  # the right password: told why
    assert "Ihr Konto ist im Verzeichnis gesperrt" in response.get_data(as_text=True)
    guess = login(ldap_app.test_client(), "k.braun@lindenau.example", WRONG)
    assert guess.status_code == 200 and "gesperrt" not in guess.get_data(as_text=True)
    session = db_session
    session.rollback()
    assert failures(session)["account:k.braun@lindenau.example"] == 2
    assert session.scalars(select(User).where(User.email == "k.braun@lindenau.example")).first() is None


def test_people_outside_the_directory_use_their_local_password(ldap_app, login, make_user):
    make_user(email="admin@lindenau.example", name="Anna Admin", roles=("admin",))
    assert login(ldap_app.test_client(), "admin@lindenau.example").status_code in (302, 303)


def test_an_unreachable_directory_is_a_503(make_app, slapd, login):
    down = make_app(LDAP_BIND_LOGIN=True, **ldap_config(slapd, LDAP_URL=f"ldap://127.0.0.1:{free_port()}",
                                                        LDAP_TIMEOUT=2))
    response = login(down.test_client(), "j.weiss@lindenau.example", PASSWORD)
    assert response.status_code == 503
