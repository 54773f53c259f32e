"""The built wheel without extras, in a fresh virtual environment with only the core dependencies.

The core dependencies come from a wheelhouse packed from their installed copies
(tests/api/wheelhouse.py), so the test needs no network and no package index."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from .wheelhouse import build_wheelhouse

REPO = Path(__file__).resolve().parents[2]
CORE = ["markdown-it-py", "mdit-py-plugins", "nh3", "PyYAML", "click"]
NOT_CORE = ["flask", "sqlalchemy", "alembic", "werkzeug", "cryptography", "reportlab", "pypdf",
            "psycopg", "jsonschema"]


@pytest.fixture(scope="module")
def venv(built_wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("core-only")
    wheelhouse = root / "wheelhouse"
    build_wheelhouse(CORE, wheelhouse)
    env = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(env)], check=True,
                   timeout=120)
    # this interpreter's pip installs into the new environment; --isolated: no user or site
    # configuration (no other index, no extra find-links), --no-index: nothing from a network
    subprocess.run([sys.executable, "-m", "pip", "--isolated", "--python", str(env / "bin" / "python"),
                    "install", "--quiet", "--no-index", "--find-links", str(wheelhouse),
                    str(built_wheel)], check=True, timeout=300)
    return env


def run(venv: Path, *args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(args), cwd=cwd, capture_output=True, text=True, timeout=120,
                          check=False, env={"PATH": f"{venv / 'bin'}:/usr/bin:/bin",
                                            "VIRTUAL_ENV": str(venv)})


def test_only_the_core_dependencies_are_installed(venv: Path) -> None:
    proc = run(venv, "python", "-c",
               "import importlib.metadata as m, json\n"
               "print(json.dumps(sorted(d.metadata['Name'].lower() for d in m.distributions())))")
    installed = set(json.loads(proc.stdout))
    assert "lernmodul" in installed and {n.lower() for n in CORE} <= installed
    assert installed & set(NOT_CORE) == set()


def test_the_api_works_without_extras(venv: Path, tmp_path: Path) -> None:
    code = (
        "import json, sys, lernmodul\n"
        "assert lernmodul.__file__.startswith(sys.prefix), lernmodul.__file__\n"
        "result = lernmodul.compile_folder(sys.argv[1])\n"
        "course = result.course\n"
        "assert result.ok and course is not None, result.diagnostics\n"
        "unit = next(u for u in course.units if u.quiz)\n"
        "drawn = lernmodul.assemble_quiz(unit, 5)\n"
        "q = {x.id: x for x in unit.questions}[drawn[0].question_id]\n"
        "score = lernmodul.grade(q, None)\n"
        "result = lernmodul.grade_quiz(unit, drawn, {})\n"
        "exam = lernmodul.grade_exam(course, lernmodul.assemble_exam(course, 5), {})\n"
        "state = lernmodul.CourseState(read_units=frozenset(u.id for u in course.units))\n"
        "doc = json.loads(lernmodul.course_to_json(course))\n"
        "assert doc['schema'] == lernmodul.course_schema()['$id']\n"
        "try:\n"
        "    lernmodul.verify_certificate(b'{}', [])\n"
        "except ImportError as error:\n"
        "    verify = str(error)\n"
        "print(json.dumps({'score': score.points, 'passed': result.passed, 'exam': exam.points,\n"
        "    'share': lernmodul.progress_share(course, state), 'units': len(doc['units']),\n"
        "    'verify': verify}))\n"
    )
    proc = run(venv, "python", "-c", code, str(REPO / "courses" / "bedrohungsmanagement"),
               cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    found = json.loads(proc.stdout)
    assert found["score"] == 0 and found["passed"] is False and found["units"] == 9
    assert 0 <= found["share"] < 1
    assert found["verify"].endswith("pip install 'lernmodul[certificates]'")


def test_check_works_without_extras(venv: Path) -> None:
    proc = run(venv, "lernmodul", "check", "courses", "--strict")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.startswith("1 course(s), 9 unit(s)")
    as_json = run(venv, "lernmodul", "check", "courses", "--json")
    assert as_json.returncode == 0
    assert json.loads(as_json.stdout)["courses"][0]["id"] == "bedrohungsmanagement"


@pytest.mark.parametrize("args", [["run-dev"], ["db", "upgrade"], ["serve", "--help"], ["users"]])
def test_server_commands_name_the_extra_in_one_line(venv: Path, args: list[str]) -> None:
    proc = run(venv, "lernmodul", *args)
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr == (f"error: 'lernmodul {args[0]}' needs the web app's dependencies "
                           "(flask): pip install 'lernmodul[server]'\n")


def test_certificate_verify_names_its_extra(venv: Path, tmp_path: Path) -> None:
    (tmp_path / "c.json").write_text("{}")
    proc = run(venv, "lernmodul", "certificate", "verify", str(tmp_path / "c.json"))
    assert proc.returncode == 2
    assert proc.stderr.splitlines() == [
        "error: 'lernmodul certificate verify' needs the certificate dependencies "
        "(cryptography): pip install 'lernmodul[certificates]'"]


def test_help_lists_the_server_commands_with_their_extra(venv: Path) -> None:
    proc = run(venv, "lernmodul", "--help")
    assert proc.returncode == 0
    assert "check " in proc.stdout
    assert "run-dev      (needs the server extra: pip install 'lernmodul[server]')" in proc.stdout


def test_the_wheel_ships_the_typing_marker_and_the_schemas(built_wheel: Path) -> None:
    import zipfile

    with zipfile.ZipFile(built_wheel) as wheel:
        names = set(wheel.namelist())
        (metadata_name,) = [n for n in names if n.endswith(".dist-info/METADATA")]
        metadata = wheel.read(metadata_name).decode()
    assert {"lernmodul/py.typed", "lernmodul/schema/course-1.json",
            "lernmodul/schema/check-1.json"} <= names
    unconditional = {line.split(":", 1)[1].strip().split(">")[0].lower()
                     for line in metadata.splitlines()
                     if line.startswith("Requires-Dist:") and ";" not in line}
    assert unconditional == {n.lower() for n in CORE}
    assert {"Provides-Extra: certificates", "Provides-Extra: server"} <= set(metadata.splitlines())
