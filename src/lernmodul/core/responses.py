"""From submitted form fields to grading responses, and back (to re-fill a form).

A form names options by their place in the attempt's shuffled display order (a token "1",
"2", …), which the server maps back with the stored order; option ids appear only in the field
names of match rows (they say nothing about place or key, see compiler.questions.option_ids).

Field names: `q-<question id>` for single, truefalse, multiple (repeated), number and text;
`q-<question id>-<token>` for order items (value: the position, 1-based); for match,
`q-<question id>-<left option id>` (value: the token of the chosen right-hand side); for
cloze, `q-<question id>-g<gap number>` (value: the typed text, or for a choice gap the token
of the chosen option; tokens count through the options of all choice gaps).
Pure: takes a `getlist(name) -> list[str]` so any form object fits."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from .grading import MAX_TEXT_LENGTH, InvalidResponse, Response, read_number
from .model import Gap, GapKind, Option, Question, QuestionType

GetList = Callable[[str], list[str]]


class IncompleteResponse(InvalidResponse):
    """Well-formed but not usable yet (e.g. two items on one position): ask the learner again."""


class NotANumber(IncompleteResponse):
    """A number question answered with text that is no number ("42 Euro", "vierzig"): ask
    the learner again (it is neither stored nor graded). `gap`: the number gap of a cloze
    question that holds such text (the first one), else None."""

    def __init__(self, message: str, gap: int | None = None) -> None:
        super().__init__(message)
        self.gap = gap


def field_name(question: Question, suffix: str | None = None) -> str:
    """The form field name of a question (`q-<id>`), or of one of its parts (`q-<id>-<suffix>`)."""
    return f"q-{question.id}" if suffix is None else f"q-{question.id}-{suffix}"


def tokens(order: tuple[str, ...]) -> dict[str, str]:
    """Display token -> option id for one presented question."""
    return {str(n): option_id for n, option_id in enumerate(order, 1)}


def token_of(order: tuple[str, ...], option_id: str) -> str:
    return str(order.index(option_id) + 1)


def gap_field(question: Question, gap_key: str) -> str:
    """The form field of one gap of a cloze question."""
    return field_name(question, f"g{gap_key}")


def cloze_order(question: Question) -> tuple[str, ...]:
    """The options of every choice gap in source order, gap after gap."""
    return tuple(o.id for g in question.gaps for o in g.options)


def gap_choices(question: Question, order: tuple[str, ...] | list[str] | None = None
                ) -> dict[str, list[tuple[str, Option]]]:
    """Per choice gap key: (display token, option) in display order. `order` is the drawn
    option order (empty or None: source order); tokens count through all choice gaps."""
    order = tuple(order or ()) or cloze_order(question)
    if sorted(order) != sorted(cloze_order(question)):
        raise InvalidResponse("the display order does not fit the question")
    gap_of = {o.id: (g.key, o) for g in question.gaps for o in g.options}
    found: dict[str, list[tuple[str, Option]]] = {g.key: [] for g in question.gaps
                                                   if g.kind is GapKind.CHOICE}
    for token, option_id in tokens(order).items():
        key, option = gap_of[option_id]
        found[key].append((token, option))
    return found


def _cloze_from_form(question: Question, getlist: GetList,
                     order: tuple[str, ...] | None) -> Response:
    choices = {key: dict(pairs) for key, pairs in gap_choices(question, order).items()}
    answers: dict[str, str] = {}
    not_a_number: int | None = None
    for gap in question.gaps:
        values = getlist(gap_field(question, gap.key))
        if len(values) > 1:
            raise InvalidResponse("more than one value")
        value = values[0] if values else ""
        if len(value) > MAX_TEXT_LENGTH:
            raise InvalidResponse("answer too long")
        if gap.kind is GapKind.CHOICE:
            if value:
                if value not in choices[gap.key]:
                    raise InvalidResponse("unknown option")
                answers[gap.key] = choices[gap.key][value].id
        elif value.strip():
            if gap.kind is GapKind.NUMBER and read_number(value) is None:
                not_a_number = not_a_number or gap.number
            answers[gap.key] = value
    if not_a_number is not None:
        raise NotANumber("not a number", gap=not_a_number)
    return answers or None


def gap_answer(gap: Gap, value: str) -> str:
    """A learner's answer to one gap in the words shown (a choice: the option's text)."""
    if gap.kind is GapKind.CHOICE:
        option = gap.option(value)
        return option.text if option else ""
    return value


def gap_solution(gap: Gap) -> str:
    """The right answer of one gap as text: the accepted answers, the number (± tolerance),
    or the right option."""
    if gap.kind is GapKind.CHOICE:
        return next((o.text for o in gap.options if o.is_correct), "")
    if gap.kind is GapKind.NUMBER and gap.number_answer is not None:
        answer = gap.number_answer
        return f"{answer.value:g}" + (f" ± {answer.tolerance:g}" if answer.tolerance else "")
    return " / ".join(gap.answers)


def is_complete(question: Question, response: Response) -> bool:
    """Whether the response answers the whole question (a cloze: every gap)."""
    if response is None:
        return False
    if question.type is QuestionType.CLOZE:
        return isinstance(response, Mapping) and all(g.key in response for g in question.gaps)
    return True


def response_from_form(question: Question, getlist: GetList,
                       order: tuple[str, ...] | None = None) -> Response:
    """The learner's response to one question; None when nothing was answered.

    Raises InvalidResponse for values no form of ours can send (forged posts) and
    IncompleteResponse for a form a learner can fill wrongly (say, a position used twice, or
    NotANumber: text that is no number in a number field)."""
    if question.type is QuestionType.CLOZE:
        return _cloze_from_form(question, getlist, order)
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
    kind = question.type
    if kind is QuestionType.CLOZE and isinstance(response, Mapping):
        tokens_of = {o.id: t for pairs in gap_choices(question, order).values()
                     for t, o in pairs}
        return {gap_field(question, key): [tokens_of.get(value, value)]
                for key, value in response.items()}
    order = order or tuple(o.id for o in question.options)
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
    if kind in (QuestionType.MATCH, QuestionType.CLOZE) and isinstance(value, dict):
        return {str(k): str(v) for k, v in value.items()}
    if kind is not QuestionType.CLOZE and isinstance(value, str):
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
    if kind is QuestionType.CLOZE and isinstance(response, Mapping):
        found: dict[str, str] = {}
        for gap in question.gaps:
            if gap.key not in response:
                continue
            found[gap.key] = gap_answer(gap, response[gap.key])  # a choice's text, not its id
        return found
    return response
