"""GIFT → course format: each construct converts to a question that compiles to the same meaning."""

from __future__ import annotations

from itertools import combinations
from typing import Any

import pytest

from lernmodul.core.diagnostics import DiagCode
from lernmodul.core.gift import convert_gift, slugify
from lernmodul.core.grading import grade
from lernmodul.core.model import Question

from .conftest import compile_gift, questions, slugs, text_of

# (title, GIFT source, expectations). Keys: type, id, stem, options [(text, right)], feedback
# [per option], scoring, numbers [(value, tolerance)], texts, pairs [(left, right)],
# explanation, warnings [codes]; a missing 'warnings' means: no diagnostics at all.
CASES: list[tuple[str, str, dict[str, Any]]] = [
    ("multiple choice", "Who's buried in Grant's tomb?{~Grant ~Jefferson =no one}",
     {"type": "single", "stem": "Who's buried in Grant's tomb?",
      "options": [("Grant", False), ("Jefferson", False), ("no one", True)]}),
    ("missing word is a cloze", "Grant is {~buried =entombed ~living} in Grant's tomb.",
     {"type": "cloze", "stem": "Grant is [1] in Grant's tomb.",
      "gaps": [("choice", [("buried", False), ("entombed", True), ("living", False)])]}),
    ("missing word with option feedback stays a single choice with a blank",
     "Grant is {~buried#No. =entombed ~living} in Grant's tomb.",
     {"type": "single", "stem": "Grant is ___ in Grant's tomb.",
      "options": [("buried", False), ("entombed", True), ("living", False)]}),
    ("missing word with partial credit stays a single choice with a blank",
     "Grant is {~%50%buried =entombed ~living} in Grant's tomb.",
     {"type": "single", "stem": "Grant is ___ in Grant's tomb.",
      "options": [("buried", False), ("entombed", True), ("living", False)],
      "warnings": ["gift-partial-credit"]}),
    ("missing number is a number gap", "Pi is about {#3.14:0.01} in short.",
     {"type": "cloze", "stem": "Pi is about [1] in short.", "gaps": [("number", (3.14, 0.01))]}),
    ("missing word with escaped gap characters", "Write {=a|b =[x]* =\\\\} here.",
     {"type": "cloze", "gaps": [("text", ("a|b", "[x]*", "\\"))],
      "warnings": ["gift-wildcard"]}),
    ("answers on several lines",
     "The holiday is celebrated on the {\n    ~second\n    ~third\n    =fourth\n} Thursday.",
     {"type": "cloze", "stem": "The holiday is celebrated on the [1] Thursday.",
      "gaps": [("choice", [("second", False), ("third", False), ("fourth", True)])]}),
    ("answer block closes on the last line",
     "Japanese characters came from what country? {\n~India\n=China\n~Korea}",
     {"type": "single", "stem": "Japanese characters came from what country?",
      "options": [("India", False), ("China", True), ("Korea", False)]}),
    ("answer feedback and general feedback",
     "What's right?{\n~wrong answer#not this one\n=right answer#Very good!\n"
     "####Because it is.}",
     {"type": "single", "options": [("wrong answer", False), ("right answer", True)],
      "feedback": ["not this one", "Very good!"], "explanation": "Because it is."}),
    ("true {T}", "The sun rises in the east.{T}",
     {"type": "truefalse", "options": [("Wahr", True), ("Falsch", False)]}),
    ("true {TRUE}", "The sun rises in the east.{TRUE}",
     {"type": "truefalse", "options": [("Wahr", True), ("Falsch", False)]}),
    ("false {F}", "Grant is buried in Grant's tomb.{F}",
     {"type": "truefalse", "options": [("Wahr", False), ("Falsch", True)]}),
    ("false {FALSE} with wrong-answer feedback",
     "Grant is buried in Grant's tomb.{FALSE#No one is buried there.}",
     {"type": "truefalse", "options": [("Wahr", False), ("Falsch", True)],
      "feedback": ["No one is buried there.", ""]}),
    ("true with wrong and right feedback and general feedback",
     "Water is wet.{TRUE#Think again.#Well done.####Mostly.}",
     {"type": "truefalse", "options": [("Wahr", True), ("Falsch", False)],
      "feedback": ["Well done.", "Think again."], "explanation": "Mostly."}),
    ("false with wrong and right feedback",
     "42 is the Absolute Answer.{\nFALSE#It is the Ultimate Answer.#You got it.\n}",
     {"type": "truefalse", "options": [("Wahr", False), ("Falsch", True)],
      "feedback": ["It is the Ultimate Answer.", "You got it."]}),
    ("short answer", "Who's buried in Grant's tomb?{=no one =nobody}",
     {"type": "text", "texts": ("no one", "nobody")}),
    ("short answer as missing word", "Two plus two equals {=four =4}.",
     {"type": "cloze", "stem": "Two plus two equals [1].", "gaps": [("text", ("four", "4"))]}),
    ("short answer without '='", "1 + 2 \\= {3}",
     {"type": "text", "stem": "1 + 2 =", "texts": ("3",)}),
    ("short answer with a partial-credit answer",
     "Jesus Christ was from {\n=Nazareth\n=%75%Nazereth\n}.",
     {"type": "cloze", "gaps": [("text", ("Nazareth",))], "warnings": ["gift-partial-answer"]}),
    ("short answer feedback stays under its answer",
     "Who's buried in Grant's tomb?{=no one#excellent! =nobody}",
     {"type": "text", "texts": ("no one", "nobody"), "answer_feedback": ["excellent!", ""]}),
    ("short answer feedback in the question's format",
     "[html]Who?{=no one#<i>excellent</i> answer! =nobody#also **fine**}",
     {"type": "text", "texts": ("no one", "nobody"),
      "answer_feedback": ["excellent answer!", "also **fine**"], "warnings": ["gift-html"]}),
    ("short answer: a partial-credit answer and its feedback are left out",
     "Which is the best animal?{\n=Frog#Good!\n=%50%Cat#Cats?\n=%0%*#Completely wrong\n}",
     {"type": "text", "texts": ("Frog",), "answer_feedback": ["Good!"],
      "warnings": ["gift-partial-answer", "gift-feedback-dropped", "gift-partial-answer",
                   "gift-feedback-dropped"]}),
    ("short answer wildcard", "Name any fruit.{=*apple*}",
     {"type": "text", "texts": ("*apple*",), "warnings": ["gift-wildcard"]}),
    ("lower-case true is a short answer, as in Moodle", "Is it so?{true}",
     {"type": "text", "texts": ("true",)}),
    ("numeric", "When was Ulysses S. Grant born?{#1822}",
     {"type": "number", "numbers": [(1822.0, 0.0)]}),
    ("numeric with tolerance", "When was Grant born?{#1822:5}",
     {"type": "number", "numbers": [(1822.0, 5.0)]}),
    ("numeric with decimal tolerance", "What is pi (3 places)? {#3.1415:0.0005}",
     {"type": "number", "numbers": [(3.1415, 0.0005)]}),
    ("numeric range: midpoint and half width", "What is pi (3 places)? {#3.141..3.142}",
     {"type": "number", "numbers": [(3.1415, 0.0005)]}),
    ("numeric range of whole numbers", "A number from 1 to 5? {#1..5}",
     {"type": "number", "numbers": [(3.0, 2.0)]}),
    ("numeric negative value", "Freezing point of mercury? {#-38.8:0.1}",
     {"type": "number", "numbers": [(-38.8, 0.1)]}),
    ("numeric answers with weights: the full-credit one counts",
     "When was Grant born? {#\n=1822:0\n=%50%1822:2}",
     {"type": "number", "numbers": [(1822.0, 0.0)], "warnings": ["gift-partial-answer"]}),
    ("numeric answers with weights and feedback: the full-credit one keeps its feedback",
     "When was Grant born? {#\n=1822:0 #Correct!\n=%50%1822:2 #He was born in 1822.\n"
     "  Half credit for being close.\n}",
     {"type": "number", "numbers": [(1822.0, 0.0)], "answer_feedback": ["Correct!"],
      "warnings": ["gift-partial-answer", "gift-feedback-dropped"]}),
    ("numeric feedback of a single value", "A number from 1 to 5? {#3:2#Yes, within 1 to 5.}",
     {"type": "number", "numbers": [(3.0, 2.0)], "answer_feedback": ["Yes, within 1 to 5."]}),
    ("numeric wrong-answer feedback cannot be shown",
     "A number from 1 to 5? {#3:2~#Completely wrong}",
     {"type": "number", "numbers": [(3.0, 2.0)], "answer_feedback": [""],
      "warnings": ["gift-other-feedback"]}),
    ("matching", "Match the countries with their capitals. {\n=Canada -> Ottawa\n"
     "=Italy  -> Rome\n=Japan  -> Tokyo\n}",
     {"type": "match", "pairs": [("Canada", "Ottawa"), ("Italy", "Rome"), ("Japan", "Tokyo")]}),
    ("matching without spaces", "Capitals?{=Canada->Ottawa =Italy->Rome}",
     {"type": "match", "pairs": [("Canada", "Ottawa"), ("Italy", "Rome")]}),
    ("matching with an extra wrong choice", "Which animal eats which food? {\n"
     "=cat -> cat food\n=dog -> dog food\n= -> bird seed}",
     {"type": "match", "pairs": [("cat", "cat food"), ("dog", "dog food")],
      "warnings": ["gift-match-distractor"]}),
    ("title becomes the id", "::Kanji Origins::Japanese characters originally\n"
     "came from what country? {=China}",
     {"type": "text", "id": "kanji-origins",
      "stem": "Japanese characters originally came from what country?"}),
    ("title is the stem when there is no other text", "::Capital of France::{=Paris}",
     {"type": "text", "id": "capital-of-france", "stem": "Capital of France"}),
    ("title with umlauts", "::Größe der Fläche::Wie groß? {#12}",
     {"type": "number", "id": "groesse-der-flaeche"}),
    ("untitled question gets UNIT-N", "Plain?{T}", {"type": "truefalse", "id": "u-1"}),
    ("weights: one right answer, a half-credit one counts as wrong",
     "Difficult question.{~wrong answer ~%50%half credit answer =full credit answer}",
     {"type": "single", "options": [("wrong answer", False), ("half credit answer", False),
                                    ("full credit answer", True)],
      "warnings": ["gift-partial-credit"]}),
    ("weights: negative weight in single choice counts as plain wrong",
     "Pick.{=right ~%-50%costly ~free}",
     {"type": "single", "options": [("right", True), ("costly", False), ("free", False)],
      "warnings": ["gift-partial-credit"]}),
    ("multiple right answers, exact partial scoring",
     "Who is entombed there? {\n~%-50%No one\n~%50%Grant\n~%50%Grant's wife\n"
     "~%-50%Grant's father }",
     {"type": "multiple", "scoring": "partial",
      "options": [("No one", False), ("Grant", True), ("Grant's wife", True),
                  ("Grant's father", False)]}),
    ("multiple right answers, wrong ones cost nothing in Moodle",
     "Who is entombed there? {\n~No one\n~%50%Grant\n~%50%Grant's wife\n~Grant's father }",
     {"type": "multiple", "scoring": "partial", "warnings": ["gift-wrong-weights"],
      "options": [("No one", False), ("Grant", True), ("Grant's wife", True),
                  ("Grant's father", False)]}),
    ("multiple right answers with unequal weights",
     "Pick.{~%25%minor ~%75%major ~%-50%wrong}",
     {"type": "multiple", "scoring": "partial", "warnings": ["gift-right-weights"],
      "options": [("minor", True), ("major", True), ("wrong", False)]}),
    ("multiple right answers whose weights do not add up to 100",
     "Pick.{~%50%a ~%50%b ~%50%c ~%-100%d}",
     {"type": "multiple", "scoring": "partial",
      "warnings": ["gift-right-weights", "gift-wrong-weights"]}),
    ("three right answers of 33.33333 %",
     "Pick.{~%33.33333%a ~%33.33333%b ~%33.33333%c ~%-33.33333%d}",
     {"type": "multiple", "scoring": "partial"}),
    ("one right answer with weights: checkboxes, all-or-nothing",
     "Pick all that apply.{~%100%only ~%-100%not this ~%-100%nor this}",
     {"type": "multiple", "scoring": "all",
      "options": [("only", True), ("not this", False), ("nor this", False)]}),
    ("escaped control characters", "Which answer equals 5? {\n~ \\= 2 + 2\n= \\= 2 + 3\n"
     "~ \\= 2 + 4 }",
     {"type": "single", "options": [("= 2 + 2", False), ("= 2 + 3", True), ("= 2 + 4", False)]}),
    ("every escape", "Signs \\~ \\= \\# \\{ \\} \\: and \\\\ here?{T}",
     {"type": "truefalse", "stem": "Signs ~ = # { } : and \\ here?"}),
    ("escaped colon before the answers", "The largest desert is\\: {=Antarctica ~Sahara}",
     {"type": "single", "stem": "The largest desert is:"}),
    ("newline escape: line break and paragraph", "One\\ntwo\\n\\nThree.{T}",
     {"type": "truefalse", "stem_html": "<p>One<br>\ntwo</p>\n<p>Three.</p>\n"}),
    ("comments inside a question", "// before\nWhat?\n// inside\n{=yes ~no}",
     {"type": "single", "stem": "What?"}),
    ("markdown format", "[markdown]Who's buried in **Grant's tomb**?{=no one}",
     {"type": "text", "stem_html": "<p>Who's buried in <strong>Grant's tomb</strong>?</p>\n"}),
    ("markdown list in the stem stays text, the answers stay the answers",
     "[markdown]Choose:\n- one\n- two\n{=a ~b}",
     {"type": "single", "stem": "Choose: - one - two", "options": [("a", True), ("b", False)]}),
    ("markdown ':::' line cannot close the question", "[markdown]Text\n::: note\nmore{T}",
     {"type": "truefalse", "stem": "Text ::: note more"}),
    ("html format", "[html]Match the <b>activity</b> to <i>its</i> use.{=x -> 1 =y -> 2}",
     {"type": "match", "stem_html": "<p>Match the <strong>activity</strong> to <em>its</em> "
      "use.</p>\n", "warnings": ["gift-html"]}),
    ("html in the default format is converted too", "What is <b>bold</b>?{T}",
     {"type": "truefalse", "stem": "What is bold?", "warnings": ["gift-html"]}),
    ("html answer formats", "Which?{=[html]<i>this</i> ~[plain]2 * 3 ~[markdown]**that**}",
     {"type": "single", "options": [("this", True), ("2 * 3", False), ("that", False)],
      "warnings": ["gift-html"]}),
    ("plain format keeps every character", "[plain]2 * 3 = 6, _x_ and <b> stay.{T}",
     {"type": "truefalse", "stem": "2 * 3 = 6, _x_ and <b> stay."}),
    ("unknown format name is text", "[foo] bar?{T}", {"type": "truefalse", "stem": "[foo] bar?"}),
    ("html entities are text", "[html]What does &lt;p&gt; mean &amp; do?{=paragraph}",
     {"type": "text", "stem": "What does <p> mean & do?", "warnings": ["gift-html"]}),
    ("html image: alt text stays, the image is reported",
     '[html]Look: <img src="@@PLUGINFILE@@/a.png" alt="a map"> Where?{=here}',
     {"type": "text", "stem": "Look: a map Where?", "warnings": ["gift-html", "gift-image"]}),
    ("markdown image is reported", "[markdown]See ![the plan](plan.png).{T}",
     {"type": "truefalse", "stem": "See the plan.", "warnings": ["gift-image"]}),
    ("html link to a web address is kept",
     '[html]Read <a href="https://example.org/x">the rules</a>.{T}',
     {"type": "truefalse", "stem_html": '<p>Read <a href="https://example.org/x" '
      'rel="noopener noreferrer">the rules</a>.</p>\n', "warnings": ["gift-html"]}),
    ("empty answer is left out", "Which?{=a ~ ~b}",
     {"type": "single", "options": [("a", True), ("b", False)],
      "warnings": ["gift-empty-answer"]}),
    ("unclosed title is read as text", "::No end Is this right?{T}",
     {"type": "truefalse", "stem": "No end Is this right?", "warnings": ["gift-unclosed-title"]}),
]


def _check(question: Question, expected: dict[str, Any]) -> None:
    assert question.type.value == expected["type"]
    if "id" in expected:
        assert question.id == expected["id"]
    if "stem" in expected:
        assert text_of(question.stem_html) == expected["stem"]
    if "stem_html" in expected:
        assert question.stem_html == expected["stem_html"]
    if "options" in expected:
        assert [(text_of(o.html), o.is_correct) for o in question.options] == expected["options"]
    if "feedback" in expected:
        assert [text_of(o.feedback_html) for o in question.options] == expected["feedback"]
    if "scoring" in expected:
        assert question.scoring.value == expected["scoring"]
    if "numbers" in expected:
        assert [(a.value, a.tolerance) for a in question.number_answers] == expected["numbers"]
    if "texts" in expected:
        assert question.text_answers == expected["texts"]
    if "answer_feedback" in expected:
        kept = (question.text_feedback_html if question.type.value == "text"
                else tuple(a.feedback_html for a in question.number_answers))
        assert [text_of(f) for f in kept] == expected["answer_feedback"]
    if "gaps" in expected:
        assert [(g.kind.value, [(o.text, o.is_correct) for o in g.options] if g.options
                 else (g.number_answer.value, g.number_answer.tolerance) if g.number_answer
                 else g.answers) for g in question.gaps] == expected["gaps"]
    if "pairs" in expected:
        assert [(text_of(o.html), text_of(o.match_html)) for o in question.options] \
            == expected["pairs"]
    assert text_of(question.explanation_html) == expected.get("explanation", "")


@pytest.mark.parametrize(("source", "expected"),
                         [pytest.param(s, e, id=t) for t, s, e in CASES])
def test_construct_converts_to_the_same_meaning(source: str, expected: dict[str, Any]) -> None:
    result, compiled = compile_gift(source)
    assert slugs(result) == expected.get("warnings", [])
    (question,) = questions(compiled)
    _check(question, expected)


@pytest.mark.parametrize(("language", "labels"), [("de", ["Wahr", "Falsch"]),
                                                  ("en", ["True", "False"]),
                                                  ("fr", ["True", "False"])])
def test_truefalse_labels_follow_the_course_language(language: str, labels: list[str]) -> None:
    _, compiled = compile_gift("The sun rises in the east.{T}", language=language)
    (question,) = questions(compiled)
    assert [text_of(o.html) for o in question.options] == labels


# (title, source, code, line, column): the question is reported and not converted
ERRORS = [
    ("essay", "::Q8:: How are you? {}", "gift-essay", 1, 21),
    ("essay with general feedback", "How are you? {\n####Hope well.\n}", "gift-essay", 1, 14),
    ("description", "Only text, no answers.", "gift-description", 1, 1),
    ("unclosed answers", "Which? {=a ~b\n~c", "gift-unclosed", 1, 8),
    ("closing brace first", "A } here {=a ~b}", "gift-stray-brace", 1, 3),
    ("closing brace without opening", "A } here", "gift-stray-brace", 1, 3),
    ("second answer block", "Pick {=a ~b} then {=c ~d}", "gift-second-block", 1, 19),
    ("stray brace after the answers", "Pick {=a ~b} then }", "gift-stray-brace", 1, 19),
    ("several '=' in multiple choice", "Which?{=a =b ~c}", "gift-several-right", 1, 8),
    ("no right answer", "Which?{~a ~b}", "gift-no-right-answer", 1, 8),
    ("only partial-credit right answers", "Which?{=%50%a ~b}", "gift-no-right-answer", 1, 8),
    ("only one option", "Which?{~%100%a}", "too-few-options", 1, 8),
    ("weight above 100", "Which?{~%150%a =b}", "gift-bad-weight", 1, 9),
    ("not a number", "How many?{#many}", "gift-bad-number", 1, 12),
    ("range with a word", "How many?{#1..x}", "gift-bad-number", 1, 12),
    ("several numbers", "How many?{#=5 =7}", "gift-several-numbers", 1, 11),
    ("empty numeric", "How many?{#}", "gift-no-right-answer", 1, 11),
    ("numeric with only partial credit", "How many?{#=%50%5}", "gift-no-right-answer", 1, 11),
    ("short answer with only partial credit", "Who?{=%50%me}", "gift-no-right-answer", 1, 6),
    ("matching answer without arrow", "Pair.{=a -> 1 =b}", "gift-bad-match", 1, 15),
    ("matching answer without right side", "Pair.{=a -> 1 =b ->}", "gift-bad-match", 1, 15),
    ("one matching pair", "Pair.{=a -> 1}", "too-few-options", 1, 7),
    ("no text and no title", "{=a ~b}", "gift-no-text", 1, 1),
    ("answers on a later line keep their line", "Which?\n\n", "gift-description", 1, 1),
]


@pytest.mark.parametrize(("source", "code", "line", "column"),
                         [pytest.param(s, c, li, co, id=t) for t, s, c, li, co in ERRORS])
def test_unconvertible_question_is_reported_with_its_place(source: str, code: str, line: int,
                                                           column: int) -> None:
    result = convert_gift(source, unit_id="u", path="t.gift")
    found = [(d.code.slug, d.line, d.column) for d in result.diagnostics if d.is_error]
    assert found == [("gift-no-questions", 0, 0), (code, line, column)]
    assert result.files == {}


def test_error_position_counts_lines_and_columns_of_the_file() -> None:
    source = "// heading\n\nFirst?{T}\n\n  ::Second::\n  Which one? {=a =b ~c}\n"
    result = convert_gift(source, unit_id="u", path="t.gift")
    assert [d.format() for d in result.diagnostics] == [
        "t.gift:6:15: error: 2 answers are marked right with '=', but a single-choice question "
        "has exactly one; keep one '=' or use weights (~%50%) for several right answers "
        "[gift-several-right]"]
    assert result.questions == 1


def test_a_bad_question_is_skipped_and_the_others_are_converted() -> None:
    source = "One?{T}\n\nEssay?{}\n\nThree?{F}\n"
    result, compiled = compile_gift(source)
    assert [d.code for d in result.errors] == [DiagCode.GIFT_ESSAY]
    # ids count every question of the unit, so fixing the essay later does not renumber
    assert [q.id for q in questions(compiled)] == ["u-1", "u-3"]


def test_warnings_of_a_skipped_question_are_not_shown() -> None:
    result = convert_gift("[html]<b>Pick</b>{=%50%a =b =c ~d}", unit_id="u")
    assert slugs(result) == ["gift-no-questions", "gift-several-right"]


def test_duplicate_titles_get_unique_ids() -> None:
    source = "::Jesus' hometown::A?{T}\n\n::Jesus' hometown::B?{T}\n\n::jesus hometown::C?{F}"
    _, compiled = compile_gift(source)
    assert [q.id for q in questions(compiled)] == [
        "jesus-hometown", "jesus-hometown-2", "jesus-hometown-3"]


def test_reserved_ids_are_not_used_again() -> None:
    source = "::Q1::A?{T}\n\nB?{T}"
    result = convert_gift(source, unit_id="u", reserved_ids={"q1", "u-2"}, reserved_units={"u"})
    assert list(result.files) == ["01-u-2.md"]
    text = result.files["01-u-2.md"]
    assert "id: u-2\n" in text and "id=q1-2" in text and "id=u-2-2" in text


def test_title_without_letters_falls_back_to_unit_number() -> None:
    _, compiled = compile_gift("::???::A?{T}")
    assert [q.id for q in questions(compiled)] == ["u-1"]


@pytest.mark.parametrize(("title", "slug"), [
    ("Kanji Origins", "kanji-origins"), ("2-08 TSL", "2-08-tsl"), ("Q1", "q1"),
    ("Größe & Maß", "groesse-mass"), ("Café crème", "cafe-creme"), ("日本", ""),
    ("x" * 70, "x" * 60), ("word " * 20, "-".join(["word"] * 12)),
])
def test_slugify(title: str, slug: str) -> None:
    assert slugify(title) == slug


def test_unit_file_front_matter_and_quiz() -> None:
    result = convert_gift("A?{T}", unit_id="fragen", title='Fragen: "Teil 1"')
    assert result.files["01-fragen.md"].startswith(
        '---\nid: fragen\ntitle: "Fragen: \\"Teil 1\\""\nquiz:\n  pass_mark: 0.8\n---\n\n')
    no_quiz = convert_gift("A?{T}", unit_id="fragen", pass_mark=None, number_from=7)
    assert no_quiz.files["07-fragen.md"].startswith("---\nid: fragen\ntitle: \"fragen\"\n---\n")


def test_invalid_unit_id_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="unit id"):
        convert_gift("A?{T}", unit_id="Fragen")


def test_empty_file_has_no_questions() -> None:
    result = convert_gift("// only a comment\n\n\n", unit_id="u", path="t.gift")
    assert [d.format() for d in result.diagnostics] == [
        "t.gift:0:0: error: the file has no question that can be converted [gift-no-questions]"]


def test_windows_line_ends_and_byte_order_mark() -> None:
    _, compiled = compile_gift("\ufeffFirst?{T}\r\n\r\nSecond?\r\n{=a ~b}\r\n")
    assert [q.type.value for q in questions(compiled)] == ["truefalse", "single"]


def test_messages_in_german() -> None:
    result = convert_gift("Essay?{}", unit_id="u", path="t.gift")
    assert result.diagnostics[1].format("de") == (
        "t.gift:1:7: error: Freitextfrage (leerer Antwortblock {}) kann nicht übernommen "
        "werden: lernmodul bewertet jede Antwort automatisch [gift-essay]")


def test_gift_codes_are_distinct_members() -> None:
    # an enum member with the value of another becomes an alias and reports the wrong code
    gift = [code for code in DiagCode if code.name.startswith("GIFT_")]
    assert len(gift) == len({code.value for code in gift}) == 32
    assert all(DiagCode[code.name] is code for code in gift)


# --- grading: where no warning is given, lernmodul scores like Moodle --------------------

WEIGHTED = [
    "{~%-50%a ~%50%b ~%50%c ~%-50%d}",
    "{~%100%a ~%-100%b ~%-100%c}",
    "{~%33.33333%a ~%33.33333%b ~%33.33333%c ~%-33.33333%d}",
    "{=a ~b ~c}",
]


def _moodle_share(weights: list[float], chosen: set[int], single: bool) -> float:
    if single:
        return max(0.0, weights[next(iter(chosen))] / 100) if chosen else 0.0
    return min(1.0, max(0.0, sum(weights[i] for i in chosen) / 100))


@pytest.mark.parametrize("answers", WEIGHTED)
def test_weighted_choice_scores_like_moodle(answers: str) -> None:
    result, compiled = compile_gift("Pick." + answers)
    assert result.diagnostics == ()
    (question,) = questions(compiled)
    weights = []
    for part in answers.strip("{}").split():
        marker, rest = part[0], part[1:]
        weights.append(float(rest.split("%")[1]) if rest.startswith("%")
                       else 100.0 if marker == "=" else 0.0)
    ids = [o.id for o in question.options]
    single = question.type.value == "single"
    subsets = [{i} for i in range(len(ids))] if single else [
        set(c) for n in range(len(ids) + 1) for c in combinations(range(len(ids)), n)]
    for chosen in subsets:
        response = ids[next(iter(chosen))] if single else frozenset(ids[i] for i in chosen)
        assert grade(question, response).share == pytest.approx(
            _moodle_share(weights, chosen, single), abs=1e-4), chosen


# --- cloze: missing word and embedded answers ------------------------------------------------

EMBEDDED = ("::Hauptstadt::Die Hauptstadt ist {1:SHORTANSWER:=Berlin~%50%Bonn#halb~*#falsch}, "
            "die Zahl {1:NUMERICAL:=23.8:0.1~%50%23.8:2} und die Farbe "
            "{1:MULTICHOICE:=rot~grün~blau}.")


def test_embedded_answers_become_one_cloze_with_partial_scoring() -> None:
    result, compiled = compile_gift(EMBEDDED)
    (question,) = questions(compiled)
    assert question.type.value == "cloze" and question.scoring.value == "partial"
    assert question.points == 3 and question.id == "hauptstadt"
    assert text_of(question.stem_html) == "Die Hauptstadt ist [1], die Zahl [2] und die Farbe [3]."
    text, number, choice = question.gaps
    assert text.answers == ("Berlin",)
    assert (number.number_answer.value, number.number_answer.tolerance) == (23.8, 0.1)
    assert [(o.text, o.is_correct) for o in choice.options] == [
        ("rot", True), ("grün", False), ("blau", False)]
    # what a gap cannot hold is named, each at its place in the file
    assert [(d.code.slug, d.column) for d in result.diagnostics] == [
        ("gift-partial-answer", 56), ("gift-feedback-dropped", 66), ("gift-other-feedback", 73),
        ("gift-partial-answer", 113)]


def test_embedded_answer_weights_become_points_and_a_warning() -> None:
    result, compiled = compile_gift("Eins {2:SA:=a} zwei {1:NM:=2}.")
    (question,) = questions(compiled)
    assert question.points == 3
    assert slugs(result) == ["gift-cloze-weights"]


def test_case_sensitive_short_answer_is_named() -> None:
    result, compiled = compile_gift("Eins {1:SHORTANSWER_C:=Aa#gut} zwei.")
    (question,) = questions(compiled)
    assert question.gaps[0].answers == ("Aa",)
    assert slugs(result) == ["gift-cloze-case", "gift-gap-feedback"]


@pytest.mark.parametrize(("source", "code", "column"), [
    ("Mehr {1:MULTIRESPONSE:=a~=b} hier.", "gift-cloze-type", 6),
    ("Gemischt {1:SA:=a} und {=b ~c}.", "gift-cloze-mixed", 24),
    # the others at the answers of the embedded answer
    ("Zwei Werte {1:NUMERICAL:=1~=2} hier.", "gift-cloze-values", 25),
    ("Keine Zahl {1:NUMERICAL:=eins} hier.", "gift-bad-number", 25),
    ("Nichts {1:MC:~a~b} richtig.", "gift-no-right-answer", 14),
])
def test_unconvertible_embedded_answers_are_errors_at_their_place(source: str, code: str,
                                                                  column: int) -> None:
    result = convert_gift("Gut {1:SA:=ja}.\n\n" + source, unit_id="u", path="t.gift")
    assert [(d.code.slug, d.line) for d in result.errors] == [(code, 3)]
    assert result.errors[0].column == column
    assert result.questions == 1  # the good one is converted


def test_a_converted_cloze_grades_like_moodle_where_nothing_was_reported() -> None:
    _result, compiled = compile_gift("Eins {1:SA:=a} zwei {1:NM:=2:0.5} drei {1:MC:=x~y}.")
    (question,) = questions(compiled)
    right = next(o.id for o in question.gaps[2].options if o.is_correct)
    assert grade(question, {"1": "A", "2": "2,4", "3": right}).points == 3
    assert grade(question, {"1": "a", "2": "3"}).points == 1
