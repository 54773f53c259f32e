"""Security events to the `lernmodul.security` log: UTC, user, IP; values CR/LF-escaped."""

from __future__ import annotations

import logging
import time

from flask import g, has_request_context, request

logger = logging.getLogger("lernmodul.security")

_ESCAPES = {"\r": "\\r", "\n": "\\n", "\t": "\\t", "\x00": "\\0"}


def escape_log_value(value: object) -> str:
    """One line per event: control characters become visible escapes."""
    text = str(value)
    out = []
    for ch in text:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif ord(ch) < 32 or ord(ch) == 127:
            out.append(f"\\x{ord(ch):02x}")
        else:
            out.append(ch)
    return "".join(out)


def log_security_event(event: str, level: int = logging.INFO, **fields: object) -> None:
    """Logs `event key=value …`; never pass a password here."""
    if has_request_context():
        fields.setdefault("ip", request.remote_addr)
        fields.setdefault("request_id", g.get("request_id"))
    parts = [event] + [f"{k}={escape_log_value(v)}" for k, v in fields.items()]
    logger.log(level, " ".join(parts))


class UTCFormatter(logging.Formatter):
    converter = time.gmtime

    def __init__(self) -> None:
        super().__init__("%(asctime)sZ %(levelname)s %(name)s %(message)s", "%Y-%m-%dT%H:%M:%S")
