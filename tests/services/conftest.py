"""Service tests: use cases on a real database (SQLite, and PostgreSQL when configured).
The fixtures `sessions`, `session` and `sample_version` live in tests/conftest.py."""

from __future__ import annotations

from pathlib import Path

SAMPLE = Path(__file__).parents[1] / "core" / "fixtures" / "sample-course"
