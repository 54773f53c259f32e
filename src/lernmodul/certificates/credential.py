"""The signed credential: Open Badges 3.0 / W3C VC 2.0 JSON with an eddsa-jcs-2022 Data Integrity proof.

Signing follows "Verifiable Credential Data Integrity EdDSA Cryptosuites v1.0", suite
eddsa-jcs-2022: the proof options (with the document's @context) and the document without
its proof are each canonicalised with JCS (RFC 8785) and hashed with SHA-256; Ed25519 signs
the 64 bytes hash(proof options) || hash(document); proofValue is the signature in multibase
base58-btc ("z…"). The verification method is a did:key, so a credential names its key and
a verifier decides whether it trusts that key."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, Literal
from urllib.parse import quote, urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from lernmodul.certificates.data import CertificateData
from lernmodul.certificates.jcs import canonicalize
from lernmodul.certificates.keys import raw_public_key, raw_public_keys

Verdict = Literal["valid", "tampered", "unknown-key"]

VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"
OB_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
PROOF_TYPE = "DataIntegrityProof"
CRYPTOSUITE = "eddsa-jcs-2022"
_ED25519_MULTICODEC = b"\xed\x01"
_BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"

_TEXTS = {
    "de": {
        "description": "Fortbildung „{title}“, Version {version}, Umfang {minutes} Minuten.",
        "criteria": "Alle Abschlussbedingungen des Kurses erfüllt.",
    },
    "en": {
        "description": "Course “{title}”, version {version}, duration {minutes} minutes.",
        "criteria": "Met all completion requirements of the course.",
    },
}


def did_key(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    """The did:key identifier of an Ed25519 key (multicodec 0xed01, base58-btc)."""
    return "did:key:z" + _base58_encode(_ED25519_MULTICODEC + raw_public_key(key))


def build_credential(data: CertificateData, issuer_id: str) -> dict[str, Any]:
    """The unsigned credential for `data`, issued by `issuer_id` (a did:key)."""
    texts = _TEXTS[data.language]
    credential: dict[str, Any] = {
        "@context": [VC_CONTEXT, OB_CONTEXT],
        "id": data.verify_url,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": data.certificate_title,
        "certificateCode": data.code,
        "issuer": {
            "id": issuer_id,
            "type": ["Profile"],
            "name": data.signatory or urlsplit(data.verify_url).netloc or data.certificate_title,
        },
        "validFrom": _datetime(data.issued_at),
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "name": data.participant_name,
            "activityEndDate": f"{data.completed_on.isoformat()}T00:00:00Z",
            "achievement": {
                "id": f"urn:lernmodul:course:{quote(data.course_id, safe='')}:"
                      f"{quote(data.course_version, safe='')}",
                "type": ["Achievement"],
                "achievementType": "Course",
                "name": data.course_title,
                "humanCode": data.course_id,
                "version": data.course_version,
                "durationMinutes": data.duration_minutes,
                "inLanguage": data.language,
                "description": texts["description"].format(
                    title=data.course_title, version=data.course_version, minutes=data.duration_minutes),
                "criteria": {"narrative": texts["criteria"]},
            },
        },
    }
    if data.valid_until is not None:
        # "gültig bis" a day means up to the end of that day.
        credential["validUntil"] = f"{data.valid_until.isoformat()}T23:59:59Z"
    return credential


def sign_credential(data: CertificateData, private_key: Ed25519PrivateKey) -> dict[str, Any]:
    """The credential for `data` with an eddsa-jcs-2022 DataIntegrityProof by `private_key`."""
    issuer = did_key(private_key)
    document = build_credential(data, issuer)
    proof: dict[str, Any] = {
        "@context": document["@context"],
        "type": PROOF_TYPE,
        "cryptosuite": CRYPTOSUITE,
        "created": _datetime(data.issued_at),
        "verificationMethod": f"{issuer}#{issuer.removeprefix('did:key:')}",
        "proofPurpose": "assertionMethod",
    }
    signature = private_key.sign(_hash_data(document, proof))
    proof["proofValue"] = "z" + _base58_encode(signature)
    return {**document, "proof": proof}


def verify_credential(
    credential: object, public_keys: Iterable[Ed25519PublicKey | Ed25519PrivateKey],
) -> Verdict:
    """"valid" if a trusted key signed exactly this credential; "unknown-key" if the proof
    names a key not in `public_keys`; "tampered" for anything else (changed, malformed)."""
    if not isinstance(credential, dict) or not isinstance(credential.get("proof"), dict):
        return "tampered"
    proof = dict(credential["proof"])
    document = {k: v for k, v in credential.items() if k != "proof"}
    proof_value = proof.pop("proofValue", None)
    if (proof.get("type") != PROOF_TYPE or proof.get("cryptosuite") != CRYPTOSUITE
            or proof.get("proofPurpose") != "assertionMethod"
            or proof.get("@context") != document.get("@context")
            or not isinstance(proof_value, str) or not proof_value.startswith("z")):
        return "tampered"
    key_bytes = _did_key_bytes(proof.get("verificationMethod"))
    if key_bytes is None:
        return "tampered"
    if key_bytes not in raw_public_keys(public_keys):
        return "unknown-key"
    issuer = document.get("issuer")
    issuer_id = issuer.get("id") if isinstance(issuer, dict) else issuer
    if issuer_id != str(proof["verificationMethod"]).partition("#")[0]:
        return "tampered"
    try:
        signature = _base58_decode(proof_value[1:])
        message = _hash_data(document, proof)
        Ed25519PublicKey.from_public_bytes(key_bytes).verify(signature, message)
    except (InvalidSignature, ValueError, TypeError):
        return "tampered"
    return "valid"


def dump_credential(credential: dict[str, Any]) -> bytes:
    """Readable UTF-8 JSON for download and embedding (the proof does not depend on the layout)."""
    return json.dumps(credential, ensure_ascii=False, indent=2).encode("utf-8") + b"\n"


def load_credential(raw: bytes) -> dict[str, Any]:
    """Parses credential JSON; raises ValueError when it is not a JSON object."""
    try:
        value = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"not JSON: {error}") from error
    if not isinstance(value, dict):
        raise ValueError("not a JSON object")
    return value


def credential_claims(credential: dict[str, Any]) -> dict[str, str]:
    """The claims a person compares with the printed certificate, as display strings."""
    subject = _table(credential.get("credentialSubject"))
    achievement = _table(subject.get("achievement"))
    issuer = _table(credential.get("issuer"))
    return {
        "name": str(subject.get("name", "")),
        "course": str(achievement.get("name", "")),
        "course id": str(achievement.get("humanCode", "")),
        "version": str(achievement.get("version", "")),
        "duration (minutes)": str(achievement.get("durationMinutes", "")),
        "completed on": str(subject.get("activityEndDate", ""))[:10],
        "valid until": str(credential.get("validUntil", ""))[:10] or "-",
        "issued at": str(credential.get("validFrom", "")),
        "issuer": str(issuer.get("name", "")),
        "code": str(credential.get("certificateCode", "")),
        "verify": str(credential.get("id", "")),
    }


def _table(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _hash_data(document: dict[str, Any], proof_options: dict[str, Any]) -> bytes:
    # eddsa-jcs-2022: SHA-256 of the canonical proof options, then of the canonical document
    return (hashlib.sha256(canonicalize(proof_options)).digest()
            + hashlib.sha256(canonicalize(document)).digest())


def _datetime(moment: datetime) -> str:
    return moment.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def _did_key_bytes(method: object) -> bytes | None:
    """The raw Ed25519 key of a `did:key:z6Mk…#z6Mk…` verification method, else None."""
    if not isinstance(method, str):
        return None
    did, _, fragment = method.partition("#")
    identifier = did.removeprefix("did:key:")
    if identifier == did or not identifier.startswith("z") or fragment != identifier:
        return None
    try:
        decoded = _base58_decode(identifier[1:])
    except ValueError:
        return None
    if not decoded.startswith(_ED25519_MULTICODEC) or len(decoded) != 34:
        return None
    return decoded[2:]


def _base58_encode(raw: bytes) -> str:
    number = int.from_bytes(raw, "big")
    chars = []
    while number:
        number, digit = divmod(number, 58)
        chars.append(_BASE58[digit])
    zeros = len(raw) - len(raw.lstrip(b"\0"))
    return "1" * zeros + "".join(reversed(chars))


def _base58_decode(text: str) -> bytes:
    number = 0
    for char in text:
        digit = _BASE58.find(char)
        if digit < 0:
            raise ValueError(f"not a base58 character: {char!r}")
        number = number * 58 + digit
    zeros = len(text) - len(text.lstrip("1"))
    body = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
    return b"\0" * zeros + body
