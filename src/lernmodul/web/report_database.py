"""Where HR reports and exports read: `DATABASE_REPORT_URL` when set, else the database.

A large authority points `DATABASE_REPORT_URL` at a streaming replica of its PostgreSQL
primary, so that the HR dashboard, the person lists and the exports of whole organisations
never load the primary that learners write to. A replica lags by a moment: HR sees figures of
a second ago. What decides who may see what (the HR person's roles and scope) and every write
(the audit row of a person list or export) still goes to the primary, through the request's
own session. The report session refuses writes like every read session.
"""

from __future__ import annotations

from flask import Flask, current_app, g
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from lernmodul.db.engine import make_engine, make_session_factory, read_only_engine
from lernmodul.web.database import get_database, get_session, refuse_writes

EXTENSION_KEY = "lernmodul.report_db"
ENGINE_KEY = "lernmodul.report_db.engine"


def init_app(app: Flask) -> None:
    url = app.config.get("DATABASE_REPORT_URL")
    engine = None if not url else make_engine(
        url, ping_after_idle=app.config["DATABASE_PING_AFTER_IDLE_SECONDS"],
        prepare_threshold=app.config["DATABASE_PREPARE_THRESHOLD"])
    app.extensions[ENGINE_KEY] = engine
    app.extensions[EXTENSION_KEY] = (None if engine is None
                                     else make_session_factory(read_only_engine(engine)))
    app.teardown_appcontext(_close_report_session)


def report_sessions(app: Flask | None = None) -> sessionmaker[Session]:
    """Read sessions on the report database (for a body streamed after the request)."""
    factory: sessionmaker[Session] | None = (app or current_app).extensions[EXTENSION_KEY]
    return factory if factory is not None else get_database(app).read_sessions


def get_report_session() -> Session:
    """The request's session on the report database: the request's own session when no
    report database is set."""
    factory: sessionmaker[Session] | None = current_app.extensions[EXTENSION_KEY]
    if factory is None:
        return get_session()
    if "report_session" not in g:
        g.report_session = refuse_writes(factory())
    session: Session = g.report_session
    return session


def dispose(app: Flask) -> None:
    """Closes the report database's pooled connections (tests, shutdown)."""
    engine: Engine | None = app.extensions.get(ENGINE_KEY)
    if engine is not None:
        engine.dispose()


def _close_report_session(_exc: BaseException | None) -> None:
    session: Session | None = g.pop("report_session", None)
    if session is not None:
        session.rollback()
        session.close()
