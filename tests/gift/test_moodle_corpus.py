"""Moodle's own GIFT test inputs and examples (fixtures/moodle): what converts, what is kept,
and what each message says about the rest."""

from __future__ import annotations

from itertools import combinations

import pytest

from lernmodul.core.grading import answer_feedback, grade
from lernmodul.core.model import Question

from .conftest import compile_gift, questions, text_of
from .moodle_corpus import Case, cases, run

CASES = cases()
#: every code the converter uses to report something it could not carry over
LOSSES = {"gift-essay", "gift-no-questions", "gift-partial-answer", "gift-feedback-dropped",
          "gift-other-feedback", "gift-partial-credit", "gift-wrong-weights",
          "gift-right-weights", "gift-match-distractor", "gift-html"}


def _case(name: str) -> Case:
    (case,) = [c for c in CASES if c.name == name]
    return case


def _at(file: str, line: int) -> Case:
    (case,) = [c for c in CASES if c.file == file and c.line == line]
    return case


def _convert(case: Case) -> tuple[list[str], Question, str]:
    """The messages, the one compiled question and its Markdown block."""
    result, compiled = compile_gift(case.text, unit_id="moodle", language="en")
    (question,) = questions(compiled)
    (text,) = result.files.values()
    block = text[text.index(":::"):]
    return [d.format() for d in result.diagnostics], question, block


def test_the_corpus_is_moodles_tests_and_examples() -> None:
    assert {c.file for c in CASES} == {"examples.gift", "giftformat_test.gift",
                                       "questions.gift", "questions_in_category.gift"}
    assert len([c for c in CASES if c.file == "giftformat_test.gift"]) == 24
    assert len(CASES) == 80


@pytest.mark.parametrize("case", CASES, ids=[f"{c.file}:{c.line}" for c in CASES])
def test_every_case_compiles_cleanly_or_says_what_it_lost(case: Case) -> None:
    outcome = run(case)
    assert outcome.compile_errors == ()
    assert set(outcome.slugs) <= LOSSES
    if outcome.questions:
        assert outcome.markdown.count("::: question ") == 1


def test_count_of_cases_with_no_difference() -> None:
    outcomes = [run(case) for case in CASES]
    same = [o.case for o in outcomes if o.same]
    essays = [o.case for o in outcomes if "gift-essay" in o.slugs]
    # all but essays and what the course format cannot express (each case reported)
    assert len(essays) == 7
    assert len(same) == 47, [f"{o.case.file}:{o.case.line} {o.slugs}" for o in outcomes
                             if not o.same]


# --- 1. feedback on short-answer and numerical answers -------------------------------------

def test_short_answer_feedback_is_kept_under_each_answer() -> None:
    messages, question, block = _convert(_at("examples.gift", 103))
    assert messages == []
    assert block == ("::: question text id=moodle-1\nWho's buried in Grant's tomb?\n\n"
                     "- = no one\n  > excellent answer!\n- = nobody\n  > excellent answer!\n:::\n")
    assert question.text_answers == ("no one", "nobody")
    assert [text_of(f) for f in question.text_feedback_html] == ["excellent answer!"] * 2
    # shown to whoever types that answer, in any case and spacing
    assert text_of(answer_feedback(question, "  NoBody ")) == "excellent answer!"
    assert answer_feedback(question, "Grant") == ""


def test_moodle_shortanswer_test_keeps_frog_and_its_feedback() -> None:
    messages, question, block = _convert(_case("test_import_shortanswer"))
    assert block == ("::: question text id=shortanswer\nWhich is the best animal?\n\n"
                     "- = Frog\n  > Good!\n:::\n")
    assert text_of(answer_feedback(question, "frog")) == "Good!"
    assert len(messages) == 4


def test_numerical_feedback_of_the_right_value_is_kept() -> None:
    messages, question, block = _convert(_at("examples.gift", 201))
    assert block == ("::: question number id=numerical-example\nWhen was Ulysses S. Grant "
                     "born?\n\n- = 1822\n  > Correct! 100% credit\n:::\n")
    assert text_of(question.number_answers[0].feedback_html) == "Correct! 100% credit"
    assert text_of(answer_feedback(question, "1822")) == "Correct! 100% credit"
    assert answer_feedback(question, "1821") == ""
    assert len(messages) == 2


def test_numerical_wrong_answer_feedback_is_named_in_its_message() -> None:
    messages, _, block = _convert(_case("test_import_numerical"))
    assert "- = 3 ± 2\n:::" in block
    assert messages == [
        "t.gift:3:45: warning: feedback 'Completely wrong' for every other answer ('~#…') is "
        "left out: a 'number' question shows feedback only with the answers it lists "
        "[gift-other-feedback]"]


# --- 2. partial credit in short-answer and numerical questions ------------------------------

def test_left_out_short_answers_are_named_with_weight_and_feedback() -> None:
    messages, _, _ = _convert(_case("test_import_shortanswer"))
    assert messages == [
        "t.gift:5:5: warning: answer 'Cat' (weight 50%) is left out: a 'text' question lists "
        "only fully right answers, so typing it scores 0 here (in Moodle 50% of the points) "
        "[gift-partial-answer]",
        "t.gift:5:14: warning: feedback 'What is it with Moodlers and cats?' of the left-out "
        "answer 'Cat' is left out with it [gift-feedback-dropped]",
        "t.gift:6:5: warning: answer '*' (weight 0%) is left out: a 'text' question lists "
        "only fully right answers, so typing it scores 0 here (in Moodle 0% of the points) "
        "[gift-partial-answer]",
        "t.gift:6:11: warning: feedback 'Completely wrong' of the left-out answer '*' is left "
        "out with it [gift-feedback-dropped]"]


def test_left_out_numeric_range_is_named_as_written() -> None:
    messages, question, _ = _convert(_at("examples.gift", 201))
    assert [(a.value, a.tolerance) for a in question.number_answers] == [(1822.0, 0.0)]
    assert messages == [
        "t.gift:5:6: warning: answer '1822:2' (weight 50%) is left out: a 'number' question "
        "lists only fully right answers, so typing it scores 0 here (in Moodle 50% of the "
        "points) [gift-partial-answer]",
        "t.gift:5:20: warning: feedback 'He was born in 1822. You get 50% credit for being "
        "close.' of the left-out answer '1822:2' is left out with it [gift-feedback-dropped]"]
    # what the message says: 1823 is 0 points here
    assert grade(question, "1823").points == 0


def test_partial_credit_in_single_choice_keeps_the_option_and_its_feedback() -> None:
    messages, question, _ = _convert(_at("examples.gift", 117))
    assert [(text_of(o.html), o.is_correct, text_of(o.feedback_html))
            for o in question.options][1:3] == [
        ("Bethlehem", False, "He was born here, but not raised here."),
        ("Galilee", False, "You need to be more specific.")]
    assert [m.rsplit("[", 1)[1] for m in messages] == ["gift-partial-credit]"] * 2


# --- 3. extra wrong choices of matching questions -------------------------------------------

@pytest.mark.parametrize("name", ["test_import_match", "test_export_match (expected GIFT)"])
def test_match_distractor_is_named_as_left_out(name: str) -> None:
    messages, question, _ = _convert(_case(name))
    assert [text_of(o.match_html) for o in question.options] == [
        "Forum", "Choice", "Database", "Wiki"]
    assert messages[-1].split(": ", 1)[1] == (
        "warning: extra wrong choice 'Chat' ('= -> Chat', no left side) is left out: a "
        "'match' question offers only the right sides of its pairs [gift-match-distractor]")


# --- 4. multiple-answer weights ---------------------------------------------------------------

def _moodle(weights: list[float], chosen: set[int]) -> float:
    return min(100.0, max(0.0, sum(weights[i] for i in chosen)))


@pytest.mark.parametrize(("name", "weights", "message"), [
    ("test_import_multichoice_multi", [50, -100, 50, -100],
     "t.gift:5:5: warning: the wrong answers' weights are not -50% each. Moodle weights: "
     "yellow 50%, red -100%, off-beige 50%, blue -100%. Here each right choice earns 50% and "
     "each wrong choice costs 50% of the points, never below 0: all right answers and 'red' "
     "score 0% in Moodle, 50% here [gift-wrong-weights]"),
    ("test_import_multichoice_multi_tricky", [100, -50, -50],
     "t.gift:5:5: warning: the wrong answers' weights are not -100% each. Moodle weights: "
     "yellow 100%, red -50%, blue -50%. Here each right choice earns 100% and each wrong "
     "choice costs 100% of the points, never below 0: all right answers and 'red' score 50% "
     "in Moodle, 0% here [gift-wrong-weights]"),
])
def test_wrong_weights_message_states_both_scorings(name: str, weights: list[float],
                                                    message: str) -> None:
    messages, question, _ = _convert(_case(name))
    assert messages == [message]
    ids = [o.id for o in question.options]
    right = {i for i, w in enumerate(weights) if w > 0}
    first_wrong = next(i for i, w in enumerate(weights) if w <= 0)
    # the two scores the message gives are what Moodle and lernmodul really give
    chosen = right | {first_wrong}
    response = frozenset(ids[i] for i in chosen)
    assert grade(question, response).share * 100 == pytest.approx(
        float(message.split(", ")[-1].split("%")[0]))
    assert _moodle(weights, chosen) == pytest.approx(
        float(message.split("score ")[1].split("%")[0]))
    # and the rule it states holds for every choice: +1/k right, -1/k wrong, at least 0
    k = len(right)
    for n in range(len(ids) + 1):
        for subset in combinations(range(len(ids)), n):
            got = set(subset)
            expected = max(0.0, (len(got & right) - len(got - right)) / k)
            assert grade(question, frozenset(ids[i] for i in got)).share == \
                pytest.approx(expected)


def test_wrong_answers_at_zero_are_stated_too() -> None:
    messages, _, _ = _convert(_at("examples.gift", 130))
    assert messages == [
        "t.gift:2:5: warning: the wrong answers' weights are not -50% each. Moodle weights: "
        "No one 0%, Grant 50%, Grant's wife 50%, Grant's father 0%. Here each right choice "
        "earns 50% and each wrong choice costs 50% of the points, never below 0: all right "
        "answers and 'No one' score 100% in Moodle, 50% here [gift-wrong-weights]"]
