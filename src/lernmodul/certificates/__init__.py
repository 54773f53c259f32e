"""Certificates: data in, bytes out. PDF rendering, codes, signed credentials and their verification.

No Flask and no database here: the web and service layers pass plain values in."""

from lernmodul.certificates.codes import InvalidCodeError, new_code, normalize_code
from lernmodul.certificates.credential import (
    VERDICT_TEXTS,
    Verdict,
    build_credential,
    context_document,
    create_proof,
    credential_claims,
    did_key,
    dump_credential,
    identity_object,
    load_credential,
    sign_credential,
    verify_credential,
)
from lernmodul.certificates.data import CertificateData, Language
from lernmodul.certificates.keys import (
    KeyFileError,
    load_or_create_signing_key,
    load_public_key,
    load_signing_key,
    public_key_pem,
    signing_key_path,
)
from lernmodul.certificates.layout import Layout, LayoutError, default_layout_path, load_layout
from lernmodul.certificates.offline import page_differences, read_credential, verify_file
from lernmodul.certificates.page import PageDifference, compare_page
from lernmodul.certificates.pdf import (
    extract_credential,
    fit_text,
    missing_glyphs,
    printed_claims,
    render_pdf,
)

__all__ = [
    "VERDICT_TEXTS",
    "CertificateData",
    "InvalidCodeError",
    "KeyFileError",
    "Language",
    "Layout",
    "LayoutError",
    "PageDifference",
    "Verdict",
    "build_credential",
    "compare_page",
    "context_document",
    "create_proof",
    "credential_claims",
    "default_layout_path",
    "did_key",
    "dump_credential",
    "extract_credential",
    "fit_text",
    "identity_object",
    "load_credential",
    "load_layout",
    "load_or_create_signing_key",
    "load_public_key",
    "load_signing_key",
    "missing_glyphs",
    "new_code",
    "normalize_code",
    "page_differences",
    "printed_claims",
    "public_key_pem",
    "read_credential",
    "render_pdf",
    "sign_credential",
    "signing_key_path",
    "verify_credential",
    "verify_file",
]
