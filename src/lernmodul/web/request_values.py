"""What the app accepts of a request's values at all, checked once for every route.

Ids in URLs are bounded by the `int` converter (PostgreSQL's `integer` ends at 2**31 - 1,
SQLite's at 2**63 - 1: anything larger is no address, 404). Text in the path, the query and
the form may not carry control characters other than tab, line feed and carriage return:
PostgreSQL refuses a NUL byte in any text, and no form of ours sends the others (400).
Numbers in the query are read with `parse_int`, which takes ASCII digits only."""

from __future__ import annotations

import re
from collections.abc import Iterator

from flask import Flask, request
from flask_babel import gettext as _
from werkzeug.routing import IntegerConverter, Map

from lernmodul.web.security import render_error
from lernmodul.web.security_log import log_security_event

#: the largest id (and number) a request may name: PostgreSQL's `integer`
MAX_ID = 2**31 - 1
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_ASCII_NUMBER = re.compile(r"[0-9]{1,10}")


class BoundedIntegerConverter(IntegerConverter):
    """`<int:…>` for ids: ASCII digits only (not any Unicode digit), at most MAX_ID."""

    regex = r"[0-9]+"

    def __init__(self, map: Map, fixed_digits: int = 0, min: int | None = None,
                 max: int | None = MAX_ID, signed: bool = False) -> None:
        bound = MAX_ID if max is None or max > MAX_ID else max
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=bound, signed=signed)


def parse_int(text: str | None, *, minimum: int = 0, maximum: int = MAX_ID) -> int | None:
    """The number written in ASCII digits, when it lies within [minimum, maximum]; else None
    (also for '²', '①' or '٣', which `str.isdigit` accepts but `int` or the databases
    do not)."""
    text = (text or "").strip()
    if not _ASCII_NUMBER.fullmatch(text):
        return None
    value = int(text)
    return value if minimum <= value <= maximum else None


def has_control_characters(text: str) -> bool:
    return CONTROL_CHARACTERS.search(text) is not None


def _request_texts() -> Iterator[str]:
    for value in (request.view_args or {}).values():
        if isinstance(value, str):
            yield value
    for values in (request.args, request.form):
        for key, value in values.items(multi=True):
            yield key
            yield value
    for key, upload in request.files.items(multi=True):
        yield key
        yield upload.filename or ""


def _refuse_control_characters() -> tuple[str, int] | None:
    if not any(has_control_characters(text) for text in _request_texts()):
        return None
    log_security_event("request.control_characters", endpoint=request.endpoint)
    return render_error(400, _("The request contains control characters (such as a NUL byte) "
                               "that text may not contain. Please remove them and try again."))


def init_app(app: Flask) -> None:
    """Registers the bounded `int` converter (before any route is added) and the check."""
    app.url_map.converters["int"] = BoundedIntegerConverter
    app.before_request(_refuse_control_characters)
