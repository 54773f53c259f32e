"""Password policy (length, common passwords) and argon2id hashing."""

from __future__ import annotations

import contextlib
import enum
import itertools
import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from importlib import resources

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_LENGTH = 12
MAX_LENGTH = 128


class PasswordProblem(enum.Enum):
    TOO_SHORT = "too_short"
    TOO_LONG = "too_long"
    COMMON = "common"
    CONTAINS_PERSONAL_DATA = "personal"


@dataclass(frozen=True, slots=True)
class HashParameters:
    time_cost: int = 3
    memory_cost: int = 65536  # KiB
    parallelism: int = 4


def make_hasher(params: HashParameters) -> PasswordHasher:
    """An argon2id hasher (salted: every hash gets its own random salt)."""
    return PasswordHasher(
        time_cost=params.time_cost,
        memory_cost=params.memory_cost,
        parallelism=params.parallelism,
        type=Type.ID,
    )


def hash_password(hasher: PasswordHasher, password: str) -> str:
    return hasher.hash(password)


def verify_password(hasher: PasswordHasher, password_hash: str | None, password: str) -> bool:
    """True when the password matches; a missing or malformed hash never matches."""
    if password_hash is None:
        # Spend the same time as a real check so that unknown accounts are not visible.
        _dummy_verify(hasher, password)
        return False
    try:
        return hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def _dummy_verify(hasher: PasswordHasher, password: str) -> None:
    with contextlib.suppress(VerifyMismatchError, VerificationError, InvalidHashError):
        hasher.verify(_dummy_hash(hasher), password)


_DUMMY_HASHES: dict[tuple[int, int, int], str] = {}


def _dummy_hash(hasher: PasswordHasher) -> str:
    key = (hasher.time_cost, hasher.memory_cost, hasher.parallelism)
    if key not in _DUMMY_HASHES:
        _DUMMY_HASHES[key] = hasher.hash("not a password of anybody")
    return _DUMMY_HASHES[key]


def needs_rehash(hasher: PasswordHasher, password_hash: str) -> bool:
    try:
        return hasher.check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


@cache
def _common_words() -> frozenset[str]:
    text = resources.files("lernmodul.services").joinpath("common_passwords.txt").read_text("utf-8")
    return frozenset(
        _normalise(line) for line in text.splitlines() if line.strip() and not line.startswith("#")
    )


def _normalise(value: str) -> str:
    return unicodedata.normalize("NFKC", value).strip().casefold()


def _letters(value: str) -> str:
    return "".join(ch for ch in value if ch.isalpha())


def _is_run(value: str) -> bool:
    """One repeated character, or a straight run such as 123456789012 or abcdefghijkl."""
    if len(set(value)) == 1:
        return True
    steps = {ord(b) - ord(a) for a, b in itertools.pairwise(value)}
    return steps in ({1}, {-1}) or (value.isdigit() and steps <= {1, -9})


def check_password(password: str, *, personal: tuple[str, ...] = ()) -> list[PasswordProblem]:
    """The problems of a new password: length 12..128, not common, not the user's own data.

    There are deliberately no composition rules (digits, capitals, symbols).
    """
    problems: list[PasswordProblem] = []
    if len(password) < MIN_LENGTH:
        problems.append(PasswordProblem.TOO_SHORT)
    if len(password) > MAX_LENGTH:
        problems.append(PasswordProblem.TOO_LONG)
        return problems
    normal = _normalise(password)
    core = _letters(normal)
    common = _common_words()
    # "Passwort2024!" and "sommer-sommer-1" are as weak as the word inside them.
    if normal in common or core in common or _is_run(normal) or _is_repeated_word(core, common):
        problems.append(PasswordProblem.COMMON)
    pieces = {
        piece
        for item in personal
        for piece in re.split(r"[\W_]+", _normalise(item).split("@")[0])
        if len(piece) >= 4
    }
    if any(piece in normal for piece in pieces):
        problems.append(PasswordProblem.CONTAINS_PERSONAL_DATA)
    return problems


def _is_repeated_word(core: str, common: frozenset[str]) -> bool:
    for size in range(1, len(core) // 2 + 1):
        if len(core) % size == 0 and core[:size] * (len(core) // size) == core:
            return core[:size] in common or size <= 2
    return False
