"""Interchange test helpers: the all-types course, and compiling converted unit files."""

from __future__ import annotations

from pathlib import Path

import pytest

from lernmodul.content import load_course
from lernmodul.core.model import Course

FIXTURES = Path(__file__).parent / "fixtures"
ALL_TYPES = FIXTURES / "alltypes"
FLAGSHIP = Path(__file__).parents[2] / "courses" / "bedrohungsmanagement"


def load(folder: Path) -> Course:
    result = load_course(folder)
    assert result.course is not None and not result.errors
    return result.course


@pytest.fixture(scope="session")
def all_types() -> Course:
    return load(ALL_TYPES)


@pytest.fixture(scope="session")
def flagship() -> Course:
    return load(FLAGSHIP)
