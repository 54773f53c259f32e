"""The certificate PDF: one A4 landscape page drawn with reportlab, the credential attached."""

from __future__ import annotations

import hashlib
import io
import itertools
import math
import re
from dataclasses import dataclass
from pathlib import Path

import segno
from reportlab import rl_config
from reportlab.lib.colors import HexColor
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfdoc, pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from lernmodul.certificates.data import CertificateData
from lernmodul.certificates.layout import Labels, Layout, TextStyle, load_layout

PAGE_WIDTH, PAGE_HEIGHT = landscape(A4)  # points
CREDENTIAL_FILE_NAME = "credential.json"
QR_FORM_NAME = "QRCode"
QR_QUIET_ZONE = 4  # modules of white around the code, as ISO/IEC 18004 asks
_LEADING = 1.22  # line distance / font size for wrapped lines
_BREAK_AFTER = re.compile(r"(?<=[-/])|(?= )")  # break chances: after a hyphen or slash, before a space

# Plain Flate streams: ASCII85 on top (reportlab's default) only makes the file a quarter larger.
rl_config.useA85 = 0

_FONT_NAMES: dict[Path, str] = {}
_IMAGES: dict[Path, ImageReader] = {}


@dataclass(frozen=True, slots=True)
class FittedText:
    lines: tuple[str, ...]
    size: float


def render_pdf(data: CertificateData, credential_json: bytes | None = None, *,
               layout: Layout | None = None) -> bytes:
    """The certificate as PDF bytes; `credential_json` is attached as credential.json.

    The same data, credential and layout always give the same bytes."""
    layout = layout or load_layout()
    labels = layout.labels[data.language]
    fonts: dict[str, str] = {key: font_name(path) for key, path in layout.fonts.items()}
    buffer = io.BytesIO()
    # initialFontName: else reportlab references Helvetica (not embedded) on every page
    canvas = Canvas(buffer, pagesize=(PAGE_WIDTH, PAGE_HEIGHT), pageCompression=1, invariant=1,
                    lang=data.language, initialFontName=fonts["regular"])  # type: ignore[arg-type]  # stub says float
    _set_timestamp(canvas, data)
    canvas.setTitle(f"{data.certificate_title} – {data.participant_name}")
    canvas.setAuthor(data.signatory or data.certificate_title)
    canvas.setSubject(f"{labels['subject']}: {data.course_title}")
    canvas.setCreator("lernmodul")
    canvas.setKeywords(data.code)
    _draw_page(canvas, data, layout, labels, fonts)
    if credential_json is not None:
        _attach(canvas, CREDENTIAL_FILE_NAME, credential_json, labels["attachment_description"],
                "application/json")
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def printed_claims(data: CertificateData, layout: Layout | None = None) -> dict[str, tuple[str, str]]:
    """What the PDF prints for each claim, as (label, value) in the certificate's language.

    A verification page that shows these shows exactly what is on the paper."""
    layout = layout or load_layout()
    labels = layout.labels[data.language]
    completed, version, duration, validity = _facts(data, labels)
    return {
        "participant_name": ("", data.participant_name),
        "course_title": ("", data.course_title),
        "completed_on": completed,
        "course_version": version,
        "duration": duration,
        "valid_until": validity,
        "issued_on": ("", labels["issued_on"].format(date=labels.format_date(data.issued_at.date()))),
        "signatory": ("", data.signatory),
        "code": (labels["code"], data.code),
    }


def _facts(data: CertificateData, labels: Labels) -> list[tuple[str, str]]:
    """The row of facts under the course title: completion, version, duration, validity."""
    return [
        (labels["completed_on"], labels.format_date(data.completed_on)),
        (labels["version"], data.course_version),
        (labels["duration"], labels["minutes"].format(minutes=data.duration_minutes)),
        (labels["valid_until"], labels.format_date(data.valid_until)) if data.valid_until is not None
        else (labels["validity"], labels["no_expiry"]),
    ]


def font_name(path: Path) -> str:
    """Registers a TrueType file with reportlab once per process; its name for setFont.

    reportlab embeds only the glyphs a document uses (a subset), so the PDF stays small."""
    name = _FONT_NAMES.get(path)
    if name is None:
        name = "Cert" + hashlib.sha256(str(path).encode()).hexdigest()[:10]
        pdfmetrics.registerFont(TTFont(name, str(path)))
        _FONT_NAMES[path] = name
    return name


def missing_glyphs(text: str, layout: Layout | None = None, font: str = "bold") -> set[str]:
    """The characters of `text` the layout's font cannot draw (they would print as boxes)."""
    layout = layout or load_layout()
    face = pdfmetrics.getFont(font_name(layout.fonts[font])).face  # type: ignore[index, attr-defined]
    return {char for char in text if not char.isspace() and ord(char) not in face.charToGlyph}


def fit_text(text: str, font: str, size: float, min_size: float, width: float,
             max_lines: int = 1) -> FittedText:
    """Lines and size so that no line is wider than `width` points.

    Keeps `size` if it fits; else shrinks down to `min_size`, then tries more lines
    (breaking after hyphens and at spaces, balanced), and only then goes below `min_size`."""
    text = " ".join(text.split())
    best: FittedText | None = None
    for count in range(1, max_lines + 1):
        lines = _split_balanced(text, font, count)
        widest = max(pdfmetrics.stringWidth(line, font, 1.0) for line in lines)
        fitted = size if widest == 0 else min(size, math.floor(width / widest * 100) / 100)
        candidate = FittedText(lines, fitted)
        if fitted >= min_size:
            return candidate
        if best is None or fitted > best.size:
            best = candidate
    assert best is not None
    return best


def _split_balanced(text: str, font: str, count: int) -> tuple[str, ...]:
    """`text` in at most `count` lines, breaking where the widest line is narrowest."""
    pieces = [p for p in _BREAK_AFTER.split(text) if p]
    count = min(count, len(pieces))  # three lines of two pieces are two lines
    if count == 1:
        return (text,)

    def width(start: int, end: int) -> float:
        return pdfmetrics.stringWidth("".join(pieces[start:end]).strip(), font, 1.0)

    best: tuple[float, tuple[int, ...]] | None = None
    if count == 2:
        cuts_list: list[tuple[int, ...]] = [(i,) for i in range(1, len(pieces))]
    else:
        cuts_list = [(i, j) for i in range(1, len(pieces) - 1) for j in range(i + 1, len(pieces))]
    for cuts in cuts_list:
        bounds = (0, *cuts, len(pieces))
        widest = max(width(a, b) for a, b in itertools.pairwise(bounds))
        if best is None or widest < best[0]:
            best = (widest, cuts)
    assert best is not None
    bounds = (0, *best[1], len(pieces))
    return tuple("".join(pieces[a:b]).strip() for a, b in itertools.pairwise(bounds))


def _draw_page(canvas: Canvas, data: CertificateData, layout: Layout, labels: Labels,
               fonts: dict[str, str]) -> None:
    margin = layout.margin_mm * mm
    text_width = PAGE_WIDTH - 2 * margin
    centre = PAGE_WIDTH / 2

    if layout.frame is not None:
        frame = layout.frame
        canvas.setStrokeColor(HexColor(frame.colour))
        canvas.setLineWidth(frame.thickness_pt)
        inset = frame.inset_mm * mm
        canvas.rect(inset, inset, PAGE_WIDTH - 2 * inset, PAGE_HEIGHT - 2 * inset, stroke=1, fill=0)
        if frame.inner_gap_mm:
            inner = inset + frame.inner_gap_mm * mm
            canvas.setLineWidth(frame.thickness_pt / 3)
            canvas.rect(inner, inner, PAGE_WIDTH - 2 * inner, PAGE_HEIGHT - 2 * inner, stroke=1, fill=0)

    if layout.logo is not None:
        logo = layout.logo
        image = _IMAGES.get(logo.path) or _IMAGES.setdefault(logo.path, ImageReader(str(logo.path)))
        image_width, image_height = image.getSize()
        width = logo.width_mm * mm
        height = width * image_height / image_width
        canvas.drawImage(image, logo.x_mm * mm, PAGE_HEIGHT - logo.y_mm * mm - height, width, height,
                         mask="auto")

    def width_of(style: TextStyle) -> float:
        return text_width if style.width_mm is None else min(text_width, style.width_mm * mm)

    for text, style in ((labels["header"], layout.header), (data.certificate_title, layout.title)):
        if text.strip():
            _draw_block(canvas, text, style, fonts, centre, width_of(style), "centre")
    if layout.title_rule is not None:
        rule = layout.title_rule
        canvas.setStrokeColor(HexColor(rule.colour))
        canvas.setLineWidth(rule.thickness_pt)
        y = PAGE_HEIGHT - rule.y_mm * mm
        canvas.line(centre - rule.width_mm * mm / 2, y, centre + rule.width_mm * mm / 2, y)

    # The middle column: a text that wraps pushes the texts below it down, and the column
    # as a whole moves up by half of that, so the gaps between texts stay as designed.
    column = [(labels["intro"], layout.intro), (data.participant_name, layout.name),
              (labels["course_intro"], layout.course_intro), (data.course_title, layout.course),
              (labels["course_outro"], layout.course_outro)]
    fitted = [(style, fit_text(text, fonts[style.font], style.size, style.min_size, width_of(style),
                               style.max_lines))
              for text, style in column if text.strip()]
    extras = [(len(f.lines) - 1) * f.size * _LEADING for _, f in fitted]
    shift = -sum(extras) / 2  # points downwards
    for (style, lines), extra in zip(fitted, extras, strict=True):
        _draw_lines(canvas, lines, style, fonts, centre, PAGE_HEIGHT - style.y_mm * mm - shift, "centre")
        shift += extra
    _draw_details(canvas, data, layout, labels, fonts, min(text_width, layout.details.width_mm * mm))
    _draw_signature(canvas, data, layout, labels, fonts)
    _draw_verification(canvas, data, layout, labels, fonts)


def _draw_block(canvas: Canvas, text: str, style: TextStyle, fonts: dict[str, str], x: float,
                width: float, align: str, *, grow: str = "both") -> float:
    """Draws fitted text with its baseline at style.y_mm; returns the last baseline (points).

    grow="both" centres several lines on that baseline, grow="down" starts there."""
    fitted = fit_text(text, fonts[style.font], style.size, style.min_size, width, style.max_lines)
    first = PAGE_HEIGHT - style.y_mm * mm
    if grow == "both":
        first += fitted.size * _LEADING * (len(fitted.lines) - 1) / 2
    return _draw_lines(canvas, fitted, style, fonts, x, first, align)


def _draw_lines(canvas: Canvas, fitted: FittedText, style: TextStyle, fonts: dict[str, str], x: float,
                first: float, align: str) -> float:
    canvas.setFillColor(HexColor(style.colour))
    canvas.setFont(fonts[style.font], fitted.size)
    y = first
    for i, line in enumerate(fitted.lines):
        y = first - i * fitted.size * _LEADING
        if align == "centre":
            canvas.drawCentredString(x, y, line)
        elif align == "right":
            canvas.drawRightString(x, y, line)
        else:
            canvas.drawString(x, y, line)
    return y


def _draw_details(canvas: Canvas, data: CertificateData, layout: Layout, labels: Labels,
                  fonts: dict[str, str], width: float) -> None:
    details = layout.details
    facts = _facts(data, labels)
    column = width / len(facts)
    label_y = details.y_mm
    value_y = details.y_mm + details.value_gap_mm
    for i, (label, value) in enumerate(facts):
        x = PAGE_WIDTH / 2 + (i - (len(facts) - 1) / 2) * column
        _draw_block(canvas, label, TextStyle(label_y, details.label_size, details.label_size * 0.7,
                                             "regular", details.label_colour, 1),
                    fonts, x, column - 4 * mm, "centre")
        _draw_block(canvas, value, TextStyle(value_y, details.value_size, details.value_size * 0.6,
                                             "bold", details.value_colour, 1),
                    fonts, x, column - 4 * mm, "centre")


def _draw_signature(canvas: Canvas, data: CertificateData, layout: Layout, labels: Labels,
                    fonts: dict[str, str]) -> None:
    sig = layout.signature
    x = sig.x_mm * mm
    width = min(sig.width_mm * mm, PAGE_WIDTH - layout.margin_mm * mm - x)
    small = sig.small_size * 0.3528 + 2.2  # mm between the small lines and the signatory
    _draw_block(canvas, labels["issued_on"].format(date=labels.format_date(data.issued_at.date())),
                TextStyle(sig.y_mm - small - 1, sig.small_size, sig.small_size * 0.7, "regular",
                          sig.muted_colour, 1), fonts, x, width, "left")
    last = _draw_block(canvas, data.signatory or "—",
                       TextStyle(sig.y_mm, sig.size, sig.size * 0.7, "regular", sig.colour, 2),
                       fonts, x, width, "left", grow="down")
    if labels["signature_note"].strip():
        note_y = (PAGE_HEIGHT - last) / mm + small + 0.6
        _draw_block(canvas, labels["signature_note"],
                    TextStyle(note_y, sig.small_size, sig.small_size * 0.7, "regular", sig.muted_colour, 2),
                    fonts, x, width, "left", grow="down")


def _draw_verification(canvas: Canvas, data: CertificateData, layout: Layout, labels: Labels,
                       fonts: dict[str, str]) -> None:
    ver = layout.verification
    qr = segno.make_qr(data.verify_url, error="m")
    size = ver.qr_size_mm * mm
    modules = qr.symbol_size(border=QR_QUIET_ZONE)[0]
    module = size / modules
    quiet = QR_QUIET_ZONE * module
    right = PAGE_WIDTH - layout.margin_mm * mm + quiet  # the white quiet zone may reach into the margin
    left = right - size
    bottom = PAGE_HEIGHT - ver.bottom_mm * mm
    _draw_qr(canvas, qr, left + quiet, bottom + quiet, module, ver.qr_colour)

    text_right = left + QR_QUIET_ZONE * module - 4 * mm
    width = ver.text_width_mm * mm
    top_mm = ver.bottom_mm - ver.qr_size_mm + QR_QUIET_ZONE * module / mm  # top of the visible code
    small_step = ver.small_size * 0.3528 + 1.6
    y = top_mm + ver.small_size * 0.3528 * 0.75
    _draw_block(canvas, labels["code"], TextStyle(y, ver.small_size, ver.small_size, "regular",
                                                  ver.muted_colour, 1), fonts, text_right, width, "right")
    y += ver.code_size * 0.3528 + 1.8
    _draw_block(canvas, data.code, TextStyle(y, ver.code_size, ver.code_size * 0.6, "bold", ver.colour, 1),
                fonts, text_right, width, "right")
    y += small_step + 3.2
    _draw_block(canvas, labels["verify"], TextStyle(y, ver.small_size, ver.small_size, "regular",
                                                    ver.muted_colour, 1), fonts, text_right, width, "right")
    y += small_step
    # The address on one line if it fits at the small size, else broken after its last slash.
    url_font = fonts["regular"]
    lines: tuple[str, ...] = (data.verify_url,)
    if pdfmetrics.stringWidth(data.verify_url, url_font, ver.small_size) > width and "/" in data.verify_url:
        head, _, tail = data.verify_url.rpartition("/")
        lines = (head + "/", tail) if tail else (data.verify_url,)
    widest = max(pdfmetrics.stringWidth(line, url_font, 1.0) for line in lines)
    size = min(ver.small_size, math.floor(width / widest * 100) / 100)
    canvas.setFont(url_font, size)
    canvas.setFillColor(HexColor(ver.colour))
    for line in lines:
        canvas.drawRightString(text_right, PAGE_HEIGHT - y * mm, line)
        y += size * _LEADING / mm


def _draw_qr(canvas: Canvas, qr: segno.QRCode, x: float, y: float, module: float, colour: str) -> None:
    """The QR code as vector rectangles (one per run of dark modules) in a form XObject.

    Inside the form one unit is one module and row 0 is the top row, so the drawn matrix
    can be read back from the PDF and compared with segno's."""
    rows = qr.matrix
    count = len(rows)
    canvas.beginForm(QR_FORM_NAME, 0, 0, count, count)
    canvas.setFillColor(HexColor(colour))
    # Integer rectangles written directly: reportlab's path API formats every number as a
    # float, which costs more than the rest of the page for a few hundred modules.
    runs = []
    for r, row in enumerate(rows):
        c = 0
        while c < count:
            if row[c]:
                start = c
                while c < count and row[c]:
                    c += 1
                runs.append(f"{start} {count - 1 - r} {c - start} 1 re")
            else:
                c += 1
    canvas.addLiteral("\n".join(runs) + "\nf")
    canvas.endForm()
    canvas.saveState()
    canvas.translate(x, y)
    canvas.scale(module, module)
    canvas.doForm(QR_FORM_NAME)
    canvas.restoreState()


def _attach(canvas: Canvas, name: str, content: bytes, description: str, mime: str) -> None:
    """Adds an embedded file (PDF 1.7 §7.11.4) listed in the catalogue's EmbeddedFiles name tree.

    reportlab has no API for attachments; these are its own low-level PDF objects."""
    document = canvas._doc  # type: ignore[attr-defined]
    stream = pdfdoc.PDFStream(
        pdfdoc.PDFDictionary({
            "Type": pdfdoc.PDFName("EmbeddedFile"),
            "Subtype": pdfdoc.PDFName(mime.replace("/", "#2F")),  # PDFName leaves "/" unescaped
            "Params": pdfdoc.PDFDictionary({"Size": len(content)}),
        }),
        content, filters=[pdfdoc.PDFZCompress])
    filespec = pdfdoc.PDFDictionary({
        "Type": pdfdoc.PDFName("Filespec"),
        "F": pdfdoc.PDFString(name),
        "UF": pdfdoc.PDFString(name),
        "Desc": pdfdoc.PDFString(description),
        "AFRelationship": pdfdoc.PDFName("Data"),
        "EF": pdfdoc.PDFDictionary({"F": document.Reference(stream), "UF": document.Reference(stream)}),
    })
    names = pdfdoc.PDFArray([pdfdoc.PDFString(name), document.Reference(filespec)])
    document.Catalog.Names = pdfdoc.PDFDictionary(
        {"EmbeddedFiles": pdfdoc.PDFDictionary({"Names": names})})


def _set_timestamp(canvas: Canvas, data: CertificateData) -> None:
    # invariant mode fixes the file id; the creation date is the issue time, so that
    # re-rendering a certificate gives the same bytes.
    stamp = canvas._doc._timeStamp  # type: ignore[attr-defined]
    moment = data.issued_at.utctimetuple()
    stamp.t = data.issued_at.timestamp()
    stamp.lt = moment
    stamp.YMDhms = tuple(moment)[:6]


def extract_credential(pdf: bytes) -> bytes | None:
    """The credential.json attached to a certificate PDF, or None; ValueError if not a PDF."""
    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(pdf), strict=False)
        attachments = reader.attachments
        found = attachments.get(CREDENTIAL_FILE_NAME)
    except Exception as error:  # hostile files make pypdf raise errors of any kind
        raise ValueError(f"not a readable PDF: {error}") from error
    return found[0] if found else None
