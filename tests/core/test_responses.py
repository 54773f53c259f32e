"""Form fields to responses and back, including forged and half-filled forms."""

from __future__ import annotations

import pytest

from lernmodul.core.grading import InvalidResponse, grade
from lernmodul.core.responses import (
    IncompleteResponse,
    form_values,
    from_json,
    response_from_form,
    to_json,
)

from .test_grading import SOURCE, compile_unit


@pytest.fixture(scope="module")
def questions():
    return compile_unit(SOURCE).course.questions()


def getter(fields: dict[str, list[str]]):
    return lambda name: fields.get(name, [])


GOOD = [
    ("single", {"q-single": ["a"]}, "a", 1),
    ("tf", {"q-tf": ["b"]}, "b", 1),
    ("multi-all", {"q-multi-all": ["b", "a"]}, frozenset("ab"), 1),
    ("order-all", {"q-order-all-a": ["1"], "q-order-all-b": ["2"], "q-order-all-c": ["3"],
                   "q-order-all-d": ["4"]}, ("a", "b", "c", "d"), 1),
    ("order-all", {"q-order-all-a": ["2"], "q-order-all-b": ["1"], "q-order-all-c": ["3"],
                   "q-order-all-d": ["4"]}, ("b", "a", "c", "d"), 0),
    ("match-all", {"q-match-all-a": ["a"], "q-match-all-b": ["b"], "q-match-all-c": ["c"]},
     {"a": "a", "b": "b", "c": "c"}, 1),
    ("number", {"q-number": ["42,7"]}, "42,7", 1),
    ("text", {"q-text": [" leakage "]}, " leakage ", 1),
    ("single", {}, None, 0),
    ("text", {"q-text": ["   "]}, None, 0),
    ("match-all", {"q-match-all-a": [""]}, None, 0),
]


@pytest.mark.parametrize(("qid", "fields", "response", "points"), GOOD)
def test_form_to_response_and_back(questions, qid, fields, response, points) -> None:
    question = questions[qid]
    got = response_from_form(question, getter(fields))
    assert got == response
    assert grade(question, got).points == points
    assert from_json(question, to_json(got)) == got
    if got is not None:
        assert response_from_form(question, getter(form_values(question, got))) == got


FORGED = [
    ("single", {"q-single": ["z"]}), ("single", {"q-single": ["a", "b"]}),
    ("multi-all", {"q-multi-all": ["a", "a"]}), ("multi-all", {"q-multi-all": ["x"]}),
    ("order-all", {"q-order-all-a": ["9"]}), ("order-all", {"q-order-all-a": ["-1"]}),
    ("order-all", {"q-order-all-a": ["eins"]}), ("match-all", {"q-match-all-a": ["zz"]}),
    ("text", {"q-text": ["x" * 100_000]}), ("number", {"q-number": ["1", "2"]}),
]


@pytest.mark.parametrize(("qid", "fields"), FORGED)
def test_forged_forms_are_invalid(questions, qid, fields) -> None:
    with pytest.raises(InvalidResponse):
        response_from_form(questions[qid], getter(fields))


def test_a_position_used_twice_asks_again(questions) -> None:
    fields = {"q-order-all-a": ["1"], "q-order-all-b": ["1"], "q-order-all-c": ["3"],
              "q-order-all-d": ["4"]}
    with pytest.raises(IncompleteResponse):
        response_from_form(questions["order-all"], getter(fields))
    with pytest.raises(IncompleteResponse):
        response_from_form(questions["order-all"], getter({"q-order-all-a": ["1"]}))
