"""The database at the request edge: one session and one transaction per request.

Views and helpers call `get_session()`. The transaction is committed once, after the
view returned a response below 400, and rolled back otherwise (an error page, an
exception). GET/HEAD requests change nothing, so on SQLite they begin DEFERRED and do
not queue behind writers; every other method begins IMMEDIATE.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, Response, current_app, g, request
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from lernmodul.db.engine import make_engine, make_session_factory, read_only_engine

EXTENSION_KEY = "lernmodul.db"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass
class Database:
    engine: Engine
    sessions: sessionmaker[Session]
    read_sessions: sessionmaker[Session]


def init_app(app: Flask) -> None:
    engine = make_engine(app.config["DATABASE_URL"], pool_pre_ping=True)
    app.extensions[EXTENSION_KEY] = Database(
        engine=engine,
        sessions=make_session_factory(engine),
        read_sessions=make_session_factory(read_only_engine(engine)),
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
        factory = database.read_sessions if request.method in SAFE_METHODS else database.sessions
        g.db_session = factory()
    session: Session = g.db_session
    return session


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
