"""The second pass: from markdown-it tokens of one file to segments, questions and media."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from markdown_it.token import Token

from ..diagnostics import DiagCode, Diagnostic
from ..model import Question, Segment
from .cloze import readable_stem, split_stem
from .html import sanitize_many, slugify
from .parser import ADMONITIONS, block_name, children, make_parser
from .questions import parse_question

ADMONITION_TITLES = {
    "de": {"note": "Hinweis", "tip": "Tipp", "warning": "Achtung", "example": "Beispiel"},
    "en": {"note": "Note", "tip": "Tip", "warning": "Warning", "example": "Example"},
}
_CLOSER = re.compile(r"\s*:{3,}\s*\Z")
_RAW_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9-]*(\s[^<>]*)?/?>")
# a cloze gap's answers are plain text ("[[<b>]]" asks for "<b>"): never raw HTML
_GAP_TEXT = re.compile(r"\[\[.*?\]\]")


@dataclass
class Document:
    """One parsed file: front matter text, body segments, questions and referenced media."""

    path: str
    front_matter: str | None = None
    front_matter_lines: int = 0
    segments: list[Segment] = field(default_factory=list)
    questions: list[Question] = field(default_factory=list)
    media: list[str] = field(default_factory=list)
    first_heading: str | None = None


@dataclass
class Context:
    path: str
    language: str
    id_prefix: str
    files: frozenset[str]
    media_base: str
    diagnostics: list[Diagnostic]
    derived_id_base: str = ""
    # every question's id and line in file order, also of questions that have errors (and
    # are left out of the Document), so that a repeated id is reported next to them
    question_ids: list[tuple[str, int]] = field(default_factory=list)
    #: the file's lines (for the columns of gaps in cloze questions)
    source_lines: list[str] = field(default_factory=list)


def parse_document(text: str, ctx: Context) -> Document:
    md = make_parser()
    env: dict[str, object] = {}
    try:
        tokens = md.parse(text, env)
    except (IndexError, KeyError, ValueError, RecursionError) as exc:
        # a defect in a parser plugin must not take the whole course down: report the file
        ctx.diagnostics.append(Diagnostic.make(DiagCode.PARSER_FAILURE, ctx.path, 1, 1,
                                               detail=type(exc).__name__))
        return Document(ctx.path)
    lines = text.split("\n")
    ctx.source_lines = lines
    doc = Document(ctx.path)
    _decorate(tokens, ctx, doc, lines)
    pending: list[str] = []
    admonitions: dict[int, str] = {}  # segment index -> admonition name (wrapped after cleaning)

    def flush() -> None:
        if pending:
            doc.segments.append(Segment(html="".join(pending)))
            pending.clear()

    for start, end in children(tokens, 0, len(tokens)):
        token = tokens[start]
        kind = token.type
        if kind == "front_matter":
            doc.front_matter = token.content
            doc.front_matter_lines = token.map[1] if token.map else 0
            continue
        name = block_name(token) if kind == "container_block_open" else ""
        if name == "question":
            _check_closed(token, lines, ctx)
            question = parse_question(tokens, start, end, ctx, len(ctx.question_ids) + 1)
            if question is None:
                continue
            doc.questions.append(question)
            if question.is_inline:
                flush()
                doc.segments.append(Segment(question_id=question.id))
            continue
        if name:
            _check_closed(token, lines, ctx)
            _reject_nested_questions(tokens, start + 1, end - 1, ctx, f"::: {name}")
            inner = md.renderer.render(tokens[start + 1:end - 1], md.options, env)
            if name in ADMONITIONS:
                flush()
                admonitions[len(doc.segments)] = name
                doc.segments.append(Segment(html=inner))
            else:
                ctx.diagnostics.append(Diagnostic.make(
                    DiagCode.UNKNOWN_BLOCK, ctx.path, _line(token), 1,
                    text=":::" + token.info.rstrip()))
                pending.append(inner)
            continue
        _reject_nested_questions(tokens, start, end, ctx, "a list or quote")
        pending.append(md.renderer.render(tokens[start:end], md.options, env))
    flush()
    _sanitize(doc, admonitions, ctx.language)
    return doc


def _sanitize(doc: Document, admonitions: dict[int, str], language: str) -> None:
    """Every piece of HTML of the file through one sanitiser call, then the trusted wrappers."""
    parts = [s.html for s in doc.segments]
    for q in doc.questions:
        parts += [q.stem_html, q.explanation_html]
        for o in q.options:
            parts += [o.html, o.feedback_html, o.match_html]
        parts += [a.feedback_html for a in q.number_answers]
        parts += list(q.text_feedback_html)
    clean = iter(sanitize_many(parts))
    titles = ADMONITION_TITLES.get(language, ADMONITION_TITLES["en"])
    segments = []
    for index, segment in enumerate(doc.segments):
        html = next(clean)
        if index in admonitions:
            name = admonitions[index]
            html = (f'<div class="admonition admonition-{name}" role="note">'
                    f'<p class="admonition-title">{titles[name]}</p>{html}</div>')
        segments.append(replace(segment, html=html))
    doc.segments = segments
    questions = []
    for q in doc.questions:
        stem, explanation = next(clean), next(clean)
        options = tuple(replace(o, html=next(clean), feedback_html=next(clean),
                                match_html=next(clean)) for o in q.options)
        numbers = tuple(replace(a, feedback_html=next(clean)) for a in q.number_answers)
        texts = tuple(next(clean) for _ in q.text_feedback_html)
        stem_parts: tuple[str, ...] = ()
        if q.gaps:
            stem_parts = split_stem(stem, len(q.gaps))
            stem = readable_stem(stem_parts)
        questions.append(replace(q, stem_html=stem, explanation_html=explanation,
                                 options=options, number_answers=numbers,
                                 text_feedback_html=texts, stem_parts=stem_parts))
    doc.questions = questions


def _line(token: Token) -> int:
    return token.map[0] + 1 if token.map else 1


def _check_closed(token: Token, lines: list[str], ctx: Context) -> None:
    if token.map and token.map[1] < len(lines) and _CLOSER.match(lines[token.map[1]]):
        return
    ctx.diagnostics.append(Diagnostic.make(DiagCode.UNCLOSED_BLOCK, ctx.path, _line(token), 1,
                                           text=":::" + token.info.rstrip()))


def _reject_nested_questions(tokens: list[Token], start: int, end: int, ctx: Context,
                             outer: str) -> None:
    for token in tokens[start:end]:
        if token.type == "container_block_open" and block_name(token) == "question":
            ctx.diagnostics.append(Diagnostic.make(DiagCode.NESTED_QUESTION, ctx.path,
                                                   _line(token), 1, outer=outer))


def _decorate(tokens: list[Token], ctx: Context, doc: Document, lines: list[str]) -> None:
    """One walk over all tokens: heading ids, table alignment classes, media checks, raw HTML."""
    seen_slugs: dict[str, int] = {}
    raw_html_reported = False
    for index, token in enumerate(tokens):
        kind = token.type
        if kind == "heading_open":
            inline = tokens[index + 1]
            title = inline.content
            if doc.first_heading is None and token.tag == "h1":
                doc.first_heading = title
            slug = slugify(title)
            n = seen_slugs.get(slug, 0)
            seen_slugs[slug] = n + 1
            token.attrSet("id", f"{ctx.id_prefix}{slug}" + (f"-{n + 1}" if n else ""))
        elif kind in ("th_open", "td_open"):
            style = token.attrGet("style")
            if isinstance(style, str) and style.startswith("text-align:"):
                token.attrs.pop("style", None)
                token.attrSet("class", "align-" + style.split(":", 1)[1])
        elif kind == "inline" and token.children:
            for child in token.children:
                if child.type == "image":
                    _check_image(child, token, ctx, doc)
                elif (child.type == "text" and not raw_html_reported and "<" in child.content
                      and _RAW_TAG.search(_GAP_TEXT.sub("", child.content))):
                    raw_html_reported = True
                    ctx.diagnostics.append(Diagnostic.make(DiagCode.RAW_HTML, ctx.path,
                                                           _line(token), 1))
        elif kind == "paragraph_open" and token.map and not token.hidden:
            first = lines[token.map[0]] if token.map[0] < len(lines) else ""
            if first.startswith(":::") and first.strip(": ") and tokens[index + 1].type == "inline":
                # a ':::' line that no block rule took: e.g. an unknown word after it
                ctx.diagnostics.append(Diagnostic.make(DiagCode.UNKNOWN_BLOCK, ctx.path,
                                                       token.map[0] + 1, 1, text=first.strip()))


def _check_image(image: Token, inline: Token, ctx: Context, doc: Document) -> None:
    src = str(image.attrGet("src") or "")
    line = _line(inline)
    if not image.children and not image.content:
        ctx.diagnostics.append(Diagnostic.make(DiagCode.MISSING_ALT, ctx.path, line, 1, src=src))
    if re.match(r"[a-z][a-z0-9+.-]*:", src, re.IGNORECASE) or src.startswith("//"):
        ctx.diagnostics.append(Diagnostic.make(DiagCode.EXTERNAL_MEDIA, ctx.path, line, 1,
                                               src=src))
        return
    name = src.split("#", 1)[0].split("?", 1)[0]
    if name.startswith("./"):
        name = name[2:]
    if ".." in name.split("/") or name not in ctx.files or not name.startswith("media/"):
        ctx.diagnostics.append(Diagnostic.make(DiagCode.MISSING_MEDIA, ctx.path, line, 1,
                                               src=src))
        return
    doc.media.append(name)
    image.attrSet("src", ctx.media_base + name[len("media/"):])
