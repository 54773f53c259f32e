"""The answer kinds of a standard GIFT question, the `{…}` after its stem: choice ('~'),
true/false, short answer ('='), numeric ('#') and matching ('->'), and the %N% weights.

Rule: each answer kind takes the Converter and the answers' span and returns the question
type and its course-format items; problems go to the Converter (an error raised as Skip when
the question cannot be converted). The stem, the header and which kind applies are
`convert`'s."""

from __future__ import annotations

import re

from ..diagnostics import DiagCode
from ..model import QuestionType
from .numbers import parse_gift_number as _number
from .reader import Span
from .state import Converter, feedback_text, one_line, percent, short
from .text import as_inline, escape_line, split_format
from .writer import answer_item, number_answer, option_item

TRUE_FALSE = {"de": ("Wahr", "Falsch"), "en": ("True", "False")}
TRUE = ("T", "TRUE")
FALSE = ("F", "FALSE")
_WEIGHT = re.compile(r"-?\d+(?:[.,]\d+)?\Z")

#: a choice option: label (Markdown), Moodle weight in percent, feedback (Markdown), place
_Choice = tuple[str, float, str, Span]


def read_weight(conv: Converter, body: Span) -> tuple[float | None, Span]:
    """A leading %N% weight (percent) and the rest of the answer."""
    if body.raw.startswith("%"):
        end = body.find("%", 1)
        value = body.raw[1:end].strip() if end > 0 else ""
        if end > 0 and _WEIGHT.match(value):
            weight = float(value.replace(",", "."))
            if not -100 <= weight <= 100:
                conv.error(DiagCode.GIFT_BAD_WEIGHT, body, text=f"%{value}%")
            return weight, body.sub(end + 1).strip()
    return None, body


def choice(conv: Converter, answers: Span, fmt: str) -> tuple[QuestionType, list[str]]:
    """'~' answers: single choice when one answer has '=', else multiple answers by weight."""
    options: list[_Choice] = []
    has_equals = False
    for part in answers.split_before("~="):
        marker = part.raw[0] if part.raw[0] in "~=" else ""
        has_equals = has_equals or marker == "="
        weight, body = read_weight(conv, part.sub(1).strip() if marker else part.strip())
        if weight is None:
            weight = 100.0 if marker == "=" else 0.0
        text, feedback = body.partition("#")
        label = conv.inline(text.strip(), fmt) if text else ""
        if not label:
            conv.warn(DiagCode.GIFT_EMPTY_ANSWER, part)
            continue
        options.append((label, weight, conv.block(feedback, fmt), part))
    conv.partial = False
    if has_equals:
        qtype = QuestionType.SINGLE
        right = [o for o in options if o[1] == 100]
        if len(right) > 1:
            raise conv.error(DiagCode.GIFT_SEVERAL_RIGHT, answers, got=len(right))
        for label, weight, _, place in options:
            if weight not in (0, 100):
                conv.warn(DiagCode.GIFT_PARTIAL_CREDIT, place, text=short(label),
                          weight=percent(weight), type=qtype.value)
    else:
        qtype = QuestionType.MULTIPLE
        right = [o for o in options if o[1] > 0]
        wrong = [o for o in options if o[1] <= 0]
        k = len(right)
        if k:
            conv.partial = k > 1
            check_weights(conv, answers, options, right, wrong)
    if len(options) < 2:
        raise conv.error(DiagCode.TOO_FEW_OPTIONS, answers, type=qtype.value, min=2,
                         got=len(options))
    if not right:
        raise conv.error(DiagCode.GIFT_NO_RIGHT_ANSWER, answers)
    is_right = {id(o) for o in right}
    return qtype, [option_item(o[0], id(o) in is_right, o[2]) for o in options]


def truefalse(conv: Converter, answers: Span, fmt: str) -> tuple[QuestionType, list[str]]:
    """{T} or {F}; '#wrong' and '#right' feedback follow in that order."""
    word, rest = answers.partition("#")
    is_true = word.raw.strip() in TRUE
    wrong_feedback = right_feedback = ""
    if rest is not None:
        wrong, right = rest.partition("#")
        wrong_feedback = conv.block(wrong, fmt)
        right_feedback = conv.block(right, fmt)
    true_label, false_label = TRUE_FALSE.get(conv.language.split("-")[0], TRUE_FALSE["en"])
    return QuestionType.TRUEFALSE, [
        option_item(true_label, is_true, right_feedback if is_true else wrong_feedback),
        option_item(false_label, not is_true, wrong_feedback if is_true else right_feedback)]


def short_answer(conv: Converter, answers: Span, fmt: str) -> tuple[QuestionType, list[str]]:
    """'=' answers (all right, compared as text), each with its feedback; an answer whose
    weight is below 100 is left out (reported with what it would have scored)."""
    qtype = QuestionType.TEXT
    items = []
    for part in answers.split_before("="):
        weight, body = read_weight(conv, part.sub(1).strip() if part.raw[0] == "=" else part)
        answer_span, feedback = body.partition("#")
        answer = one_line(split_format(answer_span.text, "plain")[0])
        if not answer:
            conv.warn(DiagCode.GIFT_EMPTY_ANSWER, part)
            continue
        if weight is not None and weight != 100:
            leave_out(conv, part, answer, weight, feedback, qtype)
            continue
        items.append(answer_item(f"= {answer}", conv.block(feedback, fmt)))
        if "*" in answer:
            conv.warn(DiagCode.GIFT_WILDCARD, part, text=short(answer))
    if not items:
        raise conv.error(DiagCode.GIFT_NO_RIGHT_ANSWER, answers)
    return qtype, items


def numeric(conv: Converter, answers: Span, fmt: str) -> tuple[QuestionType, list[str]]:
    """{#42}, {#42:0.5}, {#40..45}, or '=' answers with weights and feedback; one fully
    right value (its feedback kept), partial-credit values left out and reported."""
    qtype = QuestionType.NUMBER
    body = answers.sub(1)
    wrong_at = body.find("~")
    if wrong_at >= 0:
        other = body.sub(wrong_at + 1).partition("#")[1]
        if other is not None and other:
            conv.warn(DiagCode.GIFT_OTHER_FEEDBACK, other, text=feedback_text(other),
                      type=qtype.value)
        body = body.sub(0, wrong_at)
    values: list[tuple[str, str]] = []
    feedbacks: list[str] = []
    for part in body.strip().split_before("="):
        weight, rest = read_weight(conv, part.sub(1).strip() if part.raw[0] == "=" else part)
        value, feedback = rest.partition("#")
        text = one_line(split_format(value.text, "plain")[0])
        if weight is not None and weight != 100:
            leave_out(conv, part, text, weight, feedback, qtype)
            continue
        parsed = _number(text)
        if parsed is None:
            raise conv.error(DiagCode.GIFT_BAD_NUMBER, part, text=short(text))
        if parsed not in values:
            values.append(parsed)
            feedbacks.append(conv.block(feedback, fmt))
    if not values:
        raise conv.error(DiagCode.GIFT_NO_RIGHT_ANSWER, answers)
    if len(values) > 1:
        raise conv.error(DiagCode.GIFT_SEVERAL_NUMBERS, answers, got=len(values))
    number, tolerance = values[0]
    return qtype, [answer_item(number_answer(number, tolerance), feedbacks[0])]


def matching(conv: Converter, answers: Span, fmt: str) -> tuple[QuestionType, list[str]]:
    """'=left -> right' pairs; a pair without a left side is an extra wrong choice."""
    qtype = QuestionType.MATCH
    items = []
    for part in answers.split_before("="):
        body = part.sub(1) if part.raw[0] == "=" else part
        left, right = body.partition("->")
        if right is None or not right:
            conv.error(DiagCode.GIFT_BAD_MATCH, part, text=short(one_line(body.text)))
            continue
        right_text = as_inline(escape_line(one_line(right.text)))
        if not left:
            conv.warn(DiagCode.GIFT_MATCH_DISTRACTOR, right,
                      text=short(one_line(right.text)))
            continue
        items.append(f"- {conv.inline(left.strip(), fmt)} => {right_text}")
    conv.fail_if_errors()
    if len(items) < 2:
        raise conv.error(DiagCode.TOO_FEW_OPTIONS, answers, type=qtype.value, min=2,
                         got=len(items))
    return qtype, items


def leave_out(conv: Converter, part: Span, answer: str, weight: float,
              feedback: Span | None, qtype: QuestionType) -> None:
    """Reports a left-out partial-credit answer of a 'text' or 'number' question, and
    its feedback that goes with it."""
    conv.warn(DiagCode.GIFT_PARTIAL_ANSWER, part, text=short(answer),
              weight=percent(weight), type=qtype.value)
    if feedback is not None and feedback:
        conv.warn(DiagCode.GIFT_FEEDBACK_DROPPED, feedback, text=feedback_text(feedback),
                  answer=short(answer))


def check_weights(conv: Converter, answers: Span, options: list[_Choice],
                  right: list[_Choice], wrong: list[_Choice]) -> None:
    """Reports Moodle weights of a 'multiple' question that lernmodul's +1/k per right,
    -1/k per wrong choice (floored at 0) does not reproduce, with every weight and an
    example score in both."""
    k = len(right)
    share = 100 / k
    weights = ", ".join(f"{short(o[0])} {percent(o[1])}%" for o in options)
    if any(abs(o[1] - share) > 0.01 for o in right):
        conv.warn(DiagCode.GIFT_RIGHT_WEIGHTS, answers, share=percent(share),
                  weights=weights)
    off = [o for o in wrong if abs(o[1] + share) > 0.01]
    if off:
        moodle = min(100.0, max(0.0, sum(o[1] for o in right) + off[0][1]))
        here = max(0.0, 100 - share)
        conv.warn(DiagCode.GIFT_WRONG_WEIGHTS, answers, share=percent(share),
                  weights=weights, wrong=short(off[0][0]), moodle=percent(moodle),
                  here=percent(here))
