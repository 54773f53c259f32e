"""`/healthz` for load balancers and monitoring: database reachable, migrations current.

Public and anonymous: the answer names only what is wrong (never an error text, host name
or anything personal), reads no session and sets no cookie.
"""

from __future__ import annotations

import logging

from flask import jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.wrappers import Response

from lernmodul.db import migrate
from lernmodul.ops import schema
from lernmodul.web.database import get_database

logger = logging.getLogger("lernmodul.web")

_HEAD: list[str | None] = []  # the newest shipped revision, read once per process


def head_revision() -> str | None:
    if not _HEAD:
        _HEAD.append(migrate.head_revision())
    return _HEAD[0]


def healthz() -> tuple[Response, int]:
    state = {"database": "ok", "migrations": "unknown"}
    try:
        with get_database().engine.connect() as connection:
            connection.execute(text("SELECT 1"))
            current = schema.current_revision_on(connection)
    except SQLAlchemyError as error:
        logger.warning("health check: database unreachable (%s)", type(error).__name__)
        state["database"] = "unreachable"
        return _answer(state, 503)
    state["migrations"] = schema.migration_state(current, head_revision())
    return _answer(state, 200 if state["migrations"] == "current" else 503)


def _answer(state: dict[str, str], status: int) -> tuple[Response, int]:
    response = jsonify(state)
    response.headers["Cache-Control"] = "no-store"
    return response, status
