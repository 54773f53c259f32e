"""Importing course folders as immutable versions, and compiling them back."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select

from lernmodul.db.learning import CourseMedia
from lernmodul.db.models import CourseVersion
from lernmodul.services.courses import (
    CompiledCourses,
    CourseError,
    import_course_folder,
    import_courses,
    latest_versions,
)

from .conftest import SAMPLE

REPO = Path(__file__).parents[2]


def test_import_stores_sources_and_media_once(session) -> None:
    first = import_course_folder(session, SAMPLE)
    again = import_course_folder(session, SAMPLE)
    assert (first.status, again.status) == ("created", "unchanged")
    assert first.version_id == again.version_id
    version = session.get(CourseVersion, first.version_id)
    assert version.sources["media/ampel.png"] is None and "course.md" in version.sources
    assert "_entwurf.md" not in version.sources and "README.md" not in version.sources
    media = session.scalars(select(CourseMedia)).one()
    assert media.path == "media/ampel.png" and media.media_type == "image/png"
    assert media.content.startswith(b"\x89PNG")


def test_same_version_with_other_content_is_refused(session, tmp_path) -> None:
    import_course_folder(session, SAMPLE)
    copy = tmp_path / "kurs"
    shutil.copytree(SAMPLE, copy)
    unit = copy / "02-praxis.md"
    unit.write_text(unit.read_text().replace("Eine kurze Einheit", "Eine geänderte Einheit"))
    with pytest.raises(CourseError) as refused:
        import_course_folder(session, copy)
    assert refused.value.code == "version_exists"
    course_md = copy / "course.md"
    course_md.write_text(course_md.read_text().replace('version: "2026.1"', 'version: "2026.2"'))
    assert import_course_folder(session, copy).status == "created"
    (latest,) = latest_versions(session)
    assert latest.version == "2026.2"


def test_invalid_courses_are_not_imported(session, tmp_path) -> None:
    copy = tmp_path / "kurs"
    shutil.copytree(SAMPLE, copy)
    (copy / "01-grundlagen.md").write_text("---\nid: x\n---\n")
    with pytest.raises(CourseError) as refused:
        import_course_folder(session, copy)
    assert refused.value.code == "invalid" and refused.value.diagnostics
    assert session.scalar(select(func.count()).select_from(CourseVersion)) == 0


def test_the_shipped_courses_import_and_compile(session) -> None:
    outcomes = import_courses(session, REPO / "courses")
    assert [o.course_id for o in outcomes] == ["bedrohungsmanagement"]
    cache = CompiledCourses()
    version = session.get(CourseVersion, outcomes[0].version_id)
    course = cache.get(version, "/media/1/")
    assert len(course.units) == 9
    assert cache.get(version, "/media/1/") is course
