"""LOCAL_PASSWORDS = False: password sign-in only for the emergency accounts of
BREAK_GLASS_ACCOUNTS; the login page hides the password form behind "Notfallzugang"."""

from __future__ import annotations

import re

TEST_PASSWORD = "correct-horse-battery"  # the make_user fixture's password
ADMIN = "notfall-admin@lindenau.example"


def post_login(client, login, password=TEST_PASSWORD):
    page = client.get("/login?emergency=1")
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.get_data(as_text=True)).group(1)
    return client.post("/login?emergency=1",
                       data={"csrf_token": token, "login": login, "password": password})


def test_with_local_passwords_the_form_is_shown_as_before(client):
    html = client.get("/login").get_data(as_text=True)
    assert 'name="password"' in html
    assert "Notfallzugang" not in html


def test_without_local_passwords_the_form_hides_behind_emergency_access(make_app):
    app = make_app(LOCAL_PASSWORDS=False, BREAK_GLASS_ACCOUNTS=[ADMIN])
    client = app.test_client()
    html = client.get("/login").get_data(as_text=True)
    assert 'name="password"' not in html
    link = re.search(r'<a href="([^"]+)">Notfallzugang</a>', html)
    assert link, html
    shown = client.get(link.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert 'name="password"' in shown and "<h2>Notfallzugang</h2>" in shown


def test_only_break_glass_accounts_may_use_a_password(make_app, make_user, db_session):
    app = make_app(LOCAL_PASSWORDS=False, BREAK_GLASS_ACCOUNTS="Notfall-Admin@Lindenau.example")
    make_user(("admin",), email=ADMIN)
    make_user(("learner",), email="lea@lindenau.example")
    refused = post_login(app.test_client(), "lea@lindenau.example")
    assert refused.status_code == 403
    assert "Anmeldung mit Passwort ist abgeschaltet" in refused.get_data(as_text=True)
    admin = app.test_client()
    response = post_login(admin, ADMIN)
    assert response.status_code == 302 and "/login" not in response.headers["Location"]
    assert admin.get("/admin/").status_code != 302


def test_a_wrong_password_of_the_break_glass_account_is_still_refused(make_app, make_user):
    app = make_app(LOCAL_PASSWORDS=False, BREAK_GLASS_ACCOUNTS=[ADMIN])
    make_user(("admin",), email=ADMIN)
    response = post_login(app.test_client(), ADMIN, password="not-the-password-at-all")
    assert response.status_code == 200
    assert "nicht korrekt" in response.get_data(as_text=True)


def test_the_break_glass_account_is_named_by_address_not_by_personnel_number(make_app, make_user):
    app = make_app(LOCAL_PASSWORDS=False, BREAK_GLASS_ACCOUNTS=[ADMIN])
    make_user(("admin",), email=ADMIN, personnel_number="0001")
    assert post_login(app.test_client(), "0001").status_code == 403
