"""Certificate administration (admins): find a certificate, revoke it, re-issue it.

Every change is a POST with a CSRF token, needs a reason and lands in the audit log."""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from lernmodul.certificates import InvalidCodeError, normalize_code
from lernmodul.db.certificates import Certificate
from lernmodul.db.models import AuditLog, Role, User, utcnow
from lernmodul.services import certificates as service
from lernmodul.web.access import roles_required
from lernmodul.web.certificates.edge import NO_BASE_URL, bp, issuer, today
from lernmodul.web.certificates.forms import ReissueForm, RevokeForm
from lernmodul.web.database import get_session

ADMIN = Role.ADMIN.value
MESSAGES = {
    "already_revoked": _l("This certificate has been revoked already."),
    "superseded": _l("This certificate has been replaced by a newer one; change that one instead."),
    "reason_required": _l("Give a reason."),
    "reason_too_long": _l("The reason is too long."),
    "no_name": _l("Enter the name."),
    NO_BASE_URL: _l("Certificates cannot be issued: PUBLIC_BASE_URL is not configured."),
}


@bp.route("/admin/certificates")
@roles_required(ADMIN)
def manage() -> Response | tuple[str, int]:
    """Recent certificates, and a search by code."""
    session = get_session()
    typed = request.args.get("code", "")[:200]
    error, status = None, 200
    if typed.strip():
        try:
            found = service.find_certificate_by_code(session, normalize_code(typed))
        except InvalidCodeError:
            found, error, status = None, _("This is not a valid certificate code."), 400
        if found is not None:
            return redirect(url_for("certificates.manage_certificate", certificate_id=found.id), 303)
        if error is None:
            error, status = _("No certificate has this code."), 404
    certificates = service.list_recent_certificates(session)
    owners = _names({c.user_id for c in certificates})
    day = today()
    rows = [(c, owners.get(c.user_id, ""), service.status_of(c, day)) for c in certificates]
    return render_template("certificate/manage.html", rows=rows, typed=typed, error=error), status


def _names(ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return {u.id: u.name for u in get_session().scalars(select(User).where(User.id.in_(ids)))}


def _certificate(certificate_id: int) -> Certificate:
    certificate = get_session().get(Certificate, certificate_id)
    if certificate is None:
        abort(404)
    return certificate


def _render(certificate: Certificate, revoke_form: RevokeForm | None = None,
            reissue_form: ReissueForm | None = None, status: int = 200) -> tuple[str, int]:
    session = get_session()
    owner = session.get(User, certificate.user_id)
    history = list(session.scalars(
        select(Certificate).where(Certificate.enrolment_id == certificate.enrolment_id)
        .order_by(Certificate.id)))
    events = list(session.scalars(
        select(AuditLog).where(AuditLog.target.in_([f"certificate:{c.id}" for c in history]))
        .order_by(AuditLog.at, AuditLog.id)))
    if reissue_form is None:
        reissue_form = ReissueForm(formdata=None, participant_name=owner.name if owner else "",
                                   language=certificate.language)
    return render_template(
        "certificate/manage_certificate.html", certificate=certificate, owner=owner,
        status=service.status_of(certificate, today()), history=history, events=events,
        revoke_form=revoke_form or RevokeForm(formdata=None), reissue_form=reissue_form), status


@bp.route("/admin/certificates/<int:certificate_id>")
@roles_required(ADMIN)
def manage_certificate(certificate_id: int) -> tuple[str, int]:
    return _render(_certificate(certificate_id))


@bp.post("/admin/certificates/<int:certificate_id>/revoke")
@roles_required(ADMIN)
def revoke(certificate_id: int) -> Response | tuple[str, int]:
    certificate = _certificate(certificate_id)
    form = RevokeForm()
    if not form.validate_on_submit():
        return _render(certificate, revoke_form=form, status=400)
    try:
        service.revoke_certificate(get_session(), certificate, reason=form.reason.data or "",
                                   actor_id=current_user.id, now=utcnow())
    except service.CertificateError as error:
        form.reason.errors = [str(MESSAGES.get(error.code, error.code))]
        return _render(certificate, revoke_form=form,
                       status=409 if error.code == "already_revoked" else 400)
    flash(_("The certificate has been revoked."), "success")
    return redirect(url_for("certificates.manage_certificate", certificate_id=certificate.id), 303)


@bp.post("/admin/certificates/<int:certificate_id>/reissue")
@roles_required(ADMIN)
def reissue(certificate_id: int) -> Response | tuple[str, int]:
    certificate = _certificate(certificate_id)
    form = ReissueForm()
    if not form.validate_on_submit():
        return _render(certificate, reissue_form=form, status=400)
    try:
        new = service.reissue_certificate(
            get_session(), certificate, participant_name=form.participant_name.data or "",
            language="en" if form.language.data == "en" else "de", reason=form.reason.data or "",
            actor_id=current_user.id, issuer=issuer(), now=utcnow())
    except service.CertificateError as error:
        form.reason.errors = [str(MESSAGES.get(error.code, error.code))]
        return _render(certificate, reissue_form=form,
                       status={"superseded": 409, NO_BASE_URL: 503}.get(error.code, 400))
    flash(_("A new certificate has been issued; the old one is marked as replaced."), "success")
    return redirect(url_for("certificates.manage_certificate", certificate_id=new.id), 303)
