"""Option ids carry nothing about an option's place in the source or whether it is right."""

from __future__ import annotations

import pytest

from lernmodul.core.compiler.questions import option_ids
from lernmodul.core.grading import grade, self_check_order
from lernmodul.core.model import QuestionType

from .conftest import compile_unit

ITEMS = {
    QuestionType.SINGLE: ["[{0}] Leakage", "[{1}] Fixierung", "[{2}] Energieschub"],
    QuestionType.MULTIPLE: ["[{0}] Leakage", "[{1}] Fixierung", "[{2}] Energieschub"],
    QuestionType.TRUEFALSE: ["[{0}] Richtig", "[{1}] Falsch"],
    QuestionType.ORDER: ["Erkennen", "Einschätzen", "Entschärfen"],
    QuestionType.MATCH: ["Leakage => Durchsickern", "Fixierung => Einengung",
                         "Energieschub => Aktivität"],
}


def question_of(kind: QuestionType, items: list[str], qid: str = "q1"):
    body = f"::: question {kind.value} id={qid}\nS?\n\n" + "\n".join(f"- {i}" for i in items)
    result = compile_unit(body + "\n:::\n")
    assert result.ok, result.diagnostics
    return result.course.questions()[qid]


def labels(question) -> dict[str, str]:
    return {o.text: o.id for o in question.options}


@pytest.mark.parametrize("kind", list(ITEMS))
def test_an_id_follows_the_label_not_the_place_nor_the_key(kind) -> None:
    lines = ITEMS[kind]
    marks = ["x"] + [" "] * (len(lines) - 1)
    first = question_of(kind, [line.format(*marks) for line in lines])
    # the same options in reverse order, the key on another option
    moved = question_of(kind, [line.format(*reversed(marks)) for line in reversed(lines)])
    assert labels(first) == labels(moved)
    if kind in (QuestionType.SINGLE, QuestionType.MULTIPLE, QuestionType.TRUEFALSE):
        right = [o.id for o in first.options if o.is_correct]
        assert right != [o.id for o in moved.options if o.is_correct]
    # the ids are not the source order in disguise (a, b, c or any sortable counter)
    ids = [o.id for o in first.options]
    assert all(len(i) == 11 and i.startswith("o") for i in ids)
    assert not any(i in "abcdefghijklmnopqrstuvwxyz" for i in ids)


def test_match_ids_come_from_the_left_side_only() -> None:
    """Match rows carry their id in the form: it must not encode the right side they own."""
    kind = QuestionType.MATCH
    paired = question_of(kind, ["A => 1", "B => 2", "C => 3"])
    crossed = question_of(kind, ["A => 3", "B => 1", "C => 2"])
    assert labels(paired) == labels(crossed)


def test_the_same_label_in_two_questions_has_two_ids() -> None:
    one = question_of(QuestionType.SINGLE, ["[x] Alle genannten", "[ ] Keine"], "q1")
    two = question_of(QuestionType.SINGLE, ["[ ] Alle genannten", "[x] Keine"], "q2")
    assert not set(labels(one).values()) & set(labels(two).values())


def test_equal_labels_get_distinct_ids_and_equal_order_items_are_interchangeable() -> None:
    assert len(set(option_ids("q", ["x", "x", "y", "x"]))) == 4
    assert option_ids("q", ["x", "y"]) == option_ids("q", ["x", "y"])
    question = question_of(QuestionType.ORDER, ["Prüfen", "Handeln", "Prüfen"])
    first, middle, last = (o.id for o in question.options)
    assert grade(question, (last, middle, first)).is_correct
    assert not grade(question, (middle, first, last)).is_correct


@pytest.mark.parametrize("kind", list(ITEMS))
def test_a_self_check_shows_its_options_in_an_order_that_says_nothing(kind) -> None:
    """Self-checks have no attempt and no seed: they show the options by id. Over many
    questions the keyed first option of the source is first about as often as by chance."""
    firsts = 0
    for number in range(60):
        lines = ITEMS[kind]
        marks = ["x"] + [" "] * (len(lines) - 1)
        question = question_of(kind, [line.format(*marks) for line in lines], f"q{number}")
        order = self_check_order(question)
        assert sorted(order) == sorted(o.id for o in question.options)
        if kind in (QuestionType.ORDER, QuestionType.MATCH):
            assert order != tuple(o.id for o in question.options)
        if kind is QuestionType.TRUEFALSE:
            assert order == tuple(o.id for o in question.options)
            continue
        firsts += order[0] == question.options[0].id
    # chance 1/3 each (3 options): 60 questions give 20 on average; P(>= 33) < 0.001
    assert kind is QuestionType.TRUEFALSE or firsts < 33
