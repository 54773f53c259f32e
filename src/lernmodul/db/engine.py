"""Engines and sessions: SQLite (WAL, busy timeout, foreign keys, BEGIN IMMEDIATE, phased
transactions), PostgreSQL."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, Select, create_engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, ExecutionContext
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session, sessionmaker

SQLITE_BUSY_TIMEOUT_MS = 10_000

# Execution option read by the SQLite "begin" listener. A deferred transaction that
# reads and then writes fails at once with "database is locked" under WAL, so writes
# start with BEGIN IMMEDIATE; read-only requests (GET) may opt into DEFERRED so that
# readers do not queue behind each other.
SQLITE_BEGIN_OPTION = "lernmodul_sqlite_begin"
# The begin mode of a phased transaction (see `phased_engine`).
PHASED = "PHASED"
# Connection.info key: "read" while a phased transaction is in its read phase, "write" after.
PHASE_KEY = "lernmodul.phase"
READ_PHASE = "read"
WRITE_PHASE = "write"
# Statements that end the read phase. SAVEPOINT too: every savepoint here guards a write (an
# insert that may meet a unique key), and a savepoint cannot outlive the read transaction.
_WRITE_FLAGS = ("isinsert", "isupdate", "isdelete")  # of a compiled statement (also WITH …)
_WRITE_SQL = re.compile(r"\s*(INSERT|UPDATE|DELETE|REPLACE|SAVEPOINT)\b", re.IGNORECASE)


PSYCOPG_PREPARE_THRESHOLD = 5  # psycopg's own default


def make_engine(url: str, *, ping_after_idle: float | None = None,
                prepare_threshold: int | None = PSYCOPG_PREPARE_THRESHOLD,
                **kwargs: Any) -> Engine:
    """Creates an engine; for SQLite it installs the pragmas and the BEGIN IMMEDIATE rule.

    `ping_after_idle` (seconds, server databases only): a pooled connection that has been idle
    for longer is checked with a round trip before use and replaced if the server has closed
    it. Unlike `pool_pre_ping`, a connection in steady use costs no extra round trip.
    `prepare_threshold` (PostgreSQL): psycopg prepares a statement on the server after that
    many runs; None never prepares (a PgBouncer before 1.21 in transaction mode needs that)."""
    if prepare_threshold != PSYCOPG_PREPARE_THRESHOLD and url.startswith("postgresql"):
        kwargs["connect_args"] = {**kwargs.get("connect_args", {}),
                                  "prepare_threshold": prepare_threshold}
    engine = create_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        _configure_sqlite(engine)
    elif ping_after_idle is not None:
        _ping_after_idle(engine, ping_after_idle)
    return engine


IDLE_SINCE = "lernmodul_idle_since"


def _ping_after_idle(engine: Engine, seconds: float) -> None:
    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info[IDLE_SINCE] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get(IDLE_SINCE)
        if since is None or time.monotonic() - since <= seconds:
            return  # new, or in steady use
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            # the pool discards this connection and checks out another one
            raise DisconnectionError(str(error)) from error


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from the sqlite3 module: SQLAlchemy's "begin"
        # event below emits the BEGIN itself.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        mode = conn.get_execution_options().get(SQLITE_BEGIN_OPTION, "IMMEDIATE")
        if mode not in {"IMMEDIATE", "DEFERRED", "EXCLUSIVE", PHASED}:
            raise ValueError(f"unknown SQLite begin mode {mode!r}")
        conn.exec_driver_sql(f"BEGIN {'DEFERRED' if mode == PHASED else mode}")
        conn.info[PHASE_KEY] = READ_PHASE if mode == PHASED else None

    @event.listens_for(engine, "before_execute")
    def _on_execute(conn: Connection, clause: Any, _multi: Any, _params: Any,
                    _options: Any) -> None:
        # SQLite renders no FOR UPDATE: a locking read is a write's first step, so it takes
        # the write lock instead
        if (conn.info.get(PHASE_KEY) == READ_PHASE and isinstance(clause, Select)
                and clause._for_update_arg is not None):
            _begin_write(conn)

    @event.listens_for(engine, "before_cursor_execute")
    def _on_cursor_execute(conn: Connection, _cursor: Any, statement: str, _parameters: Any,
                           context: ExecutionContext | None, _executemany: bool) -> None:
        if conn.info.get(PHASE_KEY) != READ_PHASE:
            return
        compiled = getattr(context, "compiled", None)
        if any(getattr(compiled, flag, False) for flag in _WRITE_FLAGS) or _WRITE_SQL.match(
                statement):
            _begin_write(conn)


def _begin_write(conn: Connection) -> None:
    """Ends the read phase of a phased SQLite transaction and begins its write transaction on
    the same connection: BEGIN IMMEDIATE, which waits for the write lock (busy timeout). The
    session's loaded objects stay as they are. If the lock cannot be had, the error is raised
    and the next write tries again."""
    conn.info[PHASE_KEY] = None  # the listeners do not take the two statements below for writes
    try:
        if conn.connection.dbapi_connection.in_transaction:  # type: ignore[union-attr]
            conn.exec_driver_sql("COMMIT")  # a read transaction: nothing to keep or lose
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    except BaseException:
        conn.info[PHASE_KEY] = READ_PHASE
        raise
    conn.info[PHASE_KEY] = WRITE_PHASE


def read_only_engine(engine: Engine) -> Engine:
    """The same engine (and pool) whose SQLite transactions begin DEFERRED, for reads."""
    if engine.dialect.name != "sqlite":
        return engine
    return engine.execution_options(**{SQLITE_BEGIN_OPTION: "DEFERRED"})


def phased_engine(engine: Engine) -> Engine:
    """The same engine (and pool) whose SQLite transactions begin with a read phase
    (DEFERRED: no lock, readers and one writer at once) and turn into a write transaction at
    their first write — INSERT, UPDATE, DELETE, a SAVEPOINT or a locking read — by ending the
    read transaction and beginning IMMEDIATE on the same connection. What was read before
    may have changed by then: whatever a write depends on is checked again in the write (a
    conditional UPDATE, a unique key, a count after the insert). PostgreSQL needs no phases:
    its reads take no locks, and a write's row locks are taken at the write."""
    if engine.dialect.name != "sqlite":
        return engine
    return engine.execution_options(**{SQLITE_BEGIN_OPTION: PHASED})


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions bound to the engine; objects stay readable after the edge commits."""
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One transaction for a command: commit on success, roll back on error."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def on_conflict_insert(session: Session, table: Any) -> postgresql.Insert | sqlite.Insert:
    """An INSERT of the session's database that takes ON CONFLICT clauses (SQLite and
    PostgreSQL spell them alike)."""
    return on_conflict_insert_for(session.get_bind().dialect.name, table)


def on_conflict_insert_for(dialect: str, table: Any) -> postgresql.Insert | sqlite.Insert:
    """on_conflict_insert for a database kind by its dialect name (for statements built once
    and kept)."""
    if dialect == "postgresql":
        return postgresql.insert(table)
    if dialect == "sqlite":
        return sqlite.insert(table)
    raise RuntimeError(f"unsupported database {dialect}")  # pragma: no cover - only these two
