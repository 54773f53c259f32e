"""Damaged or hostile PDFs (the public verify page takes uploads): ValueError, never another error."""

from __future__ import annotations

import random

import pytest

from lernmodul.certificates.offline import page_differences, verify_file

from .conftest import make_data, render_signed


def _mangled(pdf: bytes, rng: random.Random, kind: int) -> bytes:
    b = bytearray(pdf)
    if kind == 0:
        for _ in range(rng.randint(1, 20)):
            b[rng.randrange(len(b))] = rng.randrange(256)
    elif kind == 1:
        b = b[: rng.randrange(len(b))]
    elif kind == 2:
        start = rng.randrange(len(b))
        del b[start:start + rng.randint(1, 500)]
    else:
        start = rng.randrange(len(b))
        b[start:start] = bytes(rng.randrange(256) for _ in range(50))
    return bytes(b)


@pytest.mark.parametrize("seed", [0, 3])
def test_mangled_certificates_give_a_verdict_or_value_error(signing_key, seed) -> None:
    # seed 3 damages a /FlateDecode filter name, on which pypdf raises NotImplementedError
    pdf, _credential = render_signed(make_data(), signing_key)
    rng = random.Random(seed + 1)
    for index in range(100):
        raw = _mangled(pdf, rng, index % 4)
        try:
            verdict, credential = verify_file(raw, [signing_key.public_key()])
            if verdict == "valid":
                page_differences(raw, credential)
        except ValueError:
            pass
