"""Courses in the database: import folders as immutable versions, compile them on demand."""

from __future__ import annotations

import mimetypes
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lernmodul.content import find_course_dirs, read_course_files
from lernmodul.core.compiler import CompileResult, compile_course
from lernmodul.core.diagnostics import Diagnostic
from lernmodul.core.model import Course
from lernmodul.db.learning import CourseMedia
from lernmodul.db.models import CourseVersion, utcnow

MAX_MEDIA_BYTES = 5 * 1024 * 1024
MEDIA_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
               ".gif": "image/gif", ".webp": "image/webp", ".svg": "image/svg+xml"}


class CourseError(Exception):
    def __init__(self, code: str, diagnostics: tuple[Diagnostic, ...] = ()) -> None:
        super().__init__(code)
        self.code = code
        self.diagnostics = diagnostics


@dataclass(frozen=True, slots=True)
class ImportOutcome:
    course_id: str
    version: str
    status: str  # "created" | "unchanged"
    version_id: int


def import_course_folder(session: Session, folder: Path) -> ImportOutcome:
    """Stores a course folder as a new immutable version. The same version with the same
    sources is a no-op; the same version with other sources is refused (bump `version`)."""
    files = read_course_files(folder)
    result = compile_course(files, base=folder.name)
    if result.course is None or not result.ok:
        raise CourseError("invalid", result.errors)
    course = result.course
    media = sorted({m for unit in course.units for m in unit.media})
    kept = source_names(course)
    sources: dict[str, str | None] = {
        name: data.decode("utf-8-sig") for name, data in files.items() if name in kept}
    sources.update(dict.fromkeys(media))
    existing = session.scalars(select(CourseVersion).where(
        CourseVersion.course_id == course.id, CourseVersion.version == course.version)).first()
    if existing is not None:
        if existing.sources != sources:
            raise CourseError("version_exists")
        return ImportOutcome(course.id, course.version, "unchanged", existing.id)
    images: dict[str, tuple[str, bytes]] = {}
    for name in media:
        data = (folder / name).read_bytes()
        if len(data) > MAX_MEDIA_BYTES:
            raise CourseError("media_too_large")
        images[name] = (MEDIA_TYPES.get(Path(name).suffix.lower())
                        or mimetypes.guess_type(name)[0] or "application/octet-stream", data)
    version = store_version(session, course, sources, images, utcnow())
    return ImportOutcome(course.id, course.version, "created", version.id)


def source_names(course: Course) -> set[str]:
    """The Markdown files a version keeps: course.md, exam.md and the units' files (drafts,
    READMEs and unlisted files are not part of it)."""
    return {"course.md", "exam.md"} | {unit.path.rsplit("/", 1)[-1] for unit in course.units}


def store_version(session: Session, course: Course, sources: Mapping[str, str | None],
                  media: Mapping[str, tuple[str, bytes]], now: datetime) -> CourseVersion:
    """Stores a new immutable version: `sources` holds the Markdown by name and the images
    by name too (None: their bytes, given in `media` as (media type, bytes), go to
    course_media)."""
    version = CourseVersion(course_id=course.id, version=course.version, title=course.title,
                            sources=dict(sources), created_at=now)
    session.add(version)
    session.flush()
    for path in sorted(media):
        media_type, content = media[path]
        session.add(CourseMedia(course_version_id=version.id, path=path, media_type=media_type,
                                content=content))
    session.flush()
    return version


def import_courses(session: Session, path: Path) -> list[ImportOutcome]:
    return [import_course_folder(session, folder) for folder in find_course_dirs(path)]


def latest_versions(session: Session) -> list[CourseVersion]:
    """The newest version of every course (by creation), ordered by title. One query."""
    newest = (select(CourseVersion.course_id, func.max(CourseVersion.id).label("id"))
              .group_by(CourseVersion.course_id).subquery())
    return list(session.scalars(
        select(CourseVersion).join(newest, CourseVersion.id == newest.c.id)
        .order_by(CourseVersion.title)))


def find_latest_version(session: Session, course_id: str) -> CourseVersion | None:
    return session.scalars(select(CourseVersion).where(CourseVersion.course_id == course_id)
                           .order_by(CourseVersion.id.desc()).limit(1)).first()


def versions_by_id(session: Session, ids: set[int]) -> list[CourseVersion]:
    return list(session.scalars(select(CourseVersion).where(CourseVersion.id.in_(ids))))


def find_media(session: Session, version_id: int, path: str) -> CourseMedia | None:
    return session.scalars(select(CourseMedia).where(
        CourseMedia.course_version_id == version_id, CourseMedia.path == path)).first()


class CompiledCourses:
    """Compiled courses by version. Versions never change, so entries never go stale;
    each process derives its own from the database. The key names the version by more than
    its id (course, number, creation time), so that a process serving several databases one
    after another (the test suite) never mistakes one database's version 2 for another's."""

    def __init__(self) -> None:
        self._courses: dict[tuple[object, ...], Course] = {}
        self._lock = threading.Lock()

    def get(self, version: CourseVersion, media_base: str) -> Course:
        key = (version.id, version.course_id, version.version, version.created_at, media_base)
        course = self._courses.get(key)
        if course is None:
            result = compile_version(version, media_base)
            if result.course is None:
                raise CourseError("invalid", result.errors)
            course = result.course
            with self._lock:
                self._courses[key] = course
        return course


def compile_version(version: CourseVersion, media_base: str) -> CompileResult:
    files = {name: (text or "").encode() for name, text in version.sources.items()}
    return compile_course(files, base=version.course_id, media_base=media_base)


def list_media(session: Session, version_id: int) -> dict[str, bytes]:
    """Every image of a course version by its path (media/…), for exports."""
    return {m.path: m.content for m in session.scalars(
        select(CourseMedia).where(CourseMedia.course_version_id == version_id)
        .order_by(CourseMedia.path))}
