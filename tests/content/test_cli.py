"""`lernmodul check`: output format, exit codes, --strict, --json, relative paths."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from lernmodul.cli import main

SAMPLE = Path(__file__).parents[1] / "core" / "fixtures" / "sample-course"
REPO = Path(__file__).parents[2]


@pytest.fixture
def course(tmp_path: Path) -> Path:
    target = tmp_path / "kurse" / "beispiel"
    shutil.copytree(SAMPLE, target)
    return target


def run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "lernmodul", *args], cwd=cwd,
                          capture_output=True, text=True, check=False, timeout=60)


def test_clean_course_exits_0_with_a_summary(course: Path) -> None:
    proc = run(["check", "kurse/beispiel"], course.parents[1])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.strip() == "1 course(s), 2 unit(s), 9 question(s): 0 error(s), 0 warning(s)"


def test_errors_exit_1_with_relative_paths(course: Path) -> None:
    unit = course / "02-praxis.md"
    unit.write_text(unit.read_text().replace("title: Praxis", "titel: Praxis"))
    proc = run(["check", "kurse"], course.parents[1])
    assert proc.returncode == 1
    lines = proc.stdout.splitlines()
    assert "kurse/beispiel/02-praxis.md:3:1: error: unknown key 'titel' (did you mean 'title'?) " \
           "[unknown-key]" in lines
    assert "kurse/beispiel/02-praxis.md:1:1: error: missing required key 'title' [missing-key]" \
        in lines


def test_strict_turns_warnings_into_errors(course: Path) -> None:
    unit = course / "02-praxis.md"
    unit.write_text(unit.read_text().replace("::: question number id=pr-stufen",
                                             "::: question number"))
    runner = CliRunner()
    loose = runner.invoke(main, ["check", str(course)])
    assert loose.exit_code == 0 and ": warning: question has no id" in loose.output
    strict = runner.invoke(main, ["check", str(course), "--strict"])
    assert strict.exit_code == 1 and ": error: question has no id" in strict.output


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(main, ["check"]).exit_code == 2
    assert runner.invoke(main, ["check", str(tmp_path / "missing")]).exit_code == 2
    assert runner.invoke(main, ["check", "--bogus", str(tmp_path)]).exit_code == 2


def test_a_folder_without_courses_is_an_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["check", str(tmp_path)])
    assert result.exit_code == 1 and "[no-course]" in result.output


def test_json_output_shape(course: Path) -> None:
    proc = run(["check", "kurse", "--json"], course.parents[1])
    assert proc.returncode == 0
    data = json.loads(proc.stdout)
    assert set(data) == {"schema", "courses", "diagnostics"}
    assert data["schema"] == "urn:lernmodul:schema:check:1"
    (found,) = data["courses"]
    assert {"id", "title", "version", "language", "units", "exam"} <= set(found)
    assert found["exam"]["pass_mark"] == 0.8 and found["exam"]["draw"] == 2
    assert found["exam"]["review"] == "after_pass"  # the default
    assert [(q["id"], q["type"], q["points"]) for q in found["exam"]["questions"]] \
        == [("ex-abschluss", "single", 2.0)]
    unit = found["units"][0]
    assert unit["id"] == "grundlagen" and unit["quiz"]["pass_mark"] == 0.75
    assert ("gl-leakage", "single", 1.0) in [(q["id"], q["type"], q["points"])
                                             for q in unit["questions"]]


def test_json_diagnostics(course: Path) -> None:
    (course / "course.md").write_text((course / "course.md").read_text().replace(
        "pass_mark: 0.8", "pass_mark: 8"))
    proc = run(["check", "kurse/beispiel", "--json", "--lang", "de"], course.parents[1])
    assert proc.returncode == 1
    (diag,) = json.loads(proc.stdout)["diagnostics"]
    assert diag["path"] == "kurse/beispiel/course.md" and diag["severity"] == "error"
    assert diag["code"] == "bad-value" and diag["line"] == 17 and diag["column"] == 3
    assert diag["message"] == ("„exam.pass_mark“ muss ein Anteil zwischen 0 und 1 sein "
                               "(z. B. 0.8 für 80 %), gefunden: 8")


def test_the_real_courses_are_clean_under_strict() -> None:
    proc = run(["check", "courses", "--strict"], REPO)
    assert proc.returncode == 0, proc.stdout + proc.stderr
