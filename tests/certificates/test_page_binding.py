"""The printed page is bound to the signed data: `lernmodul certificate verify` reports every
edit of a certificate PDF's content stream (a changed name or date, an added line, a name
overlaid on a covered original), and passes untouched pages, wrapped names and long titles."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from lernmodul.certificates import (
    CertificateData,
    compare_page,
    public_key_pem,
    sign_credential,
    verify_file,
)
from lernmodul.cli import main

from .conftest import make_data, render_signed


def edit_page(pdf: bytes, change: Callable[[bytes], bytes]) -> bytes:
    """The PDF with its page's content stream changed by `change`; the attachment stays."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    page = writer.pages[0]
    stream = page["/Contents"].get_object()  # one stream, as reportlab writes it
    before = stream.get_data()
    after = change(before)
    assert after != before, "the edit did not apply"
    stream.set_data(after)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def replace_text(old: bytes, new: bytes) -> Callable[[bytes], bytes]:
    return lambda stream: stream.replace(old, new)


def append(operators: bytes) -> Callable[[bytes], bytes]:
    return lambda stream: stream + b"\n" + operators + b"\n"


@pytest.fixture
def key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def verify(tmp_path: Path, pdf: bytes, key: Ed25519PrivateKey) -> tuple[int, str]:
    (tmp_path / "key.pem").write_bytes(public_key_pem(key))
    (tmp_path / "certificate.pdf").write_bytes(pdf)
    result = CliRunner().invoke(main, ["certificate", "verify", str(tmp_path / "certificate.pdf"),
                                       "--key", str(tmp_path / "key.pem")])
    return result.exit_code, result.output


def test_an_untouched_pdf_matches(tmp_path: Path, key: Ed25519PrivateKey) -> None:
    pdf, _ = render_signed(make_data(), key)
    code, output = verify(tmp_path, pdf, key)
    assert code == 0, output
    assert output.splitlines()[0] == "valid"
    assert output.splitlines()[-1] == "page matches the signed data"


def test_a_changed_name_is_reported_with_both_values(tmp_path: Path, key: Ed25519PrivateKey) -> None:
    pdf, _ = render_signed(make_data(), key)
    # "Jürgen Weiß-Özdemir" in the bold subset; "Bernd" uses letters the subset has
    edited = edit_page(pdf, replace_text(b"(J\\001rgen Wei", b"(Bernd Wei"))
    code, output = verify(tmp_path, edited, key)
    assert code == 1
    assert output.splitlines()[0] == "valid"  # the credential itself is untouched
    assert "page differs from the signed data:" in output
    assert '  name: signed "Jürgen Weiß-Özdemir", page shows "Bernd Weiß-Özdemir"' in output


def test_a_changed_date_is_reported(tmp_path: Path, key: Ed25519PrivateKey) -> None:
    pdf, _ = render_signed(make_data(), key)
    edited = edit_page(pdf, replace_text(b"(14.03.2025)", b"(14.03.2023)"))
    code, output = verify(tmp_path, edited, key)
    assert code == 1
    assert '  completed on: signed "14.03.2025", page shows "14.03.2023"' in output


def test_an_issue_date_far_from_the_signed_one_is_reported(tmp_path: Path, key: Ed25519PrivateKey) -> None:
    pdf, _ = render_signed(make_data(), key)
    edited = edit_page(pdf, replace_text(b"(Ausgestellt am 15.03.2025)", b"(Ausgestellt am 13.03.2025)"))
    code, output = verify(tmp_path, edited, key)
    assert code == 1 and "  issued at: signed" in output and '"Ausgestellt am 13.03.2025"' in output


def test_an_added_line_is_reported(tmp_path: Path, key: Ed25519PrivateKey) -> None:
    pdf, _ = render_signed(make_data(), key)
    edited = edit_page(pdf, append(b"BT 1 0 0 1 68 40 Tm /F2+0 8 Tf (mit Auszeichnung bestanden) Tj ET"))
    code, output = verify(tmp_path, edited, key)
    assert code == 1
    assert '  text: signed nothing, page shows "mit Auszeichnung bestanden"' in output


def test_a_name_overlaid_on_the_covered_original_is_reported(tmp_path: Path, key: Ed25519PrivateKey) -> None:
    pdf, _ = render_signed(make_data(), key)
    cover = (b"q 1 1 1 rg 200 315 440 35 re f Q\n"
             b"BT 1 0 0 1 259.0306 323.1496 Tm /F1+0 27 Tf (Bernd Mann) Tj ET")
    edited = edit_page(pdf, append(cover))
    code, output = verify(tmp_path, edited, key)
    assert code == 1
    assert "Bernd Mann" in output and "page differs from the signed data:" in output


@pytest.mark.parametrize("changes", [
    {"participant_name": "Maximiliane Theodora Alexandra von Hohenstein-Waldburg-Zeil "
                         "zu Friedrichshafen am Bodensee"},
    {"course_title": "Informationssicherheit und Datenschutz in der öffentlichen Verwaltung: "
                     "Grundlagen, Verantwortlichkeiten und Meldewege bei Sicherheitsvorfällen"},
    {"valid_until": None, "language": "en"},
])
def test_wrapped_names_and_long_titles_match(tmp_path: Path, key: Ed25519PrivateKey,
                                             changes: dict[str, object]) -> None:
    data = make_data(**changes)
    pdf, _ = render_signed(data, key)
    code, output = verify(tmp_path, pdf, key)
    assert (code, output.splitlines()[-1]) == (0, "page matches the signed data"), output


@pytest.mark.parametrize("hour", [0, 23])
def test_the_issue_date_may_be_printed_in_another_time_zone(key: Ed25519PrivateKey, hour: int) -> None:
    """15.03. 23:30 UTC is the 16th in Berlin, 00:30 UTC the 14th in New York: both print fine."""
    from zoneinfo import ZoneInfo

    utc = datetime(2025, 3, 15, hour, 30, tzinfo=UTC)
    zone = ZoneInfo("Europe/Berlin" if hour == 23 else "America/New_York")
    printed: CertificateData = make_data(issued_at=utc.astimezone(zone))
    assert printed.issued_at.date() != utc.date()
    pdf, _ = render_signed(printed, key)
    verdict, credential = verify_file(pdf, [key])
    assert verdict == "valid"
    assert compare_page(pdf, credential) == []


def test_a_json_credential_has_no_page_to_compare(tmp_path: Path, key: Ed25519PrivateKey) -> None:
    import json

    (tmp_path / "key.pem").write_bytes(public_key_pem(key))
    (tmp_path / "credential.json").write_text(json.dumps(sign_credential(make_data(), key)), "utf-8")
    result = CliRunner().invoke(main, ["certificate", "verify", str(tmp_path / "credential.json"),
                                       "--key", str(tmp_path / "key.pem")])
    assert result.exit_code == 0 and "page" not in result.output
