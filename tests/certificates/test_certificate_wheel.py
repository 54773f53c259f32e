"""A plain `pip install` of the wheel renders certificates: bundled fonts and the shipped layout."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def wheel(built_wheel: Path) -> Path:
    return built_wheel


def test_wheel_ships_fonts_licence_and_layout(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for name in ("lernmodul/certificates/fonts/DejaVuSans.ttf",
                 "lernmodul/certificates/fonts/DejaVuSans-Bold.ttf",
                 "lernmodul/certificates/fonts/LICENSE-DejaVu.txt",
                 "lernmodul/certificates/context-v1.jsonld",
                 "lernmodul/_data/templates/certificate/layout.toml"):
        assert name in names


def test_installed_wheel_renders_with_its_own_layout(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index",
                    "--target", str(target), str(wheel)], check=True, timeout=300)
    deps = sysconfig.get_paths()["purelib"]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(target), deps])}
    code = (
        "import sys, datetime as dt\n"
        "from lernmodul.certificates import CertificateData, default_layout_path, render_pdf, new_code\n"
        "path = default_layout_path()\n"
        "assert str(path).startswith(sys.argv[1]) and '_data' in path.parts, path\n"
        "c = new_code()\n"
        "d = CertificateData(c, 'Zofia Łukasiewicz', 'k', 'Kurs', '1', 60, dt.date(2025, 1, 2), None,\n"
        "    'S', 'Zertifikat', 'https://x.example/verify/' + c, 'de', dt.datetime.now(dt.UTC))\n"
        "print(len(render_pdf(d)))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code, str(target)], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert int(proc.stdout.strip()) > 10_000
