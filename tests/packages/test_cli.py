"""`lernmodul export scorm12|scorm2004|cmi5`: from a course folder and from the database."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from package_paths import SAMPLE_COURSE

from lernmodul.cli import main
from lernmodul.packages import FORMATS


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, database_url: str) -> Any:
    monkeypatch.setenv("LERNMODUL_DATABASE_URL", database_url)
    monkeypatch.setenv("LERNMODUL_INSTANCE_PATH", str(tmp_path / "cli-instance"))
    monkeypatch.delenv("LERNMODUL_ENV", raising=False)
    return lambda *arguments: CliRunner().invoke(main, ["export", *arguments])


@pytest.mark.parametrize("package_format", FORMATS)
@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_export_from_a_folder(cli: Any, export: Any, tmp_path: Path, package_format: str) -> None:
    out = tmp_path / "kurs.zip"
    result = cli(package_format, str(SAMPLE_COURSE), "-o", str(out))
    assert result.exit_code == 0, result.output
    assert out.read_bytes() == export(package_format)
    assert f"{out}: " in result.output and "bytes" in result.output


def test_export_from_the_database_equals_the_folder_export(cli: Any, export: Any, tmp_path: Path,
                                                           sample_version: Any) -> None:
    out = tmp_path / "db.zip"
    result = cli("scorm2004", "beispielkurs", "-o", str(out))
    assert result.exit_code == 0, result.output
    assert out.read_bytes() == export("scorm2004")
    again = cli("scorm2004", "beispielkurs", "--version", "2026.1", "--sco-per-unit",
                "-o", str(out))
    assert again.exit_code == 0 and out.read_bytes() == export("scorm2004", sco_per_unit=True)
    missing = cli("scorm12", "beispielkurs", "--version", "1999", "-o", str(out))
    assert missing.exit_code == 1 and "in version 1999" in missing.output


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_course_with_errors_writes_nothing(cli: Any, tmp_path: Path) -> None:
    folder = tmp_path / "kaputt"
    shutil.copytree(SAMPLE_COURSE, folder)
    (folder / "course.md").write_text("---\nformat: 1\nid: kaputt\n---\n", encoding="utf-8")
    out = tmp_path / "kaputt.zip"
    result = cli("scorm12", str(folder), "-o", str(out))
    assert result.exit_code == 1
    assert "no package written" in result.output and not out.exists()
