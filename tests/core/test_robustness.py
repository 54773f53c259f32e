"""Arbitrary input never raises, and course HTML can never carry script (SECURITY D1, C7)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lernmodul.content import read_course_files
from lernmodul.core.compiler import compile_course

from .conftest import COURSE_MD, FIXTURES, compile_files, compile_unit

SAMPLE = read_course_files(FIXTURES / "sample-course")
REAL = read_course_files(FIXTURES.parents[2] / "courses" / "bedrohungsmanagement")
MARKDOWNISH = st.lists(
    st.sampled_from([*"-*_[]x()!>=:#|`<>/\\ \n\t\"'=±,.0123456789abcdeäöüß{}%&;",
                     "::: question ", "::: note\n", ":::\n", "- [x] ", "- [ ] ", "---\n",
                       "id: ", "title: ", "javascript:", "<script>", " => ", "= ", "1. ",
                       "\n\n", "single ", "match ", "order ", "inline", "](", "![a"]),
    max_size=150).map("".join)
ALLOWED_TAGS = {"a", "abbr", "b", "blockquote", "br", "code", "del", "div", "em", "h1", "h2",
                "h3", "h4", "h5", "h6", "hr", "i", "img", "li", "ol", "p", "pre", "s", "span",
                "strong", "sub", "sup", "table", "tbody", "td", "th", "thead", "tr", "ul"}


class _Audit(HTMLParser):
    """Collects every real tag and attribute (escaped text is text, not markup)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED_TAGS:
            self.problems.append(f"tag {tag}")
        for name, value in attrs:
            if name.startswith("on") or name in ("style", "srcdoc", "formaction"):
                self.problems.append(f"attribute {name}")
            if name in ("href", "src") and value is not None:
                scheme = re.match(r"\s*([a-z][a-z0-9+.-]*):", value, re.IGNORECASE)
                if scheme and scheme.group(1).lower() not in ("http", "https", "mailto"):
                    self.problems.append(f"url {value}")


def unsafe(html: str) -> list[str]:
    audit = _Audit()
    audit.feed(html)
    audit.close()
    return audit.problems


def all_html(result) -> str:
    course = result.course
    if course is None:
        return ""
    parts = [course.intro_html, course.exam_intro_html]
    for question in course.questions().values():
        parts += [question.stem_html, question.explanation_html]
        parts += [o.html + o.feedback_html + o.match_html for o in question.options]
    parts += [u.html for u in course.units]
    return "".join(parts)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=300))
def test_any_bytes_yield_diagnostics_not_exceptions(data: bytes) -> None:
    result = compile_files({"course.md": COURSE_MD, "01-u.md": data, "02-v.md": data[::-1]})
    assert isinstance(result.diagnostics, tuple)
    result = compile_files({"course.md": data})
    assert isinstance(result.diagnostics, tuple)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(MARKDOWNISH)
def test_any_markdown_yields_diagnostics_and_safe_html(body: str) -> None:
    result = compile_unit(body)
    assert unsafe(all_html(result)) == []


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mutations_of_the_real_course_never_raise(data) -> None:
    course = data.draw(st.sampled_from([REAL, SAMPLE]))
    name = data.draw(st.sampled_from(sorted(k for k in course if k.endswith(".md"))))
    source = course[name]
    start = data.draw(st.integers(0, len(source)))
    end = data.draw(st.integers(start, min(len(source), start + 40)))
    insert = data.draw(st.binary(max_size=20) | MARKDOWNISH.map(str.encode))
    mutated = dict(course)
    mutated[name] = source[:start] + insert + source[end:]
    result = compile_course(mutated)
    assert unsafe(all_html(result)) == []


XSS_PROBES = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "[x](javascript:alert(1))",
    "[x](JAVASCRIPT:alert(1))",
    "[x](  javascript:alert(1))",
    "[x](java\tscript:alert(1))",
    "[x](&#106;avascript:alert(1))",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![x](javascript:alert(1))",
    "<a href=\"javascript:alert(1)\">x</a>",
    "<svg onload=alert(1)>",
    "<iframe src=//evil.example></iframe>",
    "`<script>`",
    "<style>body{display:none}</style>",
    "[x](vbscript:msgbox(1))",
    "<details open ontoggle=alert(1)>",
    "\"><script>alert(1)</script>",
]


def test_xss_probes_in_text_stem_options_feedback_and_explanation() -> None:
    for probe in XSS_PROBES:
        body = (f"{probe}\n\n::: note\n{probe}\n:::\n\n::: question single id=q\n{probe}\n\n"
                f"- [x] {probe}\n  > {probe}\n- [ ] b\n\n> {probe}\n:::\n\n"
                f"::: question match id=m\nS\n\n- {probe} => {probe}\n- a => b\n:::\n")
        result = compile_unit(body)
        html = all_html(result)
        assert result.course is not None and html, probe
        assert unsafe(html) == [], (probe, html)
        assert "<script" not in html and "<img src=x" not in html, (probe, html)


def test_template_syntax_is_never_evaluated() -> None:
    result = compile_unit("{{ 7 * 7 }} {% raw %} ${7 * 7}\n")
    assert "{{ 7 * 7 }} {% raw %} ${7 * 7}" in result.course.units[0].html
    assert "49" not in result.course.units[0].html
