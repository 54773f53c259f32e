"""One QTI 2.1 assessmentItem to a question in the course format (Markdown), with a message
at its line for everything that cannot be converted."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from lxml import etree

from lernmodul.core.gift.text import as_block, as_inline, escape_line, to_markdown

from .cloze import Gap, gap_markdown
from .html import number_text
from .qti_xml import MAP_RESPONSE, MAP_RESPONSE_POINT, MATCH_CORRECT, lernmodul_id

NAMESPACES = ("http://www.imsglobal.org/xsd/imsqti_v2p1",
              "http://www.imsglobal.org/xsd/imsqti_v2p2")
SUPPORTED_BLOCK = ("choiceInteraction", "orderInteraction", "matchInteraction",
                   "associateInteraction")
SUPPORTED_INLINE = ("textEntryInteraction", "inlineChoiceInteraction")
_TEMPLATES = (MATCH_CORRECT, MAP_RESPONSE, MAP_RESPONSE_POINT)
_TRUE_WORDS = {"wahr", "richtig", "stimmt", "ja", "true", "yes"}
_E = etree._Element


class Unconvertible(Exception):
    """The item cannot become a question; `line` is where, the text says why."""

    def __init__(self, line: int, text: str) -> None:
        super().__init__(text)
        self.line = line
        self.text = text


@dataclass
class ReadItem:
    """A converted question: its Markdown block, the wanted id, and warnings (line, text)."""

    id: str
    markdown: str
    warnings: list[tuple[int, str]] = field(default_factory=list)


def local(element: _E) -> str:
    tag = element.tag
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def line_of(element: _E | None) -> int:
    line = element.sourceline if element is not None else 0
    return line if isinstance(line, int) else 0


def children(element: _E, name: str) -> list[_E]:
    return [c for c in element if local(c) == name]


def first(element: _E, name: str) -> _E | None:
    return next((c for c in element.iter() if local(c) == name), None)


def to_html(element: _E, *, skip: tuple[_E, ...] = ()) -> str:
    """The XHTML content of `element` (not the element itself) as plain HTML, namespaces
    dropped; elements in `skip` are left out."""
    parts = [_escape(element.text or "")]
    for child in element:
        if child in skip:
            parts.append(_escape(child.tail or ""))
            continue
        if isinstance(child.tag, str):
            name = local(child)
            attrs = "".join(f' {etree.QName(k).localname}="{_escape(str(v), quote=True)}"'
                            for k, v in child.attrib.items()
                            if etree.QName(k).localname in ("href", "src", "alt"))
            parts.append(f"<{name}{attrs}>{to_html(child, skip=skip)}</{name}>")
        parts.append(_escape(child.tail or ""))
    return "".join(parts)


def _escape(text: str, *, quote: bool = False) -> str:
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace('"', "&quot;") if quote else text


def _quote(markdown: str, indent: str) -> str:
    return "\n".join(f"{indent}> {line}".rstrip() for line in markdown.split("\n"))


class _Reader:
    def __init__(self, root: _E) -> None:
        self.root = root
        self.warnings: list[tuple[int, str]] = []
        self.ours = root.get("toolName") == "lernmodul"
        self.declarations = {d.get("identifier", ""): d
                             for d in children(root, "responseDeclaration")}
        self.feedback = {m.get("identifier", ""): m for m in children(root, "modalFeedback")}
        self.used_feedback: set[str] = set()

    def warn(self, element: _E | None, text: str) -> None:
        self.warnings.append((line_of(element), text))

    # --- text ---------------------------------------------------------------------

    def markdown(self, html: str) -> str:
        converted = to_markdown(html, "html")
        if converted.images:
            self.warn(self.root, "images are not carried over: " + ", ".join(converted.images))
        return converted.text

    def inline(self, element: _E) -> str:
        return as_inline(self.markdown(to_html(element)))

    def take_feedback(self, ident: str) -> str:
        modal = self.feedback.get(ident)
        if modal is None:
            return ""
        self.used_feedback.add(ident)
        return as_block(self.markdown(to_html(modal)), stem=False)

    # --- values -------------------------------------------------------------------

    def declaration(self, ident: str, at: _E) -> _E:
        declaration = self.declarations.get(ident)
        if declaration is None:
            raise Unconvertible(line_of(at), f"no responseDeclaration for '{ident}'")
        return declaration

    def correct(self, declaration: _E) -> list[str]:
        correct = first(declaration, "correctResponse")
        values = [(v.text or "").strip() for v in children(correct, "value")] \
            if correct is not None else []
        if not values:
            mapping = first(declaration, "mapping")
            if mapping is not None:  # no key given, the mapping says what scores
                values = [e.get("mapKey", "") for e in children(mapping, "mapEntry")
                          if float(e.get("mappedValue", "0")) > 0]
        if not values:
            raise Unconvertible(line_of(declaration), "no correctResponse: the right answer "
                                "is unknown")
        return values

    def points(self) -> float:
        for outcome in children(self.root, "outcomeDeclaration"):
            if outcome.get("identifier") == "MAXSCORE":
                value = first(outcome, "value")
                try:
                    points = float((value.text or "") if value is not None else "")
                except ValueError:
                    return 1.0
                return points if 0 < points < 1e9 else 1.0
        return 1.0

    def processing(self) -> _E | None:
        rp = first(self.root, "responseProcessing")
        if rp is None:
            return None
        template = rp.get("template", "")
        if template:
            if template not in _TEMPLATES and not template.rstrip("/").endswith(
                    ("match_correct", "map_response", "map_response_point")):
                self.warn(rp, f"response processing template {template} is not a standard "
                          "one: scored by the correct response instead")
        elif not self.ours:
            self.warn(rp, "custom response processing: scored by the correct response "
                      "(and mapping) instead")
        return rp

    # --- the question -------------------------------------------------------------

    def read(self) -> tuple[str, str, str, str]:
        """(type, header options, stem Markdown, answers Markdown)."""
        body = first(self.root, "itemBody")
        if body is None:
            raise Unconvertible(line_of(self.root), "no itemBody")
        interactions = [e for e in body.iter() if local(e).endswith("Interaction")]
        if not interactions:
            raise Unconvertible(line_of(body), "no interaction: nothing to answer")
        for element in interactions:
            if local(element) not in SUPPORTED_BLOCK + SUPPORTED_INLINE:
                raise Unconvertible(line_of(element),
                                    f"{local(element)} is not supported (only choice, order, "
                                    "match, associate, text entry and inline choice)")
        rp = self.processing()
        blocks = [e for e in interactions if local(e) in SUPPORTED_BLOCK]
        if blocks:
            if len(interactions) > 1:
                raise Unconvertible(line_of(interactions[1]),
                                    "more than one interaction in one item")
            interaction = blocks[0]
            prompt = first(interaction, "prompt")
            stem = to_html(body, skip=(interaction,))
            if prompt is not None:
                stem += to_html(prompt)
            qtype, options, answers = getattr(self, "_" + local(interaction))(interaction, rp)
            return qtype, options, self.markdown(stem), answers
        entry = interactions[0]
        parent = entry.getparent()
        alone = (len(interactions) == 1 and local(entry) == "textEntryInteraction"
                 and parent is not None and not (parent.text or "").strip()
                 and not (entry.tail or "").strip() and len(parent) == 1)
        if alone:
            assert parent is not None
            qtype, options, answers = self._text_entry(entry, rp)
            return qtype, options, self.markdown(to_html(body, skip=(parent,))), answers
        return self._cloze(body, interactions, rp)

    def _choiceInteraction(self, interaction: _E, rp: _E | None) -> tuple[str, str, str]:
        declaration = self.declaration(interaction.get("responseIdentifier", ""), interaction)
        right = set(self.correct(declaration))
        choices = children(interaction, "simpleChoice")
        multiple = declaration.get("cardinality") == "multiple"
        qtype = "multiple" if multiple else "single"
        labels = [self.inline(c) for c in choices]
        if not multiple and (interaction.get("class") == "lernmodul-truefalse" or (
                len(choices) == 2 and labels[0].lower() in _TRUE_WORDS)):
            qtype = "truefalse"
        lines = []
        for choice, label in zip(choices, labels, strict=True):
            ident = choice.get("identifier", "")
            lines.append(f"- [{'x' if ident in right else ' '}] {label}")
            feedback = self.take_feedback(ident)
            if feedback:
                lines.append(_quote(feedback, "  "))
        scoring = ""
        if multiple and first(declaration, "mapping") is not None:
            scoring = " scoring=partial"
        return qtype, scoring, "\n".join(lines)

    def _orderInteraction(self, interaction: _E, rp: _E | None) -> tuple[str, str, str]:
        declaration = self.declaration(interaction.get("responseIdentifier", ""), interaction)
        order = self.correct(declaration)
        choices = {c.get("identifier", ""): c for c in children(interaction, "simpleChoice")}
        lines = []
        for number, ident in enumerate(order, start=1):
            choice = choices.get(ident)
            if choice is None:
                raise Unconvertible(line_of(declaration), f"correct order names '{ident}', "
                                    "which is no choice")
            lines.append(f"{number}. {self.inline(choice)}")
            feedback = self.take_feedback(ident)
            if feedback:
                lines.append(_quote(feedback, "   "))
        partial = rp is not None and first(rp, "index") is not None
        return "order", " scoring=partial" if partial else "", "\n".join(lines)

    def _matchInteraction(self, interaction: _E, rp: _E | None) -> tuple[str, str, str]:
        declaration = self.declaration(interaction.get("responseIdentifier", ""), interaction)
        sets = children(interaction, "simpleMatchSet")
        if len(sets) != 2:
            raise Unconvertible(line_of(interaction), "a matchInteraction needs two match sets")
        left = {c.get("identifier", ""): c for c in children(sets[0], "simpleAssociableChoice")}
        right = {c.get("identifier", ""): c for c in children(sets[1], "simpleAssociableChoice")}
        return self._pairs(declaration, left, right, interaction)

    def _associateInteraction(self, interaction: _E, rp: _E | None) -> tuple[str, str, str]:
        declaration = self.declaration(interaction.get("responseIdentifier", ""), interaction)
        choices = {c.get("identifier", ""): c
                   for c in children(interaction, "simpleAssociableChoice")}
        return self._pairs(declaration, choices, choices, interaction)

    def _pairs(self, declaration: _E, left: dict[str, _E], right: dict[str, _E],
               at: _E) -> tuple[str, str, str]:
        lines = []
        seen: set[str] = set()
        used_right: set[str] = set()
        for pair in self.correct(declaration):
            parts = pair.split()
            if len(parts) != 2 or parts[0] not in left or parts[1] not in right:
                raise Unconvertible(line_of(declaration), f"pair '{pair}' names no choices")
            if parts[0] in seen:
                raise Unconvertible(line_of(declaration), f"'{parts[0]}' has two right "
                                    "partners; lernmodul pairs each left side with one")
            seen.add(parts[0])
            used_right.add(parts[1])
            right_text = self.inline(right[parts[1]])
            lines.append(f"- {self.inline(left[parts[0]])} => {right_text}")
            feedback = self.take_feedback(parts[0])
            if feedback:
                lines.append(_quote(feedback, "  "))
        if left is not right:
            for ident, choice in right.items():
                if ident not in used_right:
                    self.warn(choice, f"'{self.inline(choice)}' belongs to no left side: "
                              "distractors are left out")
        partial = first(declaration, "mapping") is not None
        return "match", " scoring=partial" if partial else "", "\n".join(lines)

    def _text_entry(self, entry: _E, rp: _E | None) -> tuple[str, str, str]:
        declaration = self.declaration(entry.get("responseIdentifier", ""), entry)
        base = declaration.get("baseType", "string")
        if base in ("float", "integer"):
            value = self.correct(declaration)[0]
            tolerance = self.tolerance(rp, declaration)
            try:
                number = float(value)
            except ValueError:
                number = math.nan
            if not math.isfinite(number) or not math.isfinite(tolerance):
                raise Unconvertible(line_of(declaration), f"'{value}' is no number")
            text = f"- = {number_text(number)}" + (f" ± {number_text(tolerance)}"
                                                   if tolerance else "")
            feedback = self.take_feedback("answer-1")
            return "number", "", text + ("\n" + _quote(feedback, "  ") if feedback else "")
        answers = self.correct(declaration)
        mapping = first(declaration, "mapping")
        if mapping is not None:
            for entry_ in children(mapping, "mapEntry"):
                key = entry_.get("mapKey", "")
                if float(entry_.get("mappedValue", "0")) > 0 and key not in answers:
                    answers.append(key)
        lines = []
        for number, answer in enumerate(answers, start=1):
            answer = re.sub(r"\s+", " ", answer).strip()
            if not answer:
                continue
            lines.append(f"- = {answer}")
            feedback = self.take_feedback(f"answer-{number}")
            if feedback:
                lines.append(_quote(feedback, "  "))
        return "text", "", "\n".join(lines)

    def tolerance(self, rp: _E | None, declaration: _E, ident: str = "RESPONSE") -> float:
        """The absolute tolerance of an <equal> on this response, 0 without one."""
        if rp is None:
            return 0.0
        for equal in rp.iter():
            if local(equal) != "equal":
                continue
            names = {v.get("identifier") for v in equal if local(v) in ("variable", "correct")}
            if ident not in names:
                continue
            if equal.get("toleranceMode") == "relative":
                self.warn(equal, "a relative tolerance is not supported: exact value used")
                return 0.0
            if equal.get("toleranceMode") == "absolute":
                values = (equal.get("tolerance") or "0").split()
                try:
                    return max(abs(float(v)) for v in values)
                except ValueError:
                    return 0.0
        return 0.0

    def _cloze(self, body: _E, interactions: list[_E],
               rp: _E | None) -> tuple[str, str, str, str]:
        """Text entry and inline choice gaps inside the text: a cloze question."""
        marks: dict[str, str] = {}
        for number, element in enumerate(interactions, start=1):
            declaration = self.declaration(element.get("responseIdentifier", ""), element)
            if local(element) == "inlineChoiceInteraction":
                right = self.correct(declaration)[0]
                options = children(element, "inlineChoice")
                texts = [re.sub(r"\s+", " ", "".join(str(t) for t in o.itertext())).strip() for o in options]
                idents = [o.get("identifier", "") for o in options]
                if right not in idents:
                    raise Unconvertible(line_of(declaration), f"'{right}' is no inline choice")
                gap = Gap("choice", tuple(texts), right=idents.index(right))
            elif declaration.get("baseType") in ("float", "integer"):
                value = float(self.correct(declaration)[0])
                tolerance = self.tolerance(rp, declaration, declaration.get("identifier", ""))
                if not math.isfinite(value) or not math.isfinite(tolerance):
                    raise Unconvertible(line_of(declaration), "the right value is no number")
                gap = Gap("number", value=value, tolerance=tolerance)
            else:
                answers = self.correct(declaration)
                mapping = first(declaration, "mapping")
                for entry in children(mapping, "mapEntry") if mapping is not None else []:
                    key = entry.get("mapKey", "")
                    if float(entry.get("mappedValue", "0")) > 0 and key not in answers:
                        answers.append(key)
                gap = Gap("text", tuple(answers))
            mark = f"\ue200{number}\ue201"
            marks[mark] = gap_markdown(gap)
            placeholder = etree.Element("span")
            placeholder.text = mark
            placeholder.tail = element.tail
            parent = element.getparent()
            assert parent is not None
            parent.replace(element, placeholder)
        stem = self.markdown(to_html(body))
        for mark, markdown in marks.items():
            stem = stem.replace(mark, markdown)
        partial = rp is not None and sum(1 for e in rp.iter() if local(e) == "responseCondition") > 1
        return "cloze", " scoring=partial" if partial else "", stem, ""


def read_item(root: _E) -> ReadItem:
    """Converts an assessmentItem element; raises Unconvertible when it cannot."""
    reader = _Reader(root)
    qtype, options, stem, answers = reader.read()
    ident = root.get("identifier", "")
    qid = lernmodul_id(ident) if reader.ours else ident
    points = reader.points()
    header = f"::: question {qtype} id={{id}}"
    if points != 1:
        header += f" points={number_text(points)}"
    header += options
    explanation = reader.take_feedback("explanation")
    for ident_, modal in reader.feedback.items():
        if ident_ in reader.used_feedback:
            continue
        if not explanation:  # a foreign item's one general feedback becomes the explanation
            explanation = reader.take_feedback(ident_)
            reader.warn(modal, f"feedback '{ident_}' becomes the explanation (shown after "
                        "every answer)")
        else:
            reader.warn(modal, f"feedback '{ident_}' is left out")
    stem_md = as_block(stem, stem=True) or escape_line(root.get("title", "") or qid)
    parts = [header + "\n" + stem_md]
    if answers:
        parts.append(answers)
    if explanation:
        parts.append(_quote(explanation, ""))
    return ReadItem(qid, "\n\n".join(parts) + "\n:::", reader.warnings)
