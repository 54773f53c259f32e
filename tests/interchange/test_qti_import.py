"""QTI 2.1 import: every type back the same way it went out; foreign and broken packages give
file:line messages, never a traceback."""

from __future__ import annotations

import io
import zipfile

import pytest

from lernmodul.core.gift import minimal_course_md
from lernmodul.core.model import Course
from lernmodul.interchange import export_qti, import_qti
from lernmodul.interchange.qti_import import MAX_RATIO, PackageError

from .compare import compile_files, signature
from .conftest import ALL_TYPES, FLAGSHIP, load

QTI_HEAD = ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<assessmentItem xmlns="http://www.imsglobal.org/xsd/imsqti_v2p1" '
            'identifier="fremd" title="Fremd" adaptive="false" timeDependent="false">\n')


def _compile(files: dict[str, str]) -> Course:
    files = dict(files)
    files["course.md"] = minimal_course_md("zurueck", "Zurück")
    if "exam.md" in files:
        files["course.md"] = files["course.md"].replace("---\n\n", "exam:\n  pass_mark: 0.5\n---\n\n", 1)
    return compile_files(files)


@pytest.mark.parametrize("folder", [ALL_TYPES, FLAGSHIP], ids=["all-types", "flagship"])
def test_every_type_comes_back_the_same(folder: object) -> None:
    course = load(folder)  # type: ignore[arg-type]
    result = import_qti(export_qti(course).data, name="paket.zip")
    assert result.notes == ()
    back = _compile(result.files)
    assert {q: signature(x) for q, x in back.questions().items()} == \
           {q: signature(x) for q, x in course.questions().items()}
    # units and the exam's own questions where they were
    assert [u.id for u in back.units] == [u.id for u in course.units]
    assert [q.id for q in back.exam_questions] == [q.id for q in course.exam_questions]
    assert [[q.id for q in u.questions] for u in back.units] == \
           [[q.id for q in u.questions] for u in course.units]


def test_unit_draws_come_back(all_types: Course) -> None:
    files = import_qti(export_qti(all_types).data).files
    assert "quiz:\n  pass_mark: 0.8\n  draw: 2\n" in files["01-auswahl.md"]


def _package(items: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in items.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def _item(body: str, declarations: str = "", processing: str = "", extra: str = "") -> str:
    return (QTI_HEAD + declarations
            + '<outcomeDeclaration identifier="SCORE" cardinality="single" baseType="float"/>\n'
            + f"<itemBody>\n{body}\n</itemBody>\n{processing}{extra}</assessmentItem>\n")


CHOICE = ('<responseDeclaration identifier="RESPONSE" cardinality="single" baseType="identifier">'
          "<correctResponse><value>B</value></correctResponse></responseDeclaration>\n")


def test_a_foreign_item_without_a_manifest() -> None:
    item = _item('<p>Welche <strong>Farbe</strong>?</p>\n<choiceInteraction responseIdentifier='
                 '"RESPONSE" maxChoices="1"><prompt>Bitte wählen.</prompt>'
                 '<simpleChoice identifier="A">Rot</simpleChoice>'
                 '<simpleChoice identifier="B">Grün</simpleChoice></choiceInteraction>',
                 CHOICE, '<responseProcessing template="http://www.imsglobal.org/question/'
                 'qti_v2p1/rptemplates/match_correct"/>\n',
                 '<modalFeedback outcomeIdentifier="FEEDBACK" identifier="correct" '
                 'showHide="show">Gut gemacht.</modalFeedback>\n')
    result = import_qti({"fremd.xml": item.encode()}, name="ordner", title="Fremde Fragen")
    [note] = result.notes
    assert note.format() == ("ordner/fremd.xml:10: warning: feedback 'correct' becomes the "
                             "explanation (shown after every answer)")
    [text] = result.files.values()
    assert "::: question single id=fremd\nWelche **Farbe**?\n\nBitte wählen.\n\n- [ ] Rot\n" \
           "- [x] Grün\n\n> Gut gemacht.\n:::" in text
    course = _compile(result.files)
    assert course.questions()["fremd"].options[1].is_correct


def test_unsupported_interactions_and_custom_processing_are_named_at_their_line() -> None:
    hotspot = _item('<p>Wo?</p>\n<hotspotInteraction responseIdentifier="RESPONSE" '
                    'maxChoices="1"/>', CHOICE)
    custom = _item('<choiceInteraction responseIdentifier="RESPONSE" maxChoices="1">'
                   '<simpleChoice identifier="A">a</simpleChoice><simpleChoice identifier="B">'
                   'b</simpleChoice></choiceInteraction>', CHOICE,
                   "<responseProcessing>\n<responseCondition/>\n</responseProcessing>\n")
    manifest = ('<manifest xmlns="http://www.imsglobal.org/xsd/imscp_v1p1"><resources>'
                '<resource identifier="a" type="imsqti_item_xmlv2p1" href="a.xml"/>'
                '<resource identifier="b" type="imsqti_item_xmlv2p1" href="b.xml"/>'
                '<resource identifier="c" type="imsqti_item_xmlv2p1" href="c.xml"/>'
                '<resource identifier="d" type="imsqti_xmlv1p2" href="d.xml"/>'
                "</resources></manifest>")
    result = import_qti(_package({"imsmanifest.xml": manifest, "a.xml": hotspot,
                                  "b.xml": custom, "c.xml": "<assessmentItem><oops>"}),
                        name="p.zip")
    messages = [n.format() for n in result.notes]
    assert messages == [
        "p.zip/a.xml:7: error: hotspotInteraction is not supported (only choice, order, match, "
        "associate, text entry and inline choice); item left out",
        "p.zip/b.xml:8: warning: custom response processing: scored by the correct response "
        "(and mapping) instead",
        "p.zip/c.xml:1: error: not well-formed XML: Premature end of data in tag oops line 1",
        "p.zip/imsmanifest.xml:1: warning: resource type imsqti_xmlv1p2 is not QTI 2.1: left out",
    ]
    assert result.questions == 1


def test_entities_are_not_expanded_and_nothing_is_fetched() -> None:
    evil = ('<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">'
            '<!ENTITY l "lol">]>\n' + _item("<p>&e;&l;</p>\n<choiceInteraction responseIdentifier="
                                            '"RESPONSE" maxChoices="1"><simpleChoice identifier="B">'
                                            "x&l;</simpleChoice><simpleChoice identifier='A'>y"
                                            "</simpleChoice></choiceInteraction>", CHOICE)
            .split("\n", 1)[1])
    result = import_qti({"evil.xml": evil.encode()})
    text = "".join(result.files.values())
    assert "root:" not in text and "lol" not in text


def test_zip_bombs_paths_outside_and_garbage_are_refused() -> None:
    with pytest.raises(PackageError, match="not a zip"):
        import_qti(b"PK\x03\x04 nonsense")
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("big.xml", b"<a>" + b" " * (MAX_RATIO * 20_000) + b"</a>")
    with pytest.raises(PackageError, match="zip bomb"):
        import_qti(bomb.getvalue())
    with pytest.raises(PackageError, match="outside the package"):
        import_qti(_package({"../x.xml": "<a/>"}))
    empty = import_qti(_package({"readme.txt": "hallo"}), name="leer.zip")
    assert [n.format() for n in empty.notes] == ["leer.zip: error: no QTI 2.1 items found"]


def test_match_with_a_left_side_that_has_two_partners_is_left_out() -> None:
    item = _item('<matchInteraction responseIdentifier="RESPONSE" maxAssociations="2">'
                 '<simpleMatchSet><simpleAssociableChoice identifier="L" matchMax="2">l'
                 '</simpleAssociableChoice></simpleMatchSet><simpleMatchSet>'
                 '<simpleAssociableChoice identifier="R1" matchMax="1">r1</simpleAssociableChoice>'
                 '<simpleAssociableChoice identifier="R2" matchMax="1">r2</simpleAssociableChoice>'
                 "</simpleMatchSet></matchInteraction>",
                 '<responseDeclaration identifier="RESPONSE" cardinality="multiple" '
                 'baseType="directedPair"><correctResponse><value>L R1</value><value>L R2</value>'
                 "</correctResponse></responseDeclaration>\n")
    result = import_qti({"m.xml": item.encode()})
    assert [n.format() for n in result.notes] == [
        "m.xml:3: error: 'L' has two right partners; lernmodul pairs each left side with one; "
        "item left out"]


def test_mangled_items_give_messages_never_an_exception(all_types: Course) -> None:
    """Each exported item with one element removed, one attribute emptied, dropped or set to
    nonsense, or one text replaced: import_qti reports, it does not raise, and what it
    writes compiles."""
    import random

    from lxml import etree

    archive = zipfile.ZipFile(io.BytesIO(export_qti(all_types).data))
    rnd = random.Random(15)
    converted = 0
    for name in [n for n in archive.namelist() if n.startswith("items/")]:
        for _ in range(40):
            root = etree.fromstring(archive.read(name))
            element = rnd.choice(list(root.iter())[1:])
            parent = element.getparent()
            operation = rnd.randrange(4)
            if operation == 0 and parent is not None:
                parent.remove(element)
            elif operation == 1 and element.attrib:
                element.set(rnd.choice(list(element.attrib)),
                            rnd.choice(["", "x", "-1", "1e999", "nan", "a b c"]))
            elif operation == 2 and element.attrib:
                del element.attrib[rnd.choice(list(element.attrib))]
            else:
                element.text = rnd.choice(["", "x y", "nan", "-", "1e999"])
            result = import_qti({name: etree.tostring(root)})
            converted += result.questions
            assert all(n.path.startswith("items/") for n in result.notes)
            if result.files:
                _compile(result.files)  # what is written compiles
    assert converted > 0
