"""The GIFT export checked against Moodle's own GIFT import tests (fixtures/moodle_gift_cases.py):
the reader reads Moodle's inputs to Moodle's expected results, and reads lernmodul's export of
the same question to the same results."""

from __future__ import annotations

import pytest

from lernmodul.core.compiler import compile_course
from lernmodul.core.gift import minimal_course_md
from lernmodul.core.model import Course
from lernmodul.interchange import export_gift
from lernmodul.interchange.gift_export import TRUE_FALSE

from .conftest import ALL_TYPES, FLAGSHIP, load
from .fixtures.moodle_gift_cases import CASES
from .moodle_gift import read_gift


def _pick(value: object, path: str) -> object:
    for key in path.split("."):
        if isinstance(value, list):
            value = value[int(key)]
        elif isinstance(value, dict) and key in value:
            value = value[key]
        elif isinstance(value, list | tuple) or key == "text":
            value = [v["text"] for v in value]  # type: ignore[index, union-attr]
        else:
            raise KeyError(path)
    return value


def _text_of(value: object) -> object:
    if isinstance(value, dict):
        return value["text"]
    if isinstance(value, list) and value and isinstance(value[0], dict):
        return [v["text"] for v in value]
    return value


def _course(markdown: str, language: str) -> Course:
    files = {"course.md": minimal_course_md("moodle", "Moodle", language=language).encode(),
             "01-fall.md": f"---\nid: fall\ntitle: Fall\n---\n\n{markdown}\n".encode()}
    result = compile_course(files)
    assert result.course is not None and not result.errors, [d.format() for d in result.errors]
    return result.course


def _question_gift(course: Course) -> str:
    text = export_gift(course).text
    return text.split("\n\n")[-1]  # header, category, the question


@pytest.mark.parametrize("case", CASES, ids=[str(c["name"]) for c in CASES])
def test_the_reader_reads_moodles_inputs_to_moodles_results(case: dict[str, object]) -> None:
    got = read_gift(str(case["gift"]))
    for key, want in case["expected"].items():  # type: ignore[attr-defined]
        assert got[key] == want, key


CARRIED = [c for c in CASES if c["ours"] is not None]


@pytest.mark.parametrize("case", CARRIED, ids=[str(c["name"]) for c in CARRIED])
def test_our_export_reads_like_moodles_case(case: dict[str, object]) -> None:
    course = _course(str(case["ours"]), str(case["language"]))
    got = read_gift(_question_gift(course))
    expected = case["expected"]
    for path in case["compare"]:  # type: ignore[attr-defined]
        if path.endswith(".text"):
            want, have = _pick(expected, path[:-5]), _pick(got, path[:-5])
            assert _text_of(have) == _text_of(want), path
        else:
            assert _pick(got, path) == _pick(expected, path), path


def test_the_cases_cover_every_gift_question_type_lernmodul_writes() -> None:
    kinds = {read_gift(str(c["gift"]))["qtype"] for c in CARRIED}
    assert kinds >= {"multichoice", "numerical", "shortanswer", "truefalse", "match"}
    assert TRUE_FALSE["en"] == ("True", "False")


@pytest.mark.parametrize("folder", [ALL_TYPES, FLAGSHIP], ids=["all-types", "flagship"])
def test_moodle_reads_exactly_our_html(folder: object) -> None:
    """Whatever the markup: read as Moodle reads GIFT, every stem, answer, feedback and
    explanation of the export is the course's HTML (or, when plain, its text)."""
    from lernmodul.interchange.html import plain_text

    course = load(folder)  # type: ignore[arg-type]
    blocks = [b for b in export_gift(course).text.split("\n\n") if "::" in b.split("\n")[-1]
              or b.startswith("// [id:")]
    questions = course.questions()
    for block in blocks:
        qid = block.split("[id:", 1)[1].split("]", 1)[0]
        question = questions[qid]
        got = read_gift(block)

        def same(text: str, html: str, fmt: str, qid: str = qid) -> None:
            want = html.strip() if fmt == "html" else plain_text(html)
            assert text == want, (qid, text, html)

        fmt = str(got["questiontextformat"])
        same(str(got["questiontext"]), question.stem_html, fmt)
        same(str(got["generalfeedback"]), question.explanation_html, fmt)
        if got["qtype"] == "multichoice":
            for answer, feedback, option in zip(got["answer"], got["feedback"],  # type: ignore[call-overload]
                                                question.options, strict=True):
                same(answer["text"], option.html, answer["format"])
                same(feedback["text"], option.feedback_html, feedback["format"])
