"""Open Badges 3.0 conformance: issued credentials against 1EdTech's JSON Schema of
AchievementCredential (fixtures/ob_v3p0_achievementcredential_schema.json, source in
fixtures/README.md), the recipient as a salted IdentityObject, our own JSON-LD context."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from lernmodul.certificates import context_document, identity_object, sign_credential, verify_credential
from lernmodul.certificates.credential import CONTEXT_TERMS

from .conftest import make_data

SCHEMA = Path(__file__).parent / "fixtures" / "ob_v3p0_achievementcredential_schema.json"
CONTEXT_URL = "https://lernen.example.de/credentials/context-v1.jsonld"


def schema_errors(credential: dict[str, Any]) -> list[str]:
    """Every violation of the 1EdTech schema (formats such as date-time checked too)."""
    schema = json.loads(SCHEMA.read_text("utf-8"))
    validator_class = jsonschema.validators.validator_for(schema)
    validator = validator_class(schema, format_checker=validator_class.FORMAT_CHECKER)
    return [f"{'/'.join(map(str, error.absolute_path))}: {error.message[:200]}"
            for error in validator.iter_errors(credential)]


def issued(signing_key: Ed25519PrivateKey, **changes: Any) -> dict[str, Any]:
    values: dict[str, Any] = {"recipient_email": "lea@example.org", "identity_salt": "c0ffee",
                              "context_url": CONTEXT_URL}
    return sign_credential(make_data(**{**values, **changes}), signing_key)


@pytest.mark.parametrize("changes", [{}, {"valid_until": None}, {"language": "en"}])
def test_issued_credentials_meet_the_1edtech_schema(signing_key: Ed25519PrivateKey,
                                                    changes: dict[str, Any]) -> None:
    credential = issued(signing_key, **changes)
    assert schema_errors(credential) == []
    assert verify_credential(credential, [signing_key]) == "valid"


def test_the_schema_fixture_is_the_one_that_requires_a_proof_array(signing_key: Ed25519PrivateKey) -> None:
    credential = issued(signing_key)
    credential["proof"] = credential["proof"][0]
    assert [error.split(":")[0] for error in schema_errors(credential)] == ["proof"]


def test_the_identity_hash_is_computed_as_the_spec_example() -> None:
    # Open Badges 3.0, IdentityHash: SHA-256 of 'a@example.com' salted with 'Kosher'
    assert identity_object("a@example.com", "Kosher") == {
        "type": "IdentityObject",
        "identityHash": "sha256$b5809d8a92f8858436d7e6b87c12ebc0ae1eac4baecc2c0b913aee2c922ef399",
        "identityType": "emailAddress", "hashed": True, "salt": "Kosher"}


def test_the_subject_carries_the_salted_address_so_the_holder_can_prove_it(
        signing_key: Ed25519PrivateKey) -> None:
    subject = issued(signing_key, recipient_email="Lea@Example.org")["credentialSubject"]
    [identity] = subject["identifier"]
    expected = hashlib.sha256(("lea@example.org" + identity["salt"]).encode()).hexdigest()
    assert identity["identityHash"] == f"sha256${expected}"
    assert "lea@example.org" not in json.dumps(subject).lower()  # only the hash


def test_an_address_needs_a_salt() -> None:
    with pytest.raises(ValueError, match="identity_salt"):
        make_data(recipient_email="lea@example.org")


def test_our_terms_are_defined_in_our_context(signing_key: Ed25519PrivateKey) -> None:
    credential = issued(signing_key)
    assert credential["@context"][-1] == CONTEXT_URL
    definitions = json.loads(context_document())["@context"]
    assert set(CONTEXT_TERMS) <= set(definitions)
    assert credential["certificateCode"] and credential["credentialSubject"]["achievement"]["durationMinutes"]
    for term in CONTEXT_TERMS:
        assert definitions[term]["@id"].endswith(term)
