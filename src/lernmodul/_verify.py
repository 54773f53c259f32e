"""Certificate verification for library users: one call, PEM keys in, a verdict out.

Needs the `certificates` extra (cryptography for the signature, pypdf to read the credential
attached to a PDF, reportlab to compare the printed page); without it the call raises an
ImportError that names the extra. Importing this module imports none of them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from lernmodul.certificates.page import PageDifference

__all__ = ["CERTIFICATES_EXTRA_HINT", "CertificateCheck", "Verdict", "verify_certificate"]

#: valid: a trusted key signed exactly this credential, and the key is the issuer's;
#: issuer-mismatch: validly signed, but by a key that is not the issuer's;
#: unknown-key: signed by the issuer's own key, which the verifier does not trust;
#: tampered: changed after signing, or malformed.
Verdict = Literal["valid", "issuer-mismatch", "unknown-key", "tampered"]

CERTIFICATES_EXTRA_HINT = "pip install 'lernmodul[certificates]'"


@dataclass(frozen=True, slots=True)
class CertificateCheck:
    """The outcome of :func:`verify_certificate`."""

    #: The signature verdict.
    verdict: Verdict
    #: The credential read from the file (the signed Open Badges 3.0 JSON).
    credential: Mapping[str, Any]
    #: When valid: what the certificate says (recipient, course, dates …), label to value.
    claims: Mapping[str, str] = field(default_factory=dict)
    #: For a PDF whose signature is valid: where its printed page differs from the signed
    #: data (empty: it matches). None for credential JSON, or when the page was not checked.
    page_differences: tuple[PageDifference, ...] | None = None

    @property
    def is_valid(self) -> bool:
        """A valid signature by a trusted issuer key and, where checked, a matching page."""
        return self.verdict == "valid" and not self.page_differences


def verify_certificate(document: bytes, public_keys: Iterable[bytes], *, check_page: bool = True,
                       layout_file: str | Path | None = None) -> CertificateCheck:
    """Checks a certificate PDF or credential JSON offline against the issuer keys you trust.

    Args:
        document: The bytes of a certificate PDF (with its embedded credential) or of a
            credential JSON file.
        public_keys: The trusted Ed25519 public keys of the issuing site, each as PEM bytes.
        check_page: For a PDF with a valid signature, also compare its printed page with the
            signed data.
        layout_file: The issuing site's certificate layout (``layout.toml``) when it has its
            own; the shipped layout otherwise.

    Raises:
        ImportError: The `certificates` extra is not installed (the message says how to
            install it).
        ValueError: A key is no Ed25519 public key in PEM, or `document` is neither a
            certificate PDF nor credential JSON.
    """
    try:
        from lernmodul.certificates import (
            credential_claims,
            load_layout,
            load_public_key,
            page_differences,
            verify_file,
        )
    except ModuleNotFoundError as error:
        if str(error.name or "").startswith("lernmodul"):
            raise
        raise ImportError(f"certificate verification needs the certificate dependencies "
                          f"({error.name or error}): {CERTIFICATES_EXTRA_HINT}",
                          name=error.name) from error
    keys = [load_public_key(pem, f"key {n}") for n, pem in enumerate(public_keys, 1)]
    verdict, credential = verify_file(document, keys)
    if verdict != "valid":
        return CertificateCheck(verdict, credential)
    differences = None
    if check_page:
        layout = load_layout(Path(layout_file)) if layout_file is not None else None
        found = page_differences(document, credential, layout)
        differences = None if found is None else tuple(found)
    return CertificateCheck(verdict, credential, credential_claims(credential), differences)
