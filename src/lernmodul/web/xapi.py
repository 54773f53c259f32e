"""xAPI at the edge: when XAPI_ENDPOINT is set, the app's write sessions queue learning
statements before each commit, and the outbox gets the sender for kind "xapi".
The commit hook queues them inside the request's (or command's) commit, so the outbox's
attempt right after the request includes them."""

from __future__ import annotations

import secrets
from pathlib import Path

from flask import Flask

from lernmodul import xapi
from lernmodul.files import write_private_once
from lernmodul.outbox import register_sender
from lernmodul.services import learning_records
from lernmodul.web.config import public_base_url
from lernmodul.web.database import get_database
from lernmodul.xapi.delivery import KIND, send_statement

KEY_FILE = "xapi_pseudonym_key"


def pseudonym_key(app: Flask) -> bytes:
    """XAPI_PSEUDONYM_KEY, else the instance's key file (32 random bytes, made once, 0600).

    Not SECRET_KEY: rotating the session key must not give every learner a new pseudonym."""
    configured = str(app.config.get("XAPI_PSEUDONYM_KEY") or "")
    if configured:
        return configured.encode()
    path = Path(app.instance_path) / KEY_FILE
    if not path.exists():
        write_private_once(path, secrets.token_hex(32).encode())
    key = path.read_bytes().strip()
    if not key:
        raise RuntimeError(f"{path} is empty; delete it to have a new one made")
    return key


def record_settings(app: Flask) -> learning_records.RecordSettings:
    base = public_base_url(app.config)
    assert base is not None  # load_config refuses XAPI_ENDPOINT without one
    sender = xapi.Sender(base_url=base, pseudonym_key=pseudonym_key(app),
                         actor_mode=app.config["XAPI_ACTOR"])
    return learning_records.RecordSettings(sender=sender,
                                           item_statements=bool(app.config["XAPI_ITEM_STATEMENTS"]))


def init_app(app: Flask) -> None:
    """Off (nothing installed) while XAPI_ENDPOINT is empty."""
    if not app.config.get("XAPI_ENDPOINT"):
        return
    learning_records.install(get_database(app).sessions, record_settings(app))
    register_sender(KIND, send_statement)
