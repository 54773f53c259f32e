"""A reader of GIFT as Moodle reads it, written from the GIFT documentation, for tests only.

It gives the fields Moodle's importer sets (name, questiontext and its format, qtype, answers,
fractions, feedback, tolerance, general feedback, true/false and matching fields). The cases
in fixtures/moodle_gift_cases.py prove it reads Moodle's own test inputs to Moodle's own
expected results; the export tests then read lernmodul's GIFT with it.
"""

from __future__ import annotations

import re

FORMATS = {"moodle": "moodle", "html": "html", "plain": "plain", "markdown": "markdown"}
_ESC = {"\\\\": "\ue011", "\\:": "\ue012", "\\#": "\ue013", "\\=": "\ue014", "\\{": "\ue015",
        "\\}": "\ue016", "\\~": "\ue017", "\\n": "\n"}
_BACK = {v: k[1] for k, v in _ESC.items() if k != "\\n"}


def _hide(text: str) -> str:
    return re.sub(r"\\[\\:#={}~n]", lambda m: _ESC[m.group(0)], text)


def _show(text: str) -> str:
    return "".join(_BACK.get(c, c) for c in text)


def _format(text: str, default: str) -> tuple[str, str]:
    match = re.match(r"\s*\[(moodle|html|plain|markdown)\]", text)
    if match:
        return text[match.end():], FORMATS[match.group(1)]
    return text, default


def _text(text: str, default: str) -> dict[str, str]:
    body, fmt = _format(text, default)
    return {"text": _show(body.strip()), "format": fmt}


def _weight(part: str) -> tuple[float | None, str]:
    match = re.match(r"\s*%(-?\d+(?:\.\d+)?)%", part)
    if match:
        return float(match.group(1)) / 100, part[match.end():]
    return None, part


def read_gift(source: str) -> dict[str, object]:
    """One GIFT question (comments allowed) as Moodle's importer would store it."""
    lines = [line for line in source.split("\n") if not line.strip().startswith("//")]
    text = _hide("\n".join(lines).strip())
    q: dict[str, object] = {}
    name = ""
    if text.startswith("::"):
        end = text.index("::", 2)
        name, text = _show(text[2:end].strip()), text[end + 2:]
    start, end = text.index("{"), text.rindex("}")
    before, answers, after = text[:start], text[start + 1:end].strip(), text[end + 1:].strip()
    stem, fmt = _format(before, "moodle")
    stem = stem.strip() + (" _____ " + after if after else "")
    general = ""
    if "####" in answers:
        answers, general = answers.split("####", 1)
        answers = answers.strip()
    q.update(name=name or _show(stem.strip())[:40], questiontext=_show(stem.strip()),
             questiontextformat=fmt, generalfeedback=_text(general, fmt)["text"],
             generalfeedbackformat=_text(general, fmt)["format"])
    if not answers:
        q["qtype"] = "essay"
    elif answers.startswith("#"):
        q.update(qtype="numerical", **_numerical(answers[1:], fmt))
    elif "~" in answers:
        parts = re.findall(r"([=~])([^=~]*)", answers)
        q.update(qtype="multichoice", single=int(any(m == "=" for m, _ in parts)))
        q["answer"], q["fraction"], q["feedback"] = [], [], []
        for marker, part in parts:
            weight, part = _weight(part)
            label, _, feedback = part.partition("#")
            q["answer"].append(_text(label, fmt))  # type: ignore[attr-defined]
            q["fraction"].append(weight if weight is not None  # type: ignore[attr-defined]
                                 else (1.0 if marker == "=" else 0.0))
            q["feedback"].append(_text(feedback, fmt))  # type: ignore[attr-defined]
    elif "=" in answers and "->" in answers:
        q["qtype"] = "match"
        q["subquestions"], q["subanswers"] = [], []
        for part in answers.split("=")[1:]:
            left, _, right = part.partition("->")
            q["subquestions"].append(_text(left, fmt))  # type: ignore[attr-defined]
            q["subanswers"].append(_show(right.strip()))  # type: ignore[attr-defined]
    elif answers.split("#")[0].strip() in ("T", "TRUE", "F", "FALSE"):
        word, *feedback = answers.split("#")
        is_true = word.strip() in ("T", "TRUE")
        wrong = _text(feedback[0], fmt) if feedback else _text("", fmt)
        right = _text(feedback[1], fmt) if len(feedback) > 1 else _text("", fmt)
        q.update(qtype="truefalse", correctanswer=int(is_true),
                 feedbacktrue=right if is_true else wrong,
                 feedbackfalse=wrong if is_true else right)
    else:
        q["qtype"] = "shortanswer"
        q["answer"], q["fraction"], q["feedback"] = [], [], []
        for part in answers.split("=")[1:]:
            weight, part = _weight(part)
            answer, _, feedback = part.partition("#")
            q["answer"].append(_show(answer.strip()))  # type: ignore[attr-defined]
            q["fraction"].append(1.0 if weight is None else weight)  # type: ignore[attr-defined]
            q["feedback"].append(_text(feedback, fmt))  # type: ignore[attr-defined]
    return q


def _numerical(body: str, fmt: str) -> dict[str, object]:
    answers, fractions, feedbacks, tolerances = [], [], [], []
    other = ""
    if "~" in body:
        body, other = body.split("~", 1)
    parts = [p for p in body.split("=") if p.strip()] if "=" in body else [body]
    for part in parts:
        weight, part = _weight(part)
        value, _, feedback = part.partition("#")
        value = value.strip()
        if ".." in value:
            low, high = (float(x) for x in value.split(".."))
            number, tolerance = (low + high) / 2, (high - low) / 2
        else:
            number_text, _, tolerance_text = value.partition(":")
            number, tolerance = float(number_text), float(tolerance_text or 0)
        answers.append(f"{number:g}")
        fractions.append(1.0 if weight is None else weight)
        feedbacks.append(_text(feedback, fmt))
        tolerances.append(tolerance)
    if other:
        answers.append("*")
        fractions.append(0.0)
        feedbacks.append(_text(other.partition("#")[2], fmt))
        tolerances.append("")
    return {"answer": answers, "fraction": fractions, "feedback": feedbacks,
            "tolerance": tolerances}
