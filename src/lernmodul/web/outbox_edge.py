"""The outbox at the web edge: the senders, and one attempt right after a request's commit.

A request that queued deliveries (a completed course, a finished exam) gets one attempt at
sending them after its response has gone out (`call_on_close`: the learner does not wait),
with a short timeout. A failure there only leaves the row pending for `lernmodul outbox
deliver`; it never changes the learner's response."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, current_app, g

from lernmodul.outbox import ENQUEUED_KEY, deliver_due
from lernmodul.web.database import get_database

logger = logging.getLogger("lernmodul.outbox")


def register_senders() -> None:
    """Registers the sender of every delivery kind this installation sends."""


def init_app(app: Flask) -> None:
    register_senders()
    app.after_request(_deliver_after_response)


def sender_config(app: Flask) -> dict[str, Any]:
    """The mapping the senders get: the app's settings plus its instance folder."""
    return {**app.config, "INSTANCE_PATH": app.instance_path}


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

    response.call_on_close(deliver)
    return response
