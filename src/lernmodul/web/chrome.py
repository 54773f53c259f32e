"""The site header of every page, rendered once per language, address and menus and kept.

The header (`templates/_site_header.html`: brand link, main menu, the signed-in name, the
sign-out and language forms) differs between two people on the same page only in the CSRF
token of its forms and the name. It is rendered with markers in their place, kept per app
under a key of everything else it shows (language, site root, endpoint, the address the
language switch returns to, whether someone is signed in and which menus their roles give),
and each page puts the token and the name in. A request with a query string renders it afresh
(the address is part of the header; arbitrary query strings would only fill the cache).

`site_header` takes the token and the user from the template's context, so a page that is
itself kept with markers (web/learner/unit_text.py) gets the markers back, not this request's
values.
"""

from __future__ import annotations

import secrets
import threading
from collections import OrderedDict
from collections.abc import Hashable
from typing import Any

from flask import Flask, current_app, render_template, request
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup, escape

EXTENSION_KEY = "lernmodul.site_header"
MAX_ENTRIES = 1024
# hex digits only: HTML escaping leaves them as they are, so they can be found in the output
TOKEN_MARK = f"csrf{secrets.token_hex(16)}"
NAME_MARK = f"name{secrets.token_hex(16)}"
ROLE_MENUS = (("learner",), ("trainer", "admin"), ("hr",), ("admin",))


class NamedByMarker:
    """The signed-in user as a kept rendering sees them: every attribute theirs, the name a
    marker."""

    name = NAME_MARK

    def __init__(self, user: Any) -> None:
        self._user = user

    def __getattr__(self, attribute: str) -> Any:
        return getattr(self._user, attribute)


def personalise(html: str, token: str, name: str | None) -> str:
    """A kept rendering with this request's CSRF token and the user's (escaped) name in."""
    html = html.replace(TOKEN_MARK, token)
    return html if name is None else html.replace(NAME_MARK, str(escape(name)))


class Kept:
    """Renderings kept under a key, the least recently used dropped beyond `limit`; safe to
    share between a worker's threads."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._lock = threading.Lock()
        self._entries: OrderedDict[Hashable, Any] = OrderedDict()

    def get(self, key: Hashable) -> Any | None:
        """The value kept under `key` (now the most recently used), or None."""
        with self._lock:
            value = self._entries.get(key)
            if value is not None:
                self._entries.move_to_end(key)
            return value

    def put(self, key: Hashable, value: Any) -> None:
        """Keeps `value` under `key`."""
        with self._lock:
            self._entries[key] = value
            while len(self._entries) > self.limit:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        """Forgets everything kept."""
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)


def init_app(app: Flask) -> None:
    app.extensions[EXTENSION_KEY] = Kept(MAX_ENTRIES)
    app.jinja_env.globals["site_header"] = site_header


@pass_context
def site_header(context: Context) -> Markup:
    """The header for this page (a Jinja global: `{{ site_header() }}` in base.html)."""
    user = context["current_user"]
    token: str = context["csrf_token"]()
    signed_in = bool(user.is_authenticated)
    name = user.name if signed_in else None
    if request.query_string:
        return Markup(render_template(  # noqa: S704  # nosec B704
            "_site_header.html", csrf_token=context["csrf_token"], current_user=user))
    back = request.full_path.rstrip("?") if request.method == "GET" else request.path
    key = (context.get("current_locale"), request.script_root, request.endpoint,
           request.blueprint, back, signed_in,
           tuple(user.has_role(*menu) for menu in ROLE_MENUS) if signed_in else ())
    kept: Kept = current_app.extensions[EXTENSION_KEY]
    html = kept.get(key)
    if html is None:
        html = render_template("_site_header.html", csrf_token=lambda: TOKEN_MARK,
                               current_user=NamedByMarker(user) if signed_in else user)
        kept.put(key, html)
    # rendered (escaped) by Jinja; the token is URL-safe base64 and dots, the name escaped
    return Markup(personalise(html, token, name))  # noqa: S704  # nosec B704


def kept_headers(app: Flask) -> int:
    """How many headers are kept (tests and diagnostics)."""
    return len(app.extensions[EXTENSION_KEY])
