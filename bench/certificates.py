"""Certificates per second: the full certificate next to a bare reportlab page, measured in the same run.

The bare page draws the same texts in a built-in font (nothing embedded, no QR code, no
attachment), so the ratio is the cost of the embedded TrueType subset, the QR code and the
signed credential. CPU time (process_time), after one warm-up render that loads the font.

    .venv/bin/python bench/certificates.py [N]
"""

from __future__ import annotations

import sys

# bench/http.py must not shadow the standard library's `http` package for this script
sys.path[:] = [p for p in sys.path if not p.endswith("bench")]

import io
import time
from datetime import UTC, date, datetime

import segno
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from reportlab.lib.pagesizes import A4, landscape
from reportlab.pdfgen.canvas import Canvas

from lernmodul.certificates import CertificateData, dump_credential, new_code, render_pdf, sign_credential

NAMES = ["Jürgen Weiß-Özdemir", "Zofia Łukasiewicz", "Ayşe Yılmaz", "Nguyễn Thị Minh Khai"]


def sample(i: int) -> CertificateData:
    code = new_code()
    return CertificateData(
        code=code, participant_name=NAMES[i % len(NAMES)], course_id="bedrohungsmanagement",
        course_title="Bedrohungsmanagement in der Verwaltung", course_version="2.3.1",
        duration_minutes=270, completed_on=date(2025, 3, 14), valid_until=date(2027, 3, 31),
        signatory="Dr. Anna Schmidt, Referat Fortbildung", certificate_title="Teilnahmebescheinigung",
        verify_url=f"https://lernen.example.de/verify/{code}", language="de",
        issued_at=datetime(2025, 3, 15, 8, 30, tzinfo=UTC))


def bare_page(data: CertificateData) -> bytes:
    """reportlab's minimal page: the same texts, Helvetica, nothing embedded."""
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=landscape(A4), pageCompression=1)
    lines = [data.certificate_title, "Hiermit wird bescheinigt, dass", data.participant_name,
             "die Fortbildung", data.course_title, "erfolgreich abgeschlossen hat.", "14.03.2025",
             data.course_version, "270 Minuten", "31.03.2027", data.signatory, data.code, data.verify_url]
    canvas.setFont("Helvetica", 12)
    for i, line in enumerate(lines):
        canvas.drawCentredString(421, 540 - 36 * i, line)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def per_item_ms(items: list[CertificateData], work: object) -> tuple[float, int]:
    size = 0
    start = time.process_time()
    for data in items:
        size += len(work(data))  # type: ignore[operator]
    return (time.process_time() - start) * 1000 / len(items), size // len(items)


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    key = Ed25519PrivateKey.generate()
    items = [sample(i) for i in range(count)]

    start = time.process_time()
    render_pdf(items[0], dump_credential(sign_credential(items[0], key)))
    first_ms = (time.process_time() - start) * 1000

    baseline_ms, baseline_bytes = per_item_ms(items, bare_page)
    sign_ms, _ = per_item_ms(items, lambda d: dump_credential(sign_credential(d, key)))
    qr_ms, _ = per_item_ms(items, lambda d: segno.make_qr(d.verify_url, error="m").matrix)
    full_ms, full_bytes = per_item_ms(
        items, lambda d: render_pdf(d, dump_credential(sign_credential(d, key))))

    print(f"certificates: {count} (CPU time per certificate, after a warm-up of {first_ms:.0f} ms)")
    print(f"  bare reportlab page (Helvetica, text):     {baseline_ms:7.2f} ms  "
          f"{baseline_bytes / 1024:5.1f} KiB")
    print(f"  of the certificate: sign (JCS + Ed25519)   {sign_ms:7.2f} ms")
    print(f"  of the certificate: QR code (segno)        {qr_ms:7.2f} ms")
    print(f"  certificate (TTF subset, QR, credential):  {full_ms:7.2f} ms  {full_bytes / 1024:5.1f} KiB")
    print(f"ms_per_certificate={full_ms:.2f} certificates_per_s={1000 / full_ms:.1f} "
          f"baseline_ms={baseline_ms:.2f} baseline_per_s={1000 / baseline_ms:.1f} "
          f"ratio={full_ms / baseline_ms:.1f} sign_ms={sign_ms:.2f} qr_ms={qr_ms:.2f} "
          f"kib_per_pdf={full_bytes / 1024:.1f} first_render_ms={first_ms:.0f}")


if __name__ == "__main__":
    main()
