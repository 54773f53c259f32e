"""A structural check of QTI 2.1 items and content packages with lxml (for tests).

What it checks follows the QTI 2.1 information model: the order of an item's parts, required
attributes, declared and used identifiers, correct responses that name real choices,
response processing by a standard template or by rules over declared variables, modal
feedback on a declared outcome, and only QTI's XHTML subset in the item body.
"""

from __future__ import annotations

import re
import zipfile
from io import BytesIO

from lxml import etree

QTI = "{http://www.imsglobal.org/xsd/imsqti_v2p1}"
CP = "{http://www.imsglobal.org/xsd/imscp_v1p1}"
TEMPLATES = {f"http://www.imsglobal.org/question/qti_v2p1/rptemplates/{n}"
             for n in ("match_correct", "map_response", "map_response_point")}
ORDER = ["responseDeclaration", "outcomeDeclaration", "templateDeclaration",
         "templateProcessing", "stylesheet", "itemBody", "responseProcessing", "modalFeedback"]
XHTML = {"a", "abbr", "acronym", "address", "b", "big", "blockquote", "br", "caption", "cite",
         "code", "col", "colgroup", "dd", "dfn", "div", "dl", "dt", "em", "h1", "h2", "h3",
         "h4", "h5", "h6", "hr", "i", "img", "kbd", "li", "ol", "p", "pre", "q", "samp",
         "small", "span", "strong", "sub", "sup", "table", "tbody", "td", "tfoot", "th",
         "thead", "tr", "tt", "ul", "var"}
BODY_QTI = {"choiceInteraction", "orderInteraction", "matchInteraction", "textEntryInteraction",
            "inlineChoiceInteraction", "simpleChoice", "simpleMatchSet",
            "simpleAssociableChoice", "inlineChoice", "prompt"}
RULES = {"responseCondition", "responseIf", "responseElseIf", "responseElse", "setOutcomeValue",
         "match", "equal", "stringMatch", "isNull", "variable", "correct", "baseValue",
         "mapResponse", "sum", "multiple", "index", "and", "or", "not", "gt", "gte"}
IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*\Z")
CARDINALITIES = {"single", "multiple", "ordered"}
BASE_TYPES = {"identifier", "string", "float", "integer", "directedPair", "pair", "boolean"}


def _name(element: etree._Element) -> str:
    tag = element.tag
    assert isinstance(tag, str) and tag.startswith(QTI), tag
    return tag[len(QTI):]


def check_item(data: bytes) -> list[str]:
    """Every problem found in one assessmentItem ([] when there is none)."""
    problems: list[str] = []
    root = etree.fromstring(data)
    if root.tag != QTI + "assessmentItem":
        return [f"root is {root.tag}"]
    for attr in ("identifier", "title", "adaptive", "timeDependent"):
        if not root.get(attr):
            problems.append(f"assessmentItem without {attr}")
    if not IDENTIFIER.match(root.get("identifier", "")):
        problems.append("item identifier is no QTI identifier")
    places = [ORDER.index(_name(c)) for c in root]
    if places != sorted(places):
        problems.append(f"parts out of order: {[_name(c) for c in root]}")
    if len(root.findall(QTI + "itemBody")) != 1:
        problems.append("not exactly one itemBody")
    responses: dict[str, etree._Element] = {}
    outcomes: dict[str, etree._Element] = {}
    for declaration in root.findall(QTI + "responseDeclaration"):
        ident = declaration.get("identifier", "")
        responses[ident] = declaration
        if declaration.get("cardinality") not in CARDINALITIES:
            problems.append(f"{ident}: cardinality {declaration.get('cardinality')}")
        if declaration.get("baseType") not in BASE_TYPES:
            problems.append(f"{ident}: baseType {declaration.get('baseType')}")
        values = declaration.findall(f"{QTI}correctResponse/{QTI}value")
        if not values:
            problems.append(f"{ident}: no correctResponse")
        if declaration.get("cardinality") == "single" and len(values) != 1:
            problems.append(f"{ident}: single cardinality with {len(values)} values")
        mapping = declaration.find(QTI + "mapping")
        if mapping is not None:
            if not mapping.findall(QTI + "mapEntry"):
                problems.append(f"{ident}: empty mapping")
            for entry in mapping.findall(QTI + "mapEntry"):
                float(entry.get("mappedValue", "x"))
    for declaration in root.findall(QTI + "outcomeDeclaration"):
        outcomes[declaration.get("identifier", "")] = declaration
    for name in ("SCORE", "MAXSCORE"):
        if name not in outcomes or outcomes[name].get("baseType") != "float" \
                or outcomes[name].get("cardinality") != "single":
            problems.append(f"no float outcome {name}")
    declared = list(responses) + list(outcomes)
    if len(declared) != len(set(declared)):
        problems.append("a variable is declared twice")
    body = root.find(QTI + "itemBody")
    identifiers: list[str] = []
    used: set[str] = set()
    if body is not None:
        if (body.text or "").strip():
            problems.append("text directly in itemBody")
        for element in body.iter():
            if not isinstance(element.tag, str):
                continue
            name = _name(element)
            if element is not body and name not in XHTML | BODY_QTI:
                problems.append(f"element {name} in itemBody")
            if name.endswith("Interaction"):
                ident = element.get("responseIdentifier", "")
                if ident not in responses:
                    problems.append(f"{name} answers undeclared {ident}")
                used.add(ident)
                if element.getparent() is body and name in ("textEntryInteraction",
                                                            "inlineChoiceInteraction"):
                    problems.append(f"inline {name} directly in itemBody")
                problems += _check_interaction(element, responses.get(ident))
            if name in ("simpleChoice", "simpleAssociableChoice", "inlineChoice"):
                identifiers.append(element.get("identifier", ""))
            if name == "img" and element.get("alt") is None:
                problems.append("img without alt")
    for ident in set(responses) - used:
        problems.append(f"{ident} declared but no interaction answers it")
    if len(identifiers) != len(set(identifiers)):
        problems.append("choice identifiers not unique")
    problems += [f"bad identifier {i}" for i in identifiers if not IDENTIFIER.match(i)]
    rp = root.find(QTI + "responseProcessing")
    if rp is None:
        problems.append("no responseProcessing")
    elif rp.get("template"):
        if rp.get("template") not in TEMPLATES:
            problems.append(f"unknown template {rp.get('template')}")
        if len(rp):
            problems.append("a template and rules")
    else:
        for element in rp.iter():
            name = _name(element)
            if element is not rp and name not in RULES:
                problems.append(f"rule element {name}")
            if name == "setOutcomeValue" and element.get("identifier") not in outcomes:
                problems.append(f"sets undeclared {element.get('identifier')}")
            if name in ("variable", "correct", "mapResponse") and \
                    element.get("identifier") not in responses | outcomes:
                problems.append(f"reads undeclared {element.get('identifier')}")
    for modal in root.findall(QTI + "modalFeedback"):
        if modal.get("outcomeIdentifier") not in outcomes:
            problems.append("modalFeedback on an undeclared outcome")
        if modal.get("showHide") not in ("show", "hide") or not modal.get("identifier"):
            problems.append("modalFeedback without showHide/identifier")
    return problems


def _check_interaction(element: etree._Element, declaration: etree._Element | None) -> list[str]:
    if declaration is None:
        return []
    name = _name(element)
    values = [v.text or "" for v in declaration.findall(f"{QTI}correctResponse/{QTI}value")]
    problems = []
    if name in ("choiceInteraction", "orderInteraction"):
        ids = [c.get("identifier") for c in element.findall(QTI + "simpleChoice")]
        if any(v not in ids for v in values):
            problems.append(f"{name}: correct value is no choice")
        if name == "orderInteraction" and sorted(values) != sorted(ids):  # type: ignore[type-var]
            problems.append("order: correct response is no permutation of the choices")
        if name == "choiceInteraction" and not (element.get("maxChoices") or "").isdigit():
            problems.append("choiceInteraction without maxChoices")
    if name == "matchInteraction":
        sets = element.findall(QTI + "simpleMatchSet")
        if len(sets) != 2:
            return ["matchInteraction needs two sets"]
        left = {c.get("identifier") for c in sets[0]}
        right = {c.get("identifier") for c in sets[1]}
        for value in values:
            a, b = value.split()
            if a not in left or b not in right:
                problems.append(f"pair {value} outside the sets")
    if name == "inlineChoiceInteraction":
        ids = [c.get("identifier") for c in element.findall(QTI + "inlineChoice")]
        if values[0] not in ids:
            problems.append("inline choice: correct value is no choice")
    return problems


def check_package(data: bytes) -> list[str]:
    """Every problem of a content package: the manifest's resources and files, each item,
    each test's item references."""
    problems = []
    archive = zipfile.ZipFile(BytesIO(data))
    names = set(archive.namelist())
    manifest = etree.fromstring(archive.read("imsmanifest.xml"))
    resources = manifest.findall(f"{CP}resources/{CP}resource")
    ids = {r.get("identifier") for r in resources}
    for resource in resources:
        kind, href = resource.get("type"), resource.get("href", "")
        if kind not in ("imsqti_item_xmlv2p1", "imsqti_test_xmlv2p1"):
            problems.append(f"resource type {kind}")
        for file in resource.findall(CP + "file"):
            if file.get("href") not in names:
                problems.append(f"missing file {file.get('href')}")
        for dependency in resource.findall(CP + "dependency"):
            if dependency.get("identifierref") not in ids:
                problems.append(f"dangling dependency {dependency.get('identifierref')}")
        if kind == "imsqti_item_xmlv2p1":
            problems += [f"{href}: {p}" for p in check_item(archive.read(href))]
        if kind == "imsqti_test_xmlv2p1":
            test = etree.fromstring(archive.read(href))
            refs = [r.get("identifier") for r in test.iter(QTI + "assessmentItemRef")]
            if len(refs) != len(set(refs)):
                problems.append(f"{href}: item refs not unique")
            for ref in test.iter(QTI + "assessmentItemRef"):
                target = ref.get("href", "").replace("../", "", 1)
                if target not in names:
                    problems.append(f"{href}: refers to missing {target}")
    return problems
