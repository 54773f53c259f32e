"""Version diff: the pure comparison of two compiled courses, and the trainer's diff page."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from lernmodul.core.compiler import compile_course
from lernmodul.core.diff import (
    OptionChangeKind,
    Status,
    diff_courses,
    line_diff,
    plain_text,
    question_blocks,
)

SAMPLE = Path(__file__).parents[1] / "core" / "fixtures" / "sample-course"
KEPT = ("course.md", "exam.md", "01-grundlagen.md", "02-praxis.md")
TRAINER_EMAIL = "insights-trainer@example.org"


def sample_sources() -> dict[str, str]:
    return {name: (SAMPLE / name).read_text(encoding="utf-8") for name in KEPT}


def edited(replacements: dict[str, list[tuple[str, str]]],
           sources: dict[str, str] | None = None) -> dict[str, str]:
    files = dict(sources or sample_sources())
    for name, pairs in replacements.items():
        for old, new in pairs:
            assert old in files[name], (name, old)
            files[name] = files[name].replace(old, new, 1)
    return files


def compiled(sources: dict[str, str]) -> Any:
    files = {n: t.encode() for n, t in sources.items()}
    files["media/ampel.png"] = (SAMPLE / "media" / "ampel.png").read_bytes()
    result = compile_course(files, base="beispielkurs")
    assert result.course is not None and result.ok, [d.format() for d in result.diagnostics]
    return result.course


def compare(old: dict[str, str], new: dict[str, str]) -> Any:
    return diff_courses(compiled(old), compiled(new), old, new)


NEW_UNIT = """---
id: nachsorge
title: Nachsorge
---

Nach einem Vorfall zählt die Fürsorge.

::: question truefalse id=ns-gespraech
Ein Nachgespräch gehört dazu.

- [x] Richtig
- [ ] Falsch
:::
"""


def test_identical_versions_have_no_changes() -> None:
    diff = compare(sample_sources(), sample_sources())
    assert not diff.has_changes
    assert [u.status for u in diff.units] == [Status.UNCHANGED, Status.UNCHANGED]


def test_text_change_is_a_line_diff_with_file_line_numbers() -> None:
    new = edited({"01-grundlagen.md": [
        ("Bedrohungsmanagement heißt: **erkennen, einschätzen, entschärfen**.",
         "Bedrohungsmanagement heißt: **erkennen, bewerten, entschärfen**.")]})
    diff = compare(sample_sources(), new)
    unit = diff.units[0]
    assert unit.status is Status.CHANGED and unit.questions == () and unit.fields == ()
    assert unit.text is not None and unit.text.file == "01-grundlagen.md"
    changed = [line for hunk in unit.text.hunks for line in hunk.lines if line.kind != "equal"]
    assert [(c.kind, c.old_number, c.new_number) for c in changed] == [
        ("delete", 16, None), ("insert", None, 16)]
    assert "bewerten" in changed[1].text and "einschätzen" in changed[0].text
    assert (unit.text.added, unit.text.removed) == (1, 1)
    assert diff.units[1].status is Status.UNCHANGED


def test_question_blocks_are_left_out_of_the_text_diff() -> None:
    new = edited({"01-grundlagen.md": [("Wie nennt man angekündigte Absichten gegenüber Dritten?",
                                         "Wie heißen angekündigte Absichten gegenüber Dritten?")]})
    unit = compare(sample_sources(), new).units[0]
    assert unit.text is None  # the prose did not change
    (question,) = unit.questions
    assert question.id == "gl-leakage" and question.status is Status.CHANGED
    assert [(f.field, f.old, f.new) for f in question.fields] == [
        ("prompt", "Wie nennt man angekündigte Absichten gegenüber Dritten?",
         "Wie heißen angekündigte Absichten gegenüber Dritten?")]


def test_question_blocks_count_nested_fences() -> None:
    lines = ["Text", "::: question single id=a", "Frage", "::: note", "x", ":::", "- [x] a",
             ":::", "Danach", "::: question single id=b", "- [x] b", ":::"]
    assert question_blocks(lines, [2, 10]) == {1, 2, 3, 4, 5, 6, 7, 9, 10, 11}
    assert question_blocks(lines, [1]) == set()  # not a fence: nothing left out


def test_options_reworded_added_removed_and_key_changes() -> None:
    new = edited({"01-grundlagen.md": [
        ("- [ ] Energieschub\n  > Das ist plötzlich gesteigerte Aktivität.",
         "- [ ] Plötzlicher Energieschub\n  > Das ist plötzlich gesteigerte Aktivität."),
        ("- [x] Fixierung\n- [ ] Pünktlichkeit", "- [ ] Fixierung\n- [x] Pünktlichkeit"),
        ("- [ ] Höflichkeit\n", "- [ ] Höflichkeit\n- [ ] Ordnungsliebe\n"),
        ("- [x] Richtig\n- [ ] Falsch\n:::", "- [x] Richtig\n:::\n")]},
    )
    new = edited({"01-grundlagen.md": [("- [x] Richtig\n:::\n", "- [x] Stimmt\n- [ ] Falsch\n:::")]},
                 new)
    unit = compare(sample_sources(), new).units[0]
    by_id = {q.id: q for q in unit.questions}
    assert set(by_id) == {"gl-leakage", "gl-warnsignale", "gl-meldung"}
    leakage = by_id["gl-leakage"].options
    assert [(o.kind, o.old_text, o.new_text) for o in leakage] == [
        (OptionChangeKind.REWORDED, "Energieschub", "Plötzlicher Energieschub")]
    kinds = [(o.kind, o.new_text) for o in by_id["gl-warnsignale"].options]
    assert kinds == [(OptionChangeKind.NOW_WRONG, "Fixierung"),
                     (OptionChangeKind.NOW_CORRECT, "Pünktlichkeit"),
                     (OptionChangeKind.ADDED, "Ordnungsliebe")]
    assert [(o.kind, o.old_text, o.new_text) for o in by_id["gl-meldung"].options] == [
        (OptionChangeKind.REWORDED, "Richtig", "Stimmt")]


def test_option_feedback_points_type_and_explanation_changes() -> None:
    new = edited({"01-grundlagen.md": [
        ("  > Fixierung meint die gedankliche Einengung.", "  > Fixierung ist Einengung."),
        ("> Angekündigte Absichten sind ernst zu nehmen.", "> Ankündigungen ernst nehmen."),
        ("::: question single id=gl-leakage", "::: question multiple id=gl-leakage points=2")]})
    (question,) = compare(sample_sources(), new).units[0].questions
    assert {f.field: (f.old, f.new) for f in question.fields} == {
        "type": ("single", "multiple"),
        "points": (1.0, 2.0),
        "explanation": ("Angekündigte Absichten sind ernst zu nehmen.",
                        "Ankündigungen ernst nehmen."),
    }
    assert [(o.kind, o.old_text, o.new_text) for o in question.options] == [
        (OptionChangeKind.FEEDBACK, "Fixierung meint die gedankliche Einengung.",
         "Fixierung ist Einengung.")]


def test_order_number_and_match_questions() -> None:
    new = edited({
        "01-grundlagen.md": [("1. Erkennen\n2. Einschätzen", "1. Einschätzen\n2. Erkennen")],
        "02-praxis.md": [("- = 4", "- = 4 ± 1\n  > Stufe 4 ist die höchste."),
                         ("- Fixierung => Einengung auf eine Person",
                          "- Fixierung => Einengung auf ein Ziel")]})
    diff = compare(sample_sources(), new)
    (order,) = diff.units[0].questions
    assert [(f.field, f.old, f.new) for f in order.fields] == [
        ("order", "Erkennen → Einschätzen → Entschärfen", "Einschätzen → Erkennen → Entschärfen")]
    assert order.options == ()
    by_id = {q.id: q for q in diff.units[1].questions}
    assert [(f.field, f.old, f.new) for f in by_id["pr-stufen"].fields] == [
        ("number_answers", "4", "4 ± 1"), ("answer_feedback", "", "4 ± 1: Stufe 4 ist die höchste.")]
    assert [(o.kind, o.old_text, o.new_text) for o in by_id["pr-zuordnung"].options] == [
        (OptionChangeKind.REWORDED, "Fixierung → Einengung auf eine Person",
         "Fixierung → Einengung auf ein Ziel")]


def test_units_added_removed_moved_and_settings() -> None:
    new = sample_sources()
    new["03-nachsorge.md"] = NEW_UNIT
    new = edited({
        "course.md": [("  - 01-grundlagen\n  - 02-praxis.md\n", "  - 02-praxis.md\n  - 03-nachsorge\n"),
                      ("  pass_mark: 0.8\n  draw: 2", "  pass_mark: 0.9\n  draw: 1"),
                      ("time_limit: 30", "time_limit: 45\n  review: never")],
        "02-praxis.md": [("pass_mark: 0.5", "pass_mark: 0.6"), ("title: Praxis", "title: Praxis im Amt")],
    }, new)
    diff = compare(sample_sources(), new)
    settings = {f.field: (f.old, f.new) for f in diff.settings}
    assert settings["exam_pass_mark"] == (0.8, 0.9)
    assert settings["exam_time_limit"] == (30, 45)
    assert settings["exam_review"] == ("after_pass", "never")
    assert settings["exam_draw"] == (2, 1)
    assert "version" not in settings  # same version string in both
    statuses = [(u.id, u.status) for u in diff.units]
    assert statuses == [("praxis", Status.CHANGED), ("nachsorge", Status.ADDED),
                        ("grundlagen", Status.REMOVED)]
    praxis = diff.units[0]
    assert {f.field: (f.old, f.new) for f in praxis.fields} == {
        "title": ("Praxis", "Praxis im Amt"), "quiz_pass_mark": (0.5, 0.6), "position": (2, 1)}
    added = diff.units[1]
    assert [(q.id, q.status) for q in added.questions] == [("ns-gespraech", Status.ADDED)]
    assert [o.new_text for o in added.questions[0].options] == ["Richtig", "Falsch"]
    removed = diff.units[2]
    assert {q.id for q in removed.questions} == {
        "gl-leakage", "gl-warnsignale", "gl-meldung", "gl-schritte", "gl-begriff"}
    assert all(q.status is Status.REMOVED for q in removed.questions)
    assert diff.intro is not None  # course.md's front matter changed


def test_a_question_moved_between_units_is_one_change_not_two() -> None:
    sources = sample_sources()
    praxis = sources["02-praxis.md"]
    start = praxis.index("::: question number")
    block = praxis[start:praxis.index("\n:::\n", start) + 5]  # that question only
    new = edited({"02-praxis.md": [(block, "")], "course.md": [("draw: 2", "draw: 1")]})
    new["01-grundlagen.md"] += "\n" + block
    diff = compare(sample_sources(), new)
    moved = [q for u in diff.units for q in u.questions]
    assert [(q.id, q.status, [(f.field, f.old, f.new) for f in q.fields]) for q in moved] == [
        ("pr-stufen", Status.CHANGED, [("unit", "praxis", "grundlagen")])]


def test_exam_questions_and_exam_text() -> None:
    new = edited({"exam.md": [("Diese Fragen kommen nur", "Diese Fragen erscheinen nur"),
                              ("- [ ] Nur Gebäude", "- [ ] Nur Gebäude\n- [ ] Nur Akten")]})
    diff = compare(sample_sources(), new)
    assert diff.exam_text is not None and diff.exam_text.file == "exam.md"
    assert (diff.exam_text.added, diff.exam_text.removed) == (1, 1)
    (question,) = diff.exam_questions
    assert [(o.kind, o.new_text) for o in question.options] == [(OptionChangeKind.ADDED, "Nur Akten")]


def test_line_diff_hunks_keep_two_lines_of_context() -> None:
    old = [(n, f"Zeile {n}") for n in range(1, 21)]
    new = [(n, text if n not in (3, 18) else text + "!") for n, text in old]
    hunks = line_diff(old, new)
    assert len(hunks) == 2
    assert [(line.kind, line.old_number) for line in hunks[0].lines] == [
        ("equal", 1), ("equal", 2), ("delete", 3), ("insert", None), ("equal", 4), ("equal", 5)]
    assert hunks[1].old_start == 16


def test_plain_text_of_course_html() -> None:
    assert plain_text("<p>Ein <strong>fetter</strong> Text &amp; mehr</p>\n<p>Zwei</p>") == \
        "Ein fetter Text & mehr Zwei"
    assert plain_text('<p><img src="media/a.png" alt="Ampel"></p>') == "Ampel"
    assert plain_text("") == ""


# --- the page ------------------------------------------------------------------------------


@pytest.fixture
def trainer_client(app: Any, make_user: Any, login: Any) -> Any:
    make_user(("trainer",), email=TRAINER_EMAIL, name="Tina Trainerin")
    client = app.test_client()
    assert login(client, TRAINER_EMAIL).status_code == 302
    return client


def course_folder(sources: dict[str, str], tmp_path: Path, name: str) -> Path:
    """The sources written out as a course folder (with the sample's image)."""
    folder = tmp_path / name
    (folder / "media").mkdir(parents=True)
    for file, text in sources.items():
        (folder / file).write_text(text, encoding="utf-8")
    (folder / "media" / "ampel.png").write_bytes((SAMPLE / "media" / "ampel.png").read_bytes())
    return folder


XSS = '<script>alert("x")</script>'


@pytest.fixture
def two_versions(import_course: Any, tmp_path: Path) -> tuple[int, int]:
    first = import_course(course_folder(sample_sources(), tmp_path, "v1")).version_id
    new = edited({
        "course.md": [('version: "2026.1"', 'version: "2026.2"'), ("pass_mark: 0.8", "pass_mark: 0.9")],
        "01-grundlagen.md": [("Bedrohungsmanagement heißt:", f"Bedrohungsmanagement {XSS} heißt:"),
                             ("- [ ] Energieschub", "- [ ] Plötzlicher Energieschub")],
    })
    second = import_course(course_folder(new, tmp_path, "v2")).version_id
    return first, second


def test_diff_page_shows_changes_accessibly_and_escaped(trainer_client: Any,
                                                         two_versions: tuple[int, int]) -> None:
    first, second = two_versions
    response = trainer_client.get("/trainer/courses/beispielkurs/diff")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    # the newest two versions are preselected in a GET form that works without JavaScript
    assert re.search(rf'<option value="{first}" selected>2026\.1', html)
    assert re.search(rf'<option value="{second}" selected>2026\.2', html)
    assert '<form method="get"' in html and 'name="from"' in html and 'name="to"' in html
    assert "<script>alert" not in html and "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    assert re.search(r"<ins>.*?</span>Bedrohungsmanagement &lt;script&gt;", html)
    assert "<del>" in html and 'class="visually-hidden">' in html
    assert "Plötzlicher Energieschub" in html
    assert "80\xa0%" in html and "90\xa0%" in html  # pass marks as percentages (German default)
    assert 'aria-labelledby="unit-1"' in html and "<h2" in html


def test_diff_page_in_reverse_and_same_version(trainer_client: Any,
                                               two_versions: tuple[int, int]) -> None:
    first, second = two_versions
    html = trainer_client.get(
        f"/trainer/courses/beispielkurs/diff?from={second}&to={first}").get_data(as_text=True)
    assert "Plötzlicher Energieschub" in html
    same = trainer_client.get(f"/trainer/courses/beispielkurs/diff?from={first}&to={first}")
    assert same.status_code == 200
    assert "dieselbe Version" in same.get_data(as_text=True)


@pytest.mark.parametrize("query", ["from=abc", "to=999999", "from=1%27%20OR%201=1"])
def test_diff_page_refuses_foreign_or_malformed_versions(trainer_client: Any,
                                                         two_versions: tuple[int, int],
                                                         query: str) -> None:
    response = trainer_client.get(f"/trainer/courses/beispielkurs/diff?{query}")
    assert response.status_code == 400
    assert "Bitte wählen Sie im Formular" in response.get_data(as_text=True)


def test_diff_page_of_unknown_course_is_404_and_one_version_says_so(
        trainer_client: Any, import_course: Any, tmp_path: Path) -> None:
    assert trainer_client.get("/trainer/courses/gibt-es-nicht/diff").status_code == 404
    assert trainer_client.get("/trainer/courses/" + "x" * 150 + "/diff").status_code == 404
    import_course(course_folder(sample_sources(), tmp_path, "v1"))
    html = trainer_client.get("/trainer/courses/beispielkurs/diff").get_data(as_text=True)
    assert "nur eine Version" in html


def test_course_links_partial(app: Any, two_versions: tuple[int, int]) -> None:
    from flask import render_template_string

    from lernmodul.db.models import CourseVersion
    from lernmodul.web.database import get_database

    session = get_database(app).sessions()
    try:
        versions = session.query(CourseVersion).all()
        with app.test_request_context():
            html = render_template_string(
                '{% include "trainer/_course_links.html" %}', course_id="beispielkurs",
                versions=versions)
    finally:
        session.close()
    first, second = two_versions
    assert "/trainer/courses/beispielkurs/diff" in html
    assert f"/trainer/versions/{second}/statistics" in html
    assert html.index(f"/versions/{second}/") < html.index(f"/versions/{first}/")
