"""The database at the request edge: one session and one transaction per request.

Views and helpers call `get_session()`. The transaction is committed once, after the
view returned a response below 400, and rolled back otherwise (an error page, an
exception).

GET/HEAD requests change nothing, so on SQLite they begin DEFERRED and do not queue behind
writers. A read transaction cannot become a write one on SQLite: the first write of a
DEFERRED transaction fails at once with "database is locked" when another connection writes,
whatever the busy timeout. So a read request's session refuses writes outright (in tests and
in production alike, on both databases), and the one thing a read request does write, the
audit row of a person-level view or download, goes through `record_audit`: its own short
write transaction, committed before the data is sent.

Every other request's transaction is phased (`db.engine.phased_engine`): it reads first
without any lock — the session and user look-ups, the course, the form, grading — and at its
first write (an INSERT, UPDATE or DELETE, a flush, a savepoint, a locking read) the read
transaction ends and a write transaction begins on the same connection: BEGIN IMMEDIATE on
SQLite, which waits for the write lock; PostgreSQL takes its row locks at the write. So the
write lock is held only from the first write to the commit. Whatever a write depends on is
checked again inside it (conditional UPDATEs on the state as read, unique keys, counts after
the insert); the services say where.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from flask import Flask, Response, abort, current_app, g, has_request_context, request
from sqlalchemy import Engine, event
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import ORMExecuteState, Session, sessionmaker

from lernmodul.db.engine import (
    make_engine,
    make_session_factory,
    phased_engine,
    read_only_engine,
    session_scope,
)
from lernmodul.db.models import utcnow
from lernmodul.services.audit import record_event

EXTENSION_KEY = "lernmodul.db"
_Refusing = TypeVar("_Refusing", Session, "sessionmaker[Session]")
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass
class Database:
    engine: Engine
    #: write sessions (commands, own short transactions): on SQLite BEGIN IMMEDIATE at once
    sessions: sessionmaker[Session]
    read_sessions: sessionmaker[Session]
    #: the engine of a write request's session: a read phase, then the write (phased_engine)
    request_engine: Engine
    #: read sessions of GET/HEAD requests: they refuse writes (listeners set once, here)
    request_read_sessions: sessionmaker[Session]


def init_app(app: Flask) -> None:
    engine = make_engine(app.config["DATABASE_URL"],
                         ping_after_idle=app.config["DATABASE_PING_AFTER_IDLE_SECONDS"],
                         prepare_threshold=app.config["DATABASE_PREPARE_THRESHOLD"])
    reading = read_only_engine(engine)
    app.extensions[EXTENSION_KEY] = Database(
        engine=engine,
        sessions=make_session_factory(engine),
        read_sessions=make_session_factory(reading),
        request_engine=phased_engine(engine),
        request_read_sessions=refuse_writes(make_session_factory(reading)),
    )
    app.after_request(_finish_transaction)
    app.teardown_appcontext(_close_session)


def get_database(app: Flask | None = None) -> Database:
    database: Database = (app or current_app).extensions[EXTENSION_KEY]
    return database


def get_session() -> Session:
    """The request's session (created on first use)."""
    if "db_session" not in g:
        database = get_database()
        if request.method in SAFE_METHODS:
            g.db_session = database.request_read_sessions()
        else:
            # the write session factory (its listeners apply), on the phased engine
            g.db_session = database.sessions(bind=database.request_engine)
    session: Session = g.db_session
    return session


def refuse_writes(target: _Refusing) -> _Refusing:
    """Makes the session (or every session of the factory) `target` raise `ReadRequestWrite`
    on any flush with changes and on any INSERT, UPDATE or DELETE; returns it."""
    event.listen(target, "before_flush", _refuse_flush)
    event.listen(target, "do_orm_execute", _refuse_statement)
    return target


class ReadRequestWrite(RuntimeError):
    """A GET/HEAD request tried to write through the request's read session."""


def _refuse_write() -> None:
    where = f"{request.method} {request.path}" if has_request_context() else "a read session"
    raise ReadRequestWrite(f"{where} tried to write in its read transaction")


def _refuse_flush(session: Session, _context: Any, _instances: Any) -> None:
    if session.new or session.dirty or session.deleted:
        _refuse_write()


def _refuse_statement(state: ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        _refuse_write()


def record_audit(*, action: str, actor_id: int | None, target: str | None = None,
                 detail: dict[str, Any] | None = None, at: datetime | None = None) -> None:
    """Writes an audit row for this request. A write request adds it to its own transaction;
    a read request commits it at once in a short write transaction of its own (on SQLite it
    waits for the write lock like any writer), so the row exists before the data goes out.
    If that write cannot be made, the request ends with 503 and sends nothing."""
    fields: dict[str, Any] = {"action": action, "at": at or utcnow(), "actor_id": actor_id,
                              "target": target, "detail": detail}
    if request.method not in SAFE_METHODS:
        record_event(get_session(), **fields)
        return
    try:
        with session_scope(get_database().sessions) as session:
            record_event(session, **fields)
    except OperationalError:
        current_app.logger.exception("audit row of %s %s not written", request.method,
                                     request.path)
        abort(503)


def _finish_transaction(response: Response) -> Response:
    session: Session | None = g.get("db_session")
    if session is not None:
        if response.status_code < 400:
            session.commit()  # a failure here becomes the 500 page, not a lost write
        else:
            session.rollback()
    return response


def _close_session(_exc: BaseException | None) -> None:
    session: Session | None = g.pop("db_session", None)
    if session is not None:
        session.rollback()
        session.close()
