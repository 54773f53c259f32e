"""`lernmodul import-gift`: written files, messages, exit codes, and what it never touches."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from lernmodul.cli import main

from .conftest import FIXTURES

SAMPLE = Path(__file__).parents[1] / "core" / "fixtures" / "sample-course"


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def check_strict(folder: Path) -> Result:
    return run("check", str(folder), "--strict")


@pytest.fixture(autouse=True)
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def write(name: str, text: str) -> Path:
    path = Path(name)
    path.write_text(text, encoding="utf-8")
    return path


def test_new_folder_gets_a_course_and_units_that_pass_strict_check() -> None:
    shutil.copy(FIXTURES / "categories.gift", "fragen.gift")
    result = run("import-gift", "fragen.gift", "--out", "kurs")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in Path("kurs").iterdir()) == [
        "01-fragen.md", "02-default-for-grundlagen.md", "03-praxis-uebungen.md", "course.md"]
    assert result.output.splitlines() == [
        "fragen.gift:15:1: warning: category 'Leer' has no questions; no unit is written for it "
        "[gift-empty-category]",
        "5 question(s) converted into 3 unit file(s) in kurs: 01-fragen.md, "
        "02-default-for-grundlagen.md, 03-praxis-uebungen.md; 0 error(s), 1 warning(s)"]
    course = Path("kurs/course.md").read_text(encoding="utf-8")
    assert "id: fragen\ntitle: \"fragen\"\n" in course and "language: de\n" in course
    checked = check_strict(Path("kurs"))
    assert checked.exit_code == 0, checked.output
    assert "1 course(s), 3 unit(s), 5 question(s): 0 error(s), 0 warning(s)" in checked.output


def test_documented_examples_pass_strict_check() -> None:
    shutil.copy(FIXTURES / "documented.gift", "doku.txt")
    result = run("import-gift", "doku.txt", "--out", "kurs", "--title", "Beispiele",
                 "--unit-id", "beispiele", "--language", "en")
    assert result.exit_code == 0, result.output
    assert Path("kurs/01-beispiele.md").read_text(encoding="utf-8").startswith(
        '---\nid: beispiele\ntitle: "Beispiele"\n')
    assert "\n- [x] True\n" in Path("kurs/01-beispiele.md").read_text(encoding="utf-8")
    assert "language: en\n" in Path("kurs/course.md").read_text(encoding="utf-8")
    checked = check_strict(Path("kurs"))
    assert checked.exit_code == 0, checked.output


def test_unconvertible_questions_exit_1_and_the_rest_is_written() -> None:
    shutil.copy(FIXTURES / "broken.gift", "broken.gift")
    result = run("import-gift", "broken.gift", "--out", "kurs")
    assert result.exit_code == 1
    expected = (FIXTURES / "broken.expected").read_text(encoding="utf-8").splitlines()
    assert result.output.splitlines()[:-1] == expected
    assert result.output.splitlines()[-1] == (
        "3 question(s) converted into 1 unit file(s) in kurs: 01-broken.md; "
        "13 error(s), 2 warning(s)")
    assert check_strict(Path("kurs")).exit_code == 0


def test_nothing_convertible_writes_nothing() -> None:
    write("leer.gift", "// nur Kommentare\n\nNur eine Beschreibung.\n")
    result = run("import-gift", "leer.gift", "--out", "kurs")
    assert result.exit_code == 1
    assert result.output.splitlines()[:2] == [
        "leer.gift:0:0: error: the file has no question that can be converted "
        "[gift-no-questions]",
        "leer.gift:3:1: error: text without an answer block {…} is a description, not a "
        "question, and is not converted (copy it into a unit's text if it is needed) "
        "[gift-description]"]
    assert not Path("kurs").exists()


def test_messages_in_german() -> None:
    write("f.gift", "Aufsatz?{}\n\nGut?{T}\n")
    result = run("import-gift", "f.gift", "--out", "kurs", "--lang", "de")
    assert result.exit_code == 1
    assert result.output.splitlines()[0] == (
        "f.gift:1:9: error: Freitextfrage (leerer Antwortblock {}) kann nicht übernommen "
        "werden: lernmodul bewertet jede Antwort automatisch [gift-essay]")


def test_adding_to_an_existing_course_changes_no_existing_file() -> None:
    shutil.copytree(SAMPLE, "kurs")
    before = {p.name: p.read_bytes() for p in Path("kurs").glob("*.md")}
    # 'gl-leakage' is a question id of the sample course; the title would collide with it
    write("mehr.gift", "::GL Leakage::Noch eine Frage?{T}\n\nUnd noch eine?{=ja ~nein}\n")
    result = run("import-gift", "mehr.gift", "--out", "kurs", "--unit-id", "grundlagen")
    assert result.exit_code == 0, result.output
    assert {p.name: p.read_bytes() for p in Path("kurs").glob("*.md") if p.name in before} \
        == before
    new = Path("kurs/03-grundlagen-2.md").read_text(encoding="utf-8")
    assert new.startswith('---\nid: grundlagen-2\ntitle: "mehr"\n')
    assert "id=gl-leakage-2" in new and "id=grundlagen-2-2" in new
    # the sample course lists its units, so the compiler's word on the new file is shown
    assert "kurs/03-grundlagen-2.md:1:1: warning: '03-grundlagen-2.md' is not listed in " \
           "course.md 'units'" in result.output


def test_existing_course_language_decides_the_labels() -> None:
    Path("kurs").mkdir()
    write("kurs/course.md", '---\nformat: 1\nid: k\ntitle: K\nversion: "1"\nlanguage: en\n'
          "---\n")
    write("kurs/01-intro.md", "---\nid: intro\ntitle: Intro\n---\n\nText.\n")
    write("f.gift", "Sky is blue.{T}\n")
    result = run("import-gift", "f.gift", "--out", "kurs", "--language", "de")
    assert result.exit_code == 0, result.output
    assert "- [x] True\n- [ ] False" in Path("kurs/02-f.md").read_text(encoding="utf-8")
    assert check_strict(Path("kurs")).exit_code == 0


def test_importing_twice_adds_a_second_copy_and_overwrites_nothing() -> None:
    write("f.gift", "::Frage::Sky is blue.{T}\n")
    assert run("import-gift", "f.gift", "--out", "kurs").exit_code == 0
    first = Path("kurs/01-f.md").read_bytes()
    assert run("import-gift", "f.gift", "--out", "kurs").exit_code == 0
    assert Path("kurs/01-f.md").read_bytes() == first
    assert "id=frage-2" in Path("kurs/02-f-2.md").read_text(encoding="utf-8")
    assert check_strict(Path("kurs")).exit_code == 0


def test_not_utf8_is_reported_with_its_place() -> None:
    Path("f.gift").write_bytes(b"Gut?{T}\n\nSch\xf6n?{T}\n")
    result = run("import-gift", "f.gift", "--out", "kurs")
    assert result.exit_code == 1
    assert result.output == "f.gift:3:4: error: file is not UTF-8 (invalid byte 0xf6) " \
                            "[not-utf8]\n"
    assert not Path("kurs").exists()


@pytest.mark.parametrize("args", [
    ["import-gift", "f.gift"],  # no --out
    ["import-gift", "missing.gift", "--out", "kurs"],
    ["import-gift", "f.gift", "--out", "kurs", "--unit-id", "Große Fragen"],
    ["import-gift", "f.gift", "--out", "kurs", "--lang", "fr"],
    ["import-gift", "f.gift", "--out", "f.gift"],  # --out is a file
])
def test_usage_errors_exit_2(args: list[str]) -> None:
    write("f.gift", "Gut?{T}\n")
    result = run(*args)
    assert result.exit_code == 2, result.output
    assert not Path("kurs").exists()


def test_broken_existing_course_is_a_usage_error() -> None:
    Path("kurs").mkdir()
    write("kurs/course.md", "---\nformat: 1\n---\n")
    write("f.gift", "Gut?{T}\n")
    result = run("import-gift", "f.gift", "--out", "kurs")
    assert result.exit_code == 2
    assert "has errors; see 'lernmodul check kurs'" in result.output
    assert sorted(p.name for p in Path("kurs").iterdir()) == ["course.md"]
