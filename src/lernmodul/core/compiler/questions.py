"""Questions: from the tokens of one `::: question` block to a Question, with every check."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from markdown_it.token import Token

from ..diagnostics import DiagCode, Diagnostic, Severity
from ..model import NumberAnswer, Option, Question, QuestionType, Scoring
from .cloze import find_gaps
from .frontmatter import ID_PATTERN, suggest
from .parser import block_name, children, make_parser

if TYPE_CHECKING:
    from .document import Context

TYPES = {t.value: t for t in QuestionType}
TASK_LIST_TYPES = (QuestionType.SINGLE, QuestionType.MULTIPLE, QuestionType.TRUEFALSE)
_NUMBER = r"[+-]?\d+(?:[.,]\d+)?"
NUMBER_ANSWER = re.compile(rf"=\s*({_NUMBER})\s*(?:(?:±|\+/-|\+-)\s*({_NUMBER}))?\s*\Z")
_CHECKBOX = '<input class="task-list-item-checkbox"'


def legacy_option_id(index: int) -> str:
    """The ids of earlier releases (a, b, … z, then o27, o28 …, by source position); only
    the migration that rewrites stored attempts still needs them."""
    return chr(ord("a") + index) if index < 26 else f"o{index + 1}"


OPTION_ID_HEX = 10


def option_ids(question_id: str, labels: Sequence[str]) -> tuple[str, ...]:
    """The ids of a question's options from the question id and each option's label source
    (the Markdown the learner sees; for `match` the left side only).

    An id is "o" + the first hex digits of SHA-256 over question id, label and the number
    of earlier options with the same label. It says nothing about an option's place in the
    source or whether it is right: labels are shown to the learner anyway, and the place
    and the key are no input. The question id keeps equal labels of different questions
    apart ("none of the above" is not one id everywhere). Options with equal labels differ
    only in that count, which ranks options the learner cannot tell apart. Stable: the
    same source gives the same ids, so stored attempts stay valid."""
    seen: dict[str, int] = {}
    keys = []
    for label in labels:
        repeat = seen.get(label, 0)
        seen[label] = repeat + 1
        keys.append(f"{question_id}\x1f{label}\x1f{repeat}".encode())
    size = OPTION_ID_HEX
    while True:  # a collision inside one question (never seen; 40 bits) lengthens all of its ids
        ids = tuple("o" + hashlib.sha256(key).hexdigest()[:size] for key in keys)
        if len(set(ids)) == len(ids):
            return ids
        size += 4


def parse_number(text: str) -> float | None:
    text = text.strip().replace(",", ".")
    if not re.fullmatch(r"[+-]?\d+(?:\.\d+)?", text):
        return None
    return float(text)


def _line(token: Token) -> int:
    return token.map[0] + 1 if token.map else 1


class _Item:
    """One list item: its label inline token, checkbox state, feedback and line."""

    def __init__(self, tokens: list[Token], start: int, end: int) -> None:
        self.line = _line(tokens[start])
        self.inline: Token | None = None
        self.feedback: tuple[int, int] | None = None
        self.extra = False
        for first, last in children(tokens, start + 1, end - 1):
            kind = tokens[first].type
            if kind == "paragraph_open" and self.inline is None:
                self.inline = tokens[first + 1]
            elif kind == "blockquote_open" and self.feedback is None:
                self.feedback = (first + 1, last - 1)
            else:
                self.extra = True
        parts = self.inline.children or [] if self.inline else []
        self.checked: bool | None = None
        if parts and parts[0].type == "html_inline" and parts[0].content.startswith(_CHECKBOX):
            self.checked = 'checked="checked"' in parts[0].content
            parts = parts[1:]
        self.parts = parts
        self.source = (self.inline.content if self.inline else "").strip()
        if self.checked is not None:
            self.source = self.source[3:].strip() if self.source[:1] == "[" else self.source

    @property
    def text(self) -> str:
        return "".join(p.content for p in self.parts if p.type in ("text", "code_inline")).strip()


def _render_inline(source: str) -> str:
    md = make_parser()
    html: str = md.renderInline(source.strip())
    return html


def parse_question(tokens: list[Token], start: int, end: int, ctx: Context,
                   number: int) -> Question | None:
    """Builds the question or reports why not (returns None on errors that leave no question)."""
    md = make_parser()
    opener = tokens[start]
    line = _line(opener)
    diags = ctx.diagnostics
    errors_before = sum(1 for d in diags if d.is_error)
    words = opener.info.split()[1:]
    qtype: QuestionType | None = None
    qid = ""
    points = 1.0
    scoring = Scoring.ALL
    inline = False
    if not words:
        diags.append(Diagnostic.make(DiagCode.UNKNOWN_QUESTION_TYPE, ctx.path, line, 1,
                                     got="", suggestion=""))
    else:
        qtype = TYPES.get(words[0])
        if qtype is None:
            diags.append(Diagnostic.make(DiagCode.UNKNOWN_QUESTION_TYPE, ctx.path, line, 1,
                                         got=words[0], suggestion=suggest(words[0], set(TYPES))))
    for word in words[1:]:
        key, sep, value = word.partition("=")
        if word == "inline":
            inline = True
        elif key == "id" and sep:
            qid = value
            if not ID_PATTERN.match(value):
                diags.append(Diagnostic.make(DiagCode.BAD_ID, ctx.path, line, 1, id=value))
        elif key == "points" and sep:
            parsed = parse_number(value)
            if parsed is None or parsed <= 0:
                diags.append(Diagnostic.make(DiagCode.BAD_QUESTION_PARAM, ctx.path, line, 1,
                                             got=word, detail="points must be a number > 0"))
            else:
                points = parsed
        elif key == "scoring" and sep and value in ("all", "partial"):
            scoring = Scoring(value)
        elif key == "scoring":
            diags.append(Diagnostic.make(DiagCode.BAD_QUESTION_PARAM, ctx.path, line, 1,
                                         got=word, detail="scoring is 'all' or 'partial'"))
        else:
            diags.append(Diagnostic.make(
                DiagCode.BAD_QUESTION_PARAM, ctx.path, line, 1, got=word,
                detail="known are id=…, points=…, scoring=all|partial, inline"))
    if not qid:
        qid = f"{ctx.derived_id_base}-{number}"
        diags.append(Diagnostic.make(DiagCode.DERIVED_ID, ctx.path, line, 1, id=qid))
    ctx.question_ids.append((qid, line))
    if qtype is QuestionType.CLOZE:
        return _parse_cloze(tokens, start, end, ctx, Question(
            id=qid, type=qtype, stem_html="", points=points, scoring=scoring, is_inline=inline,
            path=ctx.path, line=line), errors_before)

    blocks = children(tokens, start + 1, end - 1)
    list_at = next((k for k, (s, _) in enumerate(blocks)
                    if tokens[s].type in ("bullet_list_open", "ordered_list_open")), None)
    if list_at is None:
        diags.append(Diagnostic.make(DiagCode.NO_ANSWER_LIST, ctx.path, line, 1))
        return None
    stem_tokens = [t for s, e in blocks[:list_at] for t in tokens[s:e]]
    if not stem_tokens:
        diags.append(Diagnostic.make(DiagCode.NO_STEM, ctx.path, line, 1))
    for token in stem_tokens:
        if token.type == "container_block_open" and block_name(token) == "question":
            diags.append(Diagnostic.make(DiagCode.NESTED_QUESTION, ctx.path, _line(token), 1,
                                         outer="a question"))
    # HTML here is raw markdown-it output; parse_document sanitises a whole file's at once
    stem_html = md.renderer.render(stem_tokens, md.options, {})
    explanation_html = ""
    for k, (s, e) in enumerate(blocks[list_at + 1:]):
        if k == 0 and tokens[s].type == "blockquote_open":
            explanation_html = md.renderer.render(tokens[s + 1:e - 1], md.options, {})
        else:
            diags.append(Diagnostic.make(DiagCode.EXTRA_CONTENT, ctx.path, _line(tokens[s]), 1))
            break
    list_start, list_end = blocks[list_at]
    items = [_Item(tokens, s, e) for s, e in children(tokens, list_start + 1, list_end - 1)]
    if qtype is None:
        return None

    options: list[Option] = []
    sources: list[str] = []  # each option's label source, for its id
    number_answers: list[NumberAnswer] = []
    text_answers: list[str] = []
    text_feedback: list[str] = []  # per text answer, "" where it has none

    def feedback(item: _Item) -> str:
        if item.feedback is None:
            return ""
        html: str = md.renderer.render(tokens[item.feedback[0]:item.feedback[1]], md.options, {})
        return html

    def label(item: _Item) -> str:
        html: str = md.renderer.renderInline(item.parts, md.options, {})  # type: ignore[attr-defined]
        return html.strip()

    if qtype in TASK_LIST_TYPES:
        for item in items:
            if item.checked is None:
                diags.append(Diagnostic.make(DiagCode.NOT_A_TASK_LIST, ctx.path, item.line, 1,
                                             text=item.source[:60]))
            options.append(Option("", label(item), item.text, bool(item.checked),
                                  feedback(item)))
            sources.append(item.source)
        correct = sum(1 for o in options if o.is_correct)
        if qtype is QuestionType.TRUEFALSE and len(items) != 2:
            diags.append(Diagnostic.make(DiagCode.TRUEFALSE_OPTIONS, ctx.path, line, 1,
                                         got=len(items)))
        elif qtype is not QuestionType.TRUEFALSE and len(items) < 2:
            diags.append(Diagnostic.make(DiagCode.TOO_FEW_OPTIONS, ctx.path, line, 1,
                                         type=qtype.value, min=2, got=len(items)))
        if qtype is QuestionType.MULTIPLE:
            if correct == 0:
                diags.append(Diagnostic.make(DiagCode.NO_CORRECT, ctx.path, line, 1))
        elif correct != 1:
            diags.append(Diagnostic.make(DiagCode.WRONG_CORRECT_COUNT, ctx.path, line, 1,
                                         type=qtype.value, got=correct))
        if scoring is Scoring.PARTIAL and qtype is not QuestionType.MULTIPLE:
            diags.append(Diagnostic.make(
                DiagCode.UNUSED_ANSWER_CONTENT, ctx.path, line, 1, severity=Severity.WARNING,
                type=qtype.value, detail="scoring=partial has no effect"))
    elif qtype is QuestionType.ORDER:
        for item in items:
            options.append(Option("", label(item), item.text, True, feedback(item)))
            sources.append(item.source)
        if len(items) < 2:
            diags.append(Diagnostic.make(DiagCode.TOO_FEW_OPTIONS, ctx.path, line, 1,
                                         type=qtype.value, min=2, got=len(items)))
    elif qtype is QuestionType.MATCH:
        for item in items:
            left, sep, right = item.source.partition("=>")
            if not sep or not left.strip() or not right.strip():
                diags.append(Diagnostic.make(DiagCode.BAD_MATCH_ITEM, ctx.path, item.line, 1,
                                             text=item.source[:60]))
                continue
            options.append(Option("", _render_inline(left), _plain(left), True,
                                  feedback(item), _render_inline(right), _plain(right)))
            sources.append(left.strip())
        if len(items) < 2:
            diags.append(Diagnostic.make(DiagCode.TOO_FEW_OPTIONS, ctx.path, line, 1,
                                         type=qtype.value, min=2, got=len(items)))
    elif qtype is QuestionType.NUMBER:
        if len(items) != 1:
            diags.append(Diagnostic.make(DiagCode.ONE_NUMBER, ctx.path, line, 1, got=len(items)))
        for item in items[:1]:
            match = NUMBER_ANSWER.match(item.source)
            if not item.source.startswith("="):
                diags.append(Diagnostic.make(DiagCode.BAD_ANSWER_ITEM, ctx.path, item.line, 1,
                                             text=item.source[:60]))
            elif match is None:
                diags.append(Diagnostic.make(DiagCode.NOT_A_NUMBER, ctx.path, item.line, 1,
                                             text=item.source[:60]))
            else:
                tolerance = match.group(2) or "0"
                number_answers.append(NumberAnswer(float(match.group(1).replace(",", ".")),
                                                   abs(float(tolerance.replace(",", "."))),
                                                   feedback(item)))
    elif qtype is QuestionType.TEXT:
        for item in items:
            if not item.source.startswith("=") or not item.source[1:].strip():
                diags.append(Diagnostic.make(DiagCode.BAD_ANSWER_ITEM, ctx.path, item.line, 1,
                                             text=item.source[:60]))
                continue
            text_answers.append(item.source[1:].strip())
            text_feedback.append(feedback(item))
    if sum(1 for d in diags if d.is_error) > errors_before:
        return None
    ids = option_ids(qid, sources)
    return Question(
        id=qid, type=qtype, stem_html=stem_html, points=points, scoring=scoring,
        is_inline=inline,
        options=tuple(replace(o, id=i) for o, i in zip(options, ids, strict=True)),
        number_answers=tuple(number_answers),
        text_answers=tuple(text_answers), text_feedback_html=tuple(text_feedback),
        explanation_html=explanation_html,
        path=ctx.path, line=line)


def _parse_cloze(tokens: list[Token], start: int, end: int, ctx: Context, head: Question,
                 errors_before: int) -> Question | None:
    """A cloze question: no answer list; every block is the stem, except a last blockquote
    after it, which is the explanation. The gaps stand in the stem."""
    md = make_parser()
    blocks = children(tokens, start + 1, end - 1)
    explanation_html = ""
    if len(blocks) > 1 and tokens[blocks[-1][0]].type == "blockquote_open":
        first, last = blocks.pop()
        explanation_html = md.renderer.render(tokens[first + 1:last - 1], md.options, {})
    stem_tokens = [t for s, e in blocks for t in tokens[s:e]]
    for token in stem_tokens:
        if token.type == "container_block_open" and block_name(token) == "question":
            ctx.diagnostics.append(Diagnostic.make(DiagCode.NESTED_QUESTION, ctx.path,
                                                   _line(token), 1, outer="a question"))
    gaps = find_gaps(stem_tokens, head.id, head.line, ctx, option_ids)
    if gaps is None or sum(1 for d in ctx.diagnostics if d.is_error) > errors_before:
        return None
    # raw markdown-it output with gap elements; parse_document sanitises and cuts it
    stem_html = md.renderer.render(stem_tokens, md.options, {})
    return replace(head, stem_html=stem_html, explanation_html=explanation_html, gaps=gaps)


def _plain(source: str) -> str:
    return re.sub(r"[*_`]", "", source).strip()
