"""The instance's Ed25519 signing key: created once into the instance folder, read by everyone after."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from lernmodul.files import write_private_once

SIGNING_KEY_FILE = "certificate_signing_key.pem"



class KeyFileError(ValueError):
    """A key file that cannot be read as the expected Ed25519 key."""


def signing_key_path(instance_path: Path) -> Path:
    return Path(instance_path) / SIGNING_KEY_FILE


def load_or_create_signing_key(instance_path: Path) -> Ed25519PrivateKey:
    """The instance's signing key; generated on first use as a PEM file with mode 0600.

    Safe when several processes start at once: each writes a complete private temporary
    file and links it into place; the link fails for all but the first, and everyone then
    reads the one file that won, so no process ever sees a half-written key."""
    path = signing_key_path(instance_path)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption())
        write_private_once(path, pem)
    return load_signing_key(path)


def load_signing_key(path: Path) -> Ed25519PrivateKey:
    """Reads a PEM private key; raises KeyFileError for anything but an Ed25519 key."""
    try:
        key = serialization.load_pem_private_key(Path(path).read_bytes(), password=None)
    except (ValueError, TypeError) as error:
        raise KeyFileError(f"{path}: not a PEM private key ({error})") from error
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyFileError(f"{path}: not an Ed25519 key")
    return key


def load_public_key(pem: bytes, source: str = "key") -> Ed25519PublicKey:
    """An Ed25519 public key from PEM; a private key PEM gives its public half."""
    try:
        if b"PRIVATE KEY" in pem:
            private = serialization.load_pem_private_key(pem, password=None)
            key: object = private.public_key()
        else:
            key = serialization.load_pem_public_key(pem)
    except (ValueError, TypeError) as error:
        raise KeyFileError(f"{source}: not a PEM key ({error})") from error
    if not isinstance(key, Ed25519PublicKey):
        raise KeyFileError(f"{source}: not an Ed25519 key")
    return key


def public_key_pem(key: Ed25519PrivateKey | Ed25519PublicKey) -> bytes:
    """The public key as PEM (SubjectPublicKeyInfo), for publishing next to the verify page."""
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def raw_public_key(key: Ed25519PrivateKey | Ed25519PublicKey) -> bytes:
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def raw_public_keys(keys: Iterable[Ed25519PrivateKey | Ed25519PublicKey]) -> set[bytes]:
    return {raw_public_key(key) for key in keys}
