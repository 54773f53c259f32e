"""Fixture-file tests (markdown-it-py style): rendered HTML and diagnostics of unit bodies."""

from __future__ import annotations

import pytest

from .conftest import compile_unit, fixture_params


def render_body(body: str) -> str:
    result = compile_unit(body + "\n", extra={"media/bild.png": b""})
    assert result.course is not None, [d.format() for d in result.diagnostics]
    unit = result.course.units[0]
    return "".join(s.html if s.question_id is None else f"<!-- question {s.question_id} -->\n"
                   for s in unit.body).rstrip("\n")


@pytest.mark.parametrize(("source", "expected"), fixture_params("render.md"))
def test_render_fixture(source: str, expected: str) -> None:
    assert render_body(source) == expected


@pytest.mark.parametrize(("source", "expected"), fixture_params("diagnostics.md"))
def test_diagnostics_fixture(source: str, expected: str) -> None:
    result = compile_unit(source + "\n")
    got = "\n".join(d.format("en") for d in result.diagnostics if d.path == "c/01-u.md")
    assert got == expected
