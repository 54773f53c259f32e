"""GIFT numbers: '42', '42:0.5' and '40..45' as a value and a tolerance in plain decimals."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation


def _decimal(text: str) -> Decimal | None:
    text = text.strip().replace(",", ".")
    if not re.fullmatch(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?", text):
        return None
    try:
        return Decimal(text)
    except InvalidOperation:  # pragma: no cover - the pattern admits only valid numbers
        return None


def _plain_number(value: Decimal) -> str:
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "0", "-0.0") else text


def parse_gift_number(text: str) -> tuple[str, str] | None:
    """'42', '42:0.5' or '40..45' as (value, tolerance) in plain decimal notation."""
    if ".." in text:
        low_text, _, high_text = text.partition("..")
        low, high = _decimal(low_text), _decimal(high_text)
        if low is None or high is None:
            return None
        middle = (low + high) / 2
        return _plain_number(middle), _plain_number(abs(high - middle))
    value_text, _, tolerance_text = text.partition(":")
    value = _decimal(value_text)
    tolerance = _decimal(tolerance_text) if tolerance_text.strip() else Decimal(0)
    if value is None or tolerance is None:
        return None
    return _plain_number(value), _plain_number(abs(tolerance))
