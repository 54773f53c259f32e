"""Core test helpers: compile a unit or a whole course from strings, no app, no database."""

from __future__ import annotations

from pathlib import Path

import pytest

from lernmodul.core.compiler import CompileResult, compile_course

FIXTURES = Path(__file__).parent / "fixtures"

COURSE_MD = """---
format: 1
id: probe
title: Probe
version: "1"
language: de
completion:
  units: all
  exam: none
---

Intro.
"""


def compile_files(files: dict[str, str | bytes], base: str = "c") -> CompileResult:
    data = {k: v.encode() if isinstance(v, str) else v for k, v in files.items()}
    return compile_course(data, base=base)


def compile_unit(body: str, front: str = "id: u\ntitle: U\n", extra: dict[str, str | bytes] | None = None,
                 course_md: str = COURSE_MD) -> CompileResult:
    files: dict[str, str | bytes] = {"course.md": course_md, "01-u.md": f"---\n{front}---\n\n{body}"}
    files.update(extra or {})
    return compile_files(files)


def read_fixtures(name: str) -> list[tuple[str, str, str]]:
    """markdown-it-py style fixture file: title / . / input / . / expected / . blocks."""
    lines = (FIXTURES / name).read_text(encoding="utf-8").split("\n")
    cases = []
    i = 0
    while i < len(lines):
        if lines[i] == "." and i > 0:
            title = lines[i - 1]
            j = lines.index(".", i + 1)
            k = lines.index(".", j + 1)
            cases.append((title, "\n".join(lines[i + 1:j]), "\n".join(lines[j + 1:k])))
            i = k + 1
        else:
            i += 1
    return cases


def fixture_params(name: str) -> list[object]:
    return [pytest.param(inp, exp, id=title) for title, inp, exp in read_fixtures(name)]
