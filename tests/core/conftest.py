"""Core test helpers: compile a unit or a whole course from strings, no app, no database."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from lernmodul.core.compiler import CompileResult, compile_course
from lernmodul.core.model import Question

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


def by_place(question: Question, value: Any) -> Any:
    """A response written with letters for places in the source (a: first option, b: the
    second …) in the question's real option ids, which say nothing about places. Letters
    beyond the options, and anything else, stay as they are (for invalid cases)."""
    ids = [o.id for o in question.options]

    def one(letter: Any) -> Any:
        if ids and isinstance(letter, str) and len(letter) == 1 and "a" <= letter <= "z":
            index = ord(letter) - ord("a")
            return ids[index] if index < len(ids) else letter
        return letter

    if isinstance(value, frozenset):
        return frozenset(one(v) for v in value)
    if isinstance(value, tuple):
        return tuple(one(v) for v in value)
    if isinstance(value, dict):
        return {one(k): one(v) for k, v in value.items()}
    return one(value)


def fields_by_place(question: Question, fields: dict[str, list[str]]) -> dict[str, list[str]]:
    """Form fields whose names end in a place letter (match: q-<id>-a) with real option ids."""
    prefix = f"q-{question.id}-"
    return {(prefix + by_place(question, name[len(prefix):])
             if name.startswith(prefix) and not name[len(prefix):].isdigit() else name): v
            for name, v in fields.items()}
