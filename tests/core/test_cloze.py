"""Cloze questions: gaps in the stem, every error at its line, grading per gap, form fields."""

from __future__ import annotations

import random

import pytest

from lernmodul.core.diff import compare_questions
from lernmodul.core.grading import (
    InvalidResponse,
    draw_questions,
    gap_verdicts,
    grade,
    self_check_order,
)
from lernmodul.core.item_stats import GradedAttempt, item_statistics
from lernmodul.core.model import GapKind, QuestionType, Scoring
from lernmodul.core.responses import (
    NotANumber,
    describe,
    form_values,
    from_json,
    gap_choices,
    gap_solution,
    is_complete,
    response_from_form,
    to_json,
)

from .conftest import compile_unit

NOTRUF = """::: question cloze id=notruf {params}
Bei akuter Gefahr für Leib und Leben rufen Sie die [[110|Polizei]] an, bei einem
medizinischen Notfall die [[= 112]]. Beobachtungen geben Sie an die
[[*zuständige Stelle|Presse|Nachbarschaft]] weiter.
Gefährdungsstufen: 0 bis [[= 3,5 ± 0,5]].

> Die Notrufnummern sind bundesweit gleich.
:::
"""


def cloze(params: str = "", body: str = NOTRUF):
    result = compile_unit(body.format(params=params))
    assert result.course is not None, [d.format() for d in result.diagnostics]
    assert not [d for d in result.diagnostics if d.is_error]
    return result.course.units[0].questions[0]


def errors(body: str) -> list[tuple[int, int, str]]:
    result = compile_unit(body)
    return [(d.line, d.column, d.code.slug) for d in result.diagnostics if d.is_error]


def right(question):
    answers = {}
    for gap in question.gaps:
        if gap.kind is GapKind.CHOICE:
            answers[gap.key] = next(o.id for o in gap.options if o.is_correct)
        elif gap.kind is GapKind.NUMBER:
            answers[gap.key] = f"{gap.number_answer.value:g}"
        else:
            answers[gap.key] = gap.answers[0]
    return answers


# --- the compiler ---------------------------------------------------------------------------


def test_the_gaps_are_typed_and_the_stem_is_cut_at_them() -> None:
    q = cloze()
    assert q.type is QuestionType.CLOZE and q.options == ()
    assert [g.kind for g in q.gaps] == [GapKind.TEXT, GapKind.NUMBER, GapKind.CHOICE,
                                        GapKind.NUMBER]
    assert [g.line for g in q.gaps] == [7, 8, 9, 10]
    assert q.gaps[0].answers == ("110", "Polizei")
    assert (q.gaps[3].number_answer.value, q.gaps[3].number_answer.tolerance) == (3.5, 0.5)
    assert [(o.text, o.is_correct) for o in q.gaps[2].options] == [
        ("zuständige Stelle", True), ("Presse", False), ("Nachbarschaft", False)]
    assert len(q.stem_parts) == 5
    assert q.stem_parts[0] == "<p>Bei akuter Gefahr für Leib und Leben rufen Sie die "
    assert "[1]" in q.stem_html and "[4]" in q.stem_html and "[[" not in q.stem_html
    assert q.explanation_html == "<p>Die Notrufnummern sind bundesweit gleich.</p>\n"


def test_option_ids_of_choice_gaps_are_unique_and_stable() -> None:
    a, b = cloze(), cloze()
    ids = [o.id for o in a.gaps[2].options]
    assert ids == [o.id for o in b.gaps[2].options]
    assert len(set(ids)) == 3 and all(i.startswith("o") for i in ids)


def test_a_list_and_emphasis_are_part_of_the_stem_and_escapes_keep_text() -> None:
    q = cloze(body="""::: question cloze id=liste
Notrufe:

- Polizei: *[[110]]*
- Feuerwehr: [[112]] (nicht `[[112]]`, nicht \\[[112]])
- Trenner: [[a\\|b|c]]
:::
""")
    assert [g.answers for g in q.gaps] == [("110",), ("112",), ("a|b", "c")]
    assert "<li>Polizei: <em>" in q.stem_parts[0]
    assert "<code>[[112]]</code>" in q.stem_parts[2] and "nicht [[112]])" in q.stem_parts[2]


@pytest.mark.parametrize(("source", "expected"), [
    ("Kein Lückentext.", [(6, 1, "cloze-no-gap")]),
    ("Leer [[ ]] hier.", [(7, 6, "cloze-empty-gap")]),
    ("Variante [[a||b]] leer.", [(7, 10, "cloze-empty-gap")]),
    ("Offen [[abc und weiter.", [(7, 7, "cloze-unclosed-gap")]),
    ("Zwei offen [[a [[b]] hier.", [(7, 12, "cloze-unclosed-gap")]),
    ("Zahl [[= drei]] hier.", [(7, 6, "cloze-not-a-number")]),
    ("Zahl [[= 3 ± viel]] hier.", [(7, 6, "cloze-not-a-number")]),
    ("Zwei Sterne [[*a|*b]].", [(7, 13, "cloze-choice-marks")]),
    ("Kein Stern vorn [[a|b*]].", [(7, 17, "cloze-choice-marks")]),
    ("Nur eine [[*a]].", [(7, 10, "cloze-choice-options")]),
    ("Leere Wahl [[*a||b]].", [(7, 12, "cloze-empty-gap")]),
    ("Im Link [Text [[x]]](https://example.org).", [(7, 15, "cloze-gap-place")]),
])
def test_each_error_is_reported_at_its_gap(source: str, expected: list) -> None:
    body = f"::: question cloze id=f\n{source}\n:::\n"
    assert errors(body) == expected


def test_errors_on_later_lines_and_in_list_items_have_their_line_and_column() -> None:
    body = ("::: question cloze id=f\nErste Zeile [[gut]].\n\n"
            "- Punkt eins [[= x]]\n  weiter [[]]\n:::\n")
    assert errors(body) == [(9, 14, "cloze-not-a-number"), (10, 10, "cloze-empty-gap")]


def test_every_error_of_the_question_is_reported_not_only_the_first() -> None:
    body = "::: question cloze id=f\n[[]] und [[= a]] und [[*a|*b]]\n:::\n"
    assert [code for _l, _c, code in errors(body)] == [
        "cloze-empty-gap", "cloze-not-a-number", "cloze-choice-marks"]


def test_raw_html_and_script_in_the_stem_and_the_gaps_stay_text() -> None:
    q = cloze(body="""::: question cloze id=xss
<script>alert(1)</script> [[<b>x</b>]] <img src=x onerror=alert(1)>
[[*<i>a</i>|b"onmouseover="x]] [link](javascript:alert(1))
:::
""")
    html = "".join(q.stem_parts)
    assert "<script" not in html and "<img" not in html and 'href="javascript' not in html
    assert "&lt;script&gt;" in html
    assert q.gaps[0].answers == ("<b>x</b>",)  # plain text, escaped where it is shown
    assert q.gaps[1].options[0].html == "&lt;i&gt;a&lt;/i&gt;"


def test_an_image_beside_a_gap_points_at_the_course_media() -> None:
    from lernmodul.core.compiler import compile_course

    from .conftest import COURSE_MD

    unit = "---\nid: u\ntitle: U\n---\n\n::: question cloze id=bild\n" \
        "![Ampel](media/ampel.png) zeigt [[Rot]].\n:::\n"
    result = compile_course({"course.md": COURSE_MD.encode(), "01-u.md": unit.encode(),
                             "media/ampel.png": b""}, media_base="/media/7/")
    (question,) = result.course.units[0].questions
    assert '<img src="/media/7/ampel.png" alt="Ampel">' in question.stem_parts[0]


def test_an_author_cannot_forge_the_gap_element() -> None:
    q = cloze(body="""::: question cloze id=forge
Text `<code class="lm-gap">1</code>` und [[echt]].

```lm-gap
2
```
:::
""")
    assert len(q.gaps) == 1 and len(q.stem_parts) == 2


# --- grading --------------------------------------------------------------------------------


def test_all_gaps_right_is_right_and_one_wrong_gap_is_wrong() -> None:
    q = cloze()
    assert grade(q, right(q)).is_correct
    wrong = {**right(q), "2": "113"}
    score = grade(q, wrong)
    assert score.points == 0 and dict(score.marks) == {"1": True, "2": False, "3": True,
                                                       "4": True}


def test_partial_scoring_gives_the_share_of_gaps_right() -> None:
    q = cloze("scoring=partial points=2")
    assert q.scoring is Scoring.PARTIAL
    assert grade(q, {**right(q), "2": "113"}).points == 1.5
    assert grade(q, {"1": "polizei"}).points == 0.5
    assert grade(q, None).points == 0


def test_gaps_use_the_text_and_number_rules() -> None:
    q = cloze()
    assert gap_verdicts(q, {"1": "  POLIZEI ", "2": "112,0", "4": "3"}) == (
        True, True, False, True)
    assert gap_verdicts(q, {"1": "Poli zei", "2": "zwölf", "4": "4,1"}) == (
        False, False, False, False)


@pytest.mark.parametrize("response", [
    "110", ["110"], {"9": "x"}, {"1": 110}, {"1": "x" * 501}, {"3": "o-unknown"},
    {"3": "1"},
])
def test_responses_that_do_not_fit_are_refused(response) -> None:
    with pytest.raises(InvalidResponse):
        grade(cloze(), response)


def test_choice_gaps_are_always_shuffled_and_replayable() -> None:
    q = cloze()
    orders = {draw_questions([q], random.Random(seed), shuffle=False)[0].option_order
              for seed in range(30)}
    assert len(orders) > 1
    assert all(sorted(o) == sorted(x.id for x in q.gaps[2].options) for o in orders)
    assert draw_questions([q], random.Random(4))[0] == draw_questions([q], random.Random(4))[0]
    assert self_check_order(q) == tuple(sorted(o.id for o in q.gaps[2].options))


# --- form fields, storage, the learner's words ---------------------------------------------


def test_form_fields_round_trip_through_display_tokens() -> None:
    q = cloze()
    order = draw_questions([q], random.Random(1))[0].option_order
    choices = gap_choices(q, order)
    token = next(t for t, o in choices["3"] if o.is_correct)
    form = {"q-notruf-g1": ["Polizei"], "q-notruf-g2": ["112"], "q-notruf-g3": [token]}
    response = response_from_form(q, lambda name: form.get(name, []), order)
    assert response == {"1": "Polizei", "2": "112",
                        "3": next(o.id for o in q.gaps[2].options if o.is_correct)}
    assert form_values(q, response, order) == form
    assert from_json(q, to_json(response)) == response
    assert not is_complete(q, response) and is_complete(q, right(q))
    assert describe(q, response)["3"] == "zuständige Stelle"


def test_an_empty_form_is_no_answer_and_text_in_a_number_gap_is_asked_again() -> None:
    q = cloze()
    assert response_from_form(q, lambda name: [], None) is None
    form = {"q-notruf-g2": ["112"], "q-notruf-g4": ["drei"]}
    with pytest.raises(NotANumber) as caught:
        response_from_form(q, lambda name: form.get(name, []), None)
    assert caught.value.gap == 4


@pytest.mark.parametrize("form", [
    {"q-notruf-g3": ["9"]},  # a token of no option
    {"q-notruf-g3": ["o48b675bb3f"]},  # an option id instead of a token
    {"q-notruf-g1": ["a", "b"]},  # one field twice
    {"q-notruf-g1": ["x" * 501]},  # too long
])
def test_forged_forms_are_invalid(form) -> None:
    with pytest.raises(InvalidResponse):
        response_from_form(cloze(), lambda name: form.get(name, []), None)


def test_gap_solutions_read_as_text() -> None:
    q = cloze()
    assert [gap_solution(g) for g in q.gaps] == ["110 / Polizei", "112", "zuständige Stelle",
                                                 "3.5 ± 0.5"]


# --- diff and item statistics ---------------------------------------------------------------


def test_the_diff_names_changed_gaps() -> None:
    old = cloze()
    new = cloze(body=NOTRUF.replace("[[110|Polizei]]", "[[110]]"))
    found = {f.field: (f.old, f.new) for f in compare_questions(old, new).fields}
    assert found == {"gaps": (
        "[1] 110 / Polizei | [2] = 112 | [3] *zuständige Stelle / Presse / Nachbarschaft"
        " | [4] = 3.5 ± 0.5",
        "[1] 110 | [2] = 112 | [3] *zuständige Stelle / Presse / Nachbarschaft"
        " | [4] = 3.5 ± 0.5")}


def test_item_statistics_give_the_share_right_per_gap() -> None:
    q = cloze()
    attempts = [GradedAttempt({"notruf": (1.0 if n < 2 else 0.0, 1.0)}, {},
                              gap_marks={"notruf": {"1": True, "2": n < 4, "3": n < 2,
                                                    "4": False}})
                for n in range(5)]
    (stat,) = item_statistics([q], attempts, k=5)
    assert [(g.number, g.share) for g in stat.gaps] == [(1, 1.0), (2, 0.8), (3, 0.4), (4, 0.0)]
    (withheld,) = item_statistics([q], attempts[:4], k=5)
    assert withheld.is_withheld and withheld.gaps == ()


def test_angle_brackets_in_a_gap_are_an_answer_not_raw_html() -> None:
    result = compile_unit("::: question cloze id=tag\nDas Fett-Tag heißt [[<b>]].\n:::\n")
    assert not result.diagnostics, [d.format() for d in result.diagnostics]
    [gap] = result.course.units[0].questions[0].gaps
    assert gap.kind is GapKind.TEXT
    outside = compile_unit("::: question cloze id=tag\n<b>fett</b> heißt [[b]].\n:::\n")
    assert [d.code.slug for d in outside.diagnostics] == ["raw-html"]
