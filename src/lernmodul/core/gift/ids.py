"""Ids for converted units and questions: the id pattern, slugs from titles, unique ids.

Rule: plain string functions, no diagnostics and no conversion state (a caller passes the
set of ids already taken)."""

from __future__ import annotations

import re
import unicodedata

ID_PATTERN = re.compile(r"[a-z0-9][a-z0-9_-]*\Z")
MAX_ID_LENGTH = 60
_TRANSLITERATE = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})


def slugify(text: str) -> str:
    """An id from a title: lower case a-z, 0-9 and '-', at most MAX_ID_LENGTH characters."""
    text = text.lower().translate(_TRANSLITERATE)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", text).strip("-")
    if len(slug) > MAX_ID_LENGTH:
        cut = slug.rfind("-", 0, MAX_ID_LENGTH + 1)
        slug = slug[:cut if cut > 0 else MAX_ID_LENGTH].strip("-")
    return slug


def unique(base: str, taken: set[str]) -> str:
    """`base`, or `base-2`, `base-3` … the first not in `taken`; it is added to `taken`."""
    candidate = base
    number = 2
    while candidate in taken:
        candidate = f"{base}-{number}"
        number += 1
    taken.add(candidate)
    return candidate
