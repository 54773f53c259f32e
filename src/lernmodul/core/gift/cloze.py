"""GIFT to cloze: Moodle's missing word (`text {=right ~wrong} text`) and embedded answers
(`{1:SHORTANSWER:=a}`, `{1:NUMERICAL:=5:0.5}`, `{1:MULTICHOICE:=a~b}`) as gaps `[[…]]`."""

from __future__ import annotations

import re
from collections.abc import Iterator

from ..diagnostics import DiagCode
from ..model import QuestionType
from .answers import FALSE, TRUE, leave_out, numeric, read_weight, short_answer
from .numbers import parse_gift_number as _number
from .reader import Span
from .state import Converter, Unit, one_line, percent, short
from .text import RAW_TAG, as_block, split_format
from .writer import number_answer, quote

#: where a gap stands in the stem while the text around it becomes Markdown
GAP = "\ue011"
EMBEDDED = re.compile(r"\{\s*(\d*)\s*:\s*([A-Za-z_]+)\s*:")
TEXT_TYPES = {"SHORTANSWER", "SA", "MW"}
CASE_TYPES = {"SHORTANSWER_C", "SAC", "MWC"}
NUMBER_TYPES = {"NUMERICAL", "NM"}
CHOICE_TYPES = {"MULTICHOICE", "MC", "MULTICHOICE_V", "MCV", "MULTICHOICE_H", "MCH",
                "MULTICHOICE_S", "MCS", "MULTICHOICE_VS", "MCVS", "MULTICHOICE_HS", "MCHS"}
_GAP_SPECIAL = re.compile(r"([\\|\[\]*=`])")


def gap_text(text: str) -> str:
    """Plain text as the text of a gap: the characters that mean something there escaped."""
    return _GAP_SPECIAL.sub(r"\\\1", text)


def _plain(conv: Converter, span: Span) -> str:
    text = split_format(span.text, "plain")[0]
    if RAW_TAG.search(text):
        conv.had_html = True
        text = RAW_TAG.sub(" ", text)
    return one_line(text)


def _feedback_dropped(conv: Converter, feedback: Span | None, answer: str) -> None:
    if feedback is not None and feedback:
        conv.warn(DiagCode.GIFT_GAP_FEEDBACK, feedback, text=short(_plain(conv, feedback)),
                  answer=short(answer))


def choice_gap(conv: Converter, answers: Span, *, lossless: bool = False) -> str | None:
    """`=right ~wrong ~wrong` as `[[*right|wrong|wrong]]`; None when no answer is marked
    fully right (answers by weights only: no gap has several right answers) and, with
    `lossless`, when an answer has feedback or partial credit (a gap has neither)."""
    options: list[tuple[str, bool]] = []
    has_right = False
    for part in answers.split_before("~="):
        marker = part.raw[0] if part.raw[0] in "~=" else ""
        body = part.sub(1).strip() if marker else part.strip()
        weight, body = read_weight(conv, body)
        right = (marker == "=" and weight is None) or weight == 100
        text, feedback = body.partition("#")
        label = _plain(conv, text)
        if not label:
            if body or feedback is not None:  # a bare '~' before '=' ('~=right') is none
                conv.warn(DiagCode.GIFT_EMPTY_ANSWER, part)
            continue
        partial = weight is not None and weight not in (0, 100)
        if lossless and (partial or (feedback is not None and feedback)):
            return None
        if partial:
            conv.warn(DiagCode.GIFT_PARTIAL_CREDIT, part, text=short(label),
                      weight=percent(weight or 0), type=QuestionType.CLOZE.value)
        _feedback_dropped(conv, feedback, label)
        has_right = has_right or right
        options.append((label, right))
    right_count = sum(1 for _, right in options if right)
    if not has_right:
        return None
    if right_count > 1:
        raise conv.error(DiagCode.GIFT_SEVERAL_RIGHT, answers, got=right_count)
    if len(options) < 2:
        raise conv.error(DiagCode.TOO_FEW_OPTIONS, answers, type="cloze", min=2,
                         got=len(options))
    return "[[" + "|".join(("*" if right else "") + gap_text(label)
                           for label, right in options) + "]]"


def _from_items(items: list[str], number: bool) -> str | None:
    """A gap from the answer items the 'text' or 'number' conversion made ("- = answer",
    feedback quoted under it); None when an answer has feedback (a gap has none)."""
    answers = []
    for item in items:
        first, _, quoted = item.partition("\n")
        if quoted:
            return None
        answer = first.removeprefix("- =").strip()
        answers.append(answer if number else gap_text(answer))
    return "[[= " + answers[0] + "]]" if number else "[[" + "|".join(answers) + "]]"


def missing_word_gap(conv: Converter, answers: Span, fmt: str) -> str | None:
    """The gap for the answers of a missing-word question, or None where no gap fits:
    answers with feedback or partial credit in a choice, several right answers by weights,
    true/false, matching. Those convert as before (the blank shown as ___)."""
    raw = answers.raw
    if raw.startswith("#"):
        _kind, items = numeric(conv, answers, fmt)
        return _from_items(items, number=True)
    if "~" in raw:
        return choice_gap(conv, answers, lossless=True)
    if "=" in raw and "->" in raw:
        return None
    if raw.split("#", 1)[0].strip() in TRUE + FALSE:
        return None
    _kind, items = short_answer(conv, answers, fmt)
    return _from_items(items, number=False)


def missing_word_question(conv: Converter, source: str, gap: str, general: Span | None,
                          title: str, unit: Unit, span: Span) -> str:
    """A missing-word question as a cloze with one gap where the answers stood."""
    stem_text, fmt = split_format(source.strip(), "moodle")
    stem = as_block(conv.markdown(stem_text, fmt).text, stem=True).replace(GAP, gap, 1)
    explanation = conv.block(general, fmt)
    conv.finish(span)
    parts = [f"::: question cloze id={conv.question_id(title, unit)}\n{stem}"]
    if explanation:
        parts.append(quote(explanation, ""))
    return "\n\n".join(parts) + "\n:::"


def _parts(conv: Converter, block: Span) -> Iterator[tuple[Span, bool, float | None, str,
                                                             Span | None]]:
    """The answers of an embedded answer, separated by '~': (place, fully right, weight,
    plain text, feedback). '=' or %100% is fully right."""
    for part in block.strip().split_before("~"):
        body = part.sub(1).strip() if part.raw.startswith("~") else part.strip()
        if not body:
            continue
        full = body.raw.startswith("=")
        weight, rest = read_weight(conv, body.sub(1).strip() if full else body)
        text, feedback = rest.partition("#")
        yield part, full or weight == 100, weight, _plain(conv, text), feedback


def embedded_gap(conv: Converter, block: Span, kind: str) -> str:
    """One embedded answer's `{N:TYPE:answers}` body (after the second ':') as a gap."""
    if kind in CHOICE_TYPES:
        gap = choice_gap(conv, block.strip())
        if gap is None:
            raise conv.error(DiagCode.GIFT_NO_RIGHT_ANSWER, block)
        return gap
    if kind in CASE_TYPES:
        conv.warn(DiagCode.GIFT_CLOZE_CASE, block, type=kind)
    qtype = QuestionType.CLOZE
    answers: list[str] = []
    for part, full, weight, text, feedback in _parts(conv, block):
        if text == "*":  # Moodle's catch-all for every other answer
            if feedback is not None and feedback:
                conv.warn(DiagCode.GIFT_OTHER_FEEDBACK, feedback,
                          text=short(_plain(conv, feedback)), type=QuestionType.CLOZE.value)
            continue
        if not text:
            conv.warn(DiagCode.GIFT_EMPTY_ANSWER, part)
            continue
        if not full:
            leave_out(conv, part, text, weight or 0.0, feedback, qtype)
            continue
        _feedback_dropped(conv, feedback, text)
        if kind in NUMBER_TYPES:
            parsed = _number(text)
            if parsed is None:
                raise conv.error(DiagCode.GIFT_BAD_NUMBER, part, text=short(text))
            value, tolerance = parsed
            answer = number_answer(value, tolerance)
        else:
            if "*" in text:
                conv.warn(DiagCode.GIFT_WILDCARD, part, text=short(text))
            answer = gap_text(text)
        if answer not in answers:
            answers.append(answer)
    if not answers:
        raise conv.error(DiagCode.GIFT_NO_RIGHT_ANSWER, block)
    if kind in NUMBER_TYPES and len(answers) > 1:
        raise conv.error(DiagCode.GIFT_CLOZE_VALUES, block, got=len(answers))
    return "[[" + "|".join(answers) + "]]"


def embedded_question(conv: Converter, head: Span, title: str, unit: Unit) -> str:
    """A question with embedded answers as one cloze question (scoring=partial, as Moodle
    grades each gap on its own; points = the sum of the gaps' weights)."""
    stem_parts: list[str] = []
    gaps: list[str] = []
    weights: list[int] = []
    at = 0
    raw = head.raw
    while True:
        opening = raw.find("{", at)
        if opening < 0:
            stem_parts.append(head.sub(at).text)
            break
        closing = raw.find("}", opening)
        if closing < 0:
            raise conv.error(DiagCode.GIFT_UNCLOSED, head.sub(opening))
        match = EMBEDDED.match(raw, opening)
        if match is None:
            raise conv.error(DiagCode.GIFT_CLOZE_MIXED, head.sub(opening))
        stem_parts.append(head.sub(at, opening).text)
        weights.append(int(match.group(1) or 1))
        kind = match.group(2).upper()
        if kind not in CHOICE_TYPES | NUMBER_TYPES | TEXT_TYPES | CASE_TYPES:
            raise conv.error(DiagCode.GIFT_CLOZE_TYPE, head.sub(opening), type=kind)
        gaps.append(embedded_gap(conv, head.sub(match.end(), closing), kind))
        at = closing + 1
    stray = head.sub(at).find("}")
    if stray >= 0:
        raise conv.error(DiagCode.GIFT_STRAY_BRACE, head.sub(at + stray))
    stem_text, fmt = split_format(GAP.join(stem_parts).strip(), "moodle")
    stem = as_block(conv.markdown(stem_text, fmt).text, stem=True)
    if stem.count(GAP) != len(gaps):  # pragma: no cover - text conversion keeps the stand-ins
        raise conv.error(DiagCode.GIFT_CLOZE_MIXED, head)
    for gap in gaps:
        stem = stem.replace(GAP, gap, 1)
    conv.finish(head)
    points = sum(weights)
    if len(set(weights)) > 1:
        conv.warn(DiagCode.GIFT_CLOZE_WEIGHTS, head,
                  weights=", ".join(str(w) for w in weights), points=points)
    header = f"::: question cloze id={conv.question_id(title, unit)} scoring=partial"
    if points != 1:
        header += f" points={points}"
    return header + "\n" + stem + "\n:::"


def is_embedded(head: Span) -> bool:
    """Whether the question's first answer block is an embedded answer `{N:TYPE:…}`."""
    opening = head.raw.find("{")
    return opening >= 0 and EMBEDDED.match(head.raw, opening) is not None
