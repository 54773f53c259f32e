"""bench/grading.py runs (small numbers) and covers every question type."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import lernmodul

REPO = Path(__file__).resolve().parents[2]


def test_the_grading_benchmark_measures_every_type() -> None:
    proc = subprocess.run([sys.executable, "-m", "bench.grading", "--responses", "300",
                           "--repeat", "1"], cwd=REPO, capture_output=True, text=True,
                          timeout=120, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    last = proc.stdout.strip().splitlines()[-1]
    figures = dict(pair.split("=") for pair in last.split())
    assert all(re.fullmatch(r"\d+\.\d", value) for value in figures.values()), last
    for kind in lernmodul.QuestionType:
        assert float(figures[f"{kind.value}_per_s"]) > 0
        assert float(figures[f"{kind.value}_ratio"]) > 1  # grading costs more than a lookup
