"""From submitted form fields to grading responses, and back (to re-fill a form).

A form names options by their place in the attempt's shuffled display order (a token "1",
"2", …), which the server maps back with the stored order; option ids appear only in the field
names of match rows (they say nothing about place or key, see compiler.questions.option_ids).

Field names: `q-<question id>` for single, truefalse, multiple (repeated), number and text;
`q-<question id>-<token>` for order items (value: the position, 1-based); for match,
`q-<question id>-<left option id>` (value: the token of the chosen right-hand side).
Pure: takes a `getlist(name) -> list[str]` so any form object fits."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from .grading import MAX_TEXT_LENGTH, InvalidResponse, Response, read_number
from .model import Question, QuestionType

GetList = Callable[[str], list[str]]


class IncompleteResponse(InvalidResponse):
    """Well-formed but not usable yet (e.g. two items on one position): ask the learner again."""


class NotANumber(IncompleteResponse):
    """A number question answered with text that is no number ("42 Euro", "vierzig"): ask
    the learner again (it is neither stored nor graded)."""


def field_name(question: Question, suffix: str | None = None) -> str:
    """The form field name of a question (`q-<id>`), or of one of its parts (`q-<id>-<suffix>`)."""
    return f"q-{question.id}" if suffix is None else f"q-{question.id}-{suffix}"


def tokens(order: tuple[str, ...]) -> dict[str, str]:
    """Display token -> option id for one presented question."""
    return {str(n): option_id for n, option_id in enumerate(order, 1)}


def token_of(order: tuple[str, ...], option_id: str) -> str:
    return str(order.index(option_id) + 1)


def response_from_form(question: Question, getlist: GetList,
                       order: tuple[str, ...] | None = None) -> Response:
    """The learner's response to one question; None when nothing was answered.

    Raises InvalidResponse for values no form of ours can send (forged posts) and
    IncompleteResponse for a form a learner can fill wrongly (say, a position used twice, or
    NotANumber: text that is no number in a number field)."""
    name = field_name(question)
    order = order or tuple(o.id for o in question.options)
    if sorted(order) != sorted(o.id for o in question.options):
        raise InvalidResponse("the display order does not fit the question")
    by_token = tokens(order)
    kind = question.type
    if kind in (QuestionType.SINGLE, QuestionType.TRUEFALSE):
        values = getlist(name)
        if len(values) > 1:
            raise InvalidResponse("more than one choice")
        if not values or not values[0]:
            return None
        if values[0] not in by_token:
            raise InvalidResponse("unknown option")
        return by_token[values[0]]
    if kind is QuestionType.MULTIPLE:
        values = getlist(name)
        if not set(values) <= set(by_token) or len(values) != len(set(values)):
            raise InvalidResponse("unknown or repeated option")
        return frozenset(by_token[v] for v in values) if values else None
    if kind in (QuestionType.NUMBER, QuestionType.TEXT):
        values = getlist(name)
        if len(values) > 1:
            raise InvalidResponse("more than one value")
        value = values[0] if values else ""
        if len(value) > MAX_TEXT_LENGTH:
            raise InvalidResponse("answer too long")
        if not value.strip():
            return None
        if kind is QuestionType.NUMBER and read_number(value) is None:
            raise NotANumber("not a number")
        return value
    if kind is QuestionType.ORDER:
        positions: dict[str, int] = {}
        for token, option_id in by_token.items():
            values = getlist(field_name(question, token))
            if len(values) > 1:
                raise InvalidResponse("more than one position")
            if not values or not values[0]:
                continue
            # ASCII digits only: '²'.isdigit() holds, but int('²') fails
            if not (values[0].isascii() and values[0].isdigit()) \
                    or not 1 <= int(values[0]) <= len(question.options):
                raise InvalidResponse("position out of range")
            positions[option_id] = int(values[0])
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
            if values[0] not in by_token:
                raise InvalidResponse("unknown option")
            pairs[option.id] = by_token[values[0]]
        return pairs or None
    raise InvalidResponse("unknown question type")  # pragma: no cover


def form_values(question: Question, response: Response,
                order: tuple[str, ...] | None = None) -> dict[str, list[str]]:
    """The form fields that re-create a response (to show a stored or rejected answer)."""
    if response is None:
        return {}
    order = order or tuple(o.id for o in question.options)
    kind = question.type
    if kind in (QuestionType.NUMBER, QuestionType.TEXT) and isinstance(response, str):
        return {field_name(question): [response]}
    if kind in (QuestionType.SINGLE, QuestionType.TRUEFALSE) and isinstance(response, str):
        return {field_name(question): [token_of(order, response)]}
    if kind is QuestionType.MULTIPLE and isinstance(response, frozenset):
        return {field_name(question): sorted(token_of(order, r) for r in response)}
    if kind is QuestionType.ORDER and isinstance(response, tuple):
        return {field_name(question, token_of(order, item)): [str(n)]
                for n, item in enumerate(response, 1)}
    if kind is QuestionType.MATCH and isinstance(response, Mapping):
        return {field_name(question, left): [token_of(order, right)]
                for left, right in response.items()}
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


def describe(question: Question, response: Response) -> object:
    """A response in the words the learner saw, for their copy of their data: option texts
    instead of option ids, and for `match` the pairs of texts. Says nothing about the key;
    a match response by ids would (the chosen right side is stored as the id of the option
    it belongs to)."""
    if response is None:
        return None
    text = {o.id: o.text for o in question.options}
    kind = question.type
    if kind in (QuestionType.SINGLE, QuestionType.TRUEFALSE) and isinstance(response, str):
        return text.get(response, "")
    if kind is QuestionType.MULTIPLE and isinstance(response, frozenset):
        return sorted(text.get(r, "") for r in response)
    if kind is QuestionType.ORDER and isinstance(response, tuple):
        return [text.get(r, "") for r in response]
    if kind is QuestionType.MATCH and isinstance(response, Mapping):
        right = {o.id: o.match_text for o in question.options}
        return [[o.text, right.get(response[o.id], "")] for o in question.options
                if o.id in response]
    return response
