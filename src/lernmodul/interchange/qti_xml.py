"""QTI 2.1 XML: namespaces, element building, and the compiler's HTML as QTI's XHTML subset."""

from __future__ import annotations

import re
from collections.abc import Mapping

from lxml import etree
from lxml import html as lxml_html

QTI = "http://www.imsglobal.org/xsd/imsqti_v2p1"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
QTI_SCHEMA = f"{QTI} http://www.imsglobal.org/xsd/qti/qtiv2p1/imsqti_v2p1.xsd"
TEMPLATES = "http://www.imsglobal.org/question/qti_v2p1/rptemplates/"
MATCH_CORRECT = TEMPLATES + "match_correct"
MAP_RESPONSE = TEMPLATES + "map_response"
MAP_RESPONSE_POINT = TEMPLATES + "map_response_point"

#: the XHTML elements QTI 2.1 allows in item bodies, and the attributes kept on them
_ELEMENTS = frozenset({
    "a", "abbr", "acronym", "address", "b", "big", "blockquote", "br", "caption", "cite",
    "code", "col", "colgroup", "dd", "dfn", "div", "dl", "dt", "em", "h1", "h2", "h3", "h4",
    "h5", "h6", "hr", "i", "img", "kbd", "li", "ol", "p", "pre", "q", "samp", "small", "span",
    "strong", "sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "tt", "ul",
    "var"})
_ATTRIBUTES = {"a": ("href",), "img": ("src", "alt", "width", "height"),
               "td": ("colspan", "rowspan"), "th": ("colspan", "rowspan", "scope")}
_BLOCK_LIKE = {"section": "div", "article": "div", "aside": "div", "figure": "div",
               "figcaption": "div", "header": "div", "footer": "div", "details": "div",
               "summary": "div", "mark": "span", "s": "span", "del": "span", "ins": "span",
               "u": "span", "label": "span"}
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*\Z")


def q(tag: str) -> str:
    return f"{{{QTI}}}{tag}"


def sub(parent: etree._Element, tag: str, attrs: Mapping[str, str] | None = None,
        text: str | None = None) -> etree._Element:
    """A QTI child element with attributes (in the given order) and text."""
    element = etree.SubElement(parent, q(tag))
    for key, value in (attrs or {}).items():
        element.set(key, value)
    if text is not None:
        element.text = text
    return element


def identifier(value: str) -> str:
    """A QTI identifier for a lernmodul id: as it is, or with 'Q' in front when it starts
    with a digit (lernmodul ids are lower case, so the 'Q' is never part of one)."""
    return value if _IDENTIFIER.match(value) else "Q" + value


def lernmodul_id(value: str) -> str:
    """The inverse of `identifier` for identifiers lernmodul wrote."""
    return value[1:] if re.match(r"Q[0-9]", value) else value


def append_html(parent: etree._Element, markup: str, *, media_prefix: str = "") -> None:
    """Appends sanitised HTML to `parent` as QTI XHTML: allowed elements keep the attributes
    QTI knows, a few HTML5 elements become div/span, anything else leaves its text. Image
    sources that are relative get `media_prefix` in front (items live in a folder)."""
    if not markup.strip():
        return
    wrapper = lxml_html.fragment_fromstring(markup, create_parent="div")
    _copy_children(wrapper, parent, media_prefix)


def _append_text(parent: etree._Element, text: str | None) -> None:
    if not text:
        return
    if len(parent):
        last = parent[-1]
        last.tail = (last.tail or "") + text
    else:
        parent.text = (parent.text or "") + text


def _copy_children(source: etree._Element, target: etree._Element, media_prefix: str) -> None:
    _append_text(target, source.text)
    for child in source:
        if not isinstance(child.tag, str):  # comments and processing instructions
            _append_text(target, child.tail)
            continue
        tag = child.tag.lower()
        tag = _BLOCK_LIKE.get(tag, tag)
        if tag in _ELEMENTS:
            element = sub(target, tag)
            if child.get("class") and tag in ("div", "span", "p", "code", "pre"):
                element.set("class", child.get("class", ""))
            for name in _ATTRIBUTES.get(tag, ()):
                value = child.get(name)
                if value is None:
                    continue
                if name == "src" and media_prefix and not re.match(r"[a-z]+:|/", value):
                    value = media_prefix + value
                element.set(name, value)
            if tag == "img" and element.get("alt") is None:
                element.set("alt", "")
            _copy_children(child, element, media_prefix)
            element.tail = None
            _append_text(target, child.tail)
        else:  # an element QTI does not allow (a task-list checkbox, a form field): its text
            _copy_children(child, target, media_prefix)
            _append_text(target, child.tail)


def is_block_content(markup: str) -> bool:
    """Whether HTML starts with a block element (else it is inline text and needs a <p>)."""
    return bool(re.match(r"\s*<(p|div|ul|ol|table|pre|blockquote|h[1-6]|hr|dl|section|aside)\b",
                         markup))


def serialize(root: etree._Element) -> bytes:
    """UTF-8 XML with a declaration, the same bytes for the same tree. libxml2 indents only
    elements without text of their own, so mixed content (a paragraph) keeps its spaces."""
    data: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8",
                                 pretty_print=True)
    return data


def qti_root(tag: str, attrs: Mapping[str, str]) -> etree._Element:
    root = etree.Element(q(tag), nsmap={None: QTI, "xsi": XSI})  # type: ignore[dict-item]
    root.set(f"{{{XSI}}}schemaLocation", QTI_SCHEMA)
    for key, value in attrs.items():
        root.set(key, value)
    return root
