"""A3: the failed-login limit is stored in the database and holds across workers."""

from __future__ import annotations

import http.cookiejar
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from freezegun import freeze_time

from lernmodul.db.models import LoginThrottle

BLOCKED_MESSAGE = "Zu viele fehlgeschlagene Anmeldeversuche"


def test_sixth_failure_within_15_minutes_gets_429_even_with_the_right_password(client, make_user, login):
    make_user(email="lea@example.org")
    for _ in range(5):
        assert login(client, "lea@example.org", "wrong-password-123").status_code == 200
    response = login(client, "lea@example.org")  # correct password, but blocked
    assert response.status_code == 429
    assert BLOCKED_MESSAGE in response.get_data(as_text=True)
    assert 0 < int(response.headers["Retry-After"]) <= 15 * 60
    assert client.get("/").status_code == 302


def test_limit_is_shared_by_two_app_instances_on_one_database(make_app, make_user, login):
    first, second = make_app(), make_app()
    make_user(email="lea@example.org")
    clients = [first.test_client(), second.test_client()]
    statuses = [login(clients[n % 2], "lea@example.org", "wrong-password-123").status_code for n in range(7)]
    assert statuses == [200] * 5 + [429] * 2


def test_block_ends_after_the_window(client, make_user, login):
    make_user(email="lea@example.org")
    with freeze_time(datetime(2025, 5, 5, 9, 0, tzinfo=UTC)) as frozen:
        for _ in range(5):
            login(client, "lea@example.org", "wrong-password-123")
        assert login(client, "lea@example.org").status_code == 429
        frozen.tick(timedelta(minutes=16))
        assert login(client, "lea@example.org").status_code == 302


def test_success_clears_the_account_counter(client, make_user, login, db_session):
    user = make_user(email="lea@example.org")
    for _ in range(4):
        login(client, "lea@example.org", "wrong-password-123")
    assert login(client, "lea@example.org").status_code == 302
    row = db_session.get(LoginThrottle, f"user:{user.id}")
    assert row.failures == 0


def test_per_ip_limit_covers_guessing_across_accounts(make_app, make_user, login):
    app = make_app(LOGIN_MAX_FAILURES_PER_IP=3)
    for n in range(4):
        make_user(email=f"u{n}@example.org")
    client = app.test_client()
    statuses = [login(client, f"u{n}@example.org", "wrong-password-123").status_code for n in range(4)]
    assert statuses == [200, 200, 200, 429]


def test_concurrent_attempts_on_two_instances_cannot_pass_the_limit(make_app, make_user, login):
    apps = [make_app(), make_app()]
    make_user(email="lea@example.org")
    results: list[int] = []
    lock = threading.Lock()

    def attempt(n: int) -> None:
        client = apps[n % 2].test_client()
        status = login(client, "lea@example.org", "wrong-password-123").status_code
        with lock:
            results.append(status)

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert Counter(results) == {200: 5, 429: 7}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _attempt_over_http(base: str, email: str, password: str) -> int:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(base + "/login", timeout=30).read().decode()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    data = urllib.parse.urlencode({"csrf_token": token, "login": email, "password": password})
    try:
        return opener.open(base + "/login", data=data.encode(), timeout=30).status
    except urllib.error.HTTPError as error:
        return error.code


def test_limit_holds_across_four_gunicorn_workers(app_config, make_user, database_url, tmp_path: Path):
    make_user(email="lea@example.org")
    port = _free_port()
    env = {
        "PATH": "/usr/bin:/bin",
        "LERNMODUL_DATABASE_URL": database_url,
        "LERNMODUL_INSTANCE_PATH": str(tmp_path / "gunicorn-instance"),
        "LERNMODUL_SECRET_KEY": "gunicorn-test-secret",
        "LERNMODUL_SESSION_COOKIE_SECURE": "false",
        "LERNMODUL_PASSWORD_HASH_TIME_COST": "1",
        "LERNMODUL_PASSWORD_HASH_MEMORY_COST": "8",
        "LERNMODUL_PASSWORD_HASH_PARALLELISM": "1",
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--workers",
            "4",
            "--bind",
            f"127.0.0.1:{port}",
            "lernmodul.web:create_app()",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(base + "/health", timeout=2)
                break
            except OSError:
                assert server.poll() is None, server.stderr.read().decode()
                assert time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.2)
        results: list[int] = []
        lock = threading.Lock()

        def attempts() -> None:
            for _ in range(5):
                status = _attempt_over_http(base, "lea@example.org", "wrong-password-123")
                with lock:
                    results.append(status)

        threads = [threading.Thread(target=attempts) for _ in range(4)]  # 4 x limit
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert Counter(results) == {200: 5, 429: 15}
    finally:
        server.terminate()
        server.wait(timeout=15)


def test_behind_a_trusted_proxy_the_client_address_counts(make_app, make_user, csrf_token, db_session):
    app = make_app(PROXY_FIX_X_FOR=1, PROXY_FIX_X_PROTO=1)
    make_user(email="lea@example.org")
    client = app.test_client()
    headers = {"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"}
    page = client.get("/login", headers=headers)
    assert page.headers["Strict-Transport-Security"].startswith("max-age=")
    token = csrf_token(client, "/login")
    data = {"csrf_token": token, "login": "lea@example.org", "password": "wrong-password-123"}
    # Over https Flask-WTF also checks the Referer (sent same-origin by our Referrer-Policy).
    response = client.post("/login", data=data, headers={**headers, "Referer": "https://localhost/login"})
    assert response.status_code == 200
    assert db_session.get(LoginThrottle, "ip:203.0.113.7").failures == 1
    assert db_session.get(LoginThrottle, "ip:127.0.0.1") is None


def test_email_and_personnel_number_count_against_one_account(client, make_user, login,
                                                              db_session):
    user = make_user(email="lea@example.org", personnel_number="1001")
    statuses = [login(client, who, "wrong-password-123").status_code
                for who in ("lea@example.org", "1001", " LEA@example.org ", "1001 ",
                            "lea@EXAMPLE.org")]
    assert statuses == [200] * 5
    for who in ("1001", "lea@example.org"):  # the right password, by either name
        assert login(client, who).status_code == 429
    assert db_session.get(LoginThrottle, f"user:{user.id}").failures == 5
    assert db_session.get(LoginThrottle, "account:lea@example.org") is None
    assert db_session.get(LoginThrottle, "account:1001") is None


def test_another_account_is_not_blocked_by_a_neighbours_failures(client, make_user, login):
    make_user(email="lea@example.org", personnel_number="1001")
    make_user(email="otto@example.org", personnel_number="1002")
    for _ in range(5):
        login(client, "1001", "wrong-password-123")
    assert login(client, "1001").status_code == 429
    assert login(client.application.test_client(), "1002").status_code == 302


def test_unknown_names_are_still_counted_per_name(client, login):
    statuses = [login(client, "nobody@example.org", "wrong-password-123").status_code
                for _ in range(6)]
    assert statuses == [200] * 5 + [429]  # the same as for an existing account
    assert login(client, "someone-else@example.org", "wrong-password-123").status_code == 200


def test_the_per_ip_limit_still_counts_every_name(make_app, make_user, login):
    app = make_app(LOGIN_MAX_FAILURES_PER_IP=4)
    make_user(email="lea@example.org", personnel_number="1001")
    client = app.test_client()
    statuses = [login(client, who, "wrong-password-123").status_code
                for who in ("lea@example.org", "1001", "x@example.org", "9999", "1001")]
    assert statuses == [200, 200, 200, 200, 429]
