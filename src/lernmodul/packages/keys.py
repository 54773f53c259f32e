"""Answer keys for a package: hashed typed answers and sealed (obfuscated) everything else.

The player (assets/keys.js) mirrors both functions exactly. `seal` is an XOR with a SHA-256
key stream: with the per-question key it only keeps keys out of plain sight; with a key made
from a right typed answer it hides that answer's feedback until someone types the answer.
"""

from __future__ import annotations

import base64
import hashlib
import unicodedata


def question_salt(course_id: str, version: str, question_id: str) -> str:
    """The salt of one question: fixed per version, so the same version gives the same bytes."""
    seed = f"lernmodul-package\x1f{course_id}\x1f{version}\x1f{question_id}"
    return hashlib.sha256(seed.encode()).hexdigest()[:24]


def normalise_text(text: str) -> str:
    """A typed text answer as compared: NFC, outer space and case ignored (ß counts as ss)."""
    return unicodedata.normalize("NFC", text).strip().lower().replace("ß", "ss")


def number_token(value: float) -> str:
    """A number as compared: millionths, as an integer string."""
    return str(round(value * 1_000_000))


def answer_hash(salt: str, normalised: str) -> str:
    return hashlib.sha256(f"{salt}:{normalised}".encode()).hexdigest()


def _stream(key: str, length: int) -> bytes:
    out = bytearray()
    counter = 0
    while len(out) < length:
        out += hashlib.sha256(f"{key}#{counter}".encode()).digest()
        counter += 1
    return bytes(out[:length])


def seal(text: str, key: str) -> str:
    """`text` XOR a key stream from `key`, base64 (the player's `unseal` reverses it)."""
    data = text.encode()
    return base64.b64encode(bytes(a ^ b for a, b in zip(data, _stream(key, len(data)),
                                                          strict=True))).decode("ascii")


def unseal(sealed: str, key: str) -> str:
    data = base64.b64decode(sealed)
    return bytes(a ^ b for a, b in zip(data, _stream(key, len(data)), strict=True)).decode()
