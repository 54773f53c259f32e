"""The ceilings for bench/http.py: bare Flask routes under the same gunicorn settings.

- GET /page renders a template of a given size (BARE_PAGE_BYTES) with Flask's
  render_template (compiled once and cached): what Flask + Jinja + gunicorn cost on this
  machine without any of lernmodul's work (no database, no session, no course).
- POST /write does one small transaction in lernmodul's database (BARE_DATABASE_URL, the
  same engine settings as the app: SQLite's BEGIN IMMEDIATE, WAL and busy timeout, or
  PostgreSQL): read a row, update it, insert a row. The floor of any write request.
- GET /signed-in renders the same page for a signed-in visitor: Flask's signed session cookie
  names a row, which is read by its primary key (what any page must do at least to check a
  session against the database, as lernmodul does for logout and deactivation to take
  effect at once). The floor of any signed-in page; GET /sign-in sets the cookie.
"""

from __future__ import annotations

import os
import random
from datetime import UTC, datetime

from flask import Flask, abort, render_template, session
from jinja2 import DictLoader
from sqlalchemy import (
    Column,
    DateTime,
    Engine,
    Integer,
    MetaData,
    Table,
    insert,
    select,
    update,
)

PAGE = """<!doctype html><html lang="de"><head><title>{{ title }}</title></head>
<body><main>{% for p in paragraphs %}<p>{{ p }}</p>{% endfor %}</main></body></html>"""
ROWS = 10_000

metadata = MetaData()
counters = Table("bench_counters", metadata, Column("id", Integer, primary_key=True),
                 Column("value", Integer, nullable=False))
events = Table("bench_events", metadata, Column("id", Integer, primary_key=True),
               Column("counter_id", Integer, nullable=False),
               Column("value", Integer, nullable=False),
               Column("at", DateTime(timezone=True), nullable=False))


def engine_for(url: str) -> Engine:
    """An engine with lernmodul's settings (lernmodul.db.engine, as the app makes it)."""
    from lernmodul.db.engine import make_engine

    return make_engine(url, pool_pre_ping=True)


def create_tables(url: str) -> None:
    """Creates the two tables of the write route with ROWS counters (before gunicorn starts)."""
    engine = engine_for(url)
    metadata.drop_all(engine)
    metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(insert(counters), [{"id": n, "value": 0} for n in range(1, ROWS + 1)])
    engine.dispose()


def count_events(url: str) -> int:
    """Rows the write route inserted."""
    from sqlalchemy import func

    engine = engine_for(url)
    with engine.connect() as conn:
        found = conn.execute(select(func.count()).select_from(events)).scalar_one()
    engine.dispose()
    return int(found)


def create_app() -> Flask:
    """The bare app; the write route only when BARE_DATABASE_URL is set."""
    app = Flask(__name__)
    app.secret_key = "bench-only"  # nosec B105 - a loopback benchmark's own cookie
    app.config["SESSION_COOKIE_NAME"] = "lernmodul_session"  # the name the client keeps
    # Flask's render_template with a loader: compiled once, then cached, as an app's templates
    # are (render_template_string would compile the template on every request)
    app.jinja_loader = DictLoader({"page.html": PAGE})  # type: ignore[assignment]
    size = int(os.environ.get("BARE_PAGE_BYTES", "20000"))
    paragraph = "Bedrohungsmanagement schützt Menschen, bevor etwas passiert. " * 4
    paragraphs = [paragraph] * max(1, size // (len(paragraph.encode()) + 7))

    @app.route("/page")
    def page() -> str:
        return render_template("page.html", title="Einheit", paragraphs=paragraphs)

    url = os.environ.get("BARE_DATABASE_URL")
    if url:
        engine = engine_for(url)

        @app.post("/write")
        def write() -> str:
            key = random.randint(1, ROWS)  # nosec B311 - spreads the rows, no secret
            with engine.begin() as conn:
                value = conn.execute(select(counters.c.value)
                                     .where(counters.c.id == key)).scalar_one()
                conn.execute(update(counters).where(counters.c.id == key)
                             .values(value=value + 1))
                conn.execute(insert(events).values(counter_id=key, value=value + 1,
                                                   at=datetime.now(UTC)))
            return "ok"

        @app.route("/sign-in")
        def sign_in() -> str:
            session["row"] = random.randint(1, ROWS)  # nosec B311 - no secret
            return "ok"

        @app.route("/signed-in")
        def signed_in() -> str:
            key = session.get("row")
            if not isinstance(key, int):
                abort(401)
            with engine.connect() as conn:
                value = conn.execute(select(counters.c.value)
                                     .where(counters.c.id == key)).scalar_one_or_none()
            if value is None:
                abort(401)
            return render_template("page.html", title="Einheit", paragraphs=paragraphs)

    return app
