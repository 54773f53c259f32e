"""Arbitrary GIFT text never makes the converter raise, and what it writes always compiles."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lernmodul.core.compiler import compile_course
from lernmodul.core.gift import convert_gift, minimal_course_md

GIFTISH = st.lists(
    st.sampled_from([*"abc XYZ 12.5{}=~#%:->[]*_`<>!|&/$\n\t\\ä", "\n\n", "::", "{T}", "{#",
                     "->", "%50%", "%-100%", "[html]", "[markdown]", "[plain]", "<b>", "</b>",
                     "<p>", "<li>", "<![x[", "####", "//", "$CATEGORY: x\n", "\\n", "\\{",
                     "1. ", "- ", ":::", "> ", "# ", "..", "<script>", "javascript:"]),
    max_size=80).map("".join)
COURSE = minimal_course_md("k", "K").encode()


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(GIFTISH)
def test_any_text_converts_to_files_that_compile(text: str) -> None:
    result = convert_gift(text, unit_id="u", path="t.gift")
    assert result.questions == sum(f.count("\n::: question ") for f in result.files.values())
    files = {name: content.encode() for name, content in result.files.items()}
    compiled = compile_course({**files, "course.md": COURSE})
    problems = [d for d in compiled.diagnostics
                # a short answer is compared as typed, so its tags stay and the compiler says so
                if not (d.code.name == "RAW_HTML"
                        and result.files[d.path].split("\n")[d.line - 1].startswith("- = "))]
    assert not (result.files and problems), [d.format() for d in problems]
    assert result.errors or result.files
