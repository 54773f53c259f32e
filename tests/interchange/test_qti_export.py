"""QTI 2.1 export: every item passes the structural check, the mapping per type, the package."""

from __future__ import annotations

import zipfile
from io import BytesIO
from pathlib import Path

import pytest
from lxml import etree

from lernmodul.core.model import Course
from lernmodul.interchange import export_qti
from lernmodul.interchange.qti_items import build_item

from .conftest import ALL_TYPES, FLAGSHIP, load
from .qti_structure import QTI, check_item, check_package


def _items(course: Course) -> dict[str, etree._Element]:
    archive = zipfile.ZipFile(BytesIO(export_qti(course).data))
    return {n[6:-4]: etree.fromstring(archive.read(n)) for n in archive.namelist()
            if n.startswith("items/")}


@pytest.mark.parametrize("folder", [ALL_TYPES, FLAGSHIP], ids=["all-types", "flagship"])
def test_every_item_and_the_package_pass_the_structural_check(folder: object) -> None:
    course = load(folder)  # type: ignore[arg-type]
    exported = export_qti(course)
    assert exported.items == len(course.questions())
    assert check_package(exported.data) == []
    for question in course.questions().values():
        assert check_item(build_item(question)) == [], question.id


def test_the_check_finds_broken_items(all_types: Course) -> None:
    good = build_item(all_types.questions()["farbe_single"])
    assert check_item(good) == []
    broken = good.replace(b"<correctResponse>", b"<correctResponse><value>nix</value>", 1)
    assert "RESPONSE: single cardinality with 2 values" in check_item(broken)
    assert any("undeclared" in p for p in check_item(good.replace(
        b'identifier="MAXSCORE"', b'identifier="OTHER"').replace(b'identifier="FEEDBACK"',
                                                                  b'identifier="X"')))


def test_same_course_same_bytes(all_types: Course) -> None:
    assert export_qti(all_types).data == export_qti(all_types).data


def test_the_package_layout(all_types: Course) -> None:
    archive = zipfile.ZipFile(BytesIO(export_qti(all_types).data))
    names = archive.namelist()
    assert names[0] == "imsmanifest.xml"
    assert {"tests/unit-auswahl.xml", "tests/unit-rest.xml", "tests/exam.xml",
            "items/farbe_single.xml"} <= set(names)
    assert all(i.date_time == (1980, 1, 1, 0, 0, 0) for i in archive.infolist())
    manifest = archive.read("imsmanifest.xml").decode()
    assert 'type="imsqti_item_xmlv2p1" href="items/zahl.xml"' in manifest
    unit = etree.fromstring(archive.read("tests/unit-auswahl.xml"))
    assert unit.find(f".//{QTI}selection").get("select") == "2"
    exam = etree.fromstring(archive.read("tests/exam.xml"))
    sections = [s.get("identifier") for s in exam.iter(QTI + "assessmentSection")]
    assert sections == ["pool-auswahl", "pool-rest", "exam"]


def test_the_mapping_per_type(all_types: Course) -> None:
    items = _items(all_types)

    def one(qid: str, path: str) -> etree._Element:
        found = items[qid].find(path.replace("q:", QTI))
        assert found is not None, (qid, path)
        return found

    single = one("farbe_single", "q:itemBody/q:choiceInteraction")
    assert single.get("maxChoices") == "1"
    assert one("wahr-falsch", "q:itemBody/q:choiceInteraction").get("class") == "lernmodul-truefalse"
    partial = one("mehrfach-partial", "q:responseDeclaration/q:mapping")
    assert [e.get("mappedValue") for e in partial] == ["1", "-1", "1", "-1"]  # 2 points, k=2
    assert partial.get("lowerBound") == "0" and partial.get("upperBound") == "2"
    assert one("mehrfach-partial", "q:responseProcessing").get("template", "") == ""  # feedback
    assert one("mehrfach-alle", "q:responseProcessing").get("template", "").endswith("match_correct")
    assert one("reihenfolge", "q:responseDeclaration").get("cardinality") == "ordered"
    assert items["reihenfolge"].find(f".//{QTI}index") is not None  # partial: by place
    assert one("zuordnung", "q:responseProcessing").get("template").endswith("map_response")
    same = one("zuordnung-gleich", "q:itemBody/q:matchInteraction")
    targets = same.findall(f"{QTI}simpleMatchSet")[1]
    assert [(t.text, t.get("matchMax")) for t in targets] == [("Europa", "2"), ("Asien", "1")]
    number = one("zahl", "q:responseDeclaration")
    assert number.get("baseType") == "float"
    equal = items["zahl"].find(f".//{QTI}equal")
    assert equal.get("toleranceMode") == "absolute" and equal.get("tolerance") == "0.1 0.1"
    assert one("zahl", "q:outcomeDeclaration[@identifier='MAXSCORE']/q:defaultValue/q:value").text == "3"
    assert items["zahl-genau"].find(f".//{QTI}equal").get("toleranceMode") == "exact"
    text = one("tier", "q:responseDeclaration/q:mapping")
    assert [(e.get("mapKey"), e.get("caseSensitive")) for e in text] == [
        ("Frosch", "false"), ("Kröte", "false")]
    feedback = {m.get("identifier") for m in items["tier"].iter(QTI + "modalFeedback")}
    assert feedback == {"answer-1"}
    explanation = items["farbe_single"].find(f"{QTI}modalFeedback[@identifier='explanation']")
    assert "".join(explanation.itertext()).strip().startswith("Das Spektrum")


def test_images_of_an_item_go_into_the_package() -> None:
    from lernmodul.core.compiler import compile_course
    from lernmodul.core.gift import minimal_course_md

    png = (Path(__file__).parents[1] / "core" / "fixtures" / "sample-course" / "media"
           / "ampel.png").read_bytes()
    files = {"course.md": minimal_course_md("bild", "Bild").encode(), "media/ampel.png": b"",
             "01-b.md": b"---\nid: b\ntitle: B\n---\n\n::: question single id=ampel\n"
                        b"![Ampel](media/ampel.png)\n\nWelche Farbe?\n\n- [x] Rot\n- [ ] Blau\n:::\n"}
    course = compile_course(files).course
    assert course is not None
    data = export_qti(course, {"media/ampel.png": png, "media/other.png": b"x"}).data
    archive = zipfile.ZipFile(BytesIO(data))
    assert "media/ampel.png" in archive.namelist() and "media/other.png" not in archive.namelist()
    assert b'src="../media/ampel.png" alt="Ampel"' in archive.read("items/ampel.xml")
    assert check_package(data) == []


def test_the_quiz_shuffle_setting_reaches_choices_but_order_is_always_shuffled(
        all_types: Course) -> None:
    questions = all_types.questions()
    fixed = etree.fromstring(build_item(questions["farbe_single"], shuffle=False))
    assert fixed.find(f".//{QTI}choiceInteraction").get("shuffle") == "false"
    order = etree.fromstring(build_item(questions["reihenfolge"], shuffle=False))
    assert order.find(f".//{QTI}orderInteraction").get("shuffle") == "true"
