"""A non-editable install works: the wheel ships templates, courses and migrations."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).parents[2]


@pytest.fixture(scope="module")
def wheel(built_wheel: Path) -> Path:
    return built_wheel


def test_wheel_ships_templates_courses_and_migrations(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "lernmodul/_data/courses/bedrohungsmanagement/course.md" in names
    assert any(n.startswith("lernmodul/_data/templates/") and n.endswith(".html") for n in names)


def test_installed_wheel_checks_its_shipped_course(wheel: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index",
                    "--target", str(target), str(wheel)], check=True, timeout=300)
    # dependencies from the test environment; the project itself only from the wheel
    deps = sysconfig.get_paths()["purelib"]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(target), deps])}
    code = ("import lernmodul, pathlib, sys; from lernmodul.cli import main; "
            "p = pathlib.Path(lernmodul.__file__).parent; assert str(p).startswith(sys.argv[1]), p; "
            "sys.argv = ['lernmodul', 'check', str(p / '_data' / 'courses'), '--strict']; main()")
    proc = subprocess.run([str(venv / "bin" / "python"), "-c", code, str(target)], env=env,
                          capture_output=True, text=True, cwd=tmp_path, timeout=120, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "0 error(s), 0 warning(s)" in proc.stdout
