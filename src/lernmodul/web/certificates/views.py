"""The learner's certificates (list, PDF and JSON downloads, renewal) and the public verify page.

Downloads are for the owner and admins; anyone else gets 404 (the certificate does not exist
for them). The verify page needs no login, shows only the claims printed on the certificate
and has the same shape for a known and an unknown code; lookups are limited per client
address in the database, so the limit holds across all workers."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from lernmodul.certificates import (
    InvalidCodeError,
    PageDifference,
    Verdict,
    context_document,
    dump_credential,
    normalize_code,
    page_differences,
    printed_claims,
    public_key_pem,
    render_pdf,
    verify_file,
)
from lernmodul.db.certificates import Certificate
from lernmodul.db.engine import session_scope
from lernmodul.db.models import Enrolment, Role, utcnow
from lernmodul.services import certificates as service
from lernmodul.services import courses as course_service
from lernmodul.web.access import login_required_any, public, roles_required
from lernmodul.web.certificates.edge import (
    NO_BASE_URL,
    bp,
    certificate_state,
    course_of,
    issue_pending_for_current_user,
    layout,
    timezone,
    today,
)
from lernmodul.web.certificates.forms import VerifyFileForm
from lernmodul.web.database import get_database, get_session, record_audit
from lernmodul.web.security import render_error
from lernmodul.web.security_log import log_security_event

ERRORS = {
    NO_BASE_URL: (503, _l("Certificates cannot be issued at the moment: the public address of "
                          "this server is not configured. Please tell the administration.")),
    "renewal_not_open": (409, _l("This certificate cannot be renewed yet.")),
    "renewal_started": (409, _l("You have already started the renewal of this certificate.")),
    "no_name": (409, _l("Your account has no name to print on a certificate. Please contact "
                        "the administration.")),
}
# The rows of the verify page: every claim printed on the certificate, in the PDF's order.
CLAIM_ROWS = (
    ("participant_name", _l("Name")),
    ("course_title", _l("Course")),
    ("course_version", _l("Course version")),
    ("duration", _l("Duration")),
    ("completed_on", _l("Completed on")),
    ("valid_until", _l("Valid until")),
    ("issued_on", _l("Date of issue")),
    ("signatory", _l("Issued by")),
    ("code", _l("Certificate code")),
)
PRUNE_ONE_IN = 200  # lookups; stale counters are deleted now and then, not on every request


def refuse(error: service.CertificateError) -> tuple[str, int]:
    code, message = ERRORS.get(error.code, (400, None))
    return render_error(code, str(message) if message else None)


def _downloadable(certificate_id: int) -> Certificate:
    session = get_session()
    try:
        certificate = service.get_certificate(session, certificate_id, current_user)
    except LookupError:
        abort(404)
    if certificate.user_id != current_user.id:
        # someone else's certificate (HR, admin): person-level access is audit-logged
        record_audit(action="certificate.download", actor_id=current_user.id,
                     target=f"user:{certificate.user_id}",
                     detail={"certificate_id": certificate.id})
    return certificate


def _file_name(certificate: Certificate, extension: str) -> str:
    course = "".join(c if c.isalnum() or c in "-_" else "-" for c in certificate.course_id)
    return f"certificate-{course}-{certificate.code}.{extension}"


# --- the learner's certificates ------------------------------------------------------------


@bp.route("/certificates")
@roles_required(Role.LEARNER.value)
def index() -> str:
    session = get_session()
    day = today()
    renewal_days = current_app.config["CERTIFICATE_RENEWAL_DAYS"]
    enrolments = {e.id: e for e in session.scalars(
        select(Enrolment).where(Enrolment.user_id == current_user.id))}
    rows = []
    for certificate in service.list_certificates(session, current_user.id):
        enrolment = enrolments.get(certificate.enrolment_id)
        rows.append({
            "certificate": certificate,
            "status": service.status_of(certificate, day),
            "renewal_opens_on": service.renewal_opens_on(certificate, renewal_days),
            "can_renew": service.renewal_is_open(certificate, day, renewal_days)
            and enrolment is not None and enrolment.completed_at == certificate.completed_at,
            "renewing": service.status_of(certificate, day) in (service.VALID, service.EXPIRED)
            and enrolment is not None and enrolment.completed_at is None,
        })
    pending = [e for e in service.pending_completions(session, current_user.id)
               if _has_certificate(e)]
    return render_template("certificate/index.html", rows=rows, pending=pending)


def _has_certificate(enrolment: Enrolment) -> bool:
    version = course_service.versions_by_id(get_session(), {enrolment.course_version_id or 0})
    return bool(version) and course_of(version[0]).certificate is not None


@bp.post("/certificates/issue")
@roles_required(Role.LEARNER.value)
def issue_pending() -> Response | tuple[str, int]:
    """Issues the certificates of completions that have none yet (idempotent)."""
    try:
        issued = issue_pending_for_current_user()
    except service.CertificateError as error:
        return refuse(error)
    if issued:
        flash(_("Your certificate has been issued."), "success")
    return redirect(url_for("certificates.index"), 303)


@bp.route("/certificates/<int:certificate_id>.pdf")
@login_required_any
def download_pdf(certificate_id: int) -> Response:
    certificate = _downloadable(certificate_id)
    data = service.certificate_data(certificate, timezone())
    pdf = render_pdf(data, dump_credential(certificate.credential), layout=layout())
    return _attachment(pdf, "application/pdf", _file_name(certificate, "pdf"))


@bp.route("/certificates/<int:certificate_id>.json")
@login_required_any
def download_json(certificate_id: int) -> Response:
    certificate = _downloadable(certificate_id)
    return _attachment(dump_credential(certificate.credential), "application/json",
                       _file_name(certificate, "json"))


def _attachment(content: bytes, mimetype: str, name: str) -> Response:
    response = Response(content, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@bp.post("/certificates/<int:certificate_id>/renew")
@roles_required(Role.LEARNER.value)
def renew(certificate_id: int) -> Response | tuple[str, int]:
    """Starts the course again in the renewal window (the newest version of the course)."""
    session = get_session()
    certificate = session.get(Certificate, certificate_id)
    if certificate is None or certificate.user_id != current_user.id:
        abort(404)
    version = course_service.find_latest_version(session, certificate.course_id)
    if version is None:
        abort(404)
    try:
        service.start_renewal(session, certificate, version=version,
                              renewal_days=current_app.config["CERTIFICATE_RENEWAL_DAYS"],
                              now=utcnow(), today=today())
    except service.CertificateError as error:
        return refuse(error)
    flash(_("The course is open again. Complete it to receive a new certificate."), "success")
    return redirect(url_for("learner.course_page", course_id=certificate.course_id), 303)


# --- public verification -------------------------------------------------------------------


@bp.route("/verify")
@public
def verify_form() -> Response | tuple[str, int]:
    """A form to type a code; sends a well-formed code on to its verify page."""
    typed = request.args.get("code")
    if typed is None:
        return render_template("certificate/verify.html", result=None, typed="",
                               file_form=VerifyFileForm()), 200
    try:
        code = normalize_code(typed[:200])
    except InvalidCodeError:
        return _code_problem(typed[:200])
    return redirect(url_for("certificates.verify", code=code), 303)


def _code_problem(typed: str) -> tuple[str, int]:
    message = _("This is not a valid certificate code. A code has 28 characters (letters and "
                "digits, in groups of four); please check what you typed.")
    return render_template("certificate/verify.html", result=None, typed=typed,
                           error=message, file_form=VerifyFileForm()), 400


@bp.route("/verify/<code>")
@public
def verify(code: str) -> Response | tuple[str, int] | tuple[str, int, dict[str, str]]:
    try:
        normalized = normalize_code(code[:200])
    except InvalidCodeError:
        return _code_problem(code[:200])
    if normalized != code:
        return redirect(url_for("certificates.verify", code=normalized), 302)
    allowance = _count_lookup()
    if not allowance.is_allowed:
        log_security_event("verify.throttled")
        html, status = render_error(429)
        return html, status, {"Retry-After": str(int(allowance.retry_after.total_seconds()))}
    certificate = service.find_certificate_by_code(get_session(), normalized)
    return render_template("certificate/verify.html", result=verification(certificate, normalized),
                           typed=normalized, file_form=VerifyFileForm()), 200


def _count_lookup() -> service.LookupAllowance:
    """Counts the lookup in its own short transaction: committed whatever the page does."""
    config = current_app.config
    window = timedelta(minutes=config["VERIFY_WINDOW_MINUTES"])
    now = utcnow()
    with session_scope(get_database().sessions) as session:
        allowance = service.count_lookup(session, service.lookup_key(request.remote_addr), now=now,
                                         limit=config["VERIFY_LOOKUPS_PER_WINDOW"], window=window)
        if secrets.randbelow(PRUNE_ONE_IN) == 0:
            service.prune_lookup_counters(session, before=now - window)
    return allowance


def verification(certificate: Certificate | None, code: str) -> dict[str, Any]:
    """What the verify page shows: the same keys for a known and an unknown code."""
    empty = "—"
    if certificate is None:
        return {"status": "unknown", "language": None, "revocation": empty,
                "rows": [(key, label, code if key == "code" else empty) for key, label in CLAIM_ROWS]}
    data = service.certificate_data(certificate, timezone())
    claims = printed_claims(data, layout())
    revocation = empty
    if certificate.revoked_at is not None:
        revoked_on = certificate.revoked_at.astimezone(timezone()).date()
        labels = layout().labels[data.language]
        revocation = f"{labels.format_date(revoked_on)}: {certificate.revoked_reason or ''}"
    return {"status": service.status_of(certificate, today()), "language": data.language,
            "revocation": revocation,
            "rows": [(key, label, claims[key][1]) for key, label in CLAIM_ROWS]}


@bp.route("/verify/key.pem")
@public
def public_key() -> Response:
    """The public key that signs this site's credentials, for offline checks."""
    pem = public_key_pem(certificate_state().signing_key)
    return Response(pem, mimetype="application/x-pem-file",
                    headers={"Content-Disposition": 'inline; filename="certificate-key.pem"'})


@bp.route("/credentials/context-v1.jsonld")
@public
def credential_context() -> Response:
    """The JSON-LD context of the terms our credentials add to Open Badges 3.0; every issued
    credential references this address, so it must stay the same."""
    return Response(context_document(), mimetype="application/ld+json",
                    headers={"Access-Control-Allow-Origin": "*",
                             "Cache-Control": "public, max-age=86400"})


# The claims of a page difference, as the verify page names them.
DIFFERENCE_CLAIMS = {
    "name": _l("Name"), "course": _l("Course"), "version": _l("Course version"),
    "duration (minutes)": _l("Duration"), "completed on": _l("Completed on"),
    "valid until": _l("Valid until"), "issued at": _l("Date of issue"), "issuer": _l("Issued by"),
    "code": _l("Certificate code"), "title": _l("Title"), "verify": _l("Verification address"),
    "text": _l("Other text"),
}


@bp.post("/verify/file")
@public
def verify_uploaded() -> tuple[str, int] | tuple[str, int, dict[str, str]]:
    """Checks an uploaded certificate PDF or credential JSON against this site's key: the
    signature, the issuer binding, and for a PDF its printed page against the signed data.
    Counted like a code lookup (rendering a page costs time)."""
    form = VerifyFileForm()
    if not form.validate_on_submit():
        return render_template("certificate/verify.html", result=None, typed="", file_form=form), 400
    allowance = _count_lookup()
    if not allowance.is_allowed:
        log_security_event("verify.throttled")
        html, status = render_error(429)
        return html, status, {"Retry-After": str(int(allowance.retry_after.total_seconds()))}
    raw = form.file.data.read()
    try:
        verdict, credential = verify_file(raw, [certificate_state().signing_key.public_key()])
        differences = page_differences(raw, credential, layout()) if verdict == "valid" else None
    except ValueError:
        form.file.errors = [_("This file is neither a certificate PDF with its credential nor "
                              "a credential (JSON).")]
        return render_template("certificate/verify.html", result=None, typed="", file_form=form), 400
    return render_template("certificate/verify.html", result=None, typed="", file_form=form,
                           file_result=file_verification(verdict, credential, differences)), 200


def file_verification(verdict: Verdict, credential: dict[str, Any],
                      differences: list[PageDifference] | None) -> dict[str, Any]:
    """What the verify page shows for an uploaded file."""
    code = credential.get("certificateCode")
    return {"verdict": verdict, "has_page": differences is not None,
            "code": code if verdict == "valid" and isinstance(code, str) else None,
            "differences": [(DIFFERENCE_CLAIMS.get(d.claim, d.claim), d.signed, d.page)
                            for d in differences or []]}
