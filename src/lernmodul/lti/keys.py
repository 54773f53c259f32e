"""The tool's RSA key for LTI: created once into the instance folder (0600), published as JWKS."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwcrypto.jwk import JWK

from lernmodul.files import write_private_once

TOOL_KEY_FILE = "lti_tool_key.pem"



def tool_key_path(instance_path: Path) -> Path:
    return Path(instance_path) / TOOL_KEY_FILE


def load_or_create_tool_key(instance_path: Path) -> tuple[str, str]:
    """(private PEM, public PEM) of the tool key; generated on first use with mode 0600.

    Safe when several processes start at once: each writes a complete private temporary file
    and links it into place; all but the first link fail and read the file that won."""
    path = tool_key_path(instance_path)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        pem = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption())
        write_private_once(path, pem)
    private = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(private, rsa.RSAPrivateKey):
        raise ValueError(f"{path}: not an RSA key")
    public = private.public_key().public_bytes(serialization.Encoding.PEM,
                                               serialization.PublicFormat.SubjectPublicKeyInfo)
    return path.read_text(), public.decode()


def tool_jwks(public_pem: str) -> dict[str, Any]:
    """The key set the platforms fetch from /lti/jwks: one RS256 signing key, kid = thumbprint."""
    key = JWK.from_pem(public_pem.encode())
    public = json.loads(key.export_public())
    public.update({"alg": "RS256", "use": "sig", "kid": key.thumbprint()})
    return {"keys": [public]}
