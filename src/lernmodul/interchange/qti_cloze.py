"""Cloze gaps in a QTI item body: marks in the stem's HTML, then interactions in their place."""

from __future__ import annotations

import re

from lxml import etree

from .cloze import Cloze, Gap
from .qti_xml import q, sub

_E = etree._Element


def mark_gaps(cloze: Cloze) -> str:
    """The stem's HTML with a mark (\\ue100N\\ue101) where gap N stands."""
    out = []
    number = 0
    for piece in cloze.pieces:
        if isinstance(piece, str):
            out.append(piece)
        else:
            number += 1
            out.append(f"\ue100{number}\ue101")
    return "".join(out)


_MARK = re.compile("\ue100(\\d+)\ue101")


def split_marks(element: _E, gaps: list[Gap]) -> None:
    """Replaces the gap marks in an element's text and its children's tails by interactions."""
    mark = _MARK

    def interaction(parent: _E, number: int) -> _E:
        gap = gaps[number - 1]
        ident = f"RESPONSE_{number}"
        if gap.kind == "choice":
            choice = etree.SubElement(parent, q("inlineChoiceInteraction"))
            choice.set("responseIdentifier", ident)
            choice.set("shuffle", "true")
            for k, option in enumerate(gap.answers, start=1):
                sub(choice, "inlineChoice", {"identifier": f"g{number}c{k}"}, option)
            return choice
        entry = etree.SubElement(parent, q("textEntryInteraction"))
        entry.set("responseIdentifier", ident)
        entry.set("expectedLength", str(max(8, *(len(a) for a in gap.answers or ("",)))))
        return entry

    def split(text: str | None) -> tuple[str, list[tuple[int, str]]]:
        parts = mark.split(text or "")
        return parts[0], [(int(parts[i]), parts[i + 1]) for i in range(1, len(parts), 2)]

    head, rest = split(element.text)
    if rest:
        element.text = head
        for position, (number, tail) in enumerate(rest):
            new = interaction(element, number)
            element.remove(new)
            element.insert(position, new)
            new.tail = tail
    for child in list(element):
        head, rest = split(child.tail)
        if not rest:
            continue
        child.tail = head
        at = list(element).index(child) + 1
        for offset, (number, tail) in enumerate(rest):
            new = interaction(element, number)
            element.remove(new)
            element.insert(at + offset, new)
            new.tail = tail
