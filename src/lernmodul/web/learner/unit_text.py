"""A unit's rendered text, cached per compiled course, unit, language and site root.

The text of a unit (title, objectives, body with its self-check forms) is the same for every
learner of a version: only the CSRF token inside the self-check forms differs. It is rendered
once with a marker in place of the token and kept; each page puts the session's token in.
Versions never change once published, and each process keeps one compiled course per
version (services.courses.CompiledCourses), so the compiled course object itself names the
version: an entry keeps that object and is used only for the very same one.
"""

from __future__ import annotations

import secrets
import threading
from collections import OrderedDict
from collections.abc import Mapping

from flask import render_template, request
from flask_babel import get_locale
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

from lernmodul.core.model import Course, Question, Unit

MAX_ENTRIES = 512
# hex digits only: HTML escaping leaves it as it is, so it can be found in the output
_TOKEN_MARK = f"csrf{secrets.token_hex(16)}"

_lock = threading.Lock()
_entries: OrderedDict[tuple[int, str, str, str], tuple[Course, str]] = OrderedDict()


def unit_text(course: Course, unit: Unit, questions: Mapping[str, Question]) -> Markup:
    """The unit's article with no self-check answered, the request's CSRF token in its forms."""
    key = (id(course), unit.id, str(get_locale()), request.script_root)
    html = None
    with _lock:
        entry = _entries.get(key)
        if entry is not None and entry[0] is course:
            html = entry[1]
            _entries.move_to_end(key)
    if html is None:
        html = render_template("learner/_unit_text.html", course=course, unit=unit,
                               questions=questions, csrf_token=lambda: _TOKEN_MARK)
        with _lock:
            _entries[key] = (course, html)
            while len(_entries) > MAX_ENTRIES:
                _entries.popitem(last=False)
    # the kept text was rendered (escaped) by Jinja; the token is URL-safe base64 and dots
    return Markup(html.replace(_TOKEN_MARK, generate_csrf()))  # noqa: S704  # nosec B704


def cached_units() -> int:
    """How many unit texts are kept (for tests and diagnostics)."""
    with _lock:
        return len(_entries)


def clear() -> None:
    """Forgets every kept text (tests)."""
    with _lock:
        _entries.clear()
