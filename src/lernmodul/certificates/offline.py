"""Offline checks: a certificate PDF or credential JSON against the keys a verifier trusts."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from lernmodul.certificates.credential import Verdict, load_credential, verify_credential
from lernmodul.certificates.layout import Layout
from lernmodul.certificates.page import PageDifference, compare_page
from lernmodul.certificates.pdf import extract_credential


def read_credential(raw: bytes) -> dict[str, Any]:
    """The credential in a certificate PDF (its attachment) or in a JSON file; ValueError if none."""
    if raw.lstrip()[:5] == b"%PDF-":
        embedded = extract_credential(raw)
        if embedded is None:
            raise ValueError("the PDF has no embedded credential")
        return load_credential(embedded)
    try:
        return load_credential(raw)
    except ValueError as error:
        raise ValueError(f"neither a certificate PDF nor credential JSON ({error})") from error


def verify_file(raw: bytes, public_keys: Iterable[Ed25519PublicKey | Ed25519PrivateKey],
                ) -> tuple[Verdict, dict[str, Any]]:
    """The verdict for a PDF or JSON file and the credential read from it; ValueError if unreadable."""
    credential = read_credential(raw)
    return verify_credential(credential, public_keys), credential


def page_differences(raw: bytes, credential: dict[str, Any], layout: Layout | None = None,
                     ) -> list[PageDifference] | None:
    """For a certificate PDF, how its printed page differs from the signed `credential`
    ([] when it matches); None for credential JSON, which has no page."""
    if raw.lstrip()[:5] != b"%PDF-":
        return None
    return compare_page(raw, credential, layout)
