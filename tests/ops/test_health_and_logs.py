"""/healthz (database and migration state, no personal data) and JSON logs (E3, A5)."""

from __future__ import annotations

import io
import json
import logging
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from lernmodul.db import migrate
from lernmodul.web.logs import JSONFormatter, pseudonymise_emails

JSON_KEYS = {"time", "level", "logger", "message", "request_id", "user_id"}


def test_healthz_reports_ok_and_current_without_login_or_cookie(client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"database": "ok", "migrations": "current"}
    assert "Set-Cookie" not in response.headers
    assert response.headers["Cache-Control"] == "no-store"


def test_healthz_answers_a_signed_in_learner_the_same_and_changes_no_cookie(client, make_user, login):
    make_user(email="lea@example.org", name="Lea Lernende")
    assert login(client, "lea@example.org").status_code == 302
    response = client.get("/healthz")
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
    body = response.get_data(as_text=True)
    assert "lea" not in body.lower()


def test_healthz_names_a_database_behind_the_code(make_app, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    engine = create_engine(url)
    migrate.upgrade(engine, migrate_first_revision())
    engine.dispose()
    response = make_app(DATABASE_URL=url).test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"database": "ok", "migrations": "behind"}


def migrate_first_revision() -> str:
    from lernmodul.ops.schema import revisions_in_order

    return revisions_in_order()[0]


def test_healthz_names_a_revision_this_code_does_not_ship(make_app, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'newer.sqlite'}"
    engine = create_engine(url)
    migrate.upgrade(engine)
    with engine.begin() as connection:
        connection.exec_driver_sql("UPDATE alembic_version SET version_num = 'f00dfeed'")
    engine.dispose()
    response = make_app(DATABASE_URL=url).test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"database": "ok", "migrations": "unknown"}


def test_healthz_names_an_unreachable_database_without_details(make_app) -> None:
    url = "postgresql+psycopg://secretuser:secretpw@127.0.0.1:1/nodb?connect_timeout=2"
    response = make_app(DATABASE_URL=url).test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"database": "unreachable", "migrations": "unknown"}
    assert "secret" not in response.get_data(as_text=True)


def _json_lines(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


@pytest.fixture
def json_log():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JSONFormatter())
    logger = logging.getLogger("lernmodul")
    logger.addHandler(handler)
    old_level = logger.level
    logger.setLevel(logging.INFO)
    try:
        yield stream
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)


def test_json_log_lines_carry_request_and_user_ids_but_no_names_or_addresses(
        client, make_user, login, json_log) -> None:
    user = make_user(email="lea.lernende@example.org", name="Lea Lernende")
    failed = login(client, "Lea.Lernende@example.org", "wrong-password-123")
    assert failed.status_code == 200
    ok = login(client, "lea.lernende@example.org")
    assert ok.status_code == 302
    lines = _json_lines(json_log)
    assert lines, "nothing logged"
    for entry in lines:
        assert set(entry) == JSON_KEYS
        assert entry["time"].endswith("Z")
    output = json_log.getvalue()
    assert "lernende" not in output.lower()
    assert "example.org" not in output
    failure = next(e for e in lines if e["message"].startswith("login.failure"))
    assert failure["logger"] == "lernmodul.security"
    assert failure["level"] == "INFO"
    assert failure["request_id"] == failed.headers["X-Request-ID"]
    assert failure["user_id"] is None
    # the same address gives the same pseudonym, whatever its case
    assert pseudonymise_emails("lea.lernende@example.org") in failure["message"]
    success = next(e for e in lines if e["message"].startswith("login.success"))
    assert success["user_id"] == user.id
    assert success["request_id"] == ok.headers["X-Request-ID"]


def test_json_log_of_an_unexpected_error_keeps_the_trace_in_the_log_only(
        app, client, make_user, login, json_log) -> None:
    @app.get("/test-only-failure")
    def _fail() -> str:
        raise ValueError("boom for max@example.org")

    from lernmodul.web.access import ACCESS_ATTRIBUTE
    setattr(app.view_functions["_fail"], ACCESS_ATTRIBUTE, "authenticated")
    user = make_user(email="max@example.org", name="Max Muster")
    login(client, "max@example.org")
    response = client.get("/test-only-failure")
    assert response.status_code == 500
    assert "boom" not in response.get_data(as_text=True)
    entry = next(e for e in _json_lines(json_log) if e["level"] == "ERROR")
    assert entry["user_id"] == user.id
    assert entry["request_id"] == response.headers["X-Request-ID"]
    assert "max@example.org" not in json_log.getvalue()


def test_log_format_json_installs_the_json_formatter_on_stderr(app_config, capsys) -> None:
    from lernmodul.web import create_app

    logger = logging.getLogger("lernmodul")
    before = list(logger.handlers)
    for handler in before:
        logger.removeHandler(handler)
    try:
        create_app({**app_config, "TESTING": False, "LOG_FORMAT": "json"})
        added = [h for h in logger.handlers if h not in before]
        assert len(added) == 1 and isinstance(added[0].formatter, JSONFormatter)
        logging.getLogger("lernmodul.ops").info("retention done user_id=7")
        entry = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
        assert entry["message"] == "retention done user_id=7" and entry["user_id"] == 7
        assert entry["request_id"] is None
    finally:
        for handler in list(logger.handlers):
            logger.removeHandler(handler)
        for handler in before:
            logger.addHandler(handler)


@pytest.mark.parametrize(("name", "value", "message"), [
    ("LOG_FORMAT", "xml", "LOG_FORMAT must be text or json"),
    ("RETENTION_DAYS", 0, "RETENTION_DAYS must be a whole number of at least 1"),
    ("RETENTION_DAYS", "a year", "RETENTION_DAYS must be a whole number"),
    ("LOGIN_ACCOUNT_BLOCK_AFTER", 101, "LOGIN_ACCOUNT_BLOCK_AFTER must be at most 100"),
    ("LOGIN_ACCOUNT_DELAY_AFTER", 0, "LOGIN_ACCOUNT_DELAY_AFTER must be a whole number of at least 1"),
    ("LOGIN_MAX_FAILURES_PER_ACCOUNT", 5, "LOGIN_MAX_FAILURES_PER_ACCOUNT no longer exists"),
])
def test_bad_operations_settings_are_refused_with_a_clear_message(app_config, name, value, message):
    from lernmodul.web import create_app

    with pytest.raises(RuntimeError, match=message):
        create_app({**app_config, name: value})
