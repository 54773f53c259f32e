"""Self-service password reset: one answer for every address, a hashed single-use link with
an expiry, limits per address, account and IP, sessions that end, the audit row, and no such
pages without LOCAL_PASSWORDS. Mails go through the development outbox (real .eml files)."""

from __future__ import annotations

import email
import hashlib
import logging
import re
from datetime import UTC, datetime, timedelta
from email import policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from freezegun import freeze_time
from sqlalchemy import select

from lernmodul.db.models import AuditLog, Base, User
from lernmodul.db.password_resets import PasswordResetToken

NEW_PASSWORD = "neues-fahrrad-im-keller"
ANSWER = "Bitte prüfen Sie Ihre E-Mails"
BASE_URL = "https://lernen.example.de"  # PUBLIC_BASE_URL of the test configuration


@pytest.fixture
def outbox(tmp_path: Path) -> Path:
    return tmp_path / "outbox"


@pytest.fixture
def app_config(app_config: dict[str, Any], outbox: Path) -> dict[str, Any]:
    # development: without MAIL_SERVER the messages land as .eml files in the outbox
    return {**app_config, "ENV": "development", "MAIL_OUTBOX_PATH": str(outbox)}


def csrf_token_from(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, "no CSRF token in page"
    return match.group(1)


def mails(outbox: Path) -> list[EmailMessage]:
    found = []
    for path in sorted(outbox.glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        assert isinstance(message, EmailMessage)
        found.append(message)
    return found


def body_of(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert part is not None
    return str(part.get_content())


def link_in(message: EmailMessage) -> str:
    """The path of the reset link in the message (the host is PUBLIC_BASE_URL's)."""
    match = re.search(re.escape(BASE_URL) + r"(/password/reset/[A-Za-z0-9_-]+)", body_of(message))
    assert match, body_of(message)
    return match.group(1)


def ask(client: Any, address: str) -> Any:
    """Sends the forgot-password form; closes the response, which hands the mail over."""
    page = client.get("/password/forgot")
    assert page.status_code == 200
    response = client.post("/password/forgot", data={
        "csrf_token": csrf_token_from(page.get_data(as_text=True)), "email": address})
    response.close()
    return response


def set_new(client: Any, path: str, password: str = NEW_PASSWORD,
            confirm: str | None = None) -> Any:
    page = client.get(path)
    if page.status_code != 200:
        return page
    return client.post(path, data={
        "csrf_token": csrf_token_from(page.get_data(as_text=True)),
        "new_password": password, "confirm_password": password if confirm is None else confirm})


def comparable(html: str) -> str:
    """The page without what differs on every request (CSRF tokens, the request id)."""
    html = re.sub(r'name="csrf_token"[^>]*value="[^"]+"', 'name="csrf_token"', html)
    return re.sub(r"[0-9a-f]{16}", "<id>", html)


def test_the_answer_is_the_same_for_every_address(app, make_user, db_session):
    make_user(email="lea@example.org")
    inactive = make_user(email="weg@example.org")
    make_user(email="ohne@example.org", password=None)  # imported: no password
    db_session.get(User, inactive.id).is_active = False
    db_session.commit()
    answers = []
    for address in ("lea@example.org", "niemand@example.org", "weg@example.org",
                    "ohne@example.org", " LEA@Example.org "):
        response = ask(app.test_client(), address)
        assert response.status_code == 200
        assert ANSWER in response.get_data(as_text=True)
        headers = sorted((k, v) for k, v in response.headers.items()
                         if k not in ("X-Request-ID", "Set-Cookie", "Content-Length"))
        cookies = sorted(c.split("=")[0] for c in response.headers.getlist("Set-Cookie"))
        answers.append((comparable(response.get_data(as_text=True)), headers, cookies))
    assert all(answer == answers[0] for answer in answers[1:])


def test_a_mail_goes_only_to_an_active_account_with_a_password(app, make_user, db_session,
                                                               outbox):
    make_user(email="lea@example.org", name="Lea Lernende")
    inactive = make_user(email="weg@example.org")
    make_user(email="ohne@example.org", password=None)
    db_session.get(User, inactive.id).is_active = False
    db_session.commit()
    for address in ("niemand@example.org", "weg@example.org", "ohne@example.org"):
        ask(app.test_client(), address)
    assert mails(outbox) == []
    ask(app.test_client(), "Lea@Example.org")
    (message,) = mails(outbox)
    assert message["To"].addresses[0].addr_spec == "lea@example.org"
    assert message["Content-Language"] == "de"
    assert "Passwort" in message["Subject"]
    body = body_of(message)
    assert "Hallo Lea Lernende," in body and "60 Minuten" in body
    assert link_in(message).startswith("/password/reset/")


def test_the_mail_is_in_the_language_of_the_account(app, make_user, outbox):
    make_user(email="sam@example.org", name="Sam", locale="en")
    ask(app.test_client(), "sam@example.org")
    (message,) = mails(outbox)
    assert message["Content-Language"] == "en"
    assert message["Subject"] == "Reset your password for the learning platform"
    assert "Hello Sam," in body_of(message)


def test_the_token_is_stored_only_as_its_hash(app, make_user, outbox, db_session):
    user = make_user(email="lea@example.org")
    ask(app.test_client(), "lea@example.org")
    token = link_in(mails(outbox)[0]).rsplit("/", 1)[1]
    assert len(token) >= 43  # 256 bits, base64url
    row = db_session.scalars(select(PasswordResetToken)).one()
    assert row.user_id == user.id
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    for table in Base.metadata.sorted_tables:
        for values in db_session.execute(select(table)).all():
            assert all(token not in str(value) for value in values), table.name


def test_the_link_sets_a_new_password_once(app, make_user, outbox, login):
    make_user(email="lea@example.org")
    ask(app.test_client(), "lea@example.org")
    path = link_in(mails(outbox)[0])
    client = app.test_client()
    done = set_new(client, path)
    assert done.status_code == 303 and done.headers["Location"] == "/login"
    assert login(app.test_client(), "lea@example.org").status_code == 200  # old one refused
    assert login(app.test_client(), "lea@example.org", NEW_PASSWORD).status_code == 302
    again = client.get(path)
    assert again.status_code == 410
    assert "bereits verwendet" in again.get_data(as_text=True)
    token = csrf_token_from(client.get("/password/forgot").get_data(as_text=True))
    replay = client.post(path, data={"csrf_token": token, "new_password": "noch-ein-anderes-1",
                                     "confirm_password": "noch-ein-anderes-1"})
    assert replay.status_code == 410
    assert login(app.test_client(), "lea@example.org", NEW_PASSWORD).status_code == 302


def test_using_one_link_ends_the_older_ones(app, make_user, outbox):
    make_user(email="lea@example.org")
    ask(app.test_client(), "lea@example.org")
    ask(app.test_client(), "lea@example.org")
    first, second = (link_in(m) for m in mails(outbox))
    assert first != second
    assert set_new(app.test_client(), second).status_code == 303
    assert app.test_client().get(first).status_code == 410


def test_the_link_expires(app, make_user, outbox):
    make_user(email="lea@example.org")
    with freeze_time(datetime(2026, 5, 5, 9, 0, tzinfo=UTC)) as frozen:
        ask(app.test_client(), "lea@example.org")
        path = link_in(mails(outbox)[0])
        frozen.tick(timedelta(minutes=59))
        assert app.test_client().get(path).status_code == 200
        frozen.tick(timedelta(minutes=2))
        expired = set_new(app.test_client(), path)
        assert expired.status_code == 410
        assert "abgelaufen" in expired.get_data(as_text=True)


def test_the_lifetime_is_configurable(make_app, make_user, outbox):
    app = make_app(PASSWORD_RESET_TOKEN_MINUTES=5)
    make_user(email="lea@example.org")
    with freeze_time(datetime(2026, 5, 5, 9, 0, tzinfo=UTC)) as frozen:
        ask(app.test_client(), "lea@example.org")
        (message,) = mails(outbox)
        assert "5 Minuten" in body_of(message)
        frozen.tick(timedelta(minutes=6))
        assert app.test_client().get(link_in(message)).status_code == 410


@pytest.mark.parametrize("token", ["forged", "A" * 43, "x" * 400, "%C3%A4%C3%B6"])
def test_a_forged_link_gets_a_clear_400(client, csrf_token, token, snapshot):
    before = snapshot()
    page = client.get(f"/password/reset/{token}")
    assert page.status_code == 400
    assert "Dieser Link ist ungültig" in page.get_data(as_text=True)
    posted = client.post(f"/password/reset/{token}", data={
        "csrf_token": csrf_token(client), "new_password": NEW_PASSWORD,
        "confirm_password": NEW_PASSWORD})
    assert posted.status_code == 400
    assert snapshot() == before


def test_the_new_password_follows_the_password_policy(app, make_user, outbox, login):
    make_user(email="lea@example.org", name="Lea Lernende")
    ask(app.test_client(), "lea@example.org")
    path = link_in(mails(outbox)[0])
    client = app.test_client()
    for password, message in (("kurz", "mindestens 12 Zeichen"),
                              ("passwort1234", "zu verbreitet"),
                              ("lernende-im-sommer", "weder Ihren Namen noch Ihre E-Mail-Adresse")):
        response = set_new(client, path, password)
        assert response.status_code == 200
        assert message in response.get_data(as_text=True), password
    mismatch = set_new(client, path, NEW_PASSWORD, confirm="etwas-ganz-anderes")
    assert "stimmen nicht überein" in mismatch.get_data(as_text=True)
    assert login(app.test_client(), "lea@example.org").status_code == 302  # unchanged
    assert set_new(client, path).status_code == 303  # the link still works


def test_the_reset_signs_out_every_session_of_the_account(app, make_user, outbox, login):
    make_user(email="lea@example.org")
    signed_in = app.test_client()
    assert login(signed_in, "lea@example.org").status_code == 302
    assert signed_in.get("/").status_code == 200
    ask(app.test_client(), "lea@example.org")
    assert set_new(app.test_client(), link_in(mails(outbox)[0])).status_code == 303
    response = signed_in.get("/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_the_reset_is_audit_logged_without_the_token(app, make_user, outbox, db_session):
    user = make_user(email="lea@example.org")
    ask(app.test_client(), "lea@example.org")
    path = link_in(mails(outbox)[0])
    set_new(app.test_client(), path)
    rows = db_session.scalars(select(AuditLog).where(AuditLog.action.like("password.reset%"))
                              .order_by(AuditLog.id)).all()
    assert [(r.action, r.target) for r in rows] == [
        ("password.reset_request", f"user:{user.id}"), ("password.reset", f"user:{user.id}")]
    assert rows[1].actor_id == user.id and rows[1].detail == {"ip": "127.0.0.1"}
    token = path.rsplit("/", 1)[1]
    assert all(token not in repr((r.target, r.detail)) for r in rows)


def test_the_per_address_limit_answers_429_for_known_and_unknown_alike(make_app, make_user,
                                                                      outbox):
    app = make_app(PASSWORD_RESET_MAX_PER_ADDRESS=2)
    make_user(email="lea@example.org")
    blocked = []
    for address in ("lea@example.org", "niemand@example.org"):
        statuses = [ask(app.test_client(), address).status_code for _ in range(2)]
        assert statuses == [200, 200]
        response = ask(app.test_client(), address)
        assert response.status_code == 429
        assert 0 < int(response.headers["Retry-After"]) <= 60 * 60
        # the form shows the typed address again; otherwise the pages are alike
        blocked.append(comparable(response.get_data(as_text=True).replace(address, "<typed>")))
    assert blocked[0] == blocked[1]
    assert "Zu viele Anfragen nach einem neuen Passwort" in blocked[0]
    assert len(mails(outbox)) == 2


def test_the_per_address_limit_ends_after_the_window(make_app, make_user, outbox):
    app = make_app(PASSWORD_RESET_MAX_PER_ADDRESS=1)
    make_user(email="lea@example.org")
    with freeze_time(datetime(2026, 5, 5, 9, 0, tzinfo=UTC)) as frozen:
        assert ask(app.test_client(), "lea@example.org").status_code == 200
        assert ask(app.test_client(), "lea@example.org").status_code == 429
        frozen.tick(timedelta(minutes=61))
        assert ask(app.test_client(), "lea@example.org").status_code == 200
    assert len(mails(outbox)) == 2


def test_the_per_account_limit_sends_no_more_mail_and_keeps_the_answer(make_app, make_user,
                                                                      db_session, outbox):
    app = make_app(PASSWORD_RESET_MAX_PER_ADDRESS=5, PASSWORD_RESET_MAX_PER_ACCOUNT=2)
    user = make_user(email="lea@example.org")
    for _ in range(2):
        ask(app.test_client(), "lea@example.org")
    # a new address of the same account: its own address counter, the account's counter
    db_session.get(User, user.id).email = "lea.neu@example.org"
    db_session.commit()
    over = ask(app.test_client(), "lea.neu@example.org")
    unknown = ask(app.test_client(), "niemand@example.org")
    assert over.status_code == unknown.status_code == 200
    assert comparable(over.get_data(as_text=True)) == comparable(unknown.get_data(as_text=True))
    assert len(mails(outbox)) == 2
    assert db_session.scalar(select(AuditLog.target).where(
        AuditLog.action == "password.reset_request_limited")) == f"user:{user.id}"


def test_the_per_ip_limit_holds_over_many_addresses(make_app, outbox):
    app = make_app(PASSWORD_RESET_MAX_PER_IP=3)
    statuses = [ask(app.test_client(), f"n{n}@example.org").status_code for n in range(4)]
    assert statuses == [200, 200, 200, 429]


def test_without_a_mail_server_production_answers_the_same_and_logs(make_app, make_user,
                                                                    caplog, outbox):
    app = make_app(ENV="production")
    make_user(email="lea@example.org")
    with caplog.at_level(logging.ERROR, logger="lernmodul.mail"):
        known = ask(app.test_client(), "lea@example.org")
        unknown = ask(app.test_client(), "niemand@example.org")
    assert known.status_code == unknown.status_code == 200
    assert comparable(known.get_data(as_text=True)) == comparable(unknown.get_data(as_text=True))
    assert "password reset e-mails cannot be sent: MAIL_DEFAULT_SENDER is not set" in caplog.text
    assert not outbox.exists()


def test_the_login_page_links_to_the_form(client):
    html = client.get("/login").get_data(as_text=True)
    assert '<a href="/password/forgot">Passwort vergessen?</a>' in html


def test_the_pages_are_english_too(app, client, csrf_token):
    client.post("/language", data={"csrf_token": csrf_token(client), "language": "en",
                                   "next": "/"})
    assert "Forgot your password?" in client.get("/login").get_data(as_text=True)
    assert "<h1>Forgot your password?</h1>" in client.get("/password/forgot").get_data(
        as_text=True)
    answer = ask(client, "niemand@example.org").get_data(as_text=True)
    assert "<h1>Check your e-mail</h1>" in answer
    assert "This link is not valid" in client.get("/password/reset/forged").get_data(as_text=True)


def test_without_local_passwords_there_is_no_reset(make_app, make_user, csrf_token, outbox):
    app = make_app(LOCAL_PASSWORDS=False)
    make_user(email="lea@example.org")
    client = app.test_client()
    assert "/password/forgot" not in client.get("/login").get_data(as_text=True)
    assert client.get("/password/forgot").status_code == 404
    token = csrf_token(client)
    assert client.post("/password/forgot", data={"csrf_token": token,
                                                 "email": "lea@example.org"}).status_code == 404
    assert client.get("/password/reset/anything").status_code == 404
    assert not outbox.exists()


def test_an_administrator_still_sets_passwords(app, make_user, admin, post_form, login):
    user = make_user(email="lea@example.org")
    page = f"/admin/users/{user.id}"
    response = post_form(admin, page, {"password": NEW_PASSWORD},
                         action=f"/admin/users/{user.id}/password")
    assert response.status_code in (302, 303)
    assert login(app.test_client(), "lea@example.org", NEW_PASSWORD).status_code == 302


def test_production_sends_through_the_smtp_server(make_app, make_user, outbox):
    import socket

    from aiosmtpd.controller import Controller

    received: list[EmailMessage] = []

    class Keep:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            parsed = email.message_from_bytes(envelope.original_content or envelope.content,
                                              policy=policy.default)
            assert isinstance(parsed, EmailMessage)
            received.append(parsed)
            return "250 OK"

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(Keep(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        app = make_app(ENV="production", MAIL_SERVER="127.0.0.1", MAIL_PORT=port,
                       MAIL_USE_TLS=False, MAIL_DEFAULT_SENDER="lernmodul@behoerde.example")
        make_user(email="lea@example.org")
        ask(app.test_client(), "niemand@example.org")
        assert received == []
        ask(app.test_client(), "lea@example.org")
    finally:
        controller.stop()
    (message,) = received
    assert message["From"] == "lernmodul@behoerde.example"
    assert set_new(app.test_client(), link_in(message)).status_code == 303
    assert not outbox.exists()


@pytest.mark.parametrize("name", ["PASSWORD_RESET_TOKEN_MINUTES", "PASSWORD_RESET_MAX_PER_ACCOUNT"])
@pytest.mark.parametrize("value", [0, "60", True])
def test_a_bad_reset_setting_stops_the_start_with_one_line(make_app, name, value):
    with pytest.raises(RuntimeError, match=f"LERNMODUL_{name} must be a whole number"):
        make_app(**{name: value})


def test_one_link_used_at_once_from_four_browsers_sets_one_password(app, make_user, outbox,
                                                                   login):
    import threading
    from concurrent.futures import ThreadPoolExecutor

    make_user(email="lea@example.org")
    ask(app.test_client(), "lea@example.org")
    path = link_in(mails(outbox)[0])
    clients = [app.test_client() for _ in range(4)]
    tokens = [csrf_token_from(c.get(path).get_data(as_text=True)) for c in clients]
    start = threading.Barrier(len(clients))

    def use(n: int) -> int:
        password = f"{NEW_PASSWORD}-{n}"
        start.wait()
        return int(clients[n].post(path, data={"csrf_token": tokens[n], "new_password": password,
                                               "confirm_password": password}).status_code)

    with ThreadPoolExecutor(len(clients)) as pool:
        statuses = list(pool.map(use, range(len(clients))))
    assert sorted(statuses) == [303, 410, 410, 410]
    winner = statuses.index(303)
    for n in range(len(clients)):
        signed_in = login(app.test_client(), "lea@example.org", f"{NEW_PASSWORD}-{n}")
        assert signed_in.status_code == (302 if n == winner else 200)
