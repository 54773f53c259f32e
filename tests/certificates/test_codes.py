"""Certificate codes: enough randomness, readable groups, forgiving input, typo detection."""

from __future__ import annotations

import random
import re
from urllib.parse import quote

import pytest

from lernmodul.certificates import InvalidCodeError, new_code, normalize_code
from lernmodul.certificates.codes import ALPHABET, RANDOM_BITS

CODE_SHAPE = re.compile(r"[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){6}")


def test_ten_thousand_codes_are_unique_and_round_trip() -> None:
    codes = [new_code() for _ in range(10_000)]
    assert len(set(codes)) == len(codes)
    for code in codes:
        assert CODE_SHAPE.fullmatch(code), code
        assert normalize_code(code) == code


def test_default_source_is_secrets() -> None:
    import secrets

    from lernmodul.certificates import codes

    assert isinstance(codes._SYSTEM_RANDOM, secrets.SystemRandom)
    assert new_code.__defaults__ == (codes._SYSTEM_RANDOM,)


def test_code_draws_at_least_128_bits_from_the_rng() -> None:
    class Recorder:
        def __init__(self) -> None:
            self.bits: list[int] = []

        def getrandbits(self, k: int) -> int:
            self.bits.append(k)
            return (1 << k) - 1

    recorder = Recorder()
    new_code(recorder)
    assert sum(recorder.bits) >= 128
    assert RANDOM_BITS >= 128


def test_every_random_bit_changes_the_code() -> None:
    class Fixed:
        def __init__(self, value: int) -> None:
            self.value = value

        def getrandbits(self, k: int) -> int:
            return self.value

    base = new_code(Fixed(0))
    variants = {new_code(Fixed(1 << bit)) for bit in range(RANDOM_BITS)}
    assert base not in variants
    assert len(variants) == RANDOM_BITS


def test_code_comes_from_the_rng_given() -> None:
    assert new_code(random.Random(7)) == new_code(random.Random(7))
    assert new_code(random.Random(7)) != new_code(random.Random(8))


def test_code_is_url_safe() -> None:
    code = new_code()
    assert quote(code, safe="") == code


def test_normalize_accepts_lower_case_spaces_missing_dashes_and_confusable_letters() -> None:
    rng = random.Random(1)
    for _ in range(300):
        code = new_code(rng)
        compact = code.replace("-", "")
        typed = " ".join(compact[i:i + 3] for i in range(0, len(compact), 3)).lower()
        typed = typed.replace("0", "o").replace("1", rng.choice("iIlL"))
        assert normalize_code(typed) == code
        assert normalize_code(f"  {compact}\n") == code
        assert normalize_code(code.replace("-", "--")) == code


def test_normalize_reports_most_single_typos() -> None:
    rng = random.Random(2)
    caught = 0
    trials = 2000
    for _ in range(trials):
        symbols = list(new_code(rng).replace("-", ""))
        position = rng.randrange(len(symbols))
        symbols[position] = rng.choice([c for c in ALPHABET if c != symbols[position]])
        try:
            normalize_code("".join(symbols))
        except InvalidCodeError:
            caught += 1
    assert caught / trials > 0.93  # 31 of 32 in expectation


@pytest.mark.parametrize(("text", "problem"), [
    ("", "28 characters"),
    ("ABCD-EFGH", "28 characters"),
    ("ABCD-EFGH-JKMN-PQRS-TVWX-YZ01-234U", "not a character"),
    ("ABCD-EFGH-JKMN-PQRS-TVWX-YZ01-234*", "not a character"),
    ("ABCD-EFGH-JKMN-PQRS-TVWX-YZ01-2345-6789", "28 characters"),
])
def test_normalize_rejects_what_cannot_be_a_code(text: str, problem: str) -> None:
    with pytest.raises(InvalidCodeError, match=problem):
        normalize_code(text)
