"""`lernmodul export gift|qti` and `lernmodul import qti` on the command line."""

from __future__ import annotations

import zipfile
from pathlib import Path

from click.testing import CliRunner

from lernmodul.cli import main

from .conftest import ALL_TYPES

SAMPLE = Path(__file__).parents[1] / "core" / "fixtures" / "sample-course"


def test_export_gift_to_a_file_and_to_standard_output(tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "fragen.gift"
    result = runner.invoke(main, ["export", "gift", str(ALL_TYPES), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "13 question(s) exported as GIFT" in result.output
    assert "question zahl: 3 points" in result.output  # the notes, on standard error
    assert out.read_text(encoding="utf-8").startswith("// Alle Fragetypen")
    printed = runner.invoke(main, ["export", "gift", str(ALL_TYPES)])
    assert "::farbe_single::[html]" in printed.output


def test_export_qti_then_import_it_into_a_new_course_that_checks(tmp_path: Path) -> None:
    runner = CliRunner()
    package = tmp_path / "paket.zip"
    exported = runner.invoke(main, ["export", "qti", str(ALL_TYPES), "-o", str(package)])
    assert exported.exit_code == 0, exported.output
    assert zipfile.ZipFile(package).namelist()[0] == "imsmanifest.xml"
    course = tmp_path / "kurs"
    imported = runner.invoke(main, ["import", "qti", str(package), "-o", str(course),
                                    "--title", "Zurück"])
    assert imported.exit_code == 0, imported.output
    assert "13 question(s) converted into 3 file(s)" in imported.output
    assert sorted(p.name for p in course.iterdir()) == [
        "01-auswahl.md", "02-rest.md", "course.md", "exam.md"]
    checked = runner.invoke(main, ["check", str(course)])
    assert "0 error(s)" in checked.output
    (course / "exam.md").unlink()
    again = runner.invoke(main, ["import", "qti", str(package), "-o", str(course)])
    assert again.exit_code == 0, again.output  # into the same course: new ids, new files
    assert sorted(p.name for p in course.iterdir()) == [
        "01-auswahl.md", "02-rest.md", "03-auswahl-2.md", "04-rest-2.md", "course.md", "exam.md"]
    assert "id=farbe_single-2" in (course / "03-auswahl-2.md").read_text(encoding="utf-8")
    assert "0 error(s)" in runner.invoke(main, ["check", str(course)]).output
    third = runner.invoke(main, ["import", "qti", str(package), "-o", str(course)])
    assert third.exit_code == 1 and "would overwrite exam.md" in third.output  # never changes files


def test_import_qti_of_a_bad_file_is_one_message(tmp_path: Path) -> None:
    bad = tmp_path / "kaputt.zip"
    bad.write_bytes(b"nicht einmal ein zip")
    result = CliRunner().invoke(main, ["import", "qti", str(bad)])
    assert result.exit_code == 1
    assert result.output.strip().endswith("error: not a zip file (File is not a zip file)")
    assert "Traceback" not in result.output


def test_export_by_course_id_from_the_database_takes_its_images(
        app, import_course, database_url, tmp_path, monkeypatch) -> None:
    outcome = import_course(SAMPLE)
    monkeypatch.setenv("LERNMODUL_DATABASE_URL", database_url)
    monkeypatch.setenv("LERNMODUL_INSTANCE_PATH", str(tmp_path / "cli"))
    monkeypatch.setenv("LERNMODUL_SECRET_KEY", "cli-test-secret")
    package = tmp_path / "db.zip"
    runner = CliRunner()
    result = runner.invoke(main, ["export", "qti", outcome.course_id, "-o", str(package)])
    assert result.exit_code == 0, result.output
    names = zipfile.ZipFile(package).namelist()
    assert any(n.startswith("items/") for n in names)
    missing = runner.invoke(main, ["export", "gift", "kein-kurs"])
    assert missing.exit_code == 1 and "no such course folder or course id" in missing.output
