"""Fixtures for the certificate library: sample data, a signing key, rendered PDFs and their text."""

from __future__ import annotations

import dataclasses
import io
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from lernmodul.certificates import CertificateData, dump_credential, new_code, render_pdf, sign_credential

BASE_URL = "https://lernen.example.de/verify/"


def make_data(**changes: Any) -> CertificateData:
    code = changes.pop("code", None) or new_code()
    values: dict[str, Any] = {
        "code": code,
        "participant_name": "Jürgen Weiß-Özdemir",
        "course_id": "bedrohungsmanagement",
        "course_title": "Bedrohungsmanagement in der Verwaltung",
        "course_version": "2.3.1",
        "duration_minutes": 270,
        "completed_on": date(2025, 3, 14),
        "valid_until": date(2027, 3, 31),
        "signatory": "Dr. Anna Schmidt, Referat Fortbildung",
        "certificate_title": "Teilnahmebescheinigung",
        "verify_url": BASE_URL + code,
        "language": "de",
        "issued_at": datetime(2025, 3, 15, 8, 30, tzinfo=UTC),
    }
    values.update(changes)
    return CertificateData(**values)


@pytest.fixture
def data_factory() -> Callable[..., CertificateData]:
    return make_data


@pytest.fixture(scope="session")
def signing_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def render_signed(data: CertificateData, key: Ed25519PrivateKey) -> tuple[bytes, bytes]:
    """The PDF with its credential attached, and the credential JSON."""
    credential = dump_credential(sign_credential(data, key))
    return render_pdf(data, credential), credential


def pdf_text(pdf: bytes) -> str:
    """The page's text as PDFium extracts it, lines joined by newlines."""
    import pypdfium2

    document = pypdfium2.PdfDocument(pdf)
    try:
        page = document[0]
        text = page.get_textpage().get_text_range()
    finally:
        document.close()
    # PDFium reports a line that ends in a hyphen as U+FFFE (its "soft hyphen" guess)
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\ufffe", "-\n")


def pdf_lines(pdf: bytes) -> list[str]:
    return [line.strip() for line in pdf_text(pdf).split("\n") if line.strip()]


def pdf_reader(pdf: bytes) -> Any:
    from pypdf import PdfReader

    return PdfReader(io.BytesIO(pdf))


def replace(data: CertificateData, **changes: Any) -> CertificateData:
    return dataclasses.replace(data, **changes)
