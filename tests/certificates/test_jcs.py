"""JSON canonicalisation (RFC 8785), checked against the RFC's own examples."""

from __future__ import annotations

import json
import math
import struct

import pytest

from lernmodul.certificates.jcs import canonicalize


def test_rfc8785_example_object() -> None:
    source = ('{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],'
              ' "string": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/",'
              ' "literals": [null, true, false]}')
    expected = ('{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],'
                '"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}')
    assert canonicalize(json.loads(source)) == expected.encode("utf-8")


def test_keys_sort_by_utf16_code_units() -> None:
    # RFC 8785 section 3.2.3: the emoji (a surrogate pair) sorts before U+FB33.
    keys = ["\u20ac", "\r", "\ufb33", "1", "\U0001f600", "\u0080", "\u00f6"]
    value = dict.fromkeys(keys, 0)
    order = [k for k in json.loads(canonicalize(value))]
    assert order == ["\r", "1", "\u0080", "\u00f6", "\u20ac", "\U0001f600", "\ufb33"]


@pytest.mark.parametrize(("bits", "text"), [
    ("0000000000000000", "0"),
    ("8000000000000000", "0"),
    ("0000000000000001", "5e-324"),
    ("8000000000000001", "-5e-324"),
    ("7fefffffffffffff", "1.7976931348623157e+308"),
    ("4340000000000000", "9007199254740992"),
    ("c340000000000000", "-9007199254740992"),
    ("4430000000000000", "295147905179352830000"),
    ("44b52d02c7e14af5", "9.999999999999997e+22"),
    ("44b52d02c7e14af6", "1e+23"),
    ("44b52d02c7e14af7", "1.0000000000000001e+23"),
    ("444b1ae4d6e2ef4e", "999999999999999700000"),
    ("444b1ae4d6e2ef4f", "999999999999999900000"),
    ("444b1ae4d6e2ef50", "1e+21"),
    ("3eb0c6f7a0b5ed8c", "9.999999999999997e-7"),
    ("3eb0c6f7a0b5ed8d", "0.000001"),
    ("41b3de4355555553", "333333333.3333332"),
    ("41b3de4355555554", "333333333.33333325"),
    ("41b3de4355555555", "333333333.3333333"),
    ("41b3de4355555556", "333333333.3333334"),
    ("41b3de4355555557", "333333333.33333343"),
    ("becbf647612f3696", "-0.0000033333333333333333"),
    ("43143ff3c1cb0959", "1424953923781206.2"),
])
def test_numbers_serialise_as_ecmascript(bits: str, text: str) -> None:
    (value,) = struct.unpack(">d", bytes.fromhex(bits))
    assert canonicalize([value]) == f"[{text}]".encode()


def test_integers_strings_and_nesting_without_whitespace() -> None:
    value = {"b": [1, {"z": None, "a": "Łukasiewicz"}], "a": -42, "c": "tab\there"}
    assert canonicalize(value) == '{"a":-42,"b":[1,{"a":"Łukasiewicz","z":null}],"c":"tab\\there"}'.encode()


@pytest.mark.parametrize("bad", [math.nan, math.inf, "\ud800", {1: "non-string key"}, b"bytes"])
def test_values_json_cannot_carry_are_refused(bad: object) -> None:
    with pytest.raises((ValueError, TypeError)):
        canonicalize([bad])
