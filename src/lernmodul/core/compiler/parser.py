"""make_parser(): the one markdown-it configuration for course files, and source decoding."""

from __future__ import annotations

import functools
from collections.abc import Sequence

from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.container import container_plugin
from mdit_py_plugins.front_matter import front_matter_plugin
from mdit_py_plugins.tasklists import tasklists_plugin

ADMONITIONS = ("note", "tip", "warning", "example")


BLOCK = "block"


def _any_block(params: str, *_: object) -> bool:
    # Every ':::word' opens a block (question, an admonition, or one we report as unknown);
    # a bare ':::' is a closer, never an opener. One rule for all keeps the parser fast.
    return bool(params.strip())


@functools.cache
def make_parser() -> MarkdownIt:
    """CommonMark with tables and strikethrough, raw HTML off, front matter, task lists and the
    `:::` blocks (question and the four admonitions). Plugins only make tokens; the compiler's
    second pass turns them into course objects."""
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.enable(["table", "strikethrough"])
    md.use(front_matter_plugin)
    md.use(tasklists_plugin)
    md.use(container_plugin, name=BLOCK, validate=_any_block)
    return md


def block_name(token: Token) -> str:
    """The word after ':::' of a block's opening token."""
    words = token.info.split(None, 1)
    return words[0] if words else ""


def decode_source(data: bytes) -> tuple[str, tuple[int, int, int] | None]:
    """UTF-8 text with a BOM removed and line ends normalised. On invalid bytes returns the
    text decoded with replacement characters and (line, column, byte) of the first bad byte."""
    try:
        text = data.decode("utf-8-sig")
        problem = None
    except UnicodeDecodeError as exc:
        head = data[: exc.start]
        line = head.count(b"\n") + 1
        column = len(head) - (head.rfind(b"\n") + 1) + 1
        problem = (line, column, data[exc.start])
        text = data.decode("utf-8-sig", errors="replace")
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "\x00" in text:
        text = text.replace("\x00", "\ufffd")
    if not text.endswith("\n"):
        # the container plugin indexes past the end of a source whose last line is a '>'
        text += "\n"
    return text, problem


def children(tokens: Sequence[Token], start: int, end: int) -> list[tuple[int, int]]:
    """The direct child blocks of tokens[start:end] as (first, last+1) index ranges."""
    ranges: list[tuple[int, int]] = []
    i = start
    while i < end:
        depth: int = tokens[i].nesting
        j = i + 1
        while depth > 0 and j < end:
            depth += tokens[j].nesting
            j += 1
        ranges.append((i, j))
        i = j
    return ranges
