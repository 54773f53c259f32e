"""Certificate codes: 135 random bits and a check symbol, in Crockford base32, grouped by four."""

from __future__ import annotations

import hashlib
import secrets
from typing import Protocol

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford: no I, L, O, U
RANDOM_SYMBOLS = 27  # 27 × 5 = 135 bits
RANDOM_BITS = RANDOM_SYMBOLS * 5
CODE_SYMBOLS = RANDOM_SYMBOLS + 1  # plus one check symbol
GROUP = 4
# Crockford's reading rules: letters that look like digits are read as those digits.
_CONFUSIONS = str.maketrans({"O": "0", "I": "1", "L": "1"})
_SEPARATORS = str.maketrans("", "", " -_.\t\n\u00a0\u2010\u2011\u2012\u2013\u2014")


class RandomBits(Protocol):
    """random.Random, secrets.SystemRandom, or a test double."""

    def getrandbits(self, k: int, /) -> int: ...


class InvalidCodeError(ValueError):
    """A typed code that cannot be a certificate code (wrong length, symbol or check symbol)."""


_SYSTEM_RANDOM = secrets.SystemRandom()  # what secrets.randbits uses


def new_code(rng: RandomBits = _SYSTEM_RANDOM) -> str:
    """A fresh code such as `7K3M-Q9XA-…-R2F`: 135 bits from `rng` (default: the `secrets` source)."""
    value = rng.getrandbits(RANDOM_BITS)
    symbols = "".join(ALPHABET[(value >> (5 * i)) & 31] for i in reversed(range(RANDOM_SYMBOLS)))
    return _group(symbols + _check_symbol(symbols))


def normalize_code(text: str) -> str:
    """The grouped upper-case form of a typed or scanned code; raises InvalidCodeError.

    Accepts lower case, spaces, missing or extra dashes and reads O as 0 and I/L as 1."""
    symbols = text.upper().translate(_SEPARATORS).translate(_CONFUSIONS)
    if len(symbols) != CODE_SYMBOLS:
        raise InvalidCodeError(f"a certificate code has {CODE_SYMBOLS} characters, this one {len(symbols)}")
    wrong = sorted({c for c in symbols if c not in ALPHABET})
    if wrong:
        raise InvalidCodeError(f"not a character of a certificate code: {''.join(wrong)!r}")
    if _check_symbol(symbols[:-1]) != symbols[-1]:
        raise InvalidCodeError("the code contains a typing error (check character does not match)")
    return _group(symbols)


def _check_symbol(symbols: str) -> str:
    # A hash-derived check symbol catches a single wrong character or a swapped pair
    # with probability 31/32, so a typo is reported as such instead of "unknown".
    return ALPHABET[hashlib.sha256(symbols.encode("ascii")).digest()[0] & 31]


def _group(symbols: str) -> str:
    return "-".join(symbols[i:i + GROUP] for i in range(0, len(symbols), GROUP))
