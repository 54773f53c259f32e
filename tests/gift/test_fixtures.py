"""Whole GIFT files: the documented constructs, categories, and a file full of mistakes."""

from __future__ import annotations

from lernmodul.core.gift import convert_gift

from .conftest import FIXTURES, compile_gift, questions, slugs, text_of


def _read(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def test_documented_examples_all_convert_and_compile_cleanly() -> None:
    result, compiled = compile_gift(_read("documented.gift"), unit_id="doku")
    assert result.errors == ()
    assert result.questions == 31
    found = questions(compiled)
    assert len(found) == 31
    assert [q.type.value for q in found] == [
        "single", "cloze", "cloze", "single", "text", "cloze", "truefalse", "truefalse",
        "match", "number", "cloze", "cloze", "number", "text", "cloze", "single",
        "truefalse", "truefalse", "text", "match", "single", "single", "text", "number",
        "multiple", "multiple", "single", "single", "text", "single", "truefalse"]
    ids = [q.id for q in found]
    assert len(set(ids)) == len(ids)
    assert {"kanji-origins", "thanksgiving-date", "q1", "moodle-activities", "jesus-hometown",
            "jesus-hometown-2", "gift-control-characters"} <= set(ids)
    # the lossy spots are all reported, by line
    assert [(d.code.slug, d.line) for d in result.warnings] == [
        ("gift-html", 72), ("gift-partial-credit", 80), ("gift-partial-credit", 84),
        ("gift-partial-credit", 85), ("gift-partial-answer", 90), ("gift-feedback-dropped", 90),
        ("gift-partial-answer", 91), ("gift-feedback-dropped", 91), ("gift-partial-answer", 95),
        ("gift-feedback-dropped", 95), ("gift-wrong-weights", 101)]


def test_documented_control_characters_question() -> None:
    _, compiled = compile_gift(_read("documented.gift"), unit_id="doku")
    by_id = {q.id: q for q in questions(compiled)}
    question = by_id["gift-control-characters"]
    assert [(text_of(o.html), o.is_correct) for o in question.options] == [
        ("~", False), ("=", False), ("#", False), ("{", False), ("}", False), ("\\", True)]
    assert text_of(question.options[-1].feedback_html) == (
        "Correct! \\ (backslash) is not a control character. BUT, it is used to escape the "
        "control characters.")


def test_categories_become_units_in_order() -> None:
    result, compiled = compile_gift(_read("categories.gift"), unit_id="fragen",
                                    title="Fragen")
    assert list(result.files) == ["01-fragen.md", "02-default-for-grundlagen.md",
                                  "03-praxis-uebungen.md"]
    assert result.unit_ids == ("fragen", "default-for-grundlagen", "praxis-uebungen")
    assert compiled.course is not None
    units = {u.id: u for u in compiled.course.units}
    assert [u.title for u in compiled.course.units] == ["Fragen", "Default for Grundlagen",
                                                        "Übungen"]
    # a category named again later adds to its unit
    assert [q.id for q in units["default-for-grundlagen"].questions] == [
        "erste-frage", "zweite-frage", "vierte-frage"]
    assert [q.id for q in units["praxis-uebungen"].questions] == ["dritte-frage"]
    assert [q.id for q in units["fragen"].questions] == ["fragen-1"]
    assert [d.format() for d in result.diagnostics] == [
        "t.gift:15:1: warning: category 'Leer' has no questions; no unit is written for it "
        "[gift-empty-category]"]


def test_category_and_question_in_one_block() -> None:
    result, compiled = compile_gift("$CATEGORY: Kapitel 1\n::A::Eins?{T}", unit_id="u")
    assert result.unit_ids == ("kapitel-1",)
    assert [q.id for q in questions(compiled)] == ["a"]


def test_category_files_are_numbered_from_the_given_number() -> None:
    result = convert_gift("A?{T}\n\n$CATEGORY: B\n\nB?{T}\n", unit_id="u", number_from=4)
    assert list(result.files) == ["04-u.md", "05-b.md"]


def test_broken_file_reports_every_problem_with_its_line() -> None:
    result, compiled = compile_gift(_read("broken.gift"), unit_id="kaputt")
    expected = _read("broken.expected").replace("broken.gift:", "t.gift:").splitlines()
    assert [d.format() for d in result.diagnostics] == expected
    # what could be converted still is, and compiles
    assert [q.id for q in questions(compiled)] == ["good-one", "partial", "also-good"]
    assert slugs(result).count("gift-no-questions") == 0
