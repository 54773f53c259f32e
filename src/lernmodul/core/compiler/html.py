"""Safe HTML: the one sanitiser every piece of course HTML passes, and heading slugs."""

from __future__ import annotations

import re
import unicodedata

import nh3

TAGS = frozenset({
    "a", "abbr", "b", "blockquote", "br", "code", "del", "div", "em", "h1", "h2", "h3", "h4",
    "h5", "h6", "hr", "i", "img", "li", "ol", "p", "pre", "s", "span", "strong", "sub", "sup",
    "table", "tbody", "td", "th", "thead", "tr", "ul",
})
ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "ol": {"start"},
    "code": {"class"},
    "th": {"class"},
    "td": {"class"},
    **{f"h{n}": {"id"} for n in range(1, 7)},
}
URL_SCHEMES = frozenset({"http", "https", "mailto"})

_TRANSLITERATE = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})
_NOT_SLUG = re.compile(r"[^a-z0-9]+")


_SEPARATOR = '<hr id="lm-part">'  # markdown never renders an id on <hr>; authors cannot forge it
_BATCH_ATTRIBUTES = {**ATTRIBUTES, "hr": {"id"}}


def sanitize_many(parts: list[str]) -> list[str]:
    """Sanitises many fragments in one nh3 call (each call has a fixed cost), split again on a
    separator that course text cannot produce. Same result as sanitize() on each part."""
    if not parts:
        return []
    cleaned = nh3.clean(_SEPARATOR.join(parts), tags=set(TAGS), attributes=_BATCH_ATTRIBUTES,
                        url_schemes=set(URL_SCHEMES), link_rel="noopener noreferrer",
                        strip_comments=True).split(_SEPARATOR)
    if len(cleaned) != len(parts):  # pragma: no cover - defensive: fall back to one by one
        return [sanitize(p) for p in parts]
    return cleaned


def sanitize(html: str) -> str:
    """Allowlist sanitising; raw HTML is already off in the parser, this is the second wall."""
    if not html:
        return ""
    return nh3.clean(html, tags=set(TAGS), attributes=ATTRIBUTES, url_schemes=set(URL_SCHEMES),
                     link_rel="noopener noreferrer", strip_comments=True)


def slugify(text: str) -> str:
    text = text.lower().translate(_TRANSLITERATE)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return _NOT_SLUG.sub("-", text).strip("-") or "abschnitt"
