"""The instance's signing key: created once, private (0600), the same for processes starting together."""

from __future__ import annotations

import multiprocessing
import os
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from lernmodul.certificates import (
    KeyFileError,
    load_or_create_signing_key,
    load_public_key,
    public_key_pem,
    signing_key_path,
)


def test_key_is_created_once_with_mode_0600(tmp_path: Path) -> None:
    instance = tmp_path / "instance"
    old_umask = os.umask(0)  # even a careless umask must not make the key readable by others
    try:
        first = load_or_create_signing_key(instance)
    finally:
        os.umask(old_umask)
    path = signing_key_path(instance)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    content = path.read_bytes()
    assert content.startswith(b"-----BEGIN PRIVATE KEY-----")
    second = load_or_create_signing_key(instance)
    assert path.read_bytes() == content
    assert public_key_pem(first) == public_key_pem(second)
    assert [p.name for p in instance.iterdir()] == [path.name]  # no temporary files left


def _start(instance: str, barrier: object, results: object) -> None:
    barrier.wait()  # type: ignore[attr-defined]
    key = load_or_create_signing_key(Path(instance))
    results.put(public_key_pem(key))  # type: ignore[attr-defined]


def test_processes_starting_at_once_share_one_key(tmp_path: Path) -> None:
    context = multiprocessing.get_context("fork")
    workers = 8
    barrier = context.Barrier(workers)
    results = context.Queue()
    processes = [context.Process(target=_start, args=(str(tmp_path), barrier, results))
                 for _ in range(workers)]
    for process in processes:
        process.start()
    keys = {results.get(timeout=30) for _ in processes}
    for process in processes:
        process.join(timeout=30)
        assert process.exitcode == 0
    assert len(keys) == 1
    assert keys == {public_key_pem(load_or_create_signing_key(tmp_path))}
    assert [p.name for p in tmp_path.iterdir()] == [signing_key_path(tmp_path).name]


def test_public_key_loads_from_public_or_private_pem(tmp_path: Path) -> None:
    key = load_or_create_signing_key(tmp_path)
    from_private = load_public_key(signing_key_path(tmp_path).read_bytes())
    from_public = load_public_key(public_key_pem(key))
    assert public_key_pem(from_private) == public_key_pem(from_public) == public_key_pem(key)


def test_other_key_types_and_garbage_are_refused() -> None:
    from cryptography.hazmat.primitives import serialization

    ec_pem = ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    with pytest.raises(KeyFileError, match="not an Ed25519 key"):
        load_public_key(ec_pem)
    with pytest.raises(KeyFileError, match="not a PEM key"):
        load_public_key(b"-----BEGIN PUBLIC KEY-----\nnonsense\n-----END PUBLIC KEY-----\n")
