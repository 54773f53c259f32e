"""The printed page against the signed data: what a certificate PDF shows that its credential
does not say.

The credential's claims say exactly what the page must print. The page is rendered again from
them with the same layout, and the text lines of both pages are compared (whitespace ignored,
as long texts wrap): a line the signed data does not produce (an edited name, an added or
overlaid line) and a line it produces that the page lacks are both differences. The issue
date is printed in the issuing site's time zone, unknown here, so any day from the UTC day
before to the one after counts."""

from __future__ import annotations

import dataclasses
import difflib
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from lernmodul.certificates.data import LANGUAGES, CertificateData
from lernmodul.certificates.layout import Layout, load_layout
from lernmodul.certificates.pdf import printed_claims, render_pdf

# printed_claims' keys as the credential names them (credential_claims' labels)
CLAIM_NAMES = {
    "participant_name": "name", "course_title": "course", "completed_on": "completed on",
    "course_version": "version", "duration": "duration (minutes)", "valid_until": "valid until",
    "issued_on": "issued at", "signatory": "issuer", "code": "code",
}
TEXT = "text"  # a difference in text that is no claim (a label, or a line the data lacks)


@dataclass(frozen=True, slots=True)
class PageDifference:
    """One difference: the claim (or "text"), what the signed data prints, what the page shows
    there ("" when the page lacks it, or the signed data has nothing there)."""

    claim: str
    signed: str
    page: str


def page_lines(pdf: bytes) -> list[str]:
    """The text lines of the first page, as pypdf extracts them; ValueError if unreadable."""
    from pypdf import PdfReader

    try:
        text = PdfReader(io.BytesIO(pdf), strict=False).pages[0].extract_text()
    except Exception as error:  # hostile files make pypdf raise errors of any kind
        raise ValueError(f"cannot read the page's text: {error}") from error
    return [line.strip() for line in text.splitlines() if line.strip()]


def signed_data(credential: dict[str, Any]) -> CertificateData:
    """The certificate data a credential states (its issue time in UTC); ValueError if it lacks one."""
    try:
        subject = credential["credentialSubject"]
        achievement = subject["achievement"]
        issuer = credential["issuer"]
        valid_until = credential.get("validUntil")
        language = achievement.get("inLanguage", "de")
        if language not in LANGUAGES:
            raise ValueError(f"unknown language {language!r}")
        return CertificateData(
            code=str(credential["certificateCode"]), participant_name=str(subject["name"]),
            course_id=str(achievement["humanCode"]), course_title=str(achievement["name"]),
            course_version=str(achievement["version"]),
            duration_minutes=int(achievement["durationMinutes"]),
            completed_on=date.fromisoformat(str(subject["activityEndDate"])[:10]),
            valid_until=date.fromisoformat(str(valid_until)[:10]) if valid_until else None,
            signatory=str(issuer["name"]) if isinstance(issuer, dict) else "",
            certificate_title=str(credential["name"]), verify_url=str(credential["id"]),
            language=language,
            issued_at=datetime.fromisoformat(str(credential["validFrom"]).replace("Z", "+00:00"))
            .astimezone(UTC))
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise ValueError(f"the credential does not state every printed claim ({error})") from error


def compare_page(pdf: bytes, credential: dict[str, Any], layout: Layout | None = None,
                 ) -> list[PageDifference]:
    """The differences between the page of `pdf` and what `credential` makes it print; [] if none."""
    layout = layout or load_layout()
    page = page_lines(pdf)
    best: list[PageDifference] | None = None
    for data in _candidates(signed_data(credential)):
        differences = _differences(page_lines(render_pdf(data, layout=layout)), page, data, layout)
        if best is None or len(differences) < len(best):
            best = differences
        if not best:
            break
    assert best is not None
    return best


def _candidates(data: CertificateData) -> Iterator[CertificateData]:
    """The pages the signed data allows: the issue day in UTC, then the day before and after;
    and, where the issuer's name is only the fallback for a missing signatory, without one."""
    day = data.issued_at.date()
    signatories = [data.signatory]
    if data.signatory in (urlsplit(data.verify_url).netloc, data.certificate_title):
        signatories.append("")
    for shift in (0, -1, 1):
        moment = datetime.combine(day + timedelta(days=shift), datetime.min.time(), UTC) + timedelta(hours=12)
        for signatory in signatories:
            yield dataclasses.replace(data, issued_at=moment, signatory=signatory)


def _key(text: str) -> str:
    return "".join(text.split())


def _differences(expected: list[str], page: list[str], data: CertificateData,
                 layout: Layout) -> list[PageDifference]:
    claims = {key: _key(value) for key, (_, value) in printed_claims(data, layout).items() if _key(value)}
    claims["title"] = _key(data.certificate_title)
    claims["verify"] = _key(data.verify_url)

    def claim_of(lines: list[str]) -> str:
        # the claim the lines print: the same text, else the longest claim within them or
        # the claim they are part of (a wrapped line)
        text = _key("".join(lines))
        ranked = sorted(((value == text, len(value), key) for key, value in claims.items()
                         if value in text or text in value), reverse=True)
        return CLAIM_NAMES.get(ranked[0][2], ranked[0][2]) if text and ranked else TEXT

    matcher = difflib.SequenceMatcher(None, [_key(x) for x in expected], [_key(x) for x in page],
                                      autojunk=False)
    differences = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        signed, shown = expected[i1:i2], page[j1:j2]
        differences.append(PageDifference(claim_of(signed) if signed else TEXT,
                                          " ".join(signed), " ".join(shown)))
    return differences
