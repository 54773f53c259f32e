"""Log output: the plain text lines, or one JSON object per line (LOG_FORMAT=json).

JSON records carry time (UTC), level, logger, message, request_id and user_id. They never
carry names or e-mail addresses: an address inside a message (a failed login names the
login that was tried) is replaced by a short pseudonym, the same for the same address, so
repeated failures on one account can still be correlated.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import time
from typing import Any

from flask import g, has_request_context

from lernmodul.web.security_log import UTCFormatter

EMAIL = re.compile(r"[^\s=<>\"',;:]+@[^\s<>\"',;]+")
USER_ID_IN_MESSAGE = re.compile(r"\buser_id=(\d+)\b")


def pseudonymise_emails(text: str) -> str:
    """Replaces every e-mail address by `email:` and 10 hex digits of its SHA-256."""

    def replace(match: re.Match[str]) -> str:
        digest = hashlib.sha256(match.group(0).lower().encode()).hexdigest()[:10]
        return f"email:{digest}"

    return EMAIL.sub(replace, text)


def _current_user_id() -> int | None:
    if not has_request_context():
        return None
    # Only a user that this request already loaded: logging must not query the database.
    user = g.get("_login_user")
    user_id = getattr(user, "id", None)
    return user_id if isinstance(user_id, int) else None


class JSONFormatter(logging.Formatter):
    """One JSON object per record, on one line."""

    def format(self, record: logging.LogRecord) -> str:
        message = pseudonymise_emails(record.getMessage())
        request_id = getattr(record, "request_id", None)
        user_id = getattr(record, "user_id", None)
        if has_request_context():
            request_id = request_id or g.get("request_id")
            user_id = user_id or _current_user_id()
        if user_id is None and (found := USER_ID_IN_MESSAGE.search(message)):
            user_id = int(found.group(1))
        entry: dict[str, Any] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": message,
            "request_id": request_id,
            "user_id": user_id,
        }
        if record.exc_info:
            entry["exception"] = pseudonymise_emails(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


def make_formatter(log_format: str) -> logging.Formatter:
    if log_format == "json":
        return JSONFormatter()
    return UTCFormatter()
