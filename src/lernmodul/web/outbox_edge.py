"""The outbox at the web edge: the senders, and one attempt right after a request's commit.

A request that queued deliveries (a completed course, a finished exam) gets one attempt at
sending them as soon as its transaction has committed: a background thread, started by an
after_request function that runs after the database's commit (it is registered before the
database, and Flask runs them in reverse order), sends just those rows with a short timeout, so the learner's
response neither waits for the platform nor depends on it. A failure there only leaves the
row pending for `lernmodul outbox deliver`; a worker that stops meanwhile leaves it claimed
until its lease runs out, and the next run sends it."""

from __future__ import annotations

import logging
import threading
from typing import Any

from flask import Flask, Response, current_app, g

from lernmodul.lti.ags import SESSIONS_KEY
from lernmodul.outbox import ENQUEUED_KEY, deliver_due, register_sender
from lernmodul.web.database import get_database

logger = logging.getLogger("lernmodul.outbox")


def register_senders() -> None:
    """Registers the sender of every delivery kind this installation sends."""
    from lernmodul.lti.ags import KIND as AGS_KIND
    from lernmodul.lti.ags import send_score

    register_sender(AGS_KIND, send_score)


def init_app(app: Flask) -> None:
    """Call before `database.init_app`: the attempt must run after the request's commit."""
    register_senders()
    app.after_request(_deliver_after_response)


def sender_config(app: Flask) -> dict[str, Any]:
    """The mapping the senders get: the app's settings, its instance folder and sessions."""
    return {**app.config, "INSTANCE_PATH": app.instance_path,
            SESSIONS_KEY: get_database(app).sessions}


def _deliver_after_response(response: Response) -> Response:
    session = g.get("db_session")
    queued = session.info.pop(ENQUEUED_KEY, None) if session is not None else None
    if not queued or response.status_code >= 400 or not current_app.config.get(
            "OUTBOX_DELIVER_AFTER_REQUEST", True):
        return response
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    config = sender_config(app)
    config["OUTBOX_SEND_TIMEOUT_SECONDS"] = config.get("OUTBOX_AFTER_REQUEST_TIMEOUT_SECONDS", 3)
    factory = get_database(app).sessions

    def deliver() -> None:
        try:
            deliver_due(factory, config=config, only=list(queued), limit=len(queued))
        except Exception:  # best effort: `lernmodul outbox deliver` tries again
            logger.exception("delivery after the request failed; left for the next run")

    # the request's transaction is committed by now (status < 400): the rows are there
    threading.Thread(target=deliver, name="outbox-after-request", daemon=True).start()
    return response
