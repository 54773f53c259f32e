"""Certificates in the web app: issue at completion, downloads for owner and admin only (C3, H3),
the public verify page (H2, H4), its shared rate limit, the QR code, the signed credential,
revocation, re-issue, renewal, and CSRF on every new POST route (E1)."""

from __future__ import annotations

import io
import json
import re
from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from freezegun import freeze_time
from sqlalchemy import func, select

from lernmodul.certificates import extract_credential, load_credential, normalize_code
from lernmodul.db.certificates import Certificate
from lernmodul.db.learning import UnitProgress
from lernmodul.db.models import AuditLog, Enrolment, OrgUnit, User

SAMPLE = Path(__file__).parents[1] / "core" / "fixtures" / "sample-course"
COURSE = "/courses/beispielkurs"
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
BASE_URL = "https://lernen.example.de"
# What the verify page may show: the status, the revocation line, and the printed claims.
VERIFY_KEYS = {"status", "revocation", "participant_name", "course_title", "course_version",
               "duration", "completed_on", "valid_until", "issued_on", "signatory", "code"}


# --- arrangement ---------------------------------------------------------------------------


@pytest.fixture
def app_config(app_config: dict[str, Any]) -> dict[str, Any]:
    return {**app_config, "PUBLIC_BASE_URL": BASE_URL}


def write(app: Any) -> Any:
    from lernmodul.web.database import get_database

    return get_database(app).sessions()


@pytest.fixture
def version_id(import_course: Any) -> int:
    return import_course(SAMPLE).version_id


def post(client: Any, url: str, data: dict[str, Any] | None = None, page: str = "/verify") -> Any:
    token = CSRF.search(client.get(page).get_data(as_text=True)).group(1)
    return client.post(url, data={"csrf_token": token, **(data or {})})


def almost_complete(app: Any, user_id: int, version_id: int, now: datetime | None = None) -> None:
    """Everything done except reading the last unit (whose quiz is passed already)."""
    from lernmodul.db.models import CourseVersion
    from lernmodul.services import learning

    now = now or datetime.now(UTC)
    session = write(app)
    try:
        version = session.get(CourseVersion, version_id)
        enrolment = learning.start_course(session, user_id, version, now)
        units = ["grundlagen", "praxis"]
        for unit in units:
            session.add(UnitProgress(enrolment_id=enrolment.id, unit_id=unit,
                                     read_at=None if unit == units[-1] else now, quiz_passed_at=now))
        enrolment.exam_passed_at = now
        session.commit()
    finally:
        session.close()


def finish(client: Any) -> Any:
    """The request that completes the course: marking the last unit read."""
    response = post(client, f"{COURSE}/units/praxis/read", page=COURSE)
    assert response.status_code == 303
    return response


@pytest.fixture
def learner(app: Any, client: Any, make_user: Any, login: Any, version_id: int) -> Any:
    user = make_user(("learner",), email="lea@example.org", name="Zofia Łukasiewicz")
    assert login(client, "lea@example.org").status_code == 302
    almost_complete(app, user.id, version_id)
    client.user = user
    return client


@pytest.fixture
def certified(learner: Any, db_session: Any) -> Certificate:
    finish(learner)
    return db_session.scalars(select(Certificate)).one()


def certificate_rows(db_session: Any) -> list[Certificate]:
    db_session.rollback()
    return list(db_session.scalars(select(Certificate).order_by(Certificate.id)))


class ClaimParser(HTMLParser):
    """Collects `data-claim` elements and their text."""

    def __init__(self) -> None:
        super().__init__()
        self.claims: dict[str, str] = {}
        self._open: list[str | None] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._open.append(dict(attrs).get("data-claim"))
        if self._open[-1] is not None:
            self.claims[self._open[-1]] = ""

    def handle_endtag(self, tag: str) -> None:
        if self._open:
            self._open.pop()

    def handle_data(self, data: str) -> None:
        for key in self._open:
            if key is not None:
                self.claims[key] += data


def claims_of(html: str) -> dict[str, str]:
    parser = ClaimParser()
    parser.feed(html)
    return {key: " ".join(value.split()) for key, value in parser.claims.items()}


def pdf_text(pdf: bytes) -> str:
    from pypdf import PdfReader

    return " ".join(PdfReader(io.BytesIO(pdf)).pages[0].extract_text().split())


# --- issue ---------------------------------------------------------------------------------


def test_completing_the_course_issues_the_certificate_in_the_same_request(
        app: Any, learner: Any, db_session: Any) -> None:
    assert certificate_rows(db_session) == []
    finish(learner)
    (certificate,) = certificate_rows(db_session)
    enrolment = db_session.scalars(select(Enrolment)).one()
    assert certificate.completed_at == enrolment.completed_at
    assert certificate.participant_name == "Zofia Łukasiewicz"
    assert certificate.course_title == "Beispielkurs: Sicher am Schalter"
    assert certificate.course_version == "2026.1" and certificate.language == "de"
    assert certificate.valid_until is not None
    assert certificate.verify_url == f"{BASE_URL}/verify/{certificate.code}"
    assert normalize_code(certificate.code) == certificate.code
    page = learner.get(COURSE).get_data(as_text=True)
    assert f'href="/certificates/{certificate.id}.pdf"' in page
    actions = db_session.scalars(select(AuditLog.action)).all()
    assert "certificate.issue" in actions


def test_the_learner_downloads_pdf_and_credential(certified: Certificate, learner: Any) -> None:
    pdf = learner.get(f"/certificates/{certified.id}.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.data.startswith(b"%PDF-")
    assert "attachment" in pdf.headers["Content-Disposition"]
    assert pdf.headers["Cache-Control"] == "no-store"
    credential = learner.get(f"/certificates/{certified.id}.json")
    assert credential.status_code == 200 and credential.mimetype == "application/json"
    assert extract_credential(pdf.data) == credential.data
    assert load_credential(credential.data)["credentialSubject"]["name"] == "Zofia Łukasiewicz"
    listing = learner.get("/certificates").get_data(as_text=True)
    assert certified.code in listing and "Gültig" in listing


def test_english_ui_gives_an_english_certificate(app: Any, learner: Any, db_session: Any) -> None:
    post(learner, "/language", {"language": "en", "next": "/"})
    finish(learner)
    (certificate,) = certificate_rows(db_session)
    assert certificate.language == "en"
    text = pdf_text(learner.get(f"/certificates/{certificate.id}.pdf").data)
    assert "This is to certify that" in text and "Hiermit wird bescheinigt" not in text


def test_H3_double_issue_gives_one_row(app: Any, learner: Any, db_session: Any) -> None:
    finish(learner)
    finish(learner)  # a second click on the same button
    assert post(learner, "/certificates/issue", page="/certificates").status_code == 303
    assert post(learner, "/certificates/issue", page="/certificates").status_code == 303
    assert len(certificate_rows(db_session)) == 1


def test_a_completion_without_certificate_is_issued_from_the_certificate_page(
        app: Any, learner: Any, db_session: Any) -> None:
    # completed some other way (here: directly in the database): no certificate yet
    session = write(app)
    enrolment = session.scalars(select(Enrolment)).one()
    enrolment.completed_at = datetime.now(UTC)
    session.commit()
    session.close()
    page = learner.get("/certificates").get_data(as_text=True)
    assert "/certificates/issue" in page
    assert post(learner, "/certificates/issue", page="/certificates").status_code == 303
    assert len(certificate_rows(db_session)) == 1
    assert "/certificates/issue" not in learner.get("/certificates").get_data(as_text=True)


# --- who may download (C3, H3) -------------------------------------------------------------


def test_C3_H3_other_users_get_404_and_nothing_changes(
        app: Any, certified: Certificate, make_user: Any, login: Any, db_session: Any,
        csrf_token: Any) -> None:
    unit = OrgUnit(name="Unit A")
    db_session.add(unit)
    db_session.commit()
    make_user(("learner",), email="bert@example.org")
    make_user((("hr", unit.id),), email="hr@example.org")
    make_user(("trainer",), email="trainer@example.org")
    before = [(c.id, c.code, c.revoked_at, c.superseded_at) for c in certificate_rows(db_session)]
    for email in ("bert@example.org", "hr@example.org", "trainer@example.org"):
        other = app.test_client()
        login(other, email)
        for suffix in (".pdf", ".json"):
            assert other.get(f"/certificates/{certified.id}{suffix}").status_code == 404, email
    bert = app.test_client()
    login(bert, "bert@example.org")
    renew = bert.post(f"/certificates/{certified.id}/renew", data={"csrf_token": csrf_token(bert)})
    assert renew.status_code == 404
    assert certified.code not in bert.get("/certificates").get_data(as_text=True)
    after = [(c.id, c.code, c.revoked_at, c.superseded_at) for c in certificate_rows(db_session)]
    assert after == before


def test_admins_may_download_any_certificate(app: Any, certified: Certificate, make_user: Any,
                                             login: Any) -> None:
    make_user(("admin",), email="admin@example.org")
    admin = app.test_client()
    login(admin, "admin@example.org")
    assert admin.get(f"/certificates/{certified.id}.pdf").status_code == 200
    assert admin.get(f"/certificates/{certified.id}.json").status_code == 200


def test_anonymous_downloads_go_to_the_login(certified: Certificate, app: Any) -> None:
    response = app.test_client().get(f"/certificates/{certified.id}.pdf")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


# --- verification (H2, H4) -----------------------------------------------------------------


def test_H2_verify_page_shows_the_printed_claims_only_same_shape_for_hit_and_miss(
        app: Any, certified: Certificate, make_user: Any) -> None:
    anonymous = app.test_client()
    hit = anonymous.get(f"/verify/{certified.code}")
    from lernmodul.certificates import new_code

    unknown = new_code()
    miss = anonymous.get(f"/verify/{unknown}")
    assert hit.status_code == miss.status_code == 200
    hit_claims, miss_claims = claims_of(hit.get_data(as_text=True)), claims_of(miss.get_data(as_text=True))
    assert set(hit_claims) == set(miss_claims) == VERIFY_KEYS
    assert hit_claims["status"] == "Gültig" and miss_claims["status"] == "Unbekannt"
    assert hit_claims["participant_name"] == "Zofia Łukasiewicz"
    assert miss_claims["code"] == unknown
    assert {v for k, v in miss_claims.items() if k not in ("status", "code")} == {"—"}
    html = hit.get_data(as_text=True)
    assert "lea@example.org" not in html  # no e-mail, org unit, score or account data
    for word in ("Punkte", "points", "%", "Unit A", "Organisationseinheit"):
        assert word not in hit_claims.values()
    assert hit.headers["Cache-Control"] == "no-store"


def test_H4_every_claim_on_the_verify_page_is_printed_on_the_pdf(
        app: Any, certified: Certificate, learner: Any) -> None:
    from lernmodul.certificates import printed_claims
    from lernmodul.services.certificates import certificate_data

    text = pdf_text(learner.get(f"/certificates/{certified.id}.pdf").data)
    claims = claims_of(app.test_client().get(f"/verify/{certified.code}").get_data(as_text=True))
    shown = {k: v for k, v in claims.items() if k not in ("status", "revocation")}
    assert len(shown) == 9
    for key, value in shown.items():
        assert value and value in text, (key, value, text)
    # and they are exactly the library's printed claims of the stored certificate
    from zoneinfo import ZoneInfo

    expected = printed_claims(certificate_data(certified, ZoneInfo("Europe/Berlin")))
    assert shown == {key: value for key, (_label, value) in expected.items()}


def test_qr_code_and_credential_point_to_the_absolute_verify_url(
        certified: Certificate, learner: Any) -> None:
    import pypdfium2
    import zxingcpp

    pdf = learner.get(f"/certificates/{certified.id}.pdf").data
    document = pypdfium2.PdfDocument(pdf)
    try:
        image = document[0].render(scale=150 / 72).to_pil()
    finally:
        document.close()
    expected = f"{BASE_URL}/verify/{certified.code}"
    assert [r.text for r in zxingcpp.read_barcodes(image)] == [expected]
    assert load_credential(extract_credential(pdf) or b"")["id"] == expected


FORGED_HOST = "evil.example"


def forged_learner(app: Any, make_user: Any, login: Any, version_id: int) -> Any:
    """A learner whose every request says `Host: evil.example`, one step from completion."""
    inner = app.wsgi_app

    def forged(environ: dict[str, Any], start_response: Any) -> Any:
        return inner({**environ, "HTTP_HOST": FORGED_HOST}, start_response)

    app.wsgi_app = forged
    client = app.test_client()
    user = make_user(("learner",), email="mallory@example.org", name="Mallory Muster")
    assert login(client, "mallory@example.org").status_code == 302
    almost_complete(app, user.id, version_id)
    return client


@pytest.mark.parametrize(("env", "configured", "expected"), [
    ("production", BASE_URL, BASE_URL),
    ("development", BASE_URL, BASE_URL),
    ("development", None, "http://127.0.0.1:5000"),  # the development server, not the Host header
])
def test_a_forged_host_header_is_never_signed_into_a_certificate(
        app_config: dict[str, Any], make_app: Any, make_user: Any, login: Any, db_session: Any,
        import_course: Any, env: str, configured: str | None, expected: str) -> None:
    app = make_app(ENV=env, PUBLIC_BASE_URL=configured)
    client = forged_learner(app, make_user, login, import_course(SAMPLE).version_id)
    finish(client)
    (certificate,) = certificate_rows(db_session)
    assert certificate.verify_url == f"{expected}/verify/{certificate.code}"
    pdf = client.get(f"/certificates/{certificate.id}.pdf").data
    credential = client.get(f"/certificates/{certificate.id}.json").data
    assert credential == extract_credential(pdf)
    assert load_credential(credential)["id"] == certificate.verify_url
    for text in (pdf_text(pdf), credential.decode(), certificate.verify_url):
        assert FORGED_HOST not in text


def test_production_without_public_base_url_issues_no_certificate_and_says_why(
        make_app: Any, make_user: Any, login: Any, db_session: Any, import_course: Any,
        caplog: Any) -> None:
    app = make_app(ENV="production", PUBLIC_BASE_URL=None)
    client = forged_learner(app, make_user, login, import_course(SAMPLE).version_id)
    finish(client)
    db_session.rollback()
    assert db_session.scalars(select(Enrolment)).one().completed_at is not None  # kept
    assert certificate_rows(db_session) == []
    assert "reason=no_public_base_url" in caplog.text
    response = post(client, "/certificates/issue", page="/certificates")
    assert response.status_code == 503
    assert "öffentliche Adresse" in response.get_data(as_text=True)
    assert certificate_rows(db_session) == []


def test_typed_codes_are_normalised_and_bad_ones_get_a_message(
        app: Any, certified: Certificate) -> None:
    client = app.test_client()
    sloppy = certified.code.lower().replace("-", " ").replace("1", "l").replace("0", "o")
    response = client.get("/verify", query_string={"code": sloppy})
    assert response.status_code == 303 and response.headers["Location"] == f"/verify/{certified.code}"
    redirect = client.get(f"/verify/{certified.code.replace('-', '').lower()}")
    assert redirect.status_code == 302 and redirect.headers["Location"] == f"/verify/{certified.code}"
    typo = certified.code[:-1] + ("A" if certified.code[-1] != "A" else "B")
    for url in (f"/verify/{typo}", "/verify?code=hello", "/verify/" + "x" * 5000):
        bad = client.get(url)
        assert bad.status_code == 400, url
        assert "kein gültiger Zertifikatscode" in bad.get_data(as_text=True)
    assert client.get("/verify").status_code == 200


def test_H2_lookups_past_the_limit_get_429_on_every_instance(
        make_app: Any, certified: Certificate) -> None:
    first, second = (make_app(VERIFY_LOOKUPS_PER_WINDOW=3, VERIFY_WINDOW_MINUTES=10),
                     make_app(VERIFY_LOOKUPS_PER_WINDOW=3, VERIFY_WINDOW_MINUTES=10))
    clients = [first.test_client(), second.test_client()]
    with freeze_time(datetime(2030, 5, 5, 9, 0, tzinfo=UTC)) as frozen:
        statuses = [clients[n % 2].get(f"/verify/{certified.code}").status_code for n in range(5)]
        assert statuses == [200, 200, 200, 429, 429]
        blocked = clients[0].get(f"/verify/{certified.code}")
        assert 0 < int(blocked.headers["Retry-After"]) <= 600
        assert certified.participant_name not in blocked.get_data(as_text=True)
        frozen.tick(timedelta(minutes=11))
        assert clients[1].get(f"/verify/{certified.code}").status_code == 200


def test_the_public_key_verifies_downloaded_credentials(
        app: Any, certified: Certificate, learner: Any, tmp_path: Path) -> None:
    from lernmodul.cli import main

    key = app.test_client().get("/verify/key.pem")
    assert key.status_code == 200 and b"BEGIN PUBLIC KEY" in key.data
    (tmp_path / "key.pem").write_bytes(key.data)
    (tmp_path / "certificate.pdf").write_bytes(learner.get(f"/certificates/{certified.id}.pdf").data)
    result = CliRunner().invoke(main, ["certificate", "verify", str(tmp_path / "certificate.pdf"),
                                       "--key", str(tmp_path / "key.pem")])
    assert result.exit_code == 0 and result.output.startswith("valid")


def test_a_tampered_credential_is_detected_by_the_command(
        app: Any, certified: Certificate, learner: Any, tmp_path: Path) -> None:
    from lernmodul.cli import main

    credential = json.loads(learner.get(f"/certificates/{certified.id}.json").data)
    credential["credentialSubject"]["name"] = "Zofia Lukasiewicz"
    (tmp_path / "credential.json").write_text(json.dumps(credential), "utf-8")
    result = CliRunner().invoke(main, ["certificate", "verify", str(tmp_path / "credential.json"),
                                       "--instance", app.instance_path])
    assert result.exit_code == 1 and result.output.strip() == "tampered"


# --- revocation, re-issue, renewal ---------------------------------------------------------


@pytest.fixture
def admin(app: Any, make_user: Any, login: Any) -> Any:
    user = make_user(("admin",), email="admin@example.org")
    client = app.test_client()
    login(client, "admin@example.org")
    client.user = user
    return client


def test_admin_revokes_with_a_reason_shown_on_the_verify_page(
        app: Any, certified: Certificate, admin: Any, db_session: Any) -> None:
    page = f"/admin/certificates/{certified.id}"
    missing = post(admin, f"{page}/revoke", {"reason": "  "}, page=page)
    assert missing.status_code == 400 and "Geben Sie einen Grund an." in missing.get_data(as_text=True)
    assert certificate_rows(db_session)[0].revoked_at is None
    done = post(admin, f"{page}/revoke", {"reason": "Prüfung unter falschem Namen abgelegt"}, page=page)
    assert done.status_code == 303
    again = post(admin, f"{page}/revoke", {"reason": "noch einmal"}, page=page)
    assert again.status_code == 409
    claims = claims_of(app.test_client().get(f"/verify/{certified.code}").get_data(as_text=True))
    assert claims["status"] == "Widerrufen"
    assert claims["revocation"].endswith("Prüfung unter falschem Namen abgelegt")
    db_session.rollback()
    event = db_session.scalars(select(AuditLog).where(AuditLog.action == "certificate.revoke")).one()
    assert event.actor_id == admin.user.id and event.detail["reason"].startswith("Prüfung")


def test_admin_reissues_after_a_name_change(
        app: Any, certified: Certificate, admin: Any, learner: Any, db_session: Any) -> None:
    page = f"/admin/certificates/{certified.id}"
    response = post(admin, f"{page}/reissue", {"participant_name": "Zofia Nowak", "language": "de",
                                               "reason": "Namensänderung nach Heirat"}, page=page)
    assert response.status_code == 303
    old, new = certificate_rows(db_session)
    assert old.superseded_at is not None and old.superseded_by_id == new.id
    assert new.participant_name == "Zofia Nowak" and new.code != old.code
    assert (new.completed_on, new.valid_until, new.course_version) == \
        (old.completed_on, old.valid_until, old.course_version)
    anonymous = app.test_client()
    assert claims_of(anonymous.get(f"/verify/{old.code}").get_data(as_text=True))["status"] == "Ersetzt"
    assert claims_of(anonymous.get(f"/verify/{new.code}").get_data(as_text=True))["status"] == "Gültig"
    assert "Zofia Nowak" in pdf_text(learner.get(f"/certificates/{new.id}.pdf").data)
    again = post(admin, f"{page}/reissue", {"participant_name": "X", "language": "de",
                                            "reason": "zweimal"}, page=page)
    assert again.status_code == 409
    bad = post(admin, f"/admin/certificates/{new.id}/reissue",
               {"participant_name": "X", "language": "fr", "reason": "r"}, page=page)
    assert bad.status_code == 400
    assert len(certificate_rows(db_session)) == 2
    assert db_session.scalar(select(func.count()).select_from(AuditLog).where(
        AuditLog.action == "certificate.reissue")) == 1


def test_admin_finds_a_certificate_by_code(admin: Any, certified: Certificate) -> None:
    found = admin.get("/admin/certificates", query_string={"code": certified.code.lower()})
    assert found.status_code == 303
    assert found.headers["Location"] == f"/admin/certificates/{certified.id}"
    assert admin.get("/admin/certificates", query_string={"code": "nonsense"}).status_code == 400
    from lernmodul.certificates import new_code

    assert admin.get("/admin/certificates", query_string={"code": new_code()}).status_code == 404
    listing = admin.get("/admin/certificates").get_data(as_text=True)
    assert certified.code in listing


def test_renewal_in_the_window_reopens_the_course_and_the_new_certificate_supersedes(
        app: Any, make_user: Any, login: Any, version_id: int, db_session: Any) -> None:
    completed = datetime(2026, 1, 10, 9, 0, tzinfo=UTC)
    user = make_user(("learner",), email="rita@example.org", name="Rita Renew")
    client = app.test_client()
    with freeze_time(completed):
        login(client, "rita@example.org")
        almost_complete(app, user.id, version_id, completed)
        finish(client)
    (first,) = certificate_rows(db_session)
    assert first.valid_until == date(2028, 1, 10)  # 24 months
    with freeze_time(datetime(2027, 10, 1, 9, 0, tzinfo=UTC)):  # before the 60-day window
        login(client, "rita@example.org")
        page = client.get("/certificates").get_data(as_text=True)
        assert f"/certificates/{first.id}/renew" not in page
        early = post(client, f"/certificates/{first.id}/renew", page="/certificates")
        assert early.status_code == 409
    with freeze_time(datetime(2027, 11, 20, 9, 0, tzinfo=UTC)) as frozen:  # inside the window
        login(client, "rita@example.org")
        assert f"/certificates/{first.id}/renew" in client.get("/certificates").get_data(as_text=True)
        renewed = post(client, f"/certificates/{first.id}/renew", page="/certificates")
        assert renewed.status_code == 303 and renewed.headers["Location"] == COURSE
        assert post(client, f"/certificates/{first.id}/renew", page="/certificates").status_code == 409
        db_session.rollback()
        enrolment = db_session.scalars(select(Enrolment)).one()
        assert enrolment.completed_at is None and enrolment.exam_passed_at is None
        assert db_session.scalar(select(func.count()).select_from(UnitProgress)) == 0
        # the old certificate stays valid while the learner works through the course again
        assert claims_of(app.test_client().get(f"/verify/{first.code}").get_data(as_text=True))[
            "status"] == "Gültig"
        frozen.tick(timedelta(days=1))
        login(client, "rita@example.org")
        almost_complete(app, user.id, version_id, datetime.now(UTC))
        finish(client)
    old, new = certificate_rows(db_session)
    assert old.id == first.id and old.superseded_by_id == new.id
    assert old.superseded_reason == "recertified"
    assert new.completed_on == date(2027, 11, 21) and new.valid_until == date(2029, 11, 21)
    anonymous = app.test_client()
    assert claims_of(anonymous.get(f"/verify/{old.code}").get_data(as_text=True))["status"] == "Ersetzt"
    actions = set(db_session.scalars(select(AuditLog.action)))
    assert {"certificate.issue", "certificate.renewal_start"} <= actions


def test_expired_certificates_show_as_expired(app: Any, learner: Any, db_session: Any) -> None:
    finish(learner)
    (certificate,) = certificate_rows(db_session)
    assert certificate.valid_until is not None
    with freeze_time(datetime.combine(certificate.valid_until + timedelta(days=1), datetime.min.time(),
                                      tzinfo=UTC) + timedelta(hours=12)):
        claims = claims_of(app.test_client().get(f"/verify/{certificate.code}").get_data(as_text=True))
    assert claims["status"] == "Abgelaufen"


# --- CSRF on the new POST routes (E1) ------------------------------------------------------


@pytest.mark.parametrize("path", ["/certificates/issue", "/certificates/{id}/renew", "/verify/file",
                                  "/admin/certificates/{id}/revoke", "/admin/certificates/{id}/reissue"])
def test_E1_new_post_routes_reject_a_missing_csrf_token(
        app: Any, certified: Certificate, make_user: Any, login: Any, db_session: Any,
        path: str) -> None:
    make_user(("learner", "admin"), email="both@example.org")
    client = app.test_client()
    login(client, "both@example.org")
    before = [(c.id, c.revoked_at, c.superseded_at) for c in certificate_rows(db_session)]
    response = client.post(path.format(id=certified.id),
                           data={"reason": "r", "participant_name": "N", "language": "de"})
    assert response.status_code == 400
    assert [(c.id, c.revoked_at, c.superseded_at) for c in certificate_rows(db_session)] == before
    db_session.rollback()
    assert db_session.scalar(select(func.count()).select_from(AuditLog).where(
        AuditLog.action.like("certificate.%"))) == 1  # the issue only


def test_D2_names_on_certificate_pages_are_escaped(app: Any, make_user: Any, login: Any,
                                                    version_id: int, db_session: Any) -> None:
    name = '<img src=x onerror=alert(1)>'
    user = make_user(("learner", "admin"), email="x@example.org", name=name)
    client = app.test_client()
    login(client, "x@example.org")
    almost_complete(app, user.id, version_id)
    finish(client)
    (certificate,) = certificate_rows(db_session)
    for url in ("/certificates", f"/verify/{certificate.code}", "/admin/certificates",
                f"/admin/certificates/{certificate.id}"):
        html = client.get(url).get_data(as_text=True)
        assert "<img src=x" not in html and "&lt;img src=x" in html, url
    db_session.rollback()
    assert db_session.get(User, user.id).name == name


def test_a_failing_issue_keeps_the_completion(app: Any, learner: Any, db_session: Any,
                                              monkeypatch: Any, caplog: Any) -> None:
    from lernmodul.services import certificates as service

    def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("signing failed")

    monkeypatch.setattr(service, "issue_pending_certificates", broken)
    finish(learner)
    db_session.rollback()
    assert db_session.scalars(select(Enrolment)).one().completed_at is not None
    assert certificate_rows(db_session) == []
    assert "certificate issue failed" in caplog.text
    monkeypatch.undo()
    assert post(learner, "/certificates/issue", page="/certificates").status_code == 303
    assert len(certificate_rows(db_session)) == 1


@pytest.mark.parametrize("base", ["lernen.example.de", "https://lernen.example.de/path", "ftp://x"])
def test_a_public_base_url_that_cannot_be_printed_is_refused_at_start(make_app: Any, base: str) -> None:
    with pytest.raises(RuntimeError, match="PUBLIC_BASE_URL"):
        make_app(PUBLIC_BASE_URL=base)


def test_C4_hr_downloads_certificates_of_its_own_units_only_and_it_is_logged(
        app: Any, certified: Certificate, make_user: Any, login: Any, db_session: Any) -> None:
    from lernmodul.db.models import AuditLog, User

    city = OrgUnit(name="Stadt")
    office = OrgUnit(name="Bürgeramt", parent=city)
    other = OrgUnit(name="Ordnungsamt")
    db_session.add_all([city, office, other])
    db_session.flush()
    owner = db_session.get(User, certified.user_id)
    owner.org_unit_id = office.id
    db_session.commit()
    make_user((("hr", city.id),), email="hr-city@example.org")
    make_user((("hr", other.id),), email="hr-other@example.org")
    own = app.test_client()
    login(own, "hr-city@example.org")
    response = own.get(f"/certificates/{certified.id}.pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    stranger = app.test_client()
    login(stranger, "hr-other@example.org")
    assert stranger.get(f"/certificates/{certified.id}.pdf").status_code == 404
    db_session.rollback()
    logged = db_session.scalars(select(AuditLog).where(
        AuditLog.action == "certificate.download")).all()
    assert [row.target for row in logged] == [f"user:{certified.user_id}"]


# --- Open Badges 3.0 conformance -----------------------------------------------------------


def test_issued_credentials_meet_the_open_badges_schema_and_name_the_recipient(
        app: Any, certified: Certificate, learner: Any) -> None:
    import hashlib

    from tests.certificates.test_open_badges import schema_errors

    credential = json.loads(learner.get(f"/certificates/{certified.id}.json").data)
    assert schema_errors(credential) == []
    [identity] = credential["credentialSubject"]["identifier"]
    digest = hashlib.sha256(("lea@example.org" + identity["salt"]).encode()).hexdigest()
    assert identity["identityHash"] == f"sha256${digest}" and len(identity["salt"]) >= 32
    assert certified.credential == credential  # the salt is stored with the credential


def test_the_context_of_our_terms_is_served_where_credentials_point(
        app: Any, certified: Certificate) -> None:
    from lernmodul.certificates import context_document

    url = certified.credential["@context"][-1]
    assert url == f"{BASE_URL}/credentials/context-v1.jsonld"
    response = app.test_client().get(url.removeprefix(BASE_URL))
    assert response.status_code == 200 and response.mimetype == "application/ld+json"
    assert response.data == context_document()
    assert response.headers["Access-Control-Allow-Origin"] == "*"


# --- checking an uploaded file on the verify page ------------------------------------------


def upload(client: Any, name: str, content: bytes) -> Any:
    return post(client, "/verify/file", {"file": (io.BytesIO(content), name)})


def file_verdict(html: str) -> tuple[str, str]:
    match = re.search(r'data-verdict="([^"]+)">([^<]*)<', html)
    assert match, html
    return match.group(1), match.group(2).strip()


def test_an_uploaded_pdf_is_checked_signature_and_page(
        app: Any, certified: Certificate, learner: Any) -> None:
    pdf = learner.get(f"/certificates/{certified.id}.pdf").data
    response = upload(app.test_client(), "certificate.pdf", pdf)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert file_verdict(html) == ("valid", "Signatur gültig: von dieser Website ausgestellt")
    assert 'data-page="matches"' in html
    assert f'href="/verify/{certified.code}"' in html


def test_an_uploaded_pdf_with_an_edited_page_lists_the_differences(
        app: Any, certified: Certificate, learner: Any) -> None:
    from tests.certificates.test_page_binding import edit_page, replace_text

    pdf = learner.get(f"/certificates/{certified.id}.pdf").data
    edited = edit_page(pdf, replace_text(b"(Ausgestellt am ", b"(Ausgestellt im "))
    html = upload(app.test_client(), "certificate.pdf", edited).get_data(as_text=True)
    assert file_verdict(html)[0] == "valid"  # the credential is untouched …
    assert 'data-page="differs"' in html  # … the page is not
    rows = re.findall(r"<tr data-difference>(.*?)</tr>", html, re.S)
    assert any("Ausgestellt im " in row and "<td>Ausstellungsdatum</td>" in row for row in rows), rows


def test_the_spec_example_is_reported_as_a_key_not_belonging_to_the_issuer(app: Any) -> None:
    example = (Path(__file__).parents[1] / "certificates" / "fixtures" / "eddsa-jcs-2022-signed.json")
    response = upload(app.test_client(), "credential.json", example.read_bytes())
    assert response.status_code == 200
    assert file_verdict(response.get_data(as_text=True)) == (
        "issuer-mismatch", "Signatur gültig, Schlüssel gehört nicht zum Aussteller")


def test_an_uploaded_tampered_credential_is_tampered(app: Any, certified: Certificate, learner: Any) -> None:
    credential = json.loads(learner.get(f"/certificates/{certified.id}.json").data)
    credential["credentialSubject"]["name"] = "Zofia Lukasiewicz"
    response = upload(app.test_client(), "credential.json", json.dumps(credential).encode())
    assert file_verdict(response.get_data(as_text=True))[0] == "tampered"


@pytest.mark.parametrize(("name", "content"), [("notes.txt", b"hello"), ("empty.pdf", b"%PDF-1.7\n")])
def test_an_unreadable_upload_gets_a_message_and_400(app: Any, name: str, content: bytes) -> None:
    response = upload(app.test_client(), name, content)
    assert response.status_code == 400
    assert "weder ein Zertifikat-PDF" in response.get_data(as_text=True)


def test_a_missing_file_gets_a_message_and_400(app: Any) -> None:
    response = post(app.test_client(), "/verify/file")
    assert response.status_code == 400
    assert "Wählen Sie die PDF- oder JSON-Datei des Zertifikats." in response.get_data(as_text=True)
