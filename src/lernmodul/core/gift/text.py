"""GIFT text in its four formats ([moodle], [plain], [markdown], [html]) to safe Markdown."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

#: Stand-ins the reader puts into GIFT text: a '\n' escape and the blank of a missing word.
NEWLINE = "\ue008"
BLANK = "\ue010"
BLANK_MARKDOWN = r"\_\_\_"

FORMATS = ("moodle", "plain", "markdown", "html")

# the same tag shape the compiler reports as raw HTML
RAW_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]*)?/?>")
_COMMENT = re.compile(r"<!--.*?(?:-->|\Z)", re.DOTALL)
_ENTITY = re.compile(r"&(?:#\d+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);")
_ESCAPE_ANYWHERE = re.compile(r"([\\`*_\[\]<~])")
_IMAGE = re.compile(r"!\[([^\]]*)\]\(\s*<?([^)\s>]*)>?(?:\s+[\"'][^\"']*[\"'])?\s*\)")
_LINE_START = re.compile(r"^(\s*)(#|[-+=](?=\s|$)|>|:{3}|\d{1,9}(?=[.)](?:\s|$)))")
_LIST_ITEM = re.compile(r"^\s{0,3}([-+*]|\d{1,9}[.)])(\s|$)")
_SPACES = re.compile(r"[ \t\r\f\v]+")
_PARA = "\ue020"
_BREAK = "\ue021"
_BLOCK_TAGS = frozenset({
    "p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "table", "blockquote", "pre",
    "section", "article", "header", "footer", "figure", "hr", "dl"})
_LINE_TAGS = frozenset({"br", "tr", "dt", "dd"})
_EMPHASIS = {"b": "**", "strong": "**", "i": "*", "em": "*"}
_SKIP = frozenset({"script", "style", "head", "title", "template"})
_LINK_SCHEMES = ("http://", "https://", "mailto:")


@dataclass
class Markdown:
    """Converted text: Markdown paragraphs, whether HTML was turned into Markdown, and the
    images that could not be carried over."""

    text: str
    had_html: bool = False
    images: list[str] = field(default_factory=list)


def split_format(text: str, default: str) -> tuple[str, str]:
    """A leading [html], [moodle], [plain] or [markdown] chooses the format, as in Moodle;
    anything else in brackets is text."""
    stripped = text.lstrip()
    if stripped.startswith("["):
        end = stripped.find("]")
        name = stripped[1:end] if end > 0 else ""
        if name in FORMATS:
            return stripped[end + 1:], name
    return text, default


def looks_like_html(text: str) -> bool:
    return bool(RAW_TAG.search(text) or _ENTITY.search(text) or _COMMENT.search(text))


def to_markdown(text: str, fmt: str) -> Markdown:
    """One GIFT text (escapes already resolved) as Markdown with paragraphs and line breaks."""
    if fmt == "markdown":
        return _from_markdown(text)
    if fmt == "html" or (fmt == "moodle" and looks_like_html(text)):
        return _from_html(text)
    # [moodle] and [plain]: text; source line breaks are spaces, '\n' escapes break lines
    text = text.replace("\n", " ").replace(NEWLINE, "\n")
    paragraphs = [[line for line in (_SPACES.sub(" ", x).strip() for x in p.split("\n"))]
                  for p in re.split(r"\n[ \t]*\n", text)]
    return Markdown(_join(paragraphs, escape=True))


def _join(paragraphs: list[list[str]], *, escape: bool) -> str:
    """Paragraphs of lines to Markdown: a blank line between paragraphs, hard breaks between
    lines. With `escape`, the lines are literal text and get every Markdown character escaped."""
    out = []
    for lines in paragraphs:
        lines = [escape_line(x) if escape else x for x in lines if x.strip()]
        if lines:
            out.append("\\\n".join(lines))
    return "\n\n".join(out)


def escape_line(text: str) -> str:
    """Literal text as a line of Markdown source that renders as exactly this text."""
    return protect_line_start(escape_text(text))


def escape_text(text: str) -> str:
    """Literal text as Markdown. Tag-like text (`<p>`) becomes a code span: shown as typed,
    and not mistaken for raw HTML."""
    parts = []
    last = 0
    for match in RAW_TAG.finditer(text):
        parts.append(_escape_text(text[last:match.start()]))
        parts.append(_code_span(match.group(0)))
        last = match.end()
    parts.append(_escape_text(text[last:]))
    return "".join(parts)


def _escape_text(text: str) -> str:
    text = _ESCAPE_ANYWHERE.sub(r"\\\1", text)
    text = _ENTITY.sub(lambda m: "\\" + m.group(0), text)
    return text.replace("=>", "=\\>")


def _code_span(text: str) -> str:
    fence = "``" if "`" in text else "`"
    return f"{fence} {text} {fence}" if fence == "``" else f"`{text}`"


def protect_line_start(line: str) -> str:
    """Escapes what would make a line a heading, list item, quote, setext line or ':::' block."""
    match = _LINE_START.match(line)
    if match is None:
        return line
    # '1.' is escaped as '1\.', everything else by a backslash in front
    at = match.end(2) if match.group(2)[0].isdigit() else match.end(1)
    return line[:at] + "\\" + line[at:]


def as_inline(text: str) -> str:
    """Markdown for one line (an answer option): paragraphs and line breaks become spaces."""
    text = re.sub(r"\\?\n\s*", " ", text.replace(BLANK, BLANK_MARKDOWN)).strip()
    return protect_line_start(text)


def as_block(text: str, *, stem: bool) -> str:
    """Markdown blocks for a stem, feedback or explanation. A stem may not contain a list (the
    first list of a question is its answers), so list lines there become escaped lines."""
    text = text.replace(BLANK, BLANK_MARKDOWN)
    lines = text.split("\n")
    out: list[str] = []
    for line in lines:
        if re.match(r"^\s{0,3}:{3}", line):
            line = protect_line_start(line.lstrip())
        elif stem and _LIST_ITEM.match(line):
            line = protect_line_start(line.lstrip().replace("*", "\\*", 1))
            if out and out[-1].strip() and not out[-1].endswith("\\"):
                out[-1] += "\\"
        out.append(line)
    return "\n".join(out).strip("\n")


def _from_markdown(text: str) -> Markdown:
    result = Markdown("")
    text = text.replace(NEWLINE, "\n")

    def image(match: re.Match[str]) -> str:
        result.images.append(match.group(2))
        return match.group(1)

    text = _IMAGE.sub(image, text)
    if RAW_TAG.search(text) or _COMMENT.search(text):
        # Markdown with HTML in it: the tags go, their text stays
        result.had_html = True
        text = _COMMENT.sub("", text)

        def tag(match: re.Match[str]) -> str:
            name = re.match(r"</?([A-Za-z0-9-]+)", match.group(0))
            word = name.group(1).lower() if name else ""
            if word == "img":
                src = re.search(r"src\s*=\s*[\"']?([^\"'\s>]*)", match.group(0))
                result.images.append(src.group(1) if src else "")
            if word in _BLOCK_TAGS:
                return "\n\n"
            return "  \n" if word in _LINE_TAGS else ""

        text = RAW_TAG.sub(tag, text)
    lines = [line.strip() for line in text.split("\n")]
    result.text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    return result


def _from_html(text: str) -> Markdown:
    parser = _HtmlToMarkdown()
    try:
        parser.feed(text.replace(NEWLINE, " "))
        parser.close()
        raw = "".join(parser.out)
    except (AssertionError, ValueError):  # html.parser gives up on some broken markup
        stripped = RAW_TAG.sub(" ", _COMMENT.sub(" ", text.replace(NEWLINE, " ")))
        raw = escape_text(_SPACES.sub(" ", stripped.replace("\n", " ")))
        parser.images = []
    paragraphs = [[line.strip() for line in p.split(_BREAK)] for p in raw.split(_PARA)]
    lines_out = []
    for lines in paragraphs:
        kept = [protect_line_start(_SPACES.sub(" ", x).strip()) for x in lines if x.strip()]
        if kept:
            lines_out.append("\\\n".join(kept))
    # text in [html] without a tag, entity or comment loses nothing: no warning for it
    return Markdown("\n\n".join(lines_out), had_html=looks_like_html(text),
                    images=parser.images)


class _HtmlToMarkdown(HTMLParser):
    """Readable Markdown from HTML: paragraphs, line breaks, bold, italics, links to web
    addresses; list items as lines; every other tag dropped, its text kept and escaped."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.images: list[str] = []
        self.skip = 0
        self.stack: list[tuple[str, list[str], str]] = []  # (tag, outer out, href)
        self.lists: list[list[int]] = []  # counters; -1 for bullets

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self.skip += 1
            return
        values = {k: v or "" for k, v in attrs}
        if tag in ("ul", "ol"):
            self.lists.append([0 if tag == "ol" else -1])
        if tag in _BLOCK_TAGS:
            self.out.append(_PARA)
        elif tag in _LINE_TAGS:
            self.out.append(_BREAK)
        elif tag == "li":
            self.out.append(_BREAK)
            counter = self.lists[-1] if self.lists else [-1]
            if counter[0] >= 0:
                counter[0] += 1
                self.out.append(f"{counter[0]}\\. ")
            else:
                self.out.append("• ")
        elif tag in ("td", "th"):
            self.out.append(" ")
        elif tag == "img":
            self.images.append(values.get("src", ""))
            alt = values.get("alt", "").strip()
            if alt:
                self.out.append(escape_line(alt))
        elif tag in _EMPHASIS or tag == "a":
            self.stack.append((tag, self.out, values.get("href", "").strip()))
            self.out = []

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self.skip = max(0, self.skip - 1)
            return
        if tag in ("ul", "ol") and self.lists:
            self.lists.pop()
        if tag in _BLOCK_TAGS:
            self.out.append(_PARA)
            return
        if not any(t == tag for t, _, _ in self.stack):
            return
        while self.stack:
            open_tag, outer, href = self.stack.pop()
            inner = "".join(self.out)
            self.out = outer
            self.out.append(_wrap(open_tag, inner, href))
            if open_tag == tag:
                break

    def handle_data(self, data: str) -> None:
        if self.skip:
            return
        self.out.append(escape_text(re.sub(r"\s+", " ", data)))

    def close(self) -> None:
        super().close()
        while self.stack:
            self.handle_endtag(self.stack[-1][0])


def _wrap(tag: str, inner: str, href: str) -> str:
    """Emphasis and links around their text, keeping outer spaces outside the markers."""
    core = inner.strip()
    if not core or _PARA in core or _BREAK in core:
        return inner
    lead = " " if inner[:1].isspace() else ""
    trail = " " if inner[-1:].isspace() else ""
    if tag == "a":
        if href.lower().startswith(_LINK_SCHEMES):
            target = href.replace(" ", "%20").replace("(", "%28").replace(")", "%29")
            return f"{lead}[{core}]({target}){trail}"
        return inner
    marker = _EMPHASIS[tag]
    return f"{lead}{marker}{core}{marker}{trail}"
