"""Reading GIFT: blocks between blank lines, comments, escapes, and where each character was."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from .text import NEWLINE

#: Escaped control characters stand in the text as these private-use characters while the
#: structure is read, so that an escaped '=' is never taken for an answer marker.
_ESCAPES = {":": "\ue001", "#": "\ue002", "=": "\ue003", "{": "\ue004", "}": "\ue005",
            "~": "\ue006", "\\": "\ue007", "n": NEWLINE}
_RESTORE_TABLE = str.maketrans({v: k for k, v in _ESCAPES.items() if k != "n"})


class Block:
    """One block of non-blank lines without its comment lines, joined into one string with
    escapes stood in, and the file position (line, column) of every character."""

    def __init__(self, lines: list[tuple[int, int, str]]) -> None:
        chars: list[str] = []
        places: list[tuple[int, int]] = []
        for number, (line, column, content) in enumerate(lines):
            if number:
                chars.append("\n")
                places.append((line, column))
            i = 0
            while i < len(content):
                char = content[i]
                if char == "\\" and i + 1 < len(content) and content[i + 1] in _ESCAPES:
                    chars.append(_ESCAPES[content[i + 1]])
                    places.append((line, column + i))
                    i += 2
                    continue
                chars.append(char)
                places.append((line, column + i))
                i += 1
        self.text = "".join(chars)
        self.places = places

    @property
    def span(self) -> Span:
        return Span(self, 0, len(self.text))


@dataclass(frozen=True, slots=True)
class Span:
    """block.text[start:end]: a part of a block that knows where it stands in the file."""

    block: Block
    start: int
    end: int

    @property
    def raw(self) -> str:
        """The text with escaped characters still stood in (for finding structure)."""
        return self.block.text[self.start:self.end]

    @property
    def text(self) -> str:
        """The text as the author meant it: escapes resolved ('\\n' stays NEWLINE)."""
        return self.raw.translate(_RESTORE_TABLE)

    @property
    def line(self) -> int:
        return self.place[0]

    @property
    def column(self) -> int:
        return self.place[1]

    @property
    def place(self) -> tuple[int, int]:
        places = self.block.places
        if not places:
            return (1, 1)
        return places[min(self.start, len(places) - 1)]

    def __bool__(self) -> bool:
        return bool(self.raw.strip())

    def strip(self) -> Span:
        raw = self.raw
        start = self.start + len(raw) - len(raw.lstrip())
        end = self.end - (len(raw) - len(raw.rstrip()))
        return Span(self.block, start, max(start, end))

    def find(self, sub: str, offset: int = 0) -> int:
        """Index of `sub` relative to this span's start, or -1."""
        index = self.block.text.find(sub, self.start + offset, self.end)
        return index - self.start if index >= 0 else -1

    def rfind(self, sub: str) -> int:
        index = self.block.text.rfind(sub, self.start, self.end)
        return index - self.start if index >= 0 else -1

    def sub(self, start: int, end: int | None = None) -> Span:
        stop = self.end if end is None else self.start + end
        return Span(self.block, self.start + start, min(stop, self.end))

    def split_before(self, markers: str) -> list[Span]:
        """Parts that each start with one of the marker characters; a first part before any
        marker is included when it is not blank."""
        raw = self.raw
        cuts = [i for i, char in enumerate(raw) if char in markers]
        parts = []
        if not cuts or cuts[0] > 0:
            head = self.sub(0, cuts[0] if cuts else len(raw))
            if head:
                parts.append(head)
        for n, cut in enumerate(cuts):
            parts.append(self.sub(cut, cuts[n + 1] if n + 1 < len(cuts) else len(raw)))
        return parts

    def partition(self, sep: str) -> tuple[Span, Span | None]:
        """(before, after) at the first `sep`; after is None without it."""
        index = self.find(sep)
        if index < 0:
            return self, None
        return self.sub(0, index), self.sub(index + len(sep))


def read_blocks(text: str) -> Iterator[Block]:
    """Blocks of GIFT text: separated by blank lines; lines starting with '//' are comments and
    are left out (they do not separate blocks). Lines are stripped of surrounding space."""
    lines: list[tuple[int, int, str]] = []
    for number, raw in enumerate(text.split("\n"), start=1):
        content = raw.rstrip()
        stripped = content.lstrip()
        if not stripped:
            if lines:
                yield Block(lines)
            lines = []
            continue
        if stripped.startswith("//"):
            continue
        lines.append((number, len(content) - len(stripped) + 1, stripped))
    if lines:
        yield Block(lines)
