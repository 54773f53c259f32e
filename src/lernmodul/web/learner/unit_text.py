"""A unit's rendered text and whole unit pages, cached per compiled course, unit, language
and site root.

The text of a unit (title, objectives, body with its self-check forms) is the same for every
learner of a version: only the CSRF token inside the self-check forms differs. It is rendered
once with a marker in place of the token and kept; each page puts the session's token in.
Versions never change once published, and each process keeps one compiled course per
version (services.courses.CompiledCourses), so the compiled course object itself names the
version: an entry keeps that object and is used only for the very same one.

The whole unit page (`cached_page`) is kept the same way under a key that holds everything
else the page shows (the learner's state in the unit, which menus their roles give, the
address): it differs between learners only in the CSRF token and the signed-in name, both
rendered as markers and put in per request. Pages with anything more personal (a message to
show once, a self-check answered, a query string) are rendered each time.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from typing import Any

from flask import render_template, request, session
from flask_babel import get_locale
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

from lernmodul.core.model import Course, Question, Unit

# the site header's markers (web/chrome.py): a kept page holds a kept header unchanged
from lernmodul.web.chrome import TOKEN_MARK, Kept, NamedByMarker, personalise

MAX_ENTRIES = 512
# entries are (compiled course, html): used only for the very same course object
_texts = Kept(MAX_ENTRIES)
_pages = Kept(MAX_ENTRIES)


def unit_text(course: Course, unit: Unit, questions: Mapping[str, Question]) -> Markup:
    """The unit's article with no self-check answered, the request's CSRF token in its forms."""
    key = (id(course), unit.id, str(get_locale()), request.script_root)
    html = _kept_for(_texts, key, course)
    if html is None:
        html = render_template("learner/_unit_text.html", course=course, unit=unit,
                               questions=questions, csrf_token=lambda: TOKEN_MARK)
        _texts.put(key, (course, html))
    # the kept text was rendered (escaped) by Jinja; the token is URL-safe base64 and dots
    return Markup(html.replace(TOKEN_MARK, generate_csrf()))  # noqa: S704  # nosec B704


def _kept_for(kept: Kept, key: Hashable, course: Course) -> str | None:
    entry = kept.get(key)
    return entry[1] if entry is not None and entry[0] is course else None


def page_is_cacheable() -> bool:
    """Whether this request's page may come from the cache: a plain GET with no query string
    and no message waiting to be shown once."""
    return request.method == "GET" and not request.query_string and "_flashes" not in session


def cached_page(course: Course, key: tuple[Hashable, ...], user: Any,
                render: Callable[..., str]) -> str:
    """The page under `key` (the caller's key: everything the page shows but the CSRF token
    and the user's name), rendered by `render(csrf_token=…, current_user=…)` on a miss;
    returned with this session's token and the user's name in place."""
    full_key = (id(course), str(get_locale()), request.script_root, request.path, *key)
    html = _kept_for(_pages, full_key, course)
    if html is None:
        html = render(csrf_token=lambda: TOKEN_MARK, current_user=NamedByMarker(user))
        _pages.put(full_key, (course, html))
    return personalise(html, generate_csrf(), user.name)


def cached_units() -> int:
    """How many unit texts are kept (for tests and diagnostics)."""
    return len(_texts)


def clear() -> None:
    """Forgets every kept text and page (tests)."""
    _texts.clear()
    _pages.clear()


def cached_pages() -> int:
    """How many unit pages are kept (for tests and diagnostics)."""
    return len(_pages)
