"""Sign-in and sessions: B1 fixation, B2 server-side invalidation, B3 cookies and timeouts,
B4 open redirects."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from freezegun import freeze_time

from lernmodul.db.models import User, utcnow
from lernmodul.services import accounts

SESSION_COOKIE = "lernmodul_session"


def session_cookie(client) -> str | None:
    cookie = client.get_cookie(SESSION_COOKIE)
    return cookie.value if cookie else None


def client_with_cookie(app, value: str):
    other = app.test_client()
    other.set_cookie(SESSION_COOKIE, value)
    return other


def test_login_with_email_or_personnel_number_reaches_the_dashboard(app, client, make_user, login):
    make_user(email="Lea@Example.org", name="Lea Lernende", personnel_number="P-4711")
    response = login(client, "lea@example.ORG")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    page = client.get("/")
    assert page.status_code == 200
    assert "Lea Lernende" in page.get_data(as_text=True)
    other = app.test_client()
    assert login(other, "P-4711").headers["Location"] == "/"


@pytest.mark.parametrize("login_name", ["lea@example.org", "nobody@example.org"])
def test_wrong_credentials_give_one_generic_message(client, make_user, login, login_name):
    make_user(email="lea@example.org")
    response = login(client, login_name, "wrong-password-123")
    assert response.status_code == 200
    assert "E-Mail-Adresse, Personalnummer oder Passwort ist nicht korrekt." in response.get_data(
        as_text=True
    )
    assert client.get("/").status_code == 302


def test_inactive_account_cannot_sign_in(client, make_user, login, db_session):
    user = make_user(email="gone@example.org")
    db_user = db_session.get(User, user.id)
    accounts.deactivate_user(db_session, db_user, now=utcnow())
    db_session.commit()
    assert login(client, "gone@example.org").status_code == 200
    assert client.get("/").status_code == 302


def test_B1_pre_login_cookie_is_not_authenticated_after_login(app, client, make_user, login):
    make_user(email="lea@example.org")
    client.get("/login")
    before = session_cookie(client)
    assert before is not None  # the login form put a CSRF token into the session
    assert login(client, "lea@example.org").status_code == 302
    after = session_cookie(client)
    assert after != before
    assert client.get("/").status_code == 200
    attacker = client_with_cookie(app, before)
    response = attacker.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_B2_cookie_replayed_after_logout_is_rejected(app, client, make_user, login, post_form):
    make_user(email="lea@example.org")
    login(client, "lea@example.org")
    captured = session_cookie(client)
    response = post_form(client, "/", {}, action="/logout")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login"
    replay = client_with_cookie(app, captured)
    response = replay.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_B2_deactivation_ends_existing_sessions(app, client, make_user, login, db_session):
    user = make_user(email="lea@example.org")
    login(client, "lea@example.org")
    assert client.get("/").status_code == 200
    accounts.deactivate_user(db_session, db_session.get(User, user.id), now=utcnow())
    db_session.commit()
    assert client.get("/").status_code == 302


def test_B2_password_change_ends_other_sessions_but_keeps_this_one(app, make_user, login, post_form):
    make_user(email="lea@example.org")
    here, elsewhere = app.test_client(), app.test_client()
    login(here, "lea@example.org")
    login(elsewhere, "lea@example.org")
    response = post_form(
        here,
        "/password",
        {
            "current_password": "correct-horse-battery",
            "new_password": "a brand new passphrase",
            "confirm_password": "a brand new passphrase",
        },
    )
    assert response.status_code == 302
    assert here.get("/").status_code == 200
    assert elsewhere.get("/").status_code == 302


def test_password_change_with_wrong_current_password_changes_nothing(
    client, make_user, login, post_form, db_session
):
    user = make_user(email="lea@example.org")
    login(client, "lea@example.org")
    response = post_form(
        client,
        "/password",
        {
            "current_password": "not-my-password",
            "new_password": "a brand new passphrase",
            "confirm_password": "a brand new passphrase",
        },
    )
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "Das bisherige Passwort ist nicht korrekt." in text
    assert 'aria-describedby="current_password-error"' in text
    assert 'aria-invalid="true"' in text
    db_user = db_session.get(User, user.id)
    assert db_user.session_version == user.session_version


def _set_cookie_headers(response) -> list[str]:
    return [v for k, v in response.headers.items() if k == "Set-Cookie"]


def test_B3_session_cookie_flags(make_app, make_user, login):
    app = make_app()
    make_user(email="lea@example.org")
    client = app.test_client()
    response = login(client, "lea@example.org")
    cookie = next(c for c in _set_cookie_headers(response) if c.startswith(SESSION_COOKIE + "="))
    attributes = [part.strip().lower() for part in cookie.split(";")]
    assert "httponly" in attributes
    assert "samesite=lax" in attributes
    assert "secure" not in attributes  # this test app is configured for plain http
    assert any(a.startswith("expires=") for a in attributes)

    secure_app = make_app(SESSION_COOKIE_SECURE=True)
    response = secure_app.test_client().get("/login", base_url="https://localhost")
    cookie = next(c for c in _set_cookie_headers(response) if c.startswith(SESSION_COOKIE + "="))
    assert "secure" in [part.strip().lower() for part in cookie.split(";")]


def test_B3_production_default_is_secure_cookies(app_config):
    from lernmodul.web import create_app

    config = {k: v for k, v in app_config.items() if k != "SESSION_COOKIE_SECURE"}
    assert create_app(config).config["SESSION_COOKIE_SECURE"] is True
    assert create_app({**config, "ENV": "development"}).config["SESSION_COOKIE_SECURE"] is False


def test_B3_idle_timeout_after_30_minutes(client, make_user, login):
    make_user(email="lea@example.org")
    start = datetime(2025, 3, 3, 8, 0, tzinfo=UTC)
    with freeze_time(start) as frozen:
        login(client, "lea@example.org")
        frozen.tick(timedelta(minutes=29))
        assert client.get("/").status_code == 200  # activity resets the idle clock
        frozen.tick(timedelta(minutes=29))
        assert client.get("/").status_code == 200
        frozen.tick(timedelta(minutes=31))
        response = client.get("/")
        assert response.status_code == 302
        assert response.headers["Location"] == "/login"
        assert "Ihre Sitzung ist abgelaufen" in client.get("/login").get_data(as_text=True)
        assert client.get("/").status_code == 302


def test_B3_absolute_timeout_after_9_hours(client, make_user, login):
    make_user(email="lea@example.org")
    start = datetime(2025, 3, 3, 7, 0, tzinfo=UTC)
    with freeze_time(start) as frozen:
        login(client, "lea@example.org")
        for _ in range(26):  # active every 20 minutes: 8 h 40 min
            frozen.tick(timedelta(minutes=20))
            assert client.get("/").status_code == 200
        frozen.tick(timedelta(minutes=21))  # 9 h 01 min after sign-in
        assert client.get("/").status_code == 302
        assert "Ihre Sitzung ist abgelaufen" in client.get("/login").get_data(as_text=True)


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example",
        "//evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "javascript:alert(1)",
        "http:/evil.example",
        "https:evil.example",
        "/\r\nSet-Cookie:x=1",
        " //evil.example",
    ],
)
def test_B4_next_only_accepts_local_paths(client, make_user, login, target):
    make_user(email="lea@example.org")
    from urllib.parse import quote

    response = login(client, "lea@example.org", next=quote(target, safe=""))
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_B4_local_next_is_followed(client, make_user, login):
    make_user(email="lea@example.org")
    response = login(client, "lea@example.org", next="/password")
    assert response.headers["Location"] == "/password"


def test_protected_page_redirects_to_login_with_next(client, make_user, login):
    make_user(email="lea@example.org")
    response = client.get("/password?x=1")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=/password?x%3D1"
    response = login(client, "lea@example.org", next="/password?x%3D1")
    assert response.headers["Location"] == "/password?x=1"
