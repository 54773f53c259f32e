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
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote, urlsplit

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from lernmodul.certificates.data import CertificateData
from lernmodul.certificates.jcs import canonicalize
from lernmodul.certificates.keys import raw_public_key, raw_public_keys

# valid: a trusted key signed exactly this credential, and the key is the issuer's.
# issuer-mismatch: the signature by the verification method's key is valid, but that key is
#   not the issuer (the issuer id is not the key's did:key), so it does not speak for the issuer.
# unknown-key: signed by the issuer's own key, but not by a key the verifier trusts.
# tampered: changed after signing, or malformed.
Verdict = Literal["valid", "issuer-mismatch", "unknown-key", "tampered"]
VERDICT_TEXTS: dict[Verdict, str] = {
    "valid": "valid",
    "issuer-mismatch": "signature valid, key does not belong to the issuer",
    "unknown-key": "unknown key",
    "tampered": "tampered",
}
_RANK: dict[Verdict, int] = {"valid": 3, "unknown-key": 2, "issuer-mismatch": 1, "tampered": 0}

VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"
OB_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
# The terms of our own that Open Badges 3.0 does not define (certificateCode, durationMinutes),
# shipped with the package; the web app serves it and credentials reference it by that URL.
CONTEXT_FILE = Path(__file__).with_name("context-v1.jsonld")
CONTEXT_TERMS = ("certificateCode", "durationMinutes")
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
        "@context": [VC_CONTEXT, OB_CONTEXT, *([data.context_url] if data.context_url else [])],
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
            **({"identifier": [identity_object(data.recipient_email, data.identity_salt or "")]}
               if data.recipient_email is not None else {}),
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


def context_document() -> bytes:
    """The project's JSON-LD context (application/ld+json), as shipped with the package."""
    return CONTEXT_FILE.read_bytes()


def identity_object(email: str, salt: str) -> dict[str, Any]:
    """The Open Badges 3.0 IdentityObject of an e-mail address: SHA-256 over the address
    (trimmed, lower case) followed by the salt, both UTF-8, as `sha256$<hex>`; the salt is
    given with it, so that whoever knows the address can check it."""
    digest = hashlib.sha256((email.strip().lower() + salt).encode("utf-8")).hexdigest()
    return {"type": "IdentityObject", "identityHash": f"sha256${digest}",
            "identityType": "emailAddress", "hashed": True, "salt": salt}


def sign_credential(data: CertificateData, private_key: Ed25519PrivateKey) -> dict[str, Any]:
    """The credential for `data` with an eddsa-jcs-2022 DataIntegrityProof by `private_key`.

    `proof` is an array (Open Badges 3.0 requires one), here with the one proof."""
    document = build_credential(data, did_key(private_key))
    return {**document, "proof": [create_proof(document, private_key, _datetime(data.issued_at))]}


def create_proof(document: dict[str, Any], private_key: Ed25519PrivateKey, created: str) -> dict[str, Any]:
    """The eddsa-jcs-2022 proof of `document` (without its proof) by `private_key`, made at
    `created` (an XML Schema dateTime), for proofPurpose assertionMethod.

    For the spec's example document, key and time this is the spec's test vector."""
    issuer = did_key(private_key)
    proof: dict[str, Any] = {
        "type": PROOF_TYPE,
        "cryptosuite": CRYPTOSUITE,
        "created": created,
        "verificationMethod": f"{issuer}#{issuer.removeprefix('did:key:')}",
        "proofPurpose": "assertionMethod",
    }
    if "@context" in document:
        proof["@context"] = document["@context"]
    signature = private_key.sign(_hash_data(document, proof))
    return {**proof, "proofValue": "z" + _base58_encode(signature)}


def verify_credential(
    credential: object, public_keys: Iterable[Ed25519PublicKey | Ed25519PrivateKey],
) -> Verdict:
    """The verdict for `credential` (see `Verdict`), checked in this order: the signature
    against the key its verification method names, then that this key is the issuer's, then
    that the verifier trusts it.

    `proof` may be one object (credentials issued before proofs became arrays) or an array;
    of several proofs the best verdict counts."""
    if not isinstance(credential, dict):
        return "tampered"
    proofs = credential.get("proof")
    if isinstance(proofs, dict):
        proofs = [proofs]
    if not isinstance(proofs, list) or not proofs:
        return "tampered"
    document = {k: v for k, v in credential.items() if k != "proof"}
    trusted = raw_public_keys(public_keys)
    return max((_verify_proof(document, proof, trusted) for proof in proofs), key=_RANK.__getitem__)


def _verify_proof(document: dict[str, Any], proof: object, trusted: set[bytes]) -> Verdict:
    if not isinstance(proof, dict):
        return "tampered"
    options = dict(proof)
    proof_value = options.pop("proofValue", None)
    if (options.get("type") != PROOF_TYPE or options.get("cryptosuite") != CRYPTOSUITE
            or options.get("proofPurpose") != "assertionMethod"
            or options.get("@context") != document.get("@context")
            or not isinstance(proof_value, str) or not proof_value.startswith("z")):
        return "tampered"
    key_bytes = _did_key_bytes(options.get("verificationMethod"))
    if key_bytes is None:
        return "tampered"
    try:
        signature = _base58_decode(proof_value[1:])
        Ed25519PublicKey.from_public_bytes(key_bytes).verify(signature, _hash_data(document, options))
    except (InvalidSignature, ValueError, TypeError):
        return "tampered"
    issuer = document.get("issuer")
    issuer_id = issuer.get("id") if isinstance(issuer, dict) else issuer
    if issuer_id != str(options["verificationMethod"]).partition("#")[0]:
        return "issuer-mismatch"
    if key_bytes not in trusted:
        return "unknown-key"
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
