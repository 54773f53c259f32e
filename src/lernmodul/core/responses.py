"""From submitted form fields to grading responses, and back (to re-fill a form).

Field names: `q-<question id>` for single, truefalse, multiple (repeated), number and text;
`q-<question id>-<option id>` for order (the item's position, 1-based) and match (the chosen
right-hand option id). Pure: takes a `getlist(name) -> list[str]` so any form object fits."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from .grading import MAX_TEXT_LENGTH, InvalidResponse, Response
from .model import Question, QuestionType

GetList = Callable[[str], list[str]]


class IncompleteResponse(InvalidResponse):
    """Well-formed but not usable yet (e.g. two items on one position): ask the learner again."""


def field_name(question: Question, option_id: str | None = None) -> str:
    return f"q-{question.id}" if option_id is None else f"q-{question.id}-{option_id}"


def response_from_form(question: Question, getlist: GetList) -> Response:
    """The learner's response to one question; None when nothing was answered.

    Raises InvalidResponse for values no form of ours can send (forged posts) and
    IncompleteResponse for a form a learner can fill wrongly (say, a position used twice)."""
    name = field_name(question)
    ids = {o.id for o in question.options}
    kind = question.type
    if kind in (QuestionType.SINGLE, QuestionType.TRUEFALSE):
        values = getlist(name)
        if len(values) > 1:
            raise InvalidResponse("more than one choice")
        if not values or not values[0]:
            return None
        if values[0] not in ids:
            raise InvalidResponse("unknown option")
        return values[0]
    if kind is QuestionType.MULTIPLE:
        values = getlist(name)
        if not set(values) <= ids or len(values) != len(set(values)):
            raise InvalidResponse("unknown or repeated option")
        return frozenset(values) if values else None
    if kind in (QuestionType.NUMBER, QuestionType.TEXT):
        values = getlist(name)
        if len(values) > 1:
            raise InvalidResponse("more than one value")
        value = values[0] if values else ""
        if len(value) > MAX_TEXT_LENGTH:
            raise InvalidResponse("answer too long")
        return value if value.strip() else None
    if kind is QuestionType.ORDER:
        positions: dict[str, int] = {}
        for option in question.options:
            values = getlist(field_name(question, option.id))
            if len(values) > 1:
                raise InvalidResponse("more than one position")
            if not values or not values[0]:
                continue
            if not values[0].isdigit() or not 1 <= int(values[0]) <= len(question.options):
                raise InvalidResponse("position out of range")
            positions[option.id] = int(values[0])
        if not positions:
            return None
        if len(positions) < len(question.options) or len(set(positions.values())) < len(positions):
            raise IncompleteResponse("every position once")
        return tuple(sorted(positions, key=positions.__getitem__))
    if kind is QuestionType.MATCH:
        pairs: dict[str, str] = {}
        for option in question.options:
            values = getlist(field_name(question, option.id))
            if len(values) > 1:
                raise InvalidResponse("more than one choice")
            if not values or not values[0]:
                continue
            if values[0] not in ids:
                raise InvalidResponse("unknown option")
            pairs[option.id] = values[0]
        return pairs or None
    raise InvalidResponse("unknown question type")  # pragma: no cover


def form_values(question: Question, response: Response) -> dict[str, list[str]]:
    """The form fields that re-create a response (to show a stored or rejected answer)."""
    if response is None:
        return {}
    kind = question.type
    if kind in (QuestionType.SINGLE, QuestionType.TRUEFALSE, QuestionType.NUMBER,
                QuestionType.TEXT) and isinstance(response, str):
        return {field_name(question): [response]}
    if kind is QuestionType.MULTIPLE and isinstance(response, frozenset):
        return {field_name(question): sorted(response)}
    if kind is QuestionType.ORDER and isinstance(response, tuple):
        return {field_name(question, item): [str(n)] for n, item in enumerate(response, 1)}
    if kind is QuestionType.MATCH and isinstance(response, Mapping):
        return {field_name(question, left): [right] for left, right in response.items()}
    return {}


def to_json(response: Response) -> object:
    """A JSON-able form of a response for storage."""
    if isinstance(response, frozenset):
        return sorted(response)
    if isinstance(response, tuple):
        return list(response)
    if isinstance(response, Mapping):
        return dict(response)
    return response


def from_json(question: Question, value: object) -> Response:
    """The inverse of to_json, shaped by the question's type."""
    if value is None:
        return None
    kind = question.type
    if kind is QuestionType.MULTIPLE and isinstance(value, list):
        return frozenset(str(v) for v in value)
    if kind is QuestionType.ORDER and isinstance(value, list):
        return tuple(str(v) for v in value)
    if kind is QuestionType.MATCH and isinstance(value, dict):
        return {str(k): str(v) for k, v in value.items()}
    if isinstance(value, str):
        return value
    raise InvalidResponse("stored response does not fit the question")
