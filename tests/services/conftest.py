"""Service tests: use cases on a real database (SQLite, and PostgreSQL when configured)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

SAMPLE = Path(__file__).parents[1] / "core" / "fixtures" / "sample-course"


@pytest.fixture
def sessions(app: Any) -> Callable[[], Any]:
    """A factory of write sessions on the test database (each its own connection)."""
    from lernmodul.web.database import get_database

    return get_database(app).sessions


@pytest.fixture
def session(sessions: Callable[[], Any]) -> Iterator[Any]:
    s = sessions()
    try:
        yield s
    finally:
        s.rollback()
        s.close()


@pytest.fixture
def sample_version(sessions: Callable[[], Any]) -> Any:
    """The sample course imported and committed; returns its CourseVersion id."""
    from lernmodul.services.courses import import_course_folder

    s = sessions()
    try:
        outcome = import_course_folder(s, SAMPLE)
        s.commit()
        return outcome.version_id
    finally:
        s.close()
