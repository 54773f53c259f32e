"""Uploaded files that become course content: images (type by magic bytes, size) and course
zips (zip-slip and zip-bomb safe), and a course version written back as a zip.

Nothing here writes to disk: an archive is read in memory, entry by entry, with limits on
the number of entries, on each entry's and the total uncompressed size and on the
compression ratio, so that a small upload cannot expand into gigabytes."""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from dataclasses import dataclass, field
from datetime import datetime

from lernmodul.content import MAX_SOURCE_BYTES
from lernmodul.core.compiler import is_unit_file

MAX_IMAGE_BYTES = 5 * 1024 * 1024  # the same limit as course media imported from folders
IMAGE_TYPES = {"png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg",
               "gif": "image/gif", "webp": "image/webp"}
# a Markdown file or an image name inside a course: no spaces, no umlauts, no leading dot
SAFE_SEGMENT = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,99}\Z")
IGNORED_PREFIXES = ("__MACOSX/",)
SYMLINK = 0o120000


class UploadError(Exception):
    """A refused upload; `code` says why and `name` names the file or entry concerned."""

    def __init__(self, code: str, name: str = "", **details: object) -> None:
        super().__init__(code, name)
        self.code = code
        self.name = name
        self.details = details


@dataclass(frozen=True, slots=True)
class ZipLimits:
    max_archive_bytes: int = 20 * 1024 * 1024
    max_entries: int = 500
    max_total_bytes: int = 50 * 1024 * 1024  # uncompressed, all entries together
    max_ratio: int = 100  # uncompressed / compressed size of one entry (above 64 KiB)


DEFAULT_LIMITS = ZipLimits()


@dataclass(frozen=True, slots=True)
class CourseArchive:
    """A course folder read from a zip: Markdown texts and images, by relative path."""

    texts: dict[str, str] = field(default_factory=dict)
    media: dict[str, tuple[str, bytes]] = field(default_factory=dict)  # path -> (type, bytes)
    folder: str = ""  # the single top-level folder, if the zip had one


def image_type(data: bytes) -> str | None:
    """The image format by its magic bytes (PNG, JPEG, GIF, WebP), or None."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "gif"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return None


def check_image(name: str, data: bytes, *, max_bytes: int = MAX_IMAGE_BYTES) -> tuple[str, str]:
    """Checks an uploaded image and returns (extension, media type). The extension must be
    one of PNG/JPEG/GIF/WebP and the content must be an image of that very kind: a renamed
    HTML or SVG file (which can carry script) is refused."""
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension == "svg":
        raise UploadError("svg", name)
    if extension not in IMAGE_TYPES:
        raise UploadError("image_type", name)
    if not data:
        raise UploadError("empty", name)
    if len(data) > max_bytes:
        raise UploadError("image_too_large", name, megabytes=max_bytes // (1024 * 1024))
    kind = image_type(data)
    expected = "jpeg" if extension == "jpg" else extension
    if kind != expected:
        raise UploadError("image_mismatch", name)
    return extension, IMAGE_TYPES[extension]


def _entry_problem(info: zipfile.ZipInfo) -> str | None:
    name = info.filename
    if "\\" in name:
        return "zip_backslash"
    if name.startswith("/") or re.match(r"[A-Za-z]:", name):
        return "zip_absolute"
    if any(part in ("..", ".") for part in name.split("/")):
        return "zip_traversal"
    if (info.external_attr >> 16) & 0o170000 == SYMLINK:
        return "zip_symlink"
    if info.flag_bits & 0x1:
        return "zip_encrypted"
    return None


def _ignored(name: str) -> bool:
    """Folders, macOS resource forks and hidden files (.git, .DS_Store) are skipped."""
    return (name.endswith("/") or name.startswith(IGNORED_PREFIXES)
            or any(part.startswith(".") for part in name.split("/") if part))


def read_course_zip(data: bytes, limits: ZipLimits = DEFAULT_LIMITS) -> CourseArchive:
    """Reads a course folder from a zip: either files at the root or one top-level folder.

    Refuses (UploadError) absolute names, '..', backslashes, symlinks, encrypted or duplicate
    entries, too many entries, too much uncompressed data, a suspicious compression ratio, a
    Markdown file above the source limit, and images that fail `check_image`. Other files
    (README, LICENSE, …) are ignored."""
    if len(data) > limits.max_archive_bytes:
        raise UploadError("zip_too_large", megabytes=limits.max_archive_bytes // (1024 * 1024))
    if not data.startswith(b"PK"):
        raise UploadError("not_a_zip")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zlib.error, ValueError, EOFError) as error:
        raise UploadError("not_a_zip") from error
    with archive:
        infos = archive.infolist()
        if len(infos) > limits.max_entries:
            raise UploadError("zip_too_many_entries", count=limits.max_entries)
        seen: set[str] = set()
        total = 0
        kept: list[zipfile.ZipInfo] = []
        for info in infos:
            problem = _entry_problem(info)
            if problem is not None:
                raise UploadError(problem, info.filename[:200])
            folded = info.filename.rstrip("/").casefold()
            if folded in seen:
                raise UploadError("zip_duplicate", info.filename[:200])
            seen.add(folded)
            total += info.file_size
            if total > limits.max_total_bytes:
                raise UploadError("zip_too_much_data",
                                  megabytes=limits.max_total_bytes // (1024 * 1024))
            if info.file_size > 64 * 1024 and (
                    info.compress_size == 0
                    or info.file_size / info.compress_size > limits.max_ratio):
                raise UploadError("zip_ratio", info.filename[:200])
            if not _ignored(info.filename):
                kept.append(info)
        folder = _single_folder([i.filename for i in kept])
        result = CourseArchive(folder=folder.rstrip("/"))
        read_total = 0
        for info in kept:
            path = info.filename[len(folder):]
            if "/" not in path and path.endswith(".md"):
                if not SAFE_SEGMENT.match(path):
                    raise UploadError("zip_bad_name", info.filename[:200])
                if path.lower() == "readme.md" or not (
                        path in ("course.md", "exam.md") or is_unit_file(path)):
                    continue
                content = _read_entry(archive, info, MAX_SOURCE_BYTES, "source_too_large")
                try:
                    result.texts[path] = content.decode("utf-8-sig")
                except UnicodeDecodeError as error:
                    raise UploadError("not_utf8", path) from error
            elif path.startswith("media/"):
                if not all(SAFE_SEGMENT.match(p) for p in path.split("/")[1:]):
                    raise UploadError("zip_bad_name", info.filename[:200])
                content = _read_entry(archive, info, MAX_IMAGE_BYTES, "image_too_large")
                _extension, media_type = check_image(path, content)
                result.media[path] = (media_type, content)
            else:
                continue
            read_total += len(content)
            if read_total > limits.max_total_bytes:  # sizes in the headers may lie
                raise UploadError("zip_too_much_data",
                                  megabytes=limits.max_total_bytes // (1024 * 1024))
    if "course.md" not in result.texts:
        raise UploadError("zip_no_course")
    return result


def _single_folder(names: list[str]) -> str:
    """'folder/' when every file lies in one top-level folder, else '' (files at the root)."""
    tops = {name.split("/", 1)[0] for name in names}
    if len(tops) == 1 and all("/" in name for name in names):
        return tops.pop() + "/"
    return ""


def _read_entry(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int, code: str) -> bytes:
    try:
        with archive.open(info) as handle:
            content = handle.read(limit + 1)
    except (zipfile.BadZipFile, zlib.error, NotImplementedError, EOFError, ValueError) as error:
        raise UploadError("zip_corrupt", info.filename[:200]) from error
    if len(content) > limit:
        raise UploadError(code, info.filename[:200], megabytes=limit // (1024 * 1024))
    return content


def write_course_zip(folder: str, texts: dict[str, str], media: dict[str, bytes],
                     *, stamp: datetime) -> bytes:
    """A course folder as a zip (`folder/course.md`, `folder/media/…`), entries sorted and
    dated `stamp`, so the same version always gives the same bytes."""
    buffer = io.BytesIO()
    date_time = (max(stamp.year, 1980), stamp.month, stamp.day, stamp.hour, stamp.minute,
                 stamp.second)
    entries = [(name, text.encode("utf-8")) for name, text in texts.items()]
    entries += list(media.items())
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in sorted(entries):
            info = zipfile.ZipInfo(f"{folder}/{name}", date_time=date_time)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, content)
    return buffer.getvalue()
