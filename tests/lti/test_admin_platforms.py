"""The admin pages of LTI platforms: list, add, edit, the values for ILIAS/Moodle, bad input."""

from __future__ import annotations

from sqlalchemy import select
from tests.lti.platform import CLIENT_ID, DEPLOYMENT_ID


def _form(platform, **changes):
    data = {"name": "Moodle der Stadt", "issuer": platform.issuer, "client_id": CLIENT_ID,
            "deployment_ids": f"{DEPLOYMENT_ID}\n2, {DEPLOYMENT_ID}", "auth_login_url": platform.auth_url,
            "token_url": f"{platform.issuer}/token", "jwks_url": platform.jwks_url,
            "trust_instructors": "y"}
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def _platforms(app):
    from lernmodul.db.lti import LtiPlatform
    from lernmodul.web.database import get_database
    with get_database(app).sessions() as session:
        return [(p.name, p.issuer, p.client_id, p.deployments, p.trust_instructors)
                for p in session.scalars(select(LtiPlatform).order_by(LtiPlatform.id))]


def test_admin_registers_a_platform_that_then_launches(app, admin, csrf_token, platform, launch_flow,
                                                       import_course):
    from lernmodul.db.models import AuditLog
    from lernmodul.web.database import get_database

    page = admin.get("/admin/lti").get_data(as_text=True)
    assert "Noch keine Lernplattform" in page
    for value in ("http://localhost/lti/login", "http://localhost/lti/launch", "http://localhost/lti/jwks"):
        assert value in page
    assert admin.get("/admin/lti/new").status_code == 200
    response = admin.post("/admin/lti/new", data={**_form(platform), "csrf_token": csrf_token(admin)})
    assert response.status_code == 303
    assert _platforms(app) == [("Moodle der Stadt", platform.issuer, CLIENT_ID, [DEPLOYMENT_ID, "2"], True)]
    with get_database(app).sessions() as session:
        assert session.scalars(select(AuditLog.action).where(
            AuditLog.action == "lti.platform_create")).one()
    listing = admin.get("/admin/lti").get_data(as_text=True)
    assert "Moodle der Stadt" in listing and CLIENT_ID in listing
    import_course()
    assert launch_flow()[2].status_code == 303


def test_admin_edits_a_platform(app, admin, csrf_token, platform, registered):
    platform_id = registered()
    page = admin.get(f"/admin/lti/{platform_id}")
    assert page.status_code == 200 and platform.jwks_url in page.get_data(as_text=True)
    response = admin.post(f"/admin/lti/{platform_id}", data={
        **_form(platform, name="Umbenannt", trust_instructors=None, deployment_ids="neu"),
        "csrf_token": csrf_token(admin)})
    assert response.status_code == 303
    assert _platforms(app) == [("Umbenannt", platform.issuer, CLIENT_ID, ["neu"], False)]


def test_bad_values_are_refused_with_a_message_and_nothing_written(app, admin, csrf_token, platform,
                                                                   registered, snapshot):
    registered()
    before = snapshot()
    cases = [({"jwks_url": "ftp://example.org/keys"}, "https://"),
             ({"auth_login_url": "http://example.org/auth"}, "https://"),
             ({"deployment_ids": " \n "}, "Deployment-ID"),
             ({"issuer": ""}, "Aussteller"),
             ({}, "bereits registriert")]  # the same issuer and client id again
    for changes, message in cases:
        response = admin.post("/admin/lti/new", data={**_form(platform, **changes),
                                                      "csrf_token": csrf_token(admin)})
        assert response.status_code == 400, changes
        assert message in response.get_data(as_text=True), changes
    assert snapshot() == before


def test_platform_form_needs_the_csrf_token(app, admin, platform, snapshot):
    before = snapshot()
    assert admin.post("/admin/lti/new", data=_form(platform)).status_code == 400
    assert snapshot() == before


def test_unknown_platform_is_404(admin):
    assert admin.get("/admin/lti/999").status_code == 404


def test_the_values_for_moodle_and_ilias_are_labelled_as_they_name_them(admin):
    page = admin.get("/admin/lti").get_data(as_text=True)
    for moodle, value in (("Tool URL", "http://localhost/lti/launch"),
                          ("Initiate login URL", "http://localhost/lti/login"),
                          ("Redirection URI(s)", "http://localhost/lti/launch"),
                          ("Public keyset", "http://localhost/lti/jwks"),
                          ("Content Selection URL", "http://localhost/lti/launch")):
        assert f"<tr><td><code>{value}</code></td><td>{moodle}</td>" in page
    for label in ("Supports Deep Linking (Content-Item Message)", "Share launcher's name with tool",
                  "Share launcher's email with tool", "Accept grades from the tool",
                  "IMS LTI Assignment and Grade Services", "Custom parameters", "Public key type",
                  "Initiate Login URL", "Public Key Type", "Support for Deep Linking",
                  "Content URL (Deep Linking)", "Custom Parameters"):
        assert label in page, label
    assert "target=exam" in page and "Registrierungslink erstellen" in page
