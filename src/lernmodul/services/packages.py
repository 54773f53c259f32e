"""Course versions as SCORM / cmi5 packages: the stored sources and images of a version,
compiled and handed to the pure builder (`lernmodul.packages`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lernmodul.content import load_course
from lernmodul.db.learning import CourseMedia
from lernmodul.db.models import CourseVersion
from lernmodul.packages import FORMATS, PackageOptions, build_package
from lernmodul.services.courses import CourseError, compile_version

PACKAGE_ACTION = "course.package"
#: what the trainer area and the CLI call each format
FORMAT_NAMES = {"scorm12": "SCORM 1.2", "scorm2004": "SCORM 2004 (4th edition)", "cmi5": "cmi5"}
assert set(FORMAT_NAMES) == set(FORMATS)


def package_version(session: Session, version: CourseVersion, package_format: str,
                    options: PackageOptions | None = None) -> bytes:
    """The package of a stored version. Only reads."""
    result = compile_version(version, "media/")
    if result.course is None:
        raise CourseError("invalid", result.errors)
    media = {m.path: m.content for m in session.scalars(
        select(CourseMedia).where(CourseMedia.course_version_id == version.id))}
    return build_package(result.course, media, package_format, options)


def package_folder(folder: Path, package_format: str,
                   options: PackageOptions | None = None) -> bytes:
    """The package of a course folder on disk (no database); CourseError when it has errors."""
    result = load_course(folder)
    if result.course is None or not result.ok:
        raise CourseError("invalid", result.errors)
    course = result.course
    media = {name: (folder / name).read_bytes()
             for name in sorted({m for unit in course.units for m in unit.media})}
    return build_package(course, media, package_format, options)


def find_version(session: Session, course_id: str, version: str | None = None
                 ) -> CourseVersion | None:
    """A course's given version, or its newest."""
    query = select(CourseVersion).where(CourseVersion.course_id == course_id)
    if version is not None:
        query = query.where(CourseVersion.version == version)
    return session.scalars(query.order_by(CourseVersion.id.desc()).limit(1)).first()


def package_detail(version: CourseVersion, package_format: str) -> dict[str, Any]:
    """The audit target and detail of a package download."""
    return {"target": f"course:{version.course_id}",
            "detail": {"version": version.version, "version_id": version.id,
                       "format": package_format}}


def file_name(course_id: str, version: str, package_format: str) -> str:
    """A download name such as beispielkurs-2026.1-scorm12.zip."""
    stem = "".join(c if c.isalnum() or c in "._-" else "_" for c in f"{course_id}-{version}")
    return f"{stem}-{package_format}.zip"
