"""GIFT export: categories, escapes, feedback, and the trip back through the GIFT import."""

from __future__ import annotations

from lernmodul.core.gift import convert_gift, minimal_course_md
from lernmodul.core.model import Course
from lernmodul.interchange import export_gift
from lernmodul.interchange.gift_export import escape

from .compare import compile_files, signature


def _back(course: Course) -> Course:
    exported = export_gift(course)
    result = convert_gift(exported.text, unit_id="gift", language=course.language,
                          path="export.gift")
    assert not result.errors, [d.format() for d in result.errors]
    files = dict(result.files)
    files["course.md"] = minimal_course_md("zurueck", "Zurück", language=course.language)
    return compile_files(files)


def test_every_question_survives_the_trip_except_the_documented_losses(all_types: Course) -> None:
    back = _back(all_types).questions()
    original = all_types.questions()
    assert set(back) == set(original)
    # what GIFT cannot hold, as docs/interchange.md says
    points_lost = {"mehrfach-partial", "zahl"}
    becomes = {"stimmt": "single", "reihenfolge": "match", "reihenfolge-alle": "match"}
    scoring_lost = {"zuordnung", "reihenfolge"}
    for qid, question in original.items():
        want = signature(question, points=qid not in points_lost,
                         scoring=qid not in scoring_lost)
        got = signature(back[qid], points=qid not in points_lost,
                        scoring=qid not in scoring_lost)
        if qid in becomes:
            assert got["type"] == becomes[qid]
            assert [o[1] for o in got["options"]] == [o[1] for o in want["options"]] \
                   or qid.startswith("reihenfolge")  # order: items become left sides
            continue
        assert got == want, qid
    assert back["mehrfach-partial"].points == 1


def test_the_flagship_course_comes_back_with_the_same_stems_options_and_keys(
        flagship: Course) -> None:
    back = _back(flagship).questions()
    for qid, question in flagship.questions().items():
        got, want = signature(back[qid], scoring=False), signature(question, scoring=False)
        assert got["stem"] == want["stem"] and got["explanation"] == want["explanation"], qid
        assert [o[:4] for o in got["options"]] == [o[:4] for o in want["options"]], qid


def test_a_category_per_unit_and_one_for_the_exam(all_types: Course) -> None:
    text = export_gift(all_types).text
    assert "$CATEGORY: $course$/top/Alle Fragetypen: Probe/Auswahl und Wahr-Falsch" in text
    assert "$CATEGORY: $course$/top/Alle Fragetypen: Probe/Abschlussprüfung" in text
    assert text.index("Auswahl und Wahr-Falsch") < text.index("::pruefung-eins::")


def test_special_characters_are_escaped_and_plain_questions_stay_plain(all_types: Course) -> None:
    text = export_gift(all_types).text
    assert escape("a~b=c#d{e}f:g\\h") == "a\\~b\\=c\\#d\\{e\\}f\\:g\\\\h"
    # a plain question: no [html], Moodle's own format
    assert "::zahl-genau::In welchem Jahr wurde Grant geboren?{#\n\t=%100%1822\n}" in text
    # markup: [html], escaped inside
    assert "::farbe_single::[html]<p>Was liegt zwischen <em>Orange</em> und Grün? Zeichen\\: " \
           "\\~ \\= \\# \\{ \\} \\: und \\\\ Ende.</p>" in text
    assert "\t=Gelb#<p>Richtig; gut!</p>" in text
    assert "\t~Blau \\{x\\}\n" in text


def test_feedback_and_general_feedback(all_types: Course) -> None:
    text = export_gift(all_types).text
    assert ("::wahr-falsch::[html]<p>42 ist die Antwort auf alles.</p>{FALSE#<p>42 ist die "
            "<em>endgültige</em> Antwort.</p>#<p>Sie haben richtig geantwortet.</p>####<p>Ein "
            "Verweis auf <a href\\=\"https\\://example.org/anhalter\" rel\\=\"noopener noreferrer\">"
            "Per Anhalter</a>.</p>}") in text  # '=' escaped in attributes too, as Moodle does
    assert "::zahl::Wie viel ist 1 + 1,5?{#\n\t=%100%2.5:0.1#Genau.\n\t####Rechnen Sie nach.\n}" \
           in text
    assert "\t~%50%2\n\t~%-50%3#3 ist ungerade.\n\t~%50%4\n\t~%-50%5\n" in text
    assert "::tier::Welches ist das beste Tier?{\n\t=%100%Frosch#Gut!\n\t=%100%Kröte\n}" in text


def test_the_losses_are_named(all_types: Course) -> None:
    notes = [n.format() for n in export_gift(all_types).notes]
    assert any("question zahl: 3 points" in n for n in notes)
    assert any("question stimmt: true/false answers other than Wahr/Falsch" in n for n in notes)
    assert any("question reihenfolge: order goes as matching" in n for n in notes)
    assert all(n.split(":")[0].endswith(".md") for n in notes)


def test_same_course_same_text(all_types: Course) -> None:
    assert export_gift(all_types).text == export_gift(all_types).text
    assert export_gift(all_types).questions == 13


def test_line_breaks_never_end_a_question() -> None:
    from lernmodul.interchange.gift_export import _lines

    # a blank line or a line starting '//' would end the question or be a comment
    assert _lines("<pre>a\n\nb\n// c</pre>") == "<pre>a\\n\nb\\n// c</pre>"
    assert _lines("<p>a</p>\n<p>b</p>") == "<p>a</p>\n<p>b</p>"


def test_text_that_looks_like_gift_syntax_stays_text() -> None:
    from .compare import compile_files as compile_

    unit = ("---\nid: u\ntitle: U\n---\n\n::: question single id=tricky\n\\[html\\] ist ein "
            "Format.\n\n- [x] %50% Rabatt\n- [ ] \\[plain\\] nichts\n:::\n")
    course = compile_({"course.md": minimal_course_md("k", "K"), "01-u.md": unit})
    text = export_gift(course).text
    assert "::tricky::[moodle][html] ist ein Format.{\n\t=%100%%50% Rabatt\n\t~[moodle][plain] " \
           "nichts\n}" in text
    back = _back(course).questions()["tricky"]
    assert signature(back) == signature(course.questions()["tricky"])
