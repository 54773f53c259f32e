"""The certificate PDF: every claim readable, Unicode names in the bundled font, fitting, QR, attachment."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

import pytest
import segno
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pypdf.generic import ContentStream

from lernmodul.certificates import (
    extract_credential,
    load_credential,
    load_layout,
    missing_glyphs,
    printed_claims,
    render_pdf,
    verify_credential,
)
from lernmodul.certificates.pdf import PAGE_HEIGHT, PAGE_WIDTH, QR_FORM_NAME

from .conftest import make_data, pdf_lines, pdf_reader, pdf_text, render_signed

UNICODE_NAMES = ["Jürgen Weiß-Özdemir", "Zofia Łukasiewicz", "Ayşe Yılmaz", "Nguyễn Thị Minh Khai",
                 "Ștefan Țărnă", "Åsa Ørsted-Æbeltoft", "Đorđe Čolić"]
LONG_NAME = ("Maximiliane Alexandra Friederike Henriette Gräfin von Hohenzollern-Sigmaringen-"
             "Wittelsbach-Schwarzenberg zu Löwenstein-Wertheim-Rosenberg und Thurn-und-Taxis")


@pytest.mark.parametrize(("language", "labels", "dates"), [
    ("de", ["Hiermit wird bescheinigt, dass", "Kursversion", "Gültig bis", "270 Minuten",
            "Zertifikatsnummer"],
     ["14.03.2025", "31.03.2027", "Ausgestellt am 15.03.2025"]),
    ("en", ["This is to certify that", "Course version", "Valid until", "270 minutes", "Certificate code"],
     ["14 March 2025", "31 March 2027", "Issued on 15 March 2025"]),
])
def test_pdf_shows_every_claim(signing_key: Ed25519PrivateKey, language: str, labels: list[str],
                               dates: list[str]) -> None:
    data = make_data(language=language)
    pdf, _ = render_signed(data, signing_key)
    lines = pdf_lines(pdf)
    claims = [data.certificate_title, data.participant_name, data.course_title, data.course_version,
              data.signatory, data.code]
    for expected in [*claims, *labels, *dates]:
        assert expected in lines, (expected, lines)
    assert data.verify_url.replace("\n", "") in "".join(lines)


@pytest.mark.parametrize("language", ["de", "en"])
@pytest.mark.parametrize("valid_until", [date(2027, 3, 31), None])
def test_printed_claims_are_what_the_pdf_shows(language: str, valid_until: date | None) -> None:
    data = make_data(language=language, valid_until=valid_until)
    lines = pdf_lines(render_pdf(data))
    claims = printed_claims(data)
    assert set(claims) == {"participant_name", "course_title", "completed_on", "course_version", "duration",
                           "valid_until", "issued_on", "signatory", "code"}
    for label, value in claims.values():
        assert value in lines, value
        assert not label or label in lines, label


@pytest.mark.parametrize(("language", "text"), [("de", "ohne Ablaufdatum"), ("en", "no expiry date")])
def test_pdf_without_expiry_says_so(language: str, text: str) -> None:
    lines = pdf_lines(render_pdf(make_data(language=language, valid_until=None)))
    assert text in lines
    assert "Gültig bis" not in lines and "Valid until" not in lines


def test_page_is_a4_landscape() -> None:
    page = pdf_reader(render_pdf(make_data())).pages[0]
    width, height = float(page.mediabox.width), float(page.mediabox.height)
    assert (round(width / 72 * 25.4), round(height / 72 * 25.4)) == (297, 210)


def _fonts(pdf: bytes) -> list[Any]:
    page = pdf_reader(pdf).pages[0]
    return [font.get_object() for font in page["/Resources"]["/Font"].values()]


@pytest.mark.parametrize("name", UNICODE_NAMES)
def test_unicode_names_render_in_the_bundled_font(name: str) -> None:
    assert missing_glyphs(name) == set()
    pdf = render_pdf(make_data(participant_name=name))
    assert name in pdf_lines(pdf)  # extracts back exactly, character for character
    fonts = _fonts(pdf)
    assert fonts
    for font in fonts:
        # every font is a DejaVu subset embedded in the file: no viewer substitutes another
        assert "DejaVuSans" in str(font["/BaseFont"])
        descendant = font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
        assert "/FontFile2" in descendant["/FontDescriptor"].get_object()


def test_the_bundled_font_is_what_the_layout_uses() -> None:
    fonts = load_layout().fonts
    assert fonts["regular"].name == "DejaVuSans.ttf"
    assert fonts["bold"].name == "DejaVuSans-Bold.ttf"
    assert (fonts["regular"].parent / "LICENSE-DejaVu.txt").is_file()


def test_characters_outside_the_font_are_reported() -> None:
    assert missing_glyphs("王秀英 Müller") == {"王", "秀", "英"}


def _char_boxes(pdf: bytes, loose: bool = False) -> list[tuple[str, float, float, float, float]]:
    """Each drawn character with its box (left, bottom, right, top) as PDFium measures it;
    loose: the font's full ascent-to-descent box instead of the glyph's ink."""
    import pypdfium2

    document = pypdfium2.PdfDocument(pdf)
    try:
        textpage = document[0].get_textpage()
        boxes = []
        for index in range(textpage.count_chars()):
            char = textpage.get_text_range(index, 1)
            if char.strip():
                boxes.append((char, *textpage.get_charbox(index, loose=loose)))
        return boxes
    finally:
        document.close()


@pytest.mark.parametrize("name", [LONG_NAME, "W" * 120, "Ł" * 60 + " " + "Ş" * 60])
def test_long_names_shrink_and_stay_on_the_page(name: str) -> None:
    layout = load_layout()
    margin = layout.margin_mm / 25.4 * 72
    pdf = render_pdf(make_data(participant_name=name))
    boxes = _char_boxes(pdf)
    assert len(boxes) > len(name.replace(" ", ""))
    for char, left, bottom, right, top in boxes:
        assert margin - 0.5 <= left and right <= PAGE_WIDTH - margin + 0.5, (char, left, right)
        assert bottom >= 0 and top <= PAGE_HEIGHT
    # every character of the name is there, on one or two lines
    assert "".join(name.split()) in "".join(pdf_text(pdf).split())


def test_long_name_is_drawn_smaller_than_a_short_one() -> None:
    def name_size(pdf: bytes, name: str) -> float:
        sizes = []

        def visit(text: str, cm: Any, tm: Any, font: Any, size: float) -> None:
            if text.strip() and text.strip() in name:
                sizes.append(size * tm[0])

        pdf_reader(pdf).pages[0].extract_text(visitor_text=visit)
        return max(sizes)

    short = "Ayşe Yılmaz"
    assert name_size(render_pdf(make_data(participant_name=LONG_NAME)), LONG_NAME) < \
        name_size(render_pdf(make_data(participant_name=short)), short)


def test_qr_code_decodes_to_the_verify_url() -> None:
    import pypdfium2
    import zxingcpp

    data = make_data()
    document = pypdfium2.PdfDocument(render_pdf(data))
    try:
        image = document[0].render(scale=150 / 72).to_pil()
    finally:
        document.close()
    results = zxingcpp.read_barcodes(image)
    assert [r.text for r in results] == [data.verify_url]
    assert results[0].format == zxingcpp.BarcodeFormat.QRCode


def test_qr_code_drawn_is_segnos_matrix_for_the_verify_url() -> None:
    data = make_data(verify_url="https://lernen.example.de/verify/ABCD-EFGH-JKMN-PQRS-TVWX-YZ01-2345")
    page = pdf_reader(render_pdf(data)).pages[0]
    forms = {str(name): ref.get_object() for name, ref in page["/Resources"]["/XObject"].items()}
    (form,) = [form for name, form in forms.items() if name.endswith(QR_FORM_NAME)]
    size = int(form["/BBox"][2])
    drawn = [[0] * size for _ in range(size)]
    for operands, operator in ContentStream(form, None).operations:
        if operator == b"re":
            x, y, width, height = (int(v) for v in operands)
            for column in range(x, x + width):
                for row in range(size - y - height, size - y):
                    drawn[row][column] = 1
    expected = [list(row) for row in segno.make_qr(data.verify_url, error="m").matrix]
    assert drawn == expected


def test_credential_is_attached_and_verifies(signing_key: Ed25519PrivateKey) -> None:
    data = make_data(participant_name="Ayşe Yılmaz")
    pdf, credential_json = render_signed(data, signing_key)
    assert extract_credential(pdf) == credential_json
    credential = load_credential(extract_credential(pdf) or b"")
    assert verify_credential(credential, [signing_key.public_key()]) == "valid"
    assert credential["credentialSubject"]["name"] == "Ayşe Yılmaz"


def test_pdf_without_credential_has_no_attachment() -> None:
    assert extract_credential(render_pdf(make_data())) is None


def test_extract_credential_refuses_what_is_not_a_pdf() -> None:
    with pytest.raises(ValueError, match="not a readable PDF"):
        extract_credential(b"%PDF-1.4\nthis is no PDF")


def test_rendering_is_deterministic(signing_key: Ed25519PrivateKey) -> None:
    data = make_data()
    first, credential = render_signed(data, signing_key)
    assert render_pdf(data, credential) == first
    other = render_pdf(make_data(code=data.code, completed_on=date(2025, 3, 13)), credential)
    assert other != first


def test_pdf_metadata_names_the_language_and_certificate() -> None:
    data = make_data(language="en", certificate_title="Certificate of Completion")
    reader = pdf_reader(render_pdf(data))
    assert reader.trailer["/Root"]["/Lang"] == "en"
    assert reader.metadata.title == f"Certificate of Completion – {data.participant_name}"
    assert reader.metadata.creation_date.year == 2025


def test_bytes_stay_small() -> None:
    # subset fonts, vector QR code: a certificate is tens of kilobytes, not megabytes
    assert len(render_pdf(make_data())) < 80_000


def test_pdf_bytes_parse_as_one_page() -> None:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(render_pdf(make_data())), strict=True)
    assert len(reader.pages) == 1


def test_wrapped_name_and_course_do_not_collide_with_other_lines() -> None:
    pdf = render_pdf(make_data(
        participant_name=LONG_NAME,
        course_title="Bedrohungsmanagement in der öffentlichen Verwaltung: Warnsignale erkennen, Fälle "
                     "bewerten und gemeinsam mit Polizei und Partnern handeln",
        signatory="Prof. Dr. Hans-Joachim Müller-Lüdenscheidt, Leiter des Referats Fortbildung, "
                  "Landesamt für Aus- und Fortbildung und Verwaltungsmodernisierung"))
    rows: dict[float, list[tuple[float, float, float, float]]] = {}  # by line: loose boxes share a bottom
    for _, left, bottom, right, top in _char_boxes(pdf, loose=True):
        rows.setdefault(round(bottom), []).append((left, bottom, right, top))
    boxes = [(min(b[0] for b in row), min(b[1] for b in row), max(b[2] for b in row), max(b[3] for b in row))
             for row in rows.values()]
    for i, first in enumerate(boxes):
        for second in boxes[i + 1:]:
            overlap_x = first[0] < second[2] and second[0] < first[2]
            overlap_y = first[1] < second[3] and second[1] < first[3]
            assert not (overlap_x and overlap_y), (first, second)
