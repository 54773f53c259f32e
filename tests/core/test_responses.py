"""Form fields to responses and back, including forged and half-filled forms."""

from __future__ import annotations

import pytest

from lernmodul.core.grading import InvalidResponse, grade
from lernmodul.core.responses import (
    IncompleteResponse,
    NotANumber,
    form_values,
    from_json,
    response_from_form,
    to_json,
)

from .conftest import by_place, fields_by_place
from .test_grading import SOURCE, compile_unit


@pytest.fixture(scope="module")
def questions():
    return compile_unit(SOURCE).course.questions()


def getter(fields: dict[str, list[str]]):
    return lambda name: fields.get(name, [])


# (question id, display order (None: source order), fields, response, points)
GOOD = [
    ("single", None, {"q-single": ["1"]}, "a", 1),
    ("single", ("c", "a", "b"), {"q-single": ["2"]}, "a", 1),
    ("single", ("c", "a", "b"), {"q-single": ["1"]}, "c", 0),
    ("tf", None, {"q-tf": ["2"]}, "b", 1),
    ("multi-all", ("d", "b", "c", "a"), {"q-multi-all": ["2", "4"]}, frozenset("ab"), 1),
    ("order-all", ("c", "a", "d", "b"), {"q-order-all-1": ["3"], "q-order-all-2": ["1"],
                                         "q-order-all-3": ["4"], "q-order-all-4": ["2"]},
     ("a", "b", "c", "d"), 1),
    ("order-all", None, {"q-order-all-1": ["2"], "q-order-all-2": ["1"], "q-order-all-3": ["3"],
                         "q-order-all-4": ["4"]}, ("b", "a", "c", "d"), 0),
    ("match-all", ("b", "c", "a"), {"q-match-all-a": ["3"], "q-match-all-b": ["1"],
                                    "q-match-all-c": ["2"]}, {"a": "a", "b": "b", "c": "c"}, 1),
    ("number", None, {"q-number": ["42,7"]}, "42,7", 1),
    ("text", None, {"q-text": [" leakage "]}, " leakage ", 1),
    ("single", None, {}, None, 0),
    ("text", None, {"q-text": ["   "]}, None, 0),
    ("match-all", None, {"q-match-all-a": [""]}, None, 0),
]


@pytest.mark.parametrize(("qid", "order", "fields", "response", "points"), GOOD)
def test_form_to_response_and_back(questions, qid, order, fields, response, points) -> None:
    question = questions[qid]
    order = by_place(question, order) if order else None
    fields, response = fields_by_place(question, fields), by_place(question, response)
    got = response_from_form(question, getter(fields), order)
    assert got == response
    assert grade(question, got).points == points
    assert from_json(question, to_json(got)) == got
    if got is not None:
        assert response_from_form(question, getter(form_values(question, got, order)), order) == got


def test_forms_never_carry_option_ids(questions) -> None:
    """Choices are named by display tokens; only match rows carry their (left) option id."""
    single, match = questions["single"], questions["match-all"]
    values = form_values(single, by_place(single, "a"), by_place(single, ("c", "a", "b")))
    assert values == {"q-single": ["2"]}
    pairs = form_values(match, by_place(match, {"a": "a", "b": "b", "c": "c"}),
                        by_place(match, ("c", "a", "b")))
    assert pairs == fields_by_place(match, {"q-match-all-a": ["2"], "q-match-all-b": ["3"],
                                            "q-match-all-c": ["1"]})


def test_an_order_that_does_not_fit_is_invalid(questions) -> None:
    with pytest.raises(InvalidResponse):
        response_from_form(questions["single"], getter({}),
                           by_place(questions["single"], ("a", "b")))


FORGED = [
    ("single", {"q-single": ["z"]}), ("single", {"q-single": ["1", "2"]}),
    ("single", {"q-single": ["a"]}),
    ("multi-all", {"q-multi-all": ["1", "1"]}), ("multi-all", {"q-multi-all": ["9"]}),
    ("order-all", {"q-order-all-1": ["9"]}), ("order-all", {"q-order-all-1": ["-1"]}),
    ("order-all", {"q-order-all-1": ["eins"]}), ("order-all", {"q-order-all-1": ["²"]}),
    ("order-all", {"q-order-all-1": ["①"]}), ("match-all", {"q-match-all-a": ["zz"]}),
    ("text", {"q-text": ["x" * 100_000]}), ("number", {"q-number": ["1", "2"]}),
]


@pytest.mark.parametrize(("qid", "fields"), FORGED)
def test_forged_forms_are_invalid(questions, qid, fields) -> None:
    with pytest.raises(InvalidResponse):
        response_from_form(questions[qid], getter(fields_by_place(questions[qid], fields)))


def test_a_position_used_twice_asks_again(questions) -> None:
    fields = {"q-order-all-1": ["1"], "q-order-all-2": ["1"], "q-order-all-3": ["3"],
              "q-order-all-4": ["4"]}
    with pytest.raises(IncompleteResponse):
        response_from_form(questions["order-all"], getter(fields))
    with pytest.raises(IncompleteResponse):
        response_from_form(questions["order-all"], getter({"q-order-all-1": ["1"]}))


@pytest.mark.parametrize("typed", ["abc", "42 Euro", "vierzig", "4,2e1", "1.2.3", "1" * 51, "²"])
def test_text_that_is_no_number_asks_again(questions, typed) -> None:
    with pytest.raises(NotANumber) as raised:
        response_from_form(questions["number"], getter({"q-number": [typed]}))
    assert isinstance(raised.value, IncompleteResponse)  # asked again, not a forged form


@pytest.mark.parametrize("typed", ["42", "-3,5", "1 000", "42.0", " 42 ", "٤٢"])
def test_numbers_as_learners_type_them_are_answers(questions, typed) -> None:
    assert response_from_form(questions["number"], getter({"q-number": [typed]})) == typed
