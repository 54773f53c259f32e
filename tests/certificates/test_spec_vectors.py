"""The W3C eddsa-jcs-2022 test vectors: the signer reproduces them, the verifier reads the spec's
signed example correctly (valid signature, but a key that is not the issuer's).

Fixtures: tests/certificates/fixtures/eddsa-jcs-2022-*.json, from "Data Integrity EdDSA
Cryptosuites v1.0" (W3C), see fixtures/README.md."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from lernmodul.certificates import create_proof, did_key, verify_credential
from lernmodul.certificates.credential import _base58_decode

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def signed() -> dict[str, Any]:
    value: dict[str, Any] = json.loads((FIXTURES / "eddsa-jcs-2022-signed.json").read_text("utf-8"))
    return value


@pytest.fixture(scope="module")
def spec_key() -> Ed25519PrivateKey:
    pair = json.loads((FIXTURES / "eddsa-jcs-2022-key-pair.json").read_text("utf-8"))
    secret = _base58_decode(pair["privateKeyMultibase"].removeprefix("z"))
    assert secret[:2] == b"\x80\x26" and len(secret) == 34  # multicodec ed25519-priv
    key = Ed25519PrivateKey.from_private_bytes(secret[2:])
    assert did_key(key) == "did:key:" + pair["publicKeyMultibase"]
    return key


def _unsigned(credential: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in credential.items() if k != "proof"}


def test_signer_reproduces_the_test_vector(signed: dict[str, Any], spec_key: Ed25519PrivateKey) -> None:
    proof = create_proof(_unsigned(signed), spec_key, signed["proof"]["created"])
    assert proof == signed["proof"]
    assert proof["proofValue"] == ("z2HnFSSPPBzR36zdDgK8PbEHeXbR56YF24jwMpt3R1eHXQzJDMWS93FCzpvJpwTWd3GA"
                                   "VFuUfjoJdcnTMuVor51aX")


def test_the_spec_example_has_a_valid_signature_but_the_key_is_not_the_issuers(
        signed: dict[str, Any], spec_key: Ed25519PrivateKey) -> None:
    assert signed["issuer"] == "https://vc.example/issuers/5678"
    assert verify_credential(signed, [spec_key.public_key()]) == "issuer-mismatch"
    assert verify_credential(signed, []) == "issuer-mismatch"  # the signature holds whoever trusts it


def test_a_change_to_the_spec_example_is_tampered(
        signed: dict[str, Any], spec_key: Ed25519PrivateKey) -> None:
    changed = copy.deepcopy(signed)
    changed["credentialSubject"]["alumniOf"] = "The School of Forgeries"
    assert verify_credential(changed, [spec_key.public_key()]) == "tampered"
    changed = copy.deepcopy(signed)
    changed["issuer"] = did_key(spec_key)  # claiming the key as issuer after signing
    assert verify_credential(changed, [spec_key.public_key()]) == "tampered"


def test_re_signed_with_the_key_as_issuer_is_valid_for_whoever_trusts_the_key(
        signed: dict[str, Any], spec_key: Ed25519PrivateKey) -> None:
    document = {**_unsigned(signed), "issuer": did_key(spec_key)}
    credential = {**document, "proof": [create_proof(document, spec_key, "2024-05-01T10:00:00Z")]}
    assert verify_credential(credential, [spec_key.public_key()]) == "valid"
    assert verify_credential(credential, [Ed25519PrivateKey.generate()]) == "unknown-key"


def test_re_signed_by_another_key_keeps_the_issuer_verdict(signed: dict[str, Any]) -> None:
    other = Ed25519PrivateKey.generate()
    document = {**_unsigned(signed), "name": "Alumni Credential (re-signed)"}
    credential = {**document, "proof": create_proof(document, other, "2024-05-01T10:00:00Z")}
    assert verify_credential(credential, [other]) == "issuer-mismatch"
    credential["name"] = "Alumni Credential"
    assert verify_credential(credential, [other]) == "tampered"
