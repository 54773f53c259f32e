"""export_qti(): a compiled course as an IMS Content Package of QTI 2.1 items and tests.

Layout: imsmanifest.xml; items/ID.xml, one assessmentItem per question; tests/unit-ID.xml,
one assessmentTest per unit (its question pool, drawing and shuffling as in the unit quiz);
tests/exam.xml for the final exam (a section per unit pool with its draw, and the exam's own
questions); media/… for the images the items show. The same course gives the same bytes.
"""

from __future__ import annotations

import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from io import BytesIO

from lxml import etree

from lernmodul.core.model import Course, Question

from .cloze import cloze_of, is_cloze
from .notes import Note
from .qti_items import build_item
from .qti_xml import identifier, qti_root, serialize, sub

CP = "http://www.imsglobal.org/xsd/imscp_v1p1"
CP_SCHEMA = f"{CP} http://www.imsglobal.org/xsd/imscp_v1p1.xsd"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
ITEM_TYPE = "imsqti_item_xmlv2p1"
TEST_TYPE = "imsqti_test_xmlv2p1"
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
MEDIA_PREFIX = "../"  # items live in items/, media in media/


@dataclass(frozen=True, slots=True)
class QtiExport:
    """The package's bytes, how many items it holds, and what was left out."""

    data: bytes
    items: int
    notes: tuple[Note, ...]


def item_path(question: Question) -> str:
    return f"items/{identifier(question.id)}.xml"


def _test(identifier_: str, title: str, sections: list[tuple[str, str, list[Question],
                                                               int | None, bool]],
          time_limit: int | None = None) -> bytes:
    """An assessmentTest: one test part, a section per (id, title, items, draw, shuffle),
    SCORE and MAXSCORE summed over the items."""
    root = qti_root("assessmentTest", {"identifier": identifier_, "title": title,
                                       "toolName": "lernmodul"})
    for name in ("SCORE", "MAXSCORE"):
        sub(root, "outcomeDeclaration", {"identifier": name, "cardinality": "single",
                                         "baseType": "float"})
    part = sub(root, "testPart", {"identifier": "part", "navigationMode": "nonlinear",
                                  "submissionMode": "simultaneous"})
    if time_limit:
        sub(part, "timeLimits", {"maxTime": str(time_limit * 60)})
    for section_id, section_title, questions, draw, shuffle in sections:
        section = sub(part, "assessmentSection", {"identifier": section_id,
                                                  "title": section_title, "visible": "true"})
        if draw is not None and draw < len(questions):
            sub(section, "selection", {"select": str(draw)})
        if shuffle:
            sub(section, "ordering", {"shuffle": "true"})
        for question in questions:
            sub(section, "assessmentItemRef", {"identifier": identifier(question.id),
                                               "href": "../" + item_path(question)})
    processing = sub(root, "outcomeProcessing")
    for name in ("SCORE", "MAXSCORE"):
        total = sub(sub(processing, "setOutcomeValue", {"identifier": name}), "sum")
        sub(total, "testVariables", {"variableIdentifier": name})
    return serialize(root)


def _manifest(course: Course, items: list[tuple[Question, list[str]]],
              tests: list[tuple[str, str, list[Question]]]) -> bytes:
    root = etree.Element(f"{{{CP}}}manifest", nsmap={None: CP, "xsi": XSI})  # type: ignore[dict-item]
    root.set("identifier", f"MANIFEST-{course.id}")
    root.set(f"{{{XSI}}}schemaLocation", CP_SCHEMA)
    metadata = etree.SubElement(root, f"{{{CP}}}metadata")
    etree.SubElement(metadata, f"{{{CP}}}schema").text = "QTIv2.1 Package"
    etree.SubElement(metadata, f"{{{CP}}}schemaversion").text = "1.0.0"
    etree.SubElement(root, f"{{{CP}}}organizations")
    resources = etree.SubElement(root, f"{{{CP}}}resources")
    for test_id, href, questions in tests:
        resource = etree.SubElement(resources, f"{{{CP}}}resource",
                                    identifier=test_id, type=TEST_TYPE, href=href)
        etree.SubElement(resource, f"{{{CP}}}file", href=href)
        for question in questions:
            etree.SubElement(resource, f"{{{CP}}}dependency",
                             identifierref="item-" + identifier(question.id))
    for question, media in items:
        href = item_path(question)
        resource = etree.SubElement(resources, f"{{{CP}}}resource",
                                    identifier="item-" + identifier(question.id),
                                    type=ITEM_TYPE, href=href)
        etree.SubElement(resource, f"{{{CP}}}file", href=href)
        for name in media:
            etree.SubElement(resource, f"{{{CP}}}file", href=name)
    data: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8",
                                 pretty_print=True)
    return data


def _media_of(data: bytes, media: Mapping[str, bytes]) -> list[str]:
    """The media files an item refers to (src="../media/…")."""
    return sorted(name for name in media if f'"{MEDIA_PREFIX}{name}"'.encode() in data)


def export_qti(course: Course, media: Mapping[str, bytes] | None = None) -> QtiExport:
    """The course's questions as a QTI 2.1 content package (zip bytes). `media` maps the
    course's image paths ("media/x.png") to their bytes; the images the items show go into
    the package. Questions without a QTI form are left out and named in the notes."""
    media = dict(media or {})
    notes: list[Note] = []
    files: dict[str, bytes] = {}
    items: list[tuple[Question, list[str]]] = []
    kept: set[str] = set()
    language = course.language
    shuffled = {q.id: unit.quiz.shuffle if unit.quiz else True
                for unit in course.units for q in unit.questions}
    for question in [*(q for u in course.units for q in u.questions), *course.exam_questions]:
        cloze = cloze_of(question) if is_cloze(question) else None
        if is_cloze(question) and cloze is None:
            notes.append(Note(question.path, question.line, f"question {question.id}: cloze: "
                              "its stem does not fit its gaps; left out"))
            continue
        data = build_item(question, language=language, media_prefix=MEDIA_PREFIX, cloze=cloze,
                          shuffle=shuffled.get(question.id, course.exam.shuffle if course.exam
                                               else True))
        files[item_path(question)] = data
        used = _media_of(data, media)
        items.append((question, used))
        kept.add(question.id)
        if question.is_inline:
            notes.append(Note(question.path, question.line,
                              f"question {question.id}: 'inline' has no counterpart in QTI"))
    tests: list[tuple[str, str, list[Question]]] = []
    for unit in course.units:
        pool = [q for q in unit.questions if q.id in kept]
        if not pool:
            continue
        draw = unit.quiz.draw if unit.quiz else None
        shuffle = unit.quiz.shuffle if unit.quiz else True
        href = f"tests/unit-{unit.id}.xml"
        files[href] = _test(f"unit-{unit.id}", unit.title,
                            [(f"unit-{unit.id}", unit.title, pool, draw, shuffle)])
        tests.append((f"test-unit-{unit.id}", href, pool))
    if course.exam is not None:
        exam = course.exam
        own = [q for q in course.exam_questions if q.id in kept]
        pools = [(u, [q for q in u.questions if q.id in kept]) for u in course.units]
        sections: list[tuple[str, str, list[Question], int | None, bool]] = []
        if exam.questions is not None:
            everything = [q for _, pool in pools for q in pool] + own
            sections.append(("exam", course.title, everything, exam.questions, exam.shuffle))
        else:
            sections += [(f"pool-{u.id}", u.title, pool, exam.draw, exam.shuffle)
                         for u, pool in pools if pool]
            if own:
                sections.append(("exam", course.title, own, None, exam.shuffle))
        if sections:
            files["tests/exam.xml"] = _test("exam", course.title, sections, exam.time_limit)
            tests.append(("test-exam", "tests/exam.xml",
                          [q for _, _, qs, _, _ in sections for q in qs]))
    for _, used in items:
        for name in used:
            files[name] = media[name]
    files["imsmanifest.xml"] = _manifest(course, items, tests)
    return QtiExport(_zip(files), len(items), tuple(notes))


def _zip(files: Mapping[str, bytes]) -> bytes:
    """A zip with fixed times and permissions, the manifest first, the rest by name."""
    buffer = BytesIO()
    names = sorted(files, key=lambda n: (n != "imsmanifest.xml", n))
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name in names:
            info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, files[name], compresslevel=9)
    return buffer.getvalue()
