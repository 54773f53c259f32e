"""GIFT test helpers: convert, then compile the result with the real compiler."""

from __future__ import annotations

import html
import re
from pathlib import Path

from lernmodul.core.compiler import CompileResult, compile_course
from lernmodul.core.gift import GiftResult, convert_gift, minimal_course_md
from lernmodul.core.model import Question

FIXTURES = Path(__file__).parent / "fixtures"


def compile_gift(source: str, *, language: str = "de", unit_id: str = "u",
                 **options: object) -> tuple[GiftResult, CompileResult]:
    """Converts GIFT source and compiles the files with a minimal course.md. Every converted
    file must compile without a single error or warning (what `check --strict` demands)."""
    result = convert_gift(source, unit_id=unit_id, language=language, path="t.gift",
                          **options)  # type: ignore[arg-type]
    files = {name: text.encode() for name, text in result.files.items()}
    files["course.md"] = minimal_course_md("probe", "Probe", language=language).encode()
    compiled = compile_course(files)
    if result.files:
        assert compiled.diagnostics == (), "\n".join(d.format() for d in compiled.diagnostics) \
            + "\n" + "\n".join(result.files.values())
    return result, compiled


def questions(compiled: CompileResult) -> list[Question]:
    assert compiled.course is not None
    return [q for unit in compiled.course.units for q in unit.questions]


def text_of(fragment: str) -> str:
    """What a reader sees of an HTML fragment: tags removed, entities resolved, spaces joined."""
    inline = re.sub(r"</?(?:strong|em|a|code|del|span)\b[^>]*>", "", fragment)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", inline))).strip()


def slugs(result: GiftResult) -> list[str]:
    return [d.code.slug for d in result.diagnostics]
