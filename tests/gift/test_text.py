"""Text formats: literal text survives Markdown, HTML becomes readable Markdown, nothing unsafe."""

from __future__ import annotations

import pytest

from lernmodul.core.gift.text import as_block, to_markdown

from .conftest import compile_gift, questions, text_of

TRICKY = [
    "2 * 3 = 6 and 4 * 5",
    "_under_ and __double__ and *star*",
    "# not a heading",
    "- not a list",
    "+ not a list either",
    "1. not a list",
    "3) not a list",
    "> not a quote",
    "::: not a block",
    "=== not a setext line",
    "<b>tag</b> & &amp; entity &#65;",
    "a => b and c -> d",
    "back\\slash and `code`",
    "[link](http://example.org) ![img](x.png)",
    "~~not struck~~",
    "| a | b |",
    "{{ not a template }}",
    "ends with a backslash \\",
]


def _gift_escape(text: str) -> str:
    text = text.replace("\\", "\\\\")
    for char in "~=#{}:":
        text = text.replace(char, "\\" + char)
    return text


# in the default format tags are HTML (see test_convert), so that line is [plain] only
@pytest.mark.parametrize(("literal", "fmt"), [(t, f) for t in TRICKY for f in ("[plain]", "")
                                              if f or "<b>" not in t])
def test_literal_text_renders_as_typed(literal: str, fmt: str) -> None:
    source = f"{fmt}{_gift_escape(literal)}{{=ok ~[plain]{_gift_escape(literal)}}}"
    result, compiled = compile_gift(source)
    (question,) = questions(compiled)
    assert text_of(question.stem_html) == literal
    assert [text_of(o.html) for o in question.options] == ["ok", literal]
    assert result.diagnostics == ()


@pytest.mark.parametrize("literal", [t for t in TRICKY if "->" not in t])
def test_literal_text_in_a_match_question(literal: str) -> None:
    # ('->' cannot be written on the left side of a GIFT pair: GIFT has no escape for it)
    escaped = _gift_escape(literal)
    source = f"Pair.{{=[plain]{escaped} -> {escaped} =other -> thing}}"
    _, compiled = compile_gift(source)
    (question,) = questions(compiled)
    assert [(text_of(o.html), text_of(o.match_html)) for o in question.options] == [
        (literal, literal), ("other", "thing")]


def test_html_becomes_readable_markdown() -> None:
    converted = to_markdown(
        "<p>First <b>bold</b> and <em> spaced </em>.</p><p>Second<br/>line</p>"
        "<ul><li>one</li><li>two</li></ul><ol><li>first</li><li>second</li></ol>"
        "<script>alert(1)</script><style>p{}</style><!-- note -->"
        "<table><tr><td>a</td><td>b</td></tr></table>", "html")
    assert converted.had_html
    assert converted.text == (
        "First **bold** and *spaced* .\n\nSecond\\\nline\n\n• one\\\n• two\n\n1\\. first\\\n"
        "2\\. second\n\na b")


def test_html_link_schemes() -> None:
    converted = to_markdown('<a href="javascript:alert(1)">x</a> <a href="mailto:a@b.de">mail'
                            '</a> <a href="https://e.org/a b">web</a>', "html")
    assert converted.text == "x [mail](mailto:a@b.de) [web](https://e.org/a%20b)"


def test_html_unclosed_and_misnested_tags() -> None:
    assert to_markdown("<b>bold <i>both</b> rest", "html").text == "**bold *both*** rest"
    assert to_markdown("<b>never closed", "html").text == "**never closed**"


def test_markdown_with_html_keeps_markdown_and_drops_tags() -> None:
    converted = to_markdown("Some **bold**<br>next <span>line</span>\n\n- item", "markdown")
    assert converted.had_html
    assert converted.text == "Some **bold**\nnext line\n\n- item"


def test_stem_list_lines_become_text_lines() -> None:
    assert as_block("Choose:\n- one\n* two\n1. three", stem=True) == (
        "Choose:\\\n\\- one\\\n\\* two\\\n1\\. three")
    assert as_block("- kept in feedback", stem=False) == "- kept in feedback"


XSS = [
    "[html]<script>alert(1)</script><img src=x onerror=alert(1)>Hi",
    "[markdown]<script>alert(1)</script>[x](javascript:alert(1)) Hi",
    "[html]<a href=\"javascript:alert(1)\" onclick=\"alert(2)\">Hi</a>",
    "<iframe src=\"https://evil.example\"></iframe>Hi",
]


@pytest.mark.parametrize("stem", XSS)
def test_no_script_reaches_the_page(stem: str) -> None:
    _, compiled = compile_gift(stem.replace("=", "\\=").replace(":", "\\:") + "{T}")
    (question,) = questions(compiled)
    html = question.stem_html.lower()
    assert "<script" not in html and 'href="javascript' not in html and "onerror" not in html
    assert "onclick" not in html and "<iframe" not in html
    assert "Hi" in question.stem_html


def test_markup_that_html_parser_gives_up_on_still_converts() -> None:
    converted = to_markdown("<p>Odd <![plain[ *x* <b>y</b>", "html")
    assert converted.had_html and converted.text == "Odd \\<!\\[plain\\[ \\*x\\* y"
