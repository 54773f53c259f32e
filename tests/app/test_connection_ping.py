"""Pooled connections are checked only after they were idle (db/engine.py `ping_after_idle`):
a connection the server closed meanwhile is replaced, one in steady use costs no round trip."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import create_engine, text

from lernmodul.db import engine as engine_module
from lernmodul.web.database import get_database


@pytest.fixture
def pings(app: Any, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the dialect's pings of the app's engine."""
    engine = get_database(app).engine
    calls: list[int] = []
    real = engine.dialect.do_ping

    def counting(dbapi_connection: Any) -> bool:
        calls.append(1)
        return bool(real(dbapi_connection))

    monkeypatch.setattr(engine.dialect, "do_ping", counting)
    return calls


def _later(monkeypatch: pytest.MonkeyPatch, seconds: float) -> None:
    now = engine_module.time.monotonic() + seconds
    monkeypatch.setattr(engine_module.time, "monotonic", lambda: now)


def test_a_connection_in_steady_use_is_not_pinged(app: Any, client: Any, pings: list[int]) -> None:
    for _ in range(5):
        assert client.get("/healthz").status_code == 200
    assert pings == []


def test_a_connection_the_server_closed_while_idle_is_replaced(
        app: Any, client: Any, pings: list[int], monkeypatch: pytest.MonkeyPatch) -> None:
    engine = get_database(app).engine
    assert client.get("/healthz").status_code == 200
    if engine.dialect.name == "sqlite":
        # a file: nothing to ping, nothing the server could close
        _later(monkeypatch, 3600)
        assert client.get("/healthz").status_code == 200
        assert pings == []
        return
    with engine.connect() as connection:  # the pooled connection the app uses next
        pid = connection.execute(text("SELECT pg_backend_pid()")).scalar_one()
    assert engine.pool.checkedin() == 1
    killer = create_engine(engine.url, isolation_level="AUTOCOMMIT")
    with killer.connect() as other:
        assert other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar_one()
    killer.dispose()
    _later(monkeypatch, app.config["DATABASE_PING_AFTER_IDLE_SECONDS"] + 1)
    assert client.get("/healthz").status_code == 200
    assert pings == [1]
    with engine.connect() as connection:
        assert connection.execute(text("SELECT pg_backend_pid()")).scalar_one() != pid


@pytest.mark.parametrize("threshold", [None, 5])
def test_statements_are_prepared_on_the_server_only_if_allowed(
        make_app: Any, threshold: int | None) -> None:
    """DATABASE_PREPARE_THRESHOLD = None (for a PgBouncer before 1.21): nothing prepared."""
    app = make_app(DATABASE_PREPARE_THRESHOLD=threshold)
    assert app.test_client().get("/healthz").status_code == 200
    engine = get_database(app).engine
    if engine.dialect.name == "sqlite":
        return  # a setting of the PostgreSQL driver; SQLite just works
    with engine.connect() as connection:
        for n in range(8):  # psycopg prepares after 5 runs of the same statement
            assert connection.execute(text("SELECT CAST(:n AS integer)"), {"n": n}).scalar() == n
        assert connection.connection.dbapi_connection.prepare_threshold == threshold
        prepared = connection.execute(text("SELECT count(*) FROM pg_prepared_statements")
                                      ).scalar_one()
    assert (prepared > 0) is (threshold is not None)
