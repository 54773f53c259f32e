"""Reads course folders from disk into the pure compiler.

Internal to lernmodul: library users call `lernmodul.compile_folder` (docs/api)."""

from __future__ import annotations

import os
from pathlib import Path

from lernmodul.core.compiler import CompileResult, compile_course
from lernmodul.core.diagnostics import DiagCode, Diagnostic

MAX_SOURCE_BYTES = 2 * 1024 * 1024  # a Markdown file larger than this is not a unit
SOURCE_SUFFIXES = (".md",)


def find_course_dirs(path: Path) -> list[Path]:
    """`path` itself when it holds a course.md, else its direct subfolders that do."""
    if (path / "course.md").is_file():
        return [path]
    if not path.is_dir():
        return []
    return sorted(p for p in path.iterdir()
                  if p.is_dir() and not p.name.startswith((".", "_")) and (p / "course.md").is_file())


def read_course_files(folder: Path) -> dict[str, bytes]:
    """Every file of a course folder by its relative POSIX path. Markdown files carry their
    bytes; other files (media) carry none, since the compiler only needs to know they exist."""
    files: dict[str, bytes] = {}
    for root, dirs, names in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in names:
            if name.startswith("."):
                continue
            full = Path(root) / name
            rel = full.relative_to(folder).as_posix()
            if name.endswith(SOURCE_SUFFIXES) and "/" not in rel:
                if full.stat().st_size > MAX_SOURCE_BYTES:
                    files[rel] = b"\xff too large"  # reported as not UTF-8 rather than read
                    continue
                files[rel] = full.read_bytes()
            else:
                files[rel] = b""
    return files


def display_path(folder: Path) -> str:
    """The folder relative to the current directory where possible (for diagnostics)."""
    try:
        return os.path.relpath(folder)
    except ValueError:  # another drive on Windows
        return str(folder)


def load_course(folder: Path, *, media_base: str = "media/") -> CompileResult:
    return compile_course(read_course_files(folder), base=display_path(folder),
                          media_base=media_base)


def load_courses(path: Path) -> list[CompileResult]:
    """Every course below `path`; a folder without any course yields one NO_COURSE error."""
    folders = find_course_dirs(path)
    if not folders:
        diag = Diagnostic.make(DiagCode.NO_COURSE, display_path(path), 0, 0)
        return [CompileResult(None, (diag,))]
    return [load_course(folder) for folder in folders]
