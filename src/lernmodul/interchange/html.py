"""Small readings of the compiler's sanitised HTML: is it plain text, and what text it shows."""

from __future__ import annotations

import html
import re

_PARAGRAPH = re.compile(r"\A\s*<p>(.*?)</p>\s*\Z", re.DOTALL)
_TAG = re.compile(r"<[^>]*>")
_SPACE = re.compile(r"\s+")


def plain_text(markup: str) -> str | None:
    """The text of `markup` when it is one paragraph (or inline text) without any tag, else
    None. Line breaks become spaces; entities are resolved."""
    match = _PARAGRAPH.match(markup)
    inner = match.group(1) if match else markup
    if "<" in inner:
        return None
    return _SPACE.sub(" ", html.unescape(inner)).strip()


def text_of(markup: str) -> str:
    """What a reader sees of `markup`, as one line of text (tags dropped, entities resolved)."""
    return _SPACE.sub(" ", html.unescape(_TAG.sub(" ", markup))).strip()


def number_text(value: float) -> str:
    """A number in plain decimal notation without a trailing '.0' (42, 0.5, -3.25)."""
    text = repr(float(value))
    if "e" in text or "E" in text:
        text = format(value, "f").rstrip("0").rstrip(".")
    if text.endswith(".0"):
        text = text[:-2]
    return "0" if text in ("-0", "") else text
