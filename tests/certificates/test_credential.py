"""The signed credential: Open Badges 3.0 shape, eddsa-jcs-2022 proof, tamper and key checks."""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Iterator
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from lernmodul.certificates import (
    did_key,
    dump_credential,
    load_credential,
    sign_credential,
    verify_credential,
)
from lernmodul.certificates.credential import _base58_decode

from .conftest import make_data


def test_credential_has_the_open_badges_3_shape(signing_key: Ed25519PrivateKey) -> None:
    data = make_data()
    credential = sign_credential(data, signing_key)
    assert credential["@context"] == ["https://www.w3.org/ns/credentials/v2",
                                      "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"]
    assert credential["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert credential["id"] == data.verify_url
    assert credential["issuer"]["id"] == did_key(signing_key)
    assert credential["issuer"]["type"] == ["Profile"]
    assert credential["validFrom"] == "2025-03-15T08:30:00Z"
    assert credential["validUntil"] == "2027-03-31T23:59:59Z"
    subject = credential["credentialSubject"]
    assert subject["type"] == ["AchievementSubject"]
    assert subject["name"] == "Jürgen Weiß-Özdemir"
    assert subject["activityEndDate"].startswith("2025-03-14")
    achievement = subject["achievement"]
    assert achievement["type"] == ["Achievement"]
    assert (achievement["humanCode"], achievement["name"], achievement["version"]) == (
        "bedrohungsmanagement", "Bedrohungsmanagement in der Verwaltung", "2.3.1")
    assert achievement["durationMinutes"] == 270
    assert achievement["criteria"]["narrative"]
    assert credential["certificateCode"] == data.code
    assert isinstance(credential["proof"], list) and len(credential["proof"]) == 1
    proof = credential["proof"][0]
    assert proof["type"] == "DataIntegrityProof"
    assert proof["cryptosuite"] == "eddsa-jcs-2022"
    assert proof["proofPurpose"] == "assertionMethod"
    assert proof["verificationMethod"].startswith("did:key:z6Mk")


def test_credential_without_expiry_has_no_valid_until(signing_key: Ed25519PrivateKey) -> None:
    credential = sign_credential(make_data(valid_until=None), signing_key)
    assert "validUntil" not in credential
    assert verify_credential(credential, [signing_key.public_key()]) == "valid"


def test_did_key_encodes_the_raw_public_key(signing_key: Ed25519PrivateKey) -> None:
    decoded = _base58_decode(did_key(signing_key).removeprefix("did:key:z"))
    raw = signing_key.public_key().public_bytes_raw()
    assert decoded == b"\xed\x01" + raw


def test_proof_is_eddsa_jcs_2022_as_specified(signing_key: Ed25519PrivateKey) -> None:
    """Recomputes the proof the way the cryptosuite describes it, independently of our JCS.

    Our credential has ASCII keys and no floats, so json.dumps with sorted keys and no
    whitespace produces the RFC 8785 form."""
    credential = sign_credential(make_data(participant_name="Zofia Łukasiewicz"), signing_key)
    document = {k: v for k, v in credential.items() if k != "proof"}
    options = {k: v for k, v in credential["proof"][0].items() if k != "proofValue"}

    def jcs(value: Any) -> bytes:
        return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()

    message = hashlib.sha256(jcs(options)).digest() + hashlib.sha256(jcs(document)).digest()
    signature = _base58_decode(credential["proof"][0]["proofValue"].removeprefix("z"))
    assert options["@context"] == document["@context"]
    signing_key.public_key().verify(signature, message)  # raises InvalidSignature if not


def test_signed_credential_verifies(signing_key: Ed25519PrivateKey) -> None:
    credential = sign_credential(make_data(), signing_key)
    assert verify_credential(credential, [signing_key.public_key()]) == "valid"
    assert verify_credential(credential, [signing_key]) == "valid"  # a private key stands for its public half


def test_json_round_trip_keeps_the_signature(signing_key: Ed25519PrivateKey) -> None:
    raw = dump_credential(sign_credential(make_data(participant_name="Nguyễn Thị Minh Khai"), signing_key))
    assert "Nguyễn Thị Minh Khai".encode() in raw  # readable UTF-8, not \\u escapes
    assert verify_credential(load_credential(raw), [signing_key.public_key()]) == "valid"


def _leaves(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], Any]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _leaves(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _leaves(item, (*path, index))
    else:
        yield path, value


def _set(value: Any, path: tuple[Any, ...], new: Any) -> None:
    for step in path[:-1]:
        value = value[step]
    value[path[-1]] = new


def _flip(text: str) -> str:
    """The same text with one character changed (the middle one, to a different letter)."""
    middle = len(text) // 2
    replacement = "x" if text[middle] != "x" else "y"
    return text[:middle] + replacement + text[middle + 1:]


def test_changing_one_character_of_any_claim_gives_tampered(signing_key: Ed25519PrivateKey) -> None:
    credential = sign_credential(make_data(), signing_key)
    keys = [signing_key.public_key()]
    leaves = list(_leaves(credential))  # every claim, and every field of the proof too
    assert len(leaves) > 30
    for path, value in leaves:
        changed = copy.deepcopy(credential)
        if isinstance(value, str):
            _set(changed, path, _flip(value))
        else:
            _set(changed, path, value + 1)
        assert verify_credential(changed, keys) == "tampered", path


@pytest.mark.parametrize("change", [
    "add a claim", "drop a claim", "drop the proof", "swap the issuer", "not an object", "bad proof value",
    "no proof in the array", "a proof that is no object",
])
def test_structural_changes_give_tampered(signing_key: Ed25519PrivateKey, change: str) -> None:
    credential: Any = sign_credential(make_data(), signing_key)
    if change == "add a claim":
        credential["credentialSubject"]["score"] = 100
    elif change == "drop a claim":
        del credential["validUntil"]
    elif change == "drop the proof":
        del credential["proof"]
    elif change == "swap the issuer":
        credential["issuer"]["id"] = did_key(Ed25519PrivateKey.generate())
    elif change == "not an object":
        credential = [credential]
    elif change == "no proof in the array":
        credential["proof"] = []
    elif change == "a proof that is no object":
        credential["proof"] = ["z" + credential["proof"][0]["proofValue"]]
    else:
        credential["proof"][0]["proofValue"] = "z0OIl"  # not base58
    assert verify_credential(credential, [signing_key.public_key()]) == "tampered"


def test_a_different_key_gives_unknown_key(signing_key: Ed25519PrivateKey) -> None:
    credential = sign_credential(make_data(), signing_key)
    other: Ed25519PublicKey = Ed25519PrivateKey.generate().public_key()
    assert verify_credential(credential, [other]) == "unknown-key"
    assert verify_credential(credential, []) == "unknown-key"
    assert verify_credential(credential, [other, signing_key.public_key()]) == "valid"


def test_signature_by_another_key_under_a_trusted_name_gives_tampered(signing_key: Ed25519PrivateKey) -> None:
    """A forger who copies the trusted did:key into their own credential cannot make it verify."""
    forger = Ed25519PrivateKey.generate()
    forged = sign_credential(make_data(participant_name="Mallory"), forger)
    trusted = did_key(signing_key)
    forged["issuer"]["id"] = trusted
    forged["proof"][0]["verificationMethod"] = f"{trusted}#{trusted.removeprefix('did:key:')}"
    assert verify_credential(forged, [signing_key.public_key()]) == "tampered"


def test_a_single_proof_object_as_issued_before_still_verifies(signing_key: Ed25519PrivateKey) -> None:
    """Credentials stored before `proof` became an array carry one object: both forms verify."""
    credential = sign_credential(make_data(), signing_key)
    single = {**credential, "proof": credential["proof"][0]}
    assert verify_credential(single, [signing_key]) == "valid"
    single["name"] = "Urkunde"
    assert verify_credential(single, [signing_key]) == "tampered"


def test_of_several_proofs_the_trusted_one_counts(signing_key: Ed25519PrivateKey) -> None:
    credential = sign_credential(make_data(), signing_key)
    broken = {**credential["proof"][0], "proofValue": "z" + "1" * 80}
    credential["proof"] = [broken, credential["proof"][0]]
    assert verify_credential(credential, [signing_key]) == "valid"
    credential["proof"] = [broken]
    assert verify_credential(credential, [signing_key]) == "tampered"
