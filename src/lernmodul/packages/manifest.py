"""imsmanifest.xml for SCORM 1.2 and SCORM 2004 4th edition, cmi5.xml for cmi5."""

from __future__ import annotations

from collections.abc import Sequence
from xml.sax.saxutils import escape, quoteattr  # nosec B406 (escapes for writing; parses nothing)

from lernmodul.core.model import Course, ExamRequirement

SCORM12_SCHEMA_LOCATION = (
    "http://www.imsproject.org/xsd/imscp_rootv1p1p2 imscp_rootv1p1p2.xsd "
    "http://www.imsglobal.org/xsd/imsmd_rootv1p2p1 imsmd_rootv1p2p1.xsd "
    "http://www.adlnet.org/xsd/adlcp_rootv1p2 adlcp_rootv1p2.xsd")
SCORM2004_SCHEMA_LOCATION = (
    "http://www.imsglobal.org/xsd/imscp_v1p1 imscp_v1p1.xsd "
    "http://www.adlnet.org/xsd/adlcp_v1p3 adlcp_v1p3.xsd "
    "http://www.adlnet.org/xsd/adlseq_v1p3 adlseq_v1p3.xsd "
    "http://www.adlnet.org/xsd/adlnav_v1p3 adlnav_v1p3.xsd "
    "http://www.imsglobal.org/xsd/imsss imsss_v1p0.xsd")


def _ident(text: str) -> str:
    """An XML ID (NCName) from a course or unit id (letters, digits, - and _ already)."""
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in text)


def sco_items(course: Course, per_unit: bool) -> list[tuple[str, str, str]]:
    """(item id, title, launch parameters) per SCO: the whole course, or a unit each and
    the exam."""
    if not per_unit:
        return [(f"ITEM-{_ident(course.id)}", course.title, "")]
    items = [(f"ITEM-{_ident(u.id)}", u.title, f"?sco=unit-{u.id}") for u in course.units]
    if course.exam is not None:
        items.append(("ITEM-exam", "Abschlussprüfung" if course.language.startswith("de")
                      else "Final exam", "?sco=exam"))
    return items


def _duration_hms(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}:00"


def scorm12_manifest(course: Course, files: Sequence[str], per_unit: bool) -> bytes:
    """imsmanifest.xml for SCORM 1.2 (IMS CP 1.1.2, ADL CP 1.2, IMS MD 1.2.1)."""
    lang = quoteattr(course.language)
    meta = (
        "<metadata><schema>ADL SCORM</schema><schemaversion>1.2</schemaversion>"
        '<imsmd:lom><imsmd:general>'
        f"<imsmd:title><imsmd:langstring xml:lang={lang}>{escape(course.title)}"
        "</imsmd:langstring></imsmd:title>"
        f"<imsmd:language>{escape(course.language)}</imsmd:language>"
        + (f"<imsmd:description><imsmd:langstring xml:lang={lang}>{escape(course.summary)}"
           "</imsmd:langstring></imsmd:description>" if course.summary else "")
        + "</imsmd:general><imsmd:lifecycle><imsmd:version>"
        f"<imsmd:langstring xml:lang={lang}>{escape(course.version)}</imsmd:langstring>"
        "</imsmd:version></imsmd:lifecycle>"
        "<imsmd:educational><imsmd:typicallearningtime>"
        f"<imsmd:datetime>{_duration_hms(course.total_duration)}</imsmd:datetime>"
        "</imsmd:typicallearningtime></imsmd:educational></imsmd:lom></metadata>")
    items = _items(course, per_unit)
    resource = _resource(files, "scormtype")
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<manifest identifier={quoteattr('MANIFEST-' + _ident(course.id))} "
        f"version={quoteattr(course.version)} "
        'xmlns="http://www.imsproject.org/xsd/imscp_rootv1p1p2" '
        'xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_rootv1p2" '
        'xmlns:imsmd="http://www.imsglobal.org/xsd/imsmd_rootv1p2p1" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        f'xsi:schemaLocation="{SCORM12_SCHEMA_LOCATION}">'
        f"{meta}"
        f'<organizations default="ORG-1"><organization identifier="ORG-1">'
        f"<title>{escape(course.title)}</title>{items}</organization></organizations>"
        f"<resources>{resource}</resources></manifest>\n")
    return xml.encode()


def _items(course: Course, per_unit: bool, inside: str = "") -> str:
    """The organization's <item> elements, one per SCO; `inside` follows each title."""
    return "".join(
        f'<item identifier={quoteattr(item)} identifierref="RES-sco" isvisible="true"'
        + (f" parameters={quoteattr(params)}" if params else "")
        + f"><title>{escape(title)}</title>{inside}</item>"
        for item, title, params in sco_items(course, per_unit))


def _resource(files: Sequence[str], scorm_type_attribute: str) -> str:
    """The one SCO resource with every file of the package (the attribute's spelling differs:
    SCORM 1.2 `scormtype`, SCORM 2004 `scormType`)."""
    return (f'<resource identifier="RES-sco" type="webcontent" adlcp:{scorm_type_attribute}="sco" '
            'href="index.html">'
            + "".join(f"<file href={quoteattr(name)}/>" for name in files) + "</resource>")


def scorm2004_manifest(course: Course, files: Sequence[str], per_unit: bool) -> bytes:
    """imsmanifest.xml for SCORM 2004 4th edition (IMS CP 1.1, ADL CP/SEQ/NAV 1.3, IMS SS)."""
    lang = quoteattr(course.language)
    meta = (
        "<metadata><schema>ADL SCORM</schema><schemaversion>2004 4th Edition</schemaversion>"
        '<lom xmlns="http://ltsc.ieee.org/xsd/LOM"><general>'
        f"<title><string language={lang}>{escape(course.title)}</string></title>"
        f"<language>{escape(course.language)}</language>"
        + (f"<description><string language={lang}>{escape(course.summary)}</string>"
           "</description>" if course.summary else "")
        + f"</general><lifeCycle><version><string language={lang}>{escape(course.version)}"
        "</string></version></lifeCycle><educational><typicalLearningTime>"
        f"<duration>PT{course.total_duration}M</duration></typicalLearningTime></educational>"
        "</lom></metadata>")
    sequencing = ('<imsss:sequencing><imsss:deliveryControls tracked="true" '
                  'completionSetByContent="true" objectiveSetByContent="true"/>'
                  "</imsss:sequencing>")
    items = _items(course, per_unit, sequencing)
    organization_sequencing = ('<imsss:sequencing><imsss:controlMode choice="true" '
                               'flow="true"/></imsss:sequencing>')
    resource = _resource(files, "scormType")
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<manifest identifier={quoteattr('MANIFEST-' + _ident(course.id))} "
        f"version={quoteattr(course.version)} "
        'xmlns="http://www.imsglobal.org/xsd/imscp_v1p1" '
        'xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_v1p3" '
        'xmlns:adlseq="http://www.adlnet.org/xsd/adlseq_v1p3" '
        'xmlns:adlnav="http://www.adlnet.org/xsd/adlnav_v1p3" '
        'xmlns:imsss="http://www.imsglobal.org/xsd/imsss" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        f'xsi:schemaLocation="{SCORM2004_SCHEMA_LOCATION}">'
        f"{meta}"
        '<organizations default="ORG-1"><organization identifier="ORG-1">'
        f"<title>{escape(course.title)}</title>{items}{organization_sequencing}"
        f"</organization></organizations><resources>{resource}</resources></manifest>\n")
    return xml.encode()


def move_on(course: Course) -> str:
    """cmi5 moveOn from the completion rule: what the LMS waits for."""
    exam_required = course.exam is not None and course.completion.exam is ExamRequirement.REQUIRED
    if exam_required:
        return "CompletedAndPassed" if course.completion.units == "all" else "Passed"
    return "Completed"


def course_iri(course: Course) -> str:
    return f"urn:lernmodul:course:{course.id}:{course.version}"


def cmi5_course_structure(course: Course) -> bytes:
    """cmi5.xml: the course with one AU (the whole course)."""
    lang = quoteattr(course.language)
    description = escape(course.summary or course.title)
    mastery = (f" masteryScore={quoteattr(f'{course.exam.pass_mark:g}')}"
               if course.exam is not None else "")
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<courseStructure xmlns="https://w3id.org/xapi/profiles/cmi5/v1/CourseStructure.xsd">'
        f"<course id={quoteattr(course_iri(course))}>"
        f"<title><langstring lang={lang}>{escape(course.title)}</langstring></title>"
        f"<description><langstring lang={lang}>{description}</langstring></description>"
        "</course>"
        f"<au id={quoteattr(course_iri(course) + ':au')} moveOn={quoteattr(move_on(course))}"
        f'{mastery} launchMethod="AnyWindow">'
        f"<title><langstring lang={lang}>{escape(course.title)}</langstring></title>"
        f"<description><langstring lang={lang}>{description}</langstring></description>"
        "<url>index.html</url></au></courseStructure>\n")
    return xml.encode()
