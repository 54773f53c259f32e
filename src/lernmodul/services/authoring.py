"""Course authoring: drafts from the newest version or a skeleton, file edits, units, images,
compiling, publishing as an immutable version, discarding, and zips in and out.

Every change to a draft names the draft revision its form showed: a conditional UPDATE moves
the revision on, so a change based on an outdated form fails ("stale") instead of silently
overwriting newer text. Every change writes an audit row in the caller's transaction."""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import yaml
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, defer

from lernmodul.content import MAX_SOURCE_BYTES
from lernmodul.core.compiler import CompileResult, compile_course, is_unit_file
from lernmodul.core.compiler.frontmatter import ID_PATTERN
from lernmodul.core.diagnostics import Diagnostic
from lernmodul.core.model import Course
from lernmodul.db.authoring import CourseDraft, DraftMedia
from lernmodul.db.learning import CourseMedia
from lernmodul.db.models import CourseVersion
from lernmodul.services.audit import record_event
from lernmodul.services.course_zip import (
    DEFAULT_LIMITS,
    CourseArchive,
    ZipLimits,
    check_image,
    read_course_zip,
    write_course_zip,
)
from lernmodul.services.courses import find_latest_version, source_names, store_version

MAX_TITLE_LENGTH = 200
MAX_VERSION_LENGTH = 50
MAX_UNITS = 200


class AuthoringError(Exception):
    """A refused authoring action: `code` for the message, `details` for its placeholders."""

    def __init__(self, code: str, diagnostics: tuple[Diagnostic, ...] = (),
                 **details: object) -> None:
        super().__init__(code)
        self.code = code
        self.diagnostics = diagnostics
        self.details = details


@dataclass(frozen=True, slots=True)
class UnitFile:
    name: str
    title: str
    is_listed: bool  # False: a unit file that course.md's `units:` leaves out (ignored)


# --- reading ---------------------------------------------------------------------------------


def list_drafts(session: Session) -> list[CourseDraft]:
    return list(session.scalars(select(CourseDraft).options(defer(CourseDraft.files))
                                .order_by(CourseDraft.course_id)))


def get_draft(session: Session, draft_id: int) -> CourseDraft:
    draft = session.get(CourseDraft, draft_id)
    if draft is None:
        raise AuthoringError("no_draft")
    return draft


def find_draft(session: Session, course_id: str) -> CourseDraft | None:
    return session.scalars(select(CourseDraft).where(CourseDraft.course_id == course_id)).first()


def list_versions(session: Session, course_id: str | None = None) -> list[CourseVersion]:
    """Every version (of one course), newest first, without their sources."""
    query = select(CourseVersion).order_by(CourseVersion.course_id, CourseVersion.id.desc())
    if course_id is not None:
        query = query.where(CourseVersion.course_id == course_id)
    return list(session.scalars(query))


def media_paths(session: Session, draft: CourseDraft) -> list[str]:
    return list(session.scalars(select(DraftMedia.path).where(DraftMedia.draft_id == draft.id)
                                .order_by(DraftMedia.path)))


def find_draft_media(session: Session, draft_id: int, path: str) -> DraftMedia | None:
    return session.scalars(select(DraftMedia).where(DraftMedia.draft_id == draft_id,
                                                    DraftMedia.path == path)).first()


def compile_files(texts: Mapping[str, str], media: list[str] | tuple[str, ...],
                  media_base: str = "media/") -> CompileResult:
    """Compiles Markdown texts plus the names of the images that exist (diagnostics name
    the files as they are called in the draft: course.md, 01-x.md)."""
    files = {name: text.encode("utf-8") for name, text in texts.items()}
    files.update(dict.fromkeys(media, b""))
    return compile_course(files, base="", media_base=media_base)


def compile_draft(session: Session, draft: CourseDraft, media_base: str = "media/",
                  replace: tuple[str, str] | None = None) -> CompileResult:
    """The draft compiled as it is, or with one file's text replaced (the live preview)."""
    texts = dict(draft.files)
    if replace is not None:
        texts[replace[0]] = normalise_text(replace[1])
    return compile_files(texts, media_paths(session, draft), media_base)


def unit_files(files: Mapping[str, str]) -> list[UnitFile]:
    """The draft's unit files in course order, then those that `units:` leaves out."""
    order = listed_units(files.get("course.md", ""))
    names = sorted(n for n in files if is_unit_file(n))
    if order is None:
        ordered, unlisted = names, []
    else:
        ordered = [n for n in order if n in files]
        unlisted = [n for n in names if n not in ordered]
    return ([UnitFile(n, unit_title(files[n]), True) for n in ordered]
            + [UnitFile(n, unit_title(files[n]), False) for n in unlisted])


def unit_title(text: str) -> str:
    match = re.search(r"^title:[ \t]*(.+)$", _front_matter(text)[1], re.MULTILINE)
    if match is None:
        return ""
    value = match.group(1).strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        value = value[1:-1]
    return value


# --- front matter edits that keep the rest of a file byte for byte ---------------------------


def _front_matter(text: str) -> tuple[int, str, int]:
    """(start, front matter text, end) as offsets into `text`; ('', 0, 0) without one."""
    match = re.match(r"---[ \t]*\r?\n", text)
    if match is None:
        return 0, "", 0
    closer = re.compile(r"^---[ \t]*(\r?\n|\Z)", re.MULTILINE)
    end = closer.search(text, match.end())
    if end is None:
        return 0, "", 0
    return match.end(), text[match.end():end.start()], end.start()


def listed_units(course_md: str) -> list[str] | None:
    """The file names of course.md's `units:` list (with .md), or None without one."""
    _start, block, _end = _front_matter(course_md)
    if not block:
        return None
    try:
        data = yaml.safe_load(block)
    except yaml.YAMLError:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("units"), list):
        return None
    return [str(e) if str(e).endswith(".md") else f"{e}.md" for e in data["units"]]


def _key_span(block: str, key: str) -> tuple[int, int] | None:
    """Offsets of a top-level key in front matter: its line and its indented/list lines."""
    match = re.search(rf"^{re.escape(key)}:.*(\n|\Z)", block, re.MULTILINE)
    if match is None:
        return None
    end = match.end()
    following = re.compile(r"([ \t]+\S|-[ \t\n]|-\Z)[^\n]*(\n|\Z)")
    while end < len(block):
        line = following.match(block, end)
        if line is None:
            break
        end = line.end()
    return match.start(), end


def set_front_matter_key(text: str, key: str, rendered: str) -> str:
    """Replaces (or adds at the end of the front matter) a top-level key; `rendered` is the
    YAML of that key including 'key:' and ending in a newline. The rest stays as it was."""
    start, block, end = _front_matter(text)
    if not start:
        return text
    span = _key_span(block, key)
    if span is None:
        separator = "" if not block or block.endswith("\n") else "\n"
        new_block = block + separator + rendered
    else:
        new_block = block[:span[0]] + rendered + block[span[1]:]
    return text[:start] + new_block + text[end:]


def _units_yaml(names: list[str], without_suffix: bool) -> str:
    entries = [n[:-3] if without_suffix else n for n in names]
    return "units:\n" + "".join(f"  - {json.dumps(e, ensure_ascii=False)}\n"
                                if not re.fullmatch(r"[A-Za-z0-9_.-]+", e) else f"  - {e}\n"
                                for e in entries)


def _write_units(course_md: str, names: list[str]) -> str:
    # keep the author's style: entries written without '.md' stay without it
    _start, block, _end = _front_matter(course_md)
    try:
        data = yaml.safe_load(block) if block else None
    except yaml.YAMLError:
        data = None
    entries = data.get("units") if isinstance(data, dict) else None
    without_suffix = isinstance(entries, list) and bool(entries) and all(
        not str(e).endswith(".md") for e in entries)
    return set_front_matter_key(course_md, "units", _units_yaml(names, without_suffix))


def course_version(course_md: str) -> str:
    _start, block, _end = _front_matter(course_md)
    try:
        data = yaml.safe_load(block) if block else None
    except yaml.YAMLError:
        return ""
    value = data.get("version") if isinstance(data, dict) else None
    return "" if value is None else str(value)


def suggest_version(version: str, taken: set[str]) -> str:
    """The next free version: the last number raised by one (2026.1 -> 2026.2), else '.1'
    appended (v3-beta -> v3-beta.1)."""
    candidate = version or "1"
    for _ in range(1000):
        match = re.search(r"(\d+)(\D*)\Z", candidate)
        if match is not None:
            number = str(int(match.group(1)) + 1)
            candidate = candidate[:match.start(1)] + number + match.group(2)
        else:
            candidate = f"{candidate}.1"
        if candidate not in taken:
            return candidate[:MAX_VERSION_LENGTH]
    return candidate[:MAX_VERSION_LENGTH]  # pragma: no cover - a thousand taken versions


# --- changes ---------------------------------------------------------------------------------


def normalise_text(text: str) -> str:
    """Browsers send textareas with CRLF line ends: store LF, as in the course folders."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _claim(session: Session, draft: CourseDraft, expected: int, *, actor_id: int | None,
           now: datetime, files: dict[str, str] | None = None) -> None:
    """Moves the draft to the next revision if it is still at `expected`, else 'stale'."""
    if draft.revision != expected:
        raise AuthoringError("stale")
    values: dict[str, Any] = {"revision": CourseDraft.revision + 1, "updated_at": now,
                              "updated_by_id": actor_id}
    if files is not None:
        values["files"] = files
    result = session.execute(
        update(CourseDraft).where(CourseDraft.id == draft.id, CourseDraft.revision == expected)
        .values(**values).execution_options(synchronize_session=False))
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise AuthoringError("stale")
    session.refresh(draft)


def _audit(session: Session, action: str, draft_or_course: CourseDraft | str, *,
           actor_id: int | None, now: datetime, **detail: Any) -> None:
    course_id = draft_or_course if isinstance(draft_or_course, str) else draft_or_course.course_id
    if not isinstance(draft_or_course, str):
        detail.setdefault("revision", draft_or_course.revision)
    record_event(session, action=action, at=now, actor_id=actor_id, target=f"course:{course_id}",
                 detail=detail or None)


def open_draft(session: Session, course_id: str, *, actor_id: int | None,
               now: datetime) -> tuple[CourseDraft, bool]:
    """The course's open draft, or a new one copied from its newest version (sources and
    images). Returns (draft, created)."""
    existing = find_draft(session, course_id)
    if existing is not None:
        return existing, False
    version = find_latest_version(session, course_id)
    if version is None:
        raise AuthoringError("no_course")
    files = {name: text for name, text in version.sources.items() if text is not None}
    draft = CourseDraft(course_id=course_id, base_version_id=version.id, files=files,
                        revision=1, created_by_id=actor_id, created_at=now,
                        updated_by_id=actor_id, updated_at=now)
    session.add(draft)
    session.flush()
    for media in session.scalars(select(CourseMedia).where(
            CourseMedia.course_version_id == version.id)):
        session.add(DraftMedia(draft_id=draft.id, path=media.path, media_type=media.media_type,
                               content=media.content, created_at=now))
    session.flush()
    _audit(session, "draft.create", draft, actor_id=actor_id, now=now,
           base_version=version.version)
    return draft, True


def _check_title(title: str) -> str:
    title = " ".join(title.split())
    if not title:
        raise AuthoringError("title_required")
    if len(title) > MAX_TITLE_LENGTH:
        raise AuthoringError("title_too_long", max=MAX_TITLE_LENGTH)
    return title


def _yaml_text(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)  # a JSON string is a YAML double-quoted one


def create_course(session: Session, course_id: str, title: str, *, actor_id: int | None,
                  now: datetime) -> CourseDraft:
    """A draft for a new course: course.md and one unit that compile without errors."""
    course_id = course_id.strip()
    if not course_id or len(course_id) > 100 or not ID_PATTERN.match(course_id):
        raise AuthoringError("bad_course_id")
    title = _check_title(title)
    if find_latest_version(session, course_id) is not None or \
            find_draft(session, course_id) is not None:
        raise AuthoringError("course_exists", course_id=course_id)
    course_md = (f"---\nformat: 1\nid: {course_id}\ntitle: {_yaml_text(title)}\n"
                 f'version: "{now.year}.1"\nlanguage: de\nunits:\n  - 01-einfuehrung.md\n---\n\n'
                 "Worum geht es in diesem Kurs? Ein kurzer Einführungstext.\n")
    draft = CourseDraft(course_id=course_id, base_version_id=None,
                        files={"course.md": course_md,
                               "01-einfuehrung.md": _unit_skeleton("einfuehrung", "Einführung")},
                        revision=1, created_by_id=actor_id, created_at=now,
                        updated_by_id=actor_id, updated_at=now)
    session.add(draft)
    session.flush()
    _audit(session, "draft.create", draft, actor_id=actor_id, now=now, new_course=True)
    return draft


def _unit_skeleton(unit_id: str, title: str) -> str:
    return (f"---\nid: {unit_id}\ntitle: {_yaml_text(title)}\n---\n\n# {title}\n\n"
            "Hier steht der Text der Einheit.\n")


def save_file(session: Session, draft: CourseDraft, name: str, text: str, expected: int, *,
              actor_id: int | None, now: datetime) -> bool:
    """Stores one file's new text; False when nothing changed (no new revision)."""
    if name not in draft.files:
        raise AuthoringError("no_file")
    text = normalise_text(text)
    if len(text.encode("utf-8")) > MAX_SOURCE_BYTES:
        raise AuthoringError("text_too_large", megabytes=MAX_SOURCE_BYTES // (1024 * 1024))
    if draft.revision != expected:
        raise AuthoringError("stale")
    if draft.files[name] == text:
        return False
    _claim(session, draft, expected, actor_id=actor_id, now=now,
           files={**draft.files, name: text})
    _audit(session, "draft.save_file", draft, actor_id=actor_id, now=now, file=name)
    return True


_TRANSLITERATION = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})


def slugify(title: str) -> str:
    text = title.lower().translate(_TRANSLITERATION)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", text).strip("-")[:60].strip("-")
    return slug or "einheit"


def _unit_ids(files: Mapping[str, str]) -> set[str]:
    ids = set()
    for name, text in files.items():
        if is_unit_file(name):
            match = re.search(r"^id:[ \t]*['\"]?([A-Za-z0-9_-]+)", _front_matter(text)[1],
                              re.MULTILINE)
            ids.add(match.group(1) if match else name[:-3])
    return ids


def add_unit(session: Session, draft: CourseDraft, title: str, expected: int, *,
             actor_id: int | None, now: datetime) -> str:
    """A new unit file at the end of the course (`NN-slug.md`, id `slug`); returns its name."""
    title = _check_title(title)
    files = dict(draft.files)
    units = unit_files(files)
    if len(units) >= MAX_UNITS:
        raise AuthoringError("too_many_units", max=MAX_UNITS)
    taken_ids = _unit_ids(files)
    base = slugify(title)
    unit_id, n = base, 2
    while unit_id in taken_ids:
        unit_id, n = f"{base}-{n}", n + 1
    numbers = [int(m.group(1)) for u in units if (m := re.match(r"(\d+)", u.name))]
    number = max(numbers, default=0) + 1
    name = f"{number:02d}-{unit_id}.md"
    while name in files:  # pragma: no cover - the number is past every numbered file
        number += 1
        name = f"{number:02d}-{unit_id}.md"
    files[name] = _unit_skeleton(unit_id, title)
    if listed_units(files.get("course.md", "")) is not None:
        files["course.md"] = _write_units(files["course.md"],
                                          [u.name for u in units if u.is_listed] + [name])
    _claim(session, draft, expected, actor_id=actor_id, now=now, files=files)
    _audit(session, "draft.add_unit", draft, actor_id=actor_id, now=now, file=name)
    return name


def remove_unit(session: Session, draft: CourseDraft, name: str, expected: int, *,
                actor_id: int | None, now: datetime) -> None:
    if name not in draft.files or not is_unit_file(name):
        raise AuthoringError("no_file")
    files = dict(draft.files)
    del files[name]
    listed = listed_units(files.get("course.md", ""))
    if listed is not None and name in listed:
        files["course.md"] = _write_units(files["course.md"], [n for n in listed if n != name])
    _claim(session, draft, expected, actor_id=actor_id, now=now, files=files)
    _audit(session, "draft.remove_unit", draft, actor_id=actor_id, now=now, file=name)


def move_unit(session: Session, draft: CourseDraft, name: str, offset: int, expected: int, *,
              actor_id: int | None, now: datetime) -> bool:
    """Moves a unit up (-1) or down (+1) by rewriting `units:` in course.md (written out
    when course.md had no list); False when it is first/last already."""
    if offset not in (-1, 1):
        raise AuthoringError("bad_request")
    order = [u.name for u in unit_files(draft.files) if u.is_listed]
    if name not in order:
        raise AuthoringError("no_file")
    index = order.index(name)
    target = index + offset
    if not 0 <= target < len(order):
        return False
    order[index], order[target] = order[target], order[index]
    files = {**draft.files, "course.md": _write_units(draft.files["course.md"], order)}
    _claim(session, draft, expected, actor_id=actor_id, now=now, files=files)
    _audit(session, "draft.move_unit", draft, actor_id=actor_id, now=now, file=name,
           position=target + 1)
    return True


def add_media(session: Session, draft: CourseDraft, filename: str, data: bytes, expected: int,
              *, actor_id: int | None, now: datetime) -> str:
    """Stores an image under a name made from its content (media/<hash>.<ext>); the same
    image uploaded twice is stored once. Returns the path to use in Markdown."""
    extension, media_type = check_image(filename, data)
    path = f"media/{hashlib.sha256(data).hexdigest()[:16]}.{extension}"
    if draft.revision != expected:
        raise AuthoringError("stale")
    if find_draft_media(session, draft.id, path) is None:
        session.add(DraftMedia(draft_id=draft.id, path=path, media_type=media_type,
                               content=data, created_at=now))
    _claim(session, draft, expected, actor_id=actor_id, now=now)
    _audit(session, "draft.add_media", draft, actor_id=actor_id, now=now, file=path,
           bytes=len(data), original=filename[:100])
    return path


def discard_draft(session: Session, draft: CourseDraft, expected: int, *,
                  actor_id: int | None, now: datetime) -> None:
    _claim(session, draft, expected, actor_id=actor_id, now=now)
    _audit(session, "draft.discard", draft, actor_id=actor_id, now=now)
    session.delete(draft)
    session.flush()


def set_version(session: Session, draft: CourseDraft, version: str, expected: int, *,
                actor_id: int | None, now: datetime) -> None:
    """Writes `version:` in course.md (the publish form's field)."""
    version = version.strip()
    if not version or len(version) > MAX_VERSION_LENGTH or not version.isprintable():
        raise AuthoringError("bad_version", max=MAX_VERSION_LENGTH)
    course_md = draft.files.get("course.md", "")
    if course_version(course_md) == version:
        return
    updated = set_front_matter_key(course_md, "version", f"version: {_yaml_text(version)}\n")
    _claim(session, draft, expected, actor_id=actor_id, now=now,
           files={**draft.files, "course.md": updated})
    _audit(session, "draft.save_file", draft, actor_id=actor_id, now=now, file="course.md",
           version=version)


def taken_versions(session: Session, course_id: str) -> set[str]:
    return set(session.scalars(select(CourseVersion.version)
                               .where(CourseVersion.course_id == course_id)))


def _store_version(session: Session, course: Course, texts: Mapping[str, str],
                   media: Mapping[str, tuple[str, bytes]], now: datetime) -> CourseVersion:
    """A new immutable version, stored like `import_course_folder` stores a folder: the
    Markdown of course.md, exam.md and the units, and the images the course uses."""
    if course.version in taken_versions(session, course.id):
        raise AuthoringError("version_exists", version=course.version,
                             suggestion=suggest_version(course.version,
                                                        taken_versions(session, course.id)))
    kept = source_names(course)
    used = {m for unit in course.units for m in unit.media}
    # images referenced from course.md or exam.md are kept too
    used |= {path for path in media if any(path in texts.get(n, "") for n in ("course.md",
                                                                              "exam.md"))}
    stored = sorted(used & set(media))
    sources: dict[str, str | None] = {n: t for n, t in texts.items() if n in kept}
    sources.update(dict.fromkeys(stored))
    return store_version(session, course, sources, {path: media[path] for path in stored}, now)


def publish_draft(session: Session, draft: CourseDraft, expected: int, *, actor_id: int | None,
                  now: datetime) -> CourseVersion:
    """The draft as a new immutable version (refused while it has errors, or when its
    version exists already); the draft is closed."""
    if draft.revision != expected:
        raise AuthoringError("stale")
    images = {m.path: (m.media_type, m.content) for m in session.scalars(
        select(DraftMedia).where(DraftMedia.draft_id == draft.id))}
    result = compile_files(draft.files, list(images))
    if result.course is None or not result.ok:
        raise AuthoringError("has_errors", result.errors, count=len(result.errors))
    if result.course.id != draft.course_id:
        raise AuthoringError("id_changed", course_id=draft.course_id, got=result.course.id)
    version = _store_version(session, result.course, draft.files, images, now)
    _claim(session, draft, expected, actor_id=actor_id, now=now)
    _audit(session, "course.publish", draft, actor_id=actor_id, now=now,
           version=version.version, version_id=version.id)
    session.delete(draft)
    session.flush()
    return version


# --- zips ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ZipImport:
    course_id: str
    draft: CourseDraft | None = None
    version: CourseVersion | None = None


def _archive_course_id(archive: CourseArchive, result: CompileResult) -> str:
    if result.course is not None:
        return result.course.id
    match = re.search(r"^id:[ \t]*['\"]?([a-z0-9][a-z0-9_-]*)['\"]?[ \t]*$",
                      _front_matter(archive.texts["course.md"])[1], re.MULTILINE)
    if match is None:
        raise AuthoringError("zip_no_course_id", result.errors)
    return match.group(1)


def import_zip(session: Session, data: bytes, *, publish: bool, actor_id: int | None,
               now: datetime, limits: ZipLimits = DEFAULT_LIMITS) -> ZipImport:
    """A course zip as a new draft (errors allowed: they are fixed in the editor) or, when
    `publish`, directly as a new version (refused with errors or an existing version)."""
    archive = read_course_zip(data, limits)
    result = compile_files(archive.texts, list(archive.media))
    course_id = _archive_course_id(archive, result)
    if publish:
        if result.course is None or not result.ok:
            raise AuthoringError("has_errors", result.errors, count=len(result.errors))
        version = _store_version(session, result.course, archive.texts, archive.media, now)
        _audit(session, "course.upload_zip", course_id, actor_id=actor_id, now=now,
               published=True, version=version.version, version_id=version.id)
        return ZipImport(course_id, version=version)
    if find_draft(session, course_id) is not None:
        raise AuthoringError("draft_exists", course_id=course_id)
    latest = find_latest_version(session, course_id)
    draft = CourseDraft(course_id=course_id, base_version_id=latest.id if latest else None,
                        files=dict(archive.texts), revision=1, created_by_id=actor_id,
                        created_at=now, updated_by_id=actor_id, updated_at=now)
    session.add(draft)
    session.flush()
    for path, (media_type, content) in sorted(archive.media.items()):
        session.add(DraftMedia(draft_id=draft.id, path=path, media_type=media_type,
                               content=content, created_at=now))
    session.flush()
    _audit(session, "course.upload_zip", draft, actor_id=actor_id, now=now, published=False,
           files=len(archive.texts), images=len(archive.media))
    return ZipImport(course_id, draft=draft)


DOWNLOAD_ACTION = "course.download"


def export_version_zip(session: Session, version: CourseVersion) -> bytes:
    """A version as a course folder in a zip that `lernmodul check` accepts as it is.

    Only reads: the caller records the download (`DOWNLOAD_ACTION`, `download_detail`), in
    a write transaction of its own when the request itself is a read."""
    texts = {name: text for name, text in version.sources.items() if text is not None}
    media = {m.path: m.content for m in session.scalars(
        select(CourseMedia).where(CourseMedia.course_version_id == version.id))}
    return write_course_zip(version.course_id, texts, media, stamp=version.created_at)


def download_detail(version: CourseVersion) -> dict[str, Any]:
    """The audit target and detail of a version's download."""
    return {"target": f"course:{version.course_id}",
            "detail": {"version": version.version, "version_id": version.id}}


def count_versions(session: Session) -> dict[str, int]:
    return {course_id: n for course_id, n in session.execute(
        select(CourseVersion.course_id, func.count()).group_by(CourseVersion.course_id))}
