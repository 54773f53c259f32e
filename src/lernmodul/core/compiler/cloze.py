"""Cloze questions: gaps `[[…]]` in the stem, found in the Markdown source of each inline run.

A gap stands in the rendered stem as `<code class="lm-gap">N</code>`, an element course
Markdown cannot produce (inline code has no class, fenced code's class starts with
"language-"), so it survives the one sanitiser call of the file and is cut out afterwards.
Gap texts are plain text (`\\` escapes any punctuation), never Markdown or HTML.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from markdown_it.token import Token

from ..diagnostics import DiagCode, Diagnostic
from ..model import Gap, GapKind, NumberAnswer, Option
from .parser import make_parser

if TYPE_CHECKING:
    from .document import Context

_MARK = "\ue0c0"  # where a gap stood in the source, while the inline run is parsed again
_MARK_HTML = '<code class="lm-gap">{}</code>'
_MARK_FOUND = re.compile(r'<code class="lm-gap">(\d+)</code>')
_ESCAPED = re.compile(r"\\([!-/:-@\[-`{-~])")
_NUMBER = r"[+-]?\d+(?:[.,]\d+)?"
_NUMBER_GAP = re.compile(rf"=\s*({_NUMBER})\s*(?:(?:±|\+/-|\+-)\s*({_NUMBER}))?\s*\Z")
_SPACES = re.compile(r"\s+")

#: questions.option_ids: (question id, option labels) -> option ids
OptionIds = Callable[[str, Sequence[str]], tuple[str, ...]]


@dataclass(frozen=True, slots=True)
class _Found:
    source: str  # between '[[' and ']]', escapes kept
    line: int
    column: int


def _column(ctx: Context, line: int, content_line: str, offset: int) -> int:
    """1-based column of `offset` in a line of an inline run, placed in the source line."""
    lines = ctx.source_lines
    if 0 < line <= len(lines):
        at = lines[line - 1].find(content_line)
        if at >= 0:
            return at + offset + 1
    return offset + 1


def _scan(content: str, first_line: int, ctx: Context,
          found: list[_Found]) -> tuple[str, list[Diagnostic]]:
    """`content` with each gap replaced by the mark; the gaps go to `found`. Backslash
    escapes and code spans are skipped, so `\\[[` and `` `[[x]]` `` stay text."""
    out: list[str] = []
    problems: list[Diagnostic] = []
    i = 0
    size = len(content)

    def place(at: int) -> tuple[int, int]:
        line = first_line + content.count("\n", 0, at)
        start = content.rfind("\n", 0, at) + 1
        end = content.find("\n", at)
        text = content[start:end if end >= 0 else size]
        return line, _column(ctx, line, text.lstrip(), at - start - (len(text) - len(text.lstrip())))

    while i < size:
        char = content[i]
        if char == "\\" and i + 1 < size:
            out.append(content[i:i + 2])
            i += 2
            continue
        if char == "`":
            run = len(content[i:]) - len(content[i:].lstrip("`"))
            close = re.compile(rf"(?<!`){'`' * run}(?!`)").search(content, i + run)
            stop = close.end() if close else i + run
            out.append(content[i:stop])
            i = stop
            continue
        if content.startswith("[[", i):
            j = i + 2
            end = -1
            while j < size:
                if content[j] == "\\":
                    j += 2
                    continue
                if content.startswith("]]", j):
                    end = j
                    break
                if content.startswith("[[", j):
                    break
                j += 1
            line, column = place(i)
            if end < 0:
                problems.append(Diagnostic.make(DiagCode.CLOZE_UNCLOSED_GAP, ctx.path, line,
                                                column, text=_short(content[i:].split("\n")[0])))
                out.append("[[")
                i += 2
                continue
            found.append(_Found(content[i + 2:end], line, column))
            out.append(_MARK)
            i = end + 2
            continue
        out.append(char)
        i += 1
    return "".join(out), problems


def _place_marks(children: Sequence[Token], first: int) -> tuple[list[Token], list[int]]:
    """The inline tokens with each mark as an html_inline gap element, numbered from `first`,
    and the (0-based, in this run) marks that stand where no gap may (link, image, code)."""
    placed: list[Token] = []
    number = first
    seen = 0
    misplaced: list[int] = []
    in_link = 0
    for child in children:
        kind = child.type
        if kind == "link_open":
            in_link += 1
        elif kind == "link_close":
            in_link -= 1
        # an image's alt text is both its content and its children: count it once
        inside = (sum((c.content or "").count(_MARK) for c in child.children)
                  if child.children else child.content.count(_MARK))
        if not inside:
            placed.append(child)
            continue
        if kind != "text" or in_link:
            misplaced.extend(range(seen, seen + inside))
            seen += inside
            placed.append(child)
            continue
        pieces = child.content.split(_MARK)
        for k, piece in enumerate(pieces):
            if piece:
                text = Token("text", "", 0)
                text.content = piece
                placed.append(text)
            if k + 1 < len(pieces):
                mark = Token("html_inline", "", 0)
                mark.content = _MARK_HTML.format(number)
                placed.append(mark)
                number += 1
                seen += 1
    return placed, misplaced


def _unescape(text: str) -> str:
    return _ESCAPED.sub(r"\1", text)


def _split(source: str) -> list[str]:
    """Answers of a gap: split at every '|' that is not escaped."""
    parts: list[str] = []
    current: list[str] = []
    i = 0
    while i < len(source):
        if source[i] == "\\" and i + 1 < len(source):
            current.append(source[i:i + 2])
            i += 2
            continue
        if source[i] == "|":
            parts.append("".join(current))
            current = []
        else:
            current.append(source[i])
        i += 1
    parts.append("".join(current))
    return parts


def _plain(text: str) -> str:
    return _SPACES.sub(" ", _unescape(text)).strip()


def _short(text: str) -> str:
    text = _SPACES.sub(" ", text).strip()
    return text if len(text) <= 60 else text[:57] + "..."


def parse_gap(found: _Found, number: int, question_id: str, ctx: Context,
              option_ids: OptionIds) -> Gap | None:
    """One gap from its source, or None with the reasons in ctx.diagnostics."""
    diags = ctx.diagnostics
    source = found.source
    shown = _short(source)

    def report(code: DiagCode, **args: str | int) -> None:
        diags.append(Diagnostic(code, ctx.path, found.line, found.column,
                                tuple((k, str(v)) for k, v in args.items()), code.severity))

    if not source.strip():
        report(DiagCode.CLOZE_EMPTY_GAP, text=shown)
        return None
    if source.lstrip().startswith("="):
        match = _NUMBER_GAP.match(_SPACES.sub(" ", source.strip()))
        if match is None:
            report(DiagCode.CLOZE_NOT_A_NUMBER, text=shown)
            return None
        value = float(match.group(1).replace(",", "."))
        tolerance = abs(float((match.group(2) or "0").replace(",", ".")))
        return Gap(number, GapKind.NUMBER, number_answer=NumberAnswer(value, tolerance),
                   line=found.line)
    parts = [p.strip() for p in _split(source)]
    if any("*" in _ESCAPED.sub("", p) for p in parts):
        marked = [p.startswith("*") for p in parts]
        labels = [_plain(p[1:] if m else p) for p, m in zip(parts, marked, strict=True)]
        if sum(marked) != 1:
            report(DiagCode.CLOZE_CHOICE_MARKS, text=shown, got=sum(marked))
            return None
        if not all(labels):
            report(DiagCode.CLOZE_EMPTY_GAP, text=shown)
            return None
        if len(labels) < 2:
            report(DiagCode.CLOZE_CHOICE_OPTIONS, text=shown, got=len(labels))
            return None
        ids = option_ids(f"{question_id}\x1fgap{number}", labels)
        return Gap(number, GapKind.CHOICE, options=tuple(
            Option(option_id, html.escape(label, quote=False), label, is_right)
            for option_id, label, is_right in zip(ids, labels, marked, strict=True)),
            line=found.line)
    answers = [_plain(p) for p in parts]
    if not all(answers):
        report(DiagCode.CLOZE_EMPTY_GAP, text=shown)
        return None
    return Gap(number, GapKind.TEXT, answers=tuple(answers), line=found.line)


def find_gaps(stem_tokens: Sequence[Token], qid: str, line: int, ctx: Context,
              option_ids: OptionIds) -> tuple[Gap, ...] | None:
    """Finds every gap in the stem's inline runs and puts a gap element in its place (the
    tokens are changed in place). Returns the gaps, or None when there were errors."""
    md = make_parser()
    diags = ctx.diagnostics
    errors_before = sum(1 for d in diags if d.is_error)
    found: list[_Found] = []
    for token in stem_tokens:
        if token.type != "inline" or "[[" not in token.content:
            continue
        first_line = token.map[0] + 1 if token.map else line
        content = token.content.replace(_MARK, "\ufffd")
        before = len(found)
        marked, problems = _scan(content, first_line, ctx, found)
        diags.extend(problems)
        if len(found) == before:
            continue
        parsed = md.parseInline(marked, {})
        children = parsed[0].children or []
        # the first pass checked the images and pointed them at the course's media
        old_images = [c for c in token.children or () if c.type == "image"]
        new_images = [c for c in children if c.type == "image"]
        for old, new in zip(old_images, new_images, strict=False):
            new.attrSet("src", str(old.attrGet("src") or ""))
        token.children, misplaced = _place_marks(children, before + 1)
        for index in misplaced:
            gap = found[before + index] if before + index < len(found) else found[before]
            diags.append(Diagnostic.make(DiagCode.CLOZE_GAP_PLACE, ctx.path, gap.line,
                                         gap.column))
    if not found and sum(1 for d in diags if d.is_error) == errors_before:
        diags.append(Diagnostic.make(DiagCode.CLOZE_NO_GAP, ctx.path, line, 1))
    gaps = [parse_gap(f, n, qid, ctx, option_ids) for n, f in enumerate(found, 1)]
    if sum(1 for d in diags if d.is_error) > errors_before:
        return None
    return tuple(g for g in gaps if g is not None)


def split_stem(stem_html: str, gaps: int) -> tuple[str, ...]:
    """The sanitised stem cut at its gap elements: `gaps` + 1 parts."""
    parts = _MARK_FOUND.split(stem_html)
    numbers = [int(n) for n in parts[1::2]]
    if numbers != list(range(1, gaps + 1)):  # pragma: no cover - find_gaps placed them all
        raise ValueError("the stem's gaps are not numbered 1..N")
    return tuple(parts[0::2])


def readable_stem(parts: Sequence[str]) -> str:
    """The stem with each gap as "[N]" (for prompts in trainer pages and plain-text views)."""
    out = [parts[0]]
    for number, part in enumerate(parts[1:], 1):
        out.append(f"[{number}]{part}")
    return "".join(out)
