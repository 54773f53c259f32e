"""The compiler on whole courses: structure, front matter validation and course-level checks."""

from __future__ import annotations

import pytest

from lernmodul.content import read_course_files
from lernmodul.core.compiler import compile_course
from lernmodul.core.model import ExamRequirement, QuestionType, Scoring

from .conftest import COURSE_MD, FIXTURES, compile_files, compile_unit


@pytest.fixture(scope="module")
def sample():
    result = compile_course(read_course_files(FIXTURES / "sample-course"), base="sample")
    assert result.diagnostics == ()
    assert result.course is not None
    return result.course


def codes(result, path: str | None = None) -> list[str]:
    return [d.code.slug for d in result.diagnostics if path is None or d.path == path]


def test_sample_course_metadata(sample) -> None:
    assert (sample.id, sample.version, sample.language) == ("beispielkurs", "2026.1", "de")
    assert sample.title == "Beispielkurs: Sicher am Schalter"
    assert sample.completion.exam is ExamRequirement.REQUIRED
    assert sample.exam.pass_mark == 0.8 and sample.exam.draw == 2
    assert sample.exam.max_attempts == 3 and sample.exam.time_limit == 30
    assert sample.certificate.valid_months == 24
    assert sample.certificate.signatory == "Stabsstelle Gewaltschutz"
    assert "<strong>jede Frageart</strong>" in sample.intro_html


def test_units_follow_the_explicit_list_and_drafts_are_ignored(sample) -> None:
    assert [u.id for u in sample.units] == ["grundlagen", "praxis"]
    assert [q.id for q in sample.exam_questions] == ["ex-abschluss"]
    assert sample.exam_questions[0].points == 2 and sample.exam_questions[0].unit_id is None


def test_every_question_type_is_built(sample) -> None:
    questions = sample.questions()
    assert {q.type for q in questions.values()} == set(QuestionType)
    leakage = questions["gl-leakage"]
    assert [o.is_correct for o in leakage.options] == [True, False, False]
    assert leakage.options[0].feedback_html == "<p>Richtig: Die Absicht „sickert“ durch.</p>\n"
    assert leakage.explanation_html == "<p>Angekündigte Absichten sind ernst zu nehmen.</p>\n"
    assert questions["gl-warnsignale"].scoring is Scoring.PARTIAL
    assert [o.text for o in questions["gl-schritte"].options] == [
        "Erkennen", "Einschätzen", "Entschärfen"]
    match = questions["pr-zuordnung"]
    assert match.points == 2 and match.options[0].match_text == "Durchsickern einer Absicht"
    assert questions["pr-stufen"].number_answers[0].value == 4
    assert questions["gl-begriff"].is_inline and questions["gl-begriff"].text_answers == ("Leakage",)


def test_inline_questions_are_not_in_the_unit_quiz(sample) -> None:
    unit = sample.units[0]
    assert "gl-begriff" not in [q.id for q in unit.quiz_questions]
    assert any(s.question_id == "gl-begriff" for s in unit.body)


def test_media_are_found_and_rewritten_to_the_media_base() -> None:
    files = read_course_files(FIXTURES / "sample-course")
    course = compile_course(files, media_base="/m/beispielkurs/").course
    assert course is not None
    assert '<img src="/m/beispielkurs/ampel.png" alt="Ampel mit drei Stufen">' in course.units[0].html
    assert course.units[0].media == ("media/ampel.png",)


def test_units_without_a_list_follow_file_names() -> None:
    course_md = COURSE_MD
    result = compile_files({
        "course.md": course_md,
        "02-b.md": "---\nid: b\ntitle: B\n---\nB\n",
        "01-a.md": "---\nid: a\ntitle: A\n---\nA\n",
        "10-c.md": "---\nid: c\ntitle: C\n---\nC\n",
        "_draft.md": "kaputt ::: question",
        "README.md": "notes",
        "notes.txt": "x",
    })
    assert result.diagnostics == ()
    assert [u.id for u in result.course.units] == ["a", "b", "c"]


def test_unknown_keys_suggest_the_right_one_with_line_numbers() -> None:
    result = compile_unit("Text.\n", front="id: u\ntitel: U\nquiz:\n  pass_mrk: 0.5\n")
    lines = [d.format() for d in result.diagnostics]
    assert "c/01-u.md:3:1: error: unknown key 'titel' (did you mean 'title'?) [unknown-key]" in lines
    assert ("c/01-u.md:5:3: error: unknown key 'quiz.pass_mrk' (did you mean 'pass_mark'?) "
            "[unknown-key]") in lines
    assert "c/01-u.md:1:1: error: missing required key 'title' [missing-key]" in lines


def test_malformed_yaml_reports_the_yaml_line() -> None:
    result = compile_unit("Text.\n", front="id: u\ntitle: [offen\nduration: 5\n")
    (diag,) = [d for d in result.diagnostics if d.code.slug == "yaml-error"]
    assert diag.path == "c/01-u.md" and diag.line in (3, 4)


def test_not_utf8_reports_line_and_column() -> None:
    result = compile_files({"course.md": COURSE_MD,
                            "01-u.md": b"---\nid: u\ntitle: U\n---\nGr\xfc\xdfe\n"})
    (diag,) = result.errors
    assert diag.format() == "c/01-u.md:5:3: error: file is not UTF-8 (invalid byte 0xfc) [not-utf8]"


def test_bom_and_crlf_are_accepted() -> None:
    unit = "\ufeff---\r\nid: u\r\ntitle: U\r\n---\r\n\r\nText.\r\n".encode()
    result = compile_files({"course.md": COURSE_MD, "01-u.md": unit})
    assert result.diagnostics == ()


def test_duplicate_unit_ids_and_missing_listed_units() -> None:
    course_md = COURSE_MD.replace("completion:", "units: [01-a, 03-fehlt]\ncompletion:")
    result = compile_files({
        "course.md": course_md,
        "01-a.md": "---\nid: a\ntitle: A\n---\nA\n",
        "02-b.md": "---\nid: a\ntitle: B\n---\nB\n",
    })
    assert codes(result) == ["unlisted-unit", "missing-unit-file"] or sorted(codes(result)) == [
        "missing-unit-file", "unlisted-unit"]
    result = compile_files({
        "course.md": COURSE_MD,
        "01-a.md": "---\nid: a\ntitle: A\n---\nA\n",
        "02-b.md": "---\nid: a\ntitle: B\n---\nB\n",
    })
    assert codes(result) == ["duplicate-id"]


BROKEN_SINGLE = "::: question single id=q\nS?\n\n- [x] A\n- [x] B\n:::\n"
GOOD_SINGLE = "::: question single id=q\nS?\n\n- [x] A\n- [ ] B\n:::\n"


def formatted(result) -> list[str]:
    return [d.format("en") for d in result.diagnostics]


def test_duplicate_unit_id_is_reported_when_the_first_unit_has_another_error() -> None:
    result = compile_files({
        "course.md": COURSE_MD,
        "01-a.md": "---\nid: a\n---\nA\n",  # no title: no unit, but its id is taken
        "02-b.md": "---\ntitle: B\nid: a\n---\nB\n",
    })
    assert formatted(result) == [
        "c/01-a.md:1:1: error: missing required key 'title' [missing-key]",
        "c/02-b.md:3:1: error: duplicate id 'a' (first used at c/01-a.md) [duplicate-id]",
    ]


def test_duplicate_question_id_in_another_unit_after_a_question_with_an_error() -> None:
    result = compile_files({
        "course.md": COURSE_MD,
        "01-a.md": "---\nid: a\ntitle: A\n---\n\n" + BROKEN_SINGLE,
        "02-b.md": "---\nid: b\ntitle: B\n---\n\n" + GOOD_SINGLE,
    })
    assert formatted(result) == [
        "c/01-a.md:6:1: error: 'single' question needs exactly one [x], found 2 "
        "[wrong-correct-count]",
        "c/02-b.md:6:1: error: duplicate id 'q' (first used at c/01-a.md:6) [duplicate-id]",
    ]


def test_duplicate_question_id_in_exam_md_after_a_unit_question_with_an_error() -> None:
    course_md = COURSE_MD.replace("  exam: none\n", "  exam: required\nexam:\n  pass_mark: 0.5\n")
    result = compile_files({
        "course.md": course_md,
        "01-a.md": "---\nid: a\ntitle: A\n---\n\n" + BROKEN_SINGLE + "\n"
                   + GOOD_SINGLE.replace("id=q", "id=r"),
        "exam.md": GOOD_SINGLE + "\n" + GOOD_SINGLE,
    })
    assert formatted(result) == [
        "c/01-a.md:6:1: error: 'single' question needs exactly one [x], found 2 "
        "[wrong-correct-count]",
        "c/exam.md:1:1: error: duplicate id 'q' (first used at c/01-a.md:6) [duplicate-id]",
        "c/exam.md:8:1: error: duplicate id 'q' (first used at c/01-a.md:6) [duplicate-id]",
    ]


def test_questions_of_a_unit_with_a_duplicate_unit_id_are_checked_too() -> None:
    result = compile_files({
        "course.md": COURSE_MD,
        "01-a.md": "---\nid: a\ntitle: A\n---\n\n" + GOOD_SINGLE,
        "02-b.md": "---\nid: a\ntitle: B\n---\n\n" + GOOD_SINGLE,
    })
    assert formatted(result) == [
        "c/02-b.md:2:1: error: duplicate id 'a' (first used at c/01-a.md) [duplicate-id]",
        "c/02-b.md:6:1: error: duplicate id 'q' (first used at c/01-a.md:6) [duplicate-id]",
    ]


def test_missing_course_id_title_format_and_bad_values() -> None:
    result = compile_files({"course.md": "---\nlanguage: deutsch\nduration: -5\n---\nText\n",
                            "01-a.md": "---\nid: a\ntitle: A\n---\nA\n"})
    slugs = codes(result)
    assert slugs.count("missing-key") == 4  # format, id, title, version
    assert slugs.count("bad-value") == 2  # language, duration
    assert result.course is None


def test_numeric_version_warns() -> None:
    result = compile_files({"course.md": COURSE_MD.replace('version: "1"', "version: 2026.10"),
                            "01-a.md": "---\nid: a\ntitle: A\n---\nA\n"})
    assert codes(result) == ["numeric-version"]
    assert result.course.version == "2026.1"


def test_draw_larger_than_the_pool() -> None:
    q = "::: question single id={}\nS?\n\n- [x] A\n- [ ] B\n:::\n\n"
    result = compile_unit(q.format("a") + q.format("b"),
                          front="id: u\ntitle: U\nquiz:\n  pass_mark: 0.5\n  draw: 3\n")
    (diag,) = result.diagnostics
    assert diag.format() == ("c/01-u.md:6:3: error: draw 3 is larger than the pool of 2 "
                             "questions [draw-too-large]")
    course_md = COURSE_MD.replace("  exam: none\n", "  exam: required\nexam:\n  pass_mark: 0.8\n"
                                  "  draw: 5\n")
    result = compile_unit(q.format("a"), course_md=course_md)
    assert codes(result) == ["draw-too-large"]
    assert result.diagnostics[0].message() == "draw 5 is larger than the pool of 1 questions (u)"


def test_quiz_without_questions_and_exam_required_without_settings() -> None:
    result = compile_unit("Nur Text.\n", front="id: u\ntitle: U\nquiz:\n  pass_mark: 0.5\n")
    assert codes(result) == ["quiz-without-questions"]
    course_md = COURSE_MD.replace("  exam: none\n", "  exam: required\n")
    result = compile_unit("Text.\n", course_md=course_md)
    assert codes(result) == ["exam-required-no-exam"]


def test_pass_mark_must_be_a_share() -> None:
    result = compile_unit("x", front="id: u\ntitle: U\nquiz:\n  pass_mark: 80\n")
    assert any("must be a share between 0 and 1" in d.message() for d in result.diagnostics)


def test_unsupported_format() -> None:
    result = compile_files({"course.md": COURSE_MD.replace("format: 1", "format: 2"),
                            "01-a.md": "---\nid: a\ntitle: A\n---\nA\n"})
    assert codes(result) == ["unsupported-format"]


def test_no_course_md_and_no_units() -> None:
    assert codes(compile_files({"01-a.md": "x"})) == ["no-course"]
    assert codes(compile_files({"course.md": COURSE_MD})) == ["no-units"]


def test_all_problems_of_all_files_in_one_run() -> None:
    result = compile_files({
        "course.md": COURSE_MD.replace("title: Probe", "titl: Probe"),
        "01-a.md": "---\nid: a\n---\nA\n",
        "02-b.md": b"---\nid: b\ntitle: B\n---\n\xff\n",
        "03-c.md": "---\nid: c\ntitle: C\n---\n::: question single id=q\nS?\n:::\n",
    })
    paths = {d.path for d in result.errors}
    assert paths == {"c/course.md", "c/01-a.md", "c/02-b.md", "c/03-c.md"}


def test_messages_in_german() -> None:
    result = compile_unit("Text.\n", front="id: u\ntitel: U\n")
    assert "unbekannter Schlüssel „titel“ (meinten Sie „title“?)" in [
        d.message("de") for d in result.diagnostics]


def test_feedback_under_text_and_number_answers_is_kept_per_answer() -> None:
    result = compile_unit(
        "::: question text id=t\nWer?\n\n- = Niemand\n  > **Genau.**\n- = keiner\n"
        "- = nobody\n  > Auch richtig <script>x</script>\n:::\n\n"
        "::: question number id=n\nWie viele?\n\n- = 3 ± 1\n  > Drei, plus oder minus eins.\n"
        ":::\n")
    assert codes(result) == ["raw-html"]
    unit = result.course.units[0]
    text, number = unit.questions
    assert text.text_answers == ("Niemand", "keiner", "nobody")
    assert text.text_feedback_html[:2] == ("<p><strong>Genau.</strong></p>\n", "")
    assert "<script>" not in text.text_feedback_html[2]  # sanitised like every course HTML
    assert "Auch richtig" in text.text_feedback_html[2]
    assert number.number_answers[0].feedback_html == "<p>Drei, plus oder minus eins.</p>\n"
