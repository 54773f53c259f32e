"""Filling in the forms of a page the way a browser sends them, through the Flask test client.

`Pages` keeps every HTML response it is given as a file (named after the state it shows), for
the checker; `submit` finds a form by its action, takes the values the page sets (hidden
fields, the CSRF token, selected options, checked boxes) and sends them with the changes."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

TEXT_INPUTS = {"text", "hidden", "email", "number", "password", "date", "search", "url", "tel"}


@dataclass
class Form:
    action: str
    method: str
    values: list[tuple[str, str]] = field(default_factory=list)
    buttons: list[tuple[str, str, str]] = field(default_factory=list)  # name, value, label


class FormParser(HTMLParser):
    """Collects the forms of a page with the values a browser would send unchanged."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._select: tuple[str, bool] | None = None  # name, multiple
        self._options: list[tuple[str, bool]] = []
        self._option: list[Any] | None = None
        self._textarea: list[str] | None = None
        self._button: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append(Form(a.get("action", ""), a.get("method", "get").lower()))
            return
        if not self.forms:
            return
        form = self.forms[-1]
        name = a.get("name", "")
        if tag == "input":
            kind = a.get("type", "text").lower()
            if kind in TEXT_INPUTS and name:
                form.values.append((name, a.get("value", "")))
            elif kind in ("checkbox", "radio") and name and "checked" in a:
                form.values.append((name, a.get("value", "on")))
            elif kind == "submit":
                form.buttons.append((name, a.get("value", ""), a.get("value", "")))
        elif tag == "select":
            self._select, self._options = (name, "multiple" in a), []
        elif tag == "option" and self._select is not None:
            self._option = [a.get("value"), "selected" in a, ""]
        elif tag == "textarea":
            self._textarea = [name]
        elif tag == "button" and a.get("type", "submit") == "submit":
            self._button = [name, a.get("value", ""), ""]

    def handle_data(self, data: str) -> None:
        if self._option is not None:
            self._option[2] += data
        if self._textarea is not None:
            self._textarea.append(data)
        if self._button is not None:
            self._button[2] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "option" and self._option is not None:
            value, selected, text = self._option
            self._options.append((text.strip() if value is None else value, selected))
            self._option = None
        elif tag == "select" and self._select is not None:
            name, multiple = self._select
            chosen = [v for v, s in self._options if s] or (
                [] if multiple else [v for v, _ in self._options[:1]])
            if name and self.forms:
                self.forms[-1].values.extend((name, v) for v in chosen)
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            name, *text = self._textarea
            if name and self.forms:
                self.forms[-1].values.append((name, "".join(text).removeprefix("\n")))
            self._textarea = None
        elif tag == "button" and self._button is not None:
            name, value, label = self._button
            if self.forms:
                self.forms[-1].buttons.append((name, value, " ".join(label.split())))
            self._button = None


def find_form(html: str, action: str, button: str | None = None) -> Form:
    """The first form whose action ends with `action` (a regular expression; "" for a form
    without action) and, if given, has a submit button whose label contains `button`."""
    parser = FormParser()
    parser.feed(html)
    for form in parser.forms:
        target = form.action.split("#")[0]
        if (target == "" if action == "" else re.search(f"{action}$", target)) and (
                button is None or any(button in label for _, _, label in form.buttons)):
            return form
    raise AssertionError(f"no form {action!r} {button!r}: {[f.action for f in parser.forms]}")


def submit(client: Any, html: str, action: str, data: dict[str, Any] | None = None,
           button: str | None = None, url: str = "") -> Any:
    """Sends the form of `html` whose action ends with `action` (to `url` if it has none):
    its own values, replaced by `data` where given (a list for several values, a
    (file, name) pair for an upload, None to leave a field out), and the submit button
    whose label contains `button` (when it has a name)."""
    form = find_form(html, action, button)
    changed = data or {}
    sent: dict[str, Any] = {}
    for name, value in form.values:
        if name not in changed:
            sent.setdefault(name, []).append(value)
    for name, value in changed.items():
        if value is not None:
            sent[name] = value if isinstance(value, list | tuple) else [value]
    if button is not None:
        pressed = [b for b in form.buttons if button in b[2]]
        assert pressed, (button, form.buttons)
        if pressed[0][0]:
            sent[pressed[0][0]] = [pressed[0][1]]
    return client.post(form.action.split("#")[0] or url, data=sent)


class Pages:
    """Writes each HTML response to `folder` as NNN-state.html, checking its status first."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.states: dict[str, str] = {}  # file name -> state
        self.visited: list[tuple[Any, str]] = []  # (client, url) of every page got

    def keep(self, state: str, response: Any, status: int = 200) -> str:
        assert response.status_code == status, (state, response.status_code, response.location)
        assert response.mimetype == "text/html", (state, response.mimetype)
        slug = re.sub(r"[^a-z0-9]+", "-", state.lower()).strip("-")[:80]
        name = f"{len(self.states) + 1:03d}-{slug}.html"
        (self.folder / name).write_bytes(response.get_data())
        self.states[name] = state
        return response.get_data(as_text=True)

    def get(self, client: Any, state: str, url: str, status: int = 200) -> str:
        self.visited.append((client, url))
        return self.keep(state, client.get(url), status)

    def follow(self, client: Any, state: str, response: Any, status: int = 200) -> str:
        """A redirect's target (303 after a successful post), kept with its flash message."""
        assert response.status_code in (302, 303), (state, response.status_code,
                                                    response.get_data(as_text=True)[:500])
        return self.get(client, state, response.location, status)
