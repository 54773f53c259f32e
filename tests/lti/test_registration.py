"""LTI Dynamic Registration against the test platform's openid-configuration and registration
endpoints over HTTP on 127.0.0.1: success stores a platform that then launches; every failure
shows a clear page and stores nothing."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from tests.lti.platform import CLIENT_ID, DEPLOYMENT_ID

TOOL_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-tool-configuration"


def _platforms(app):
    from lernmodul.db.lti import LtiPlatform
    from lernmodul.web.database import get_database
    with get_database(app).sessions() as session:
        return [(p.name, p.issuer, p.client_id, p.deployments, p.auth_login_url, p.token_url, p.jwks_url,
                 p.trust_instructors) for p in session.scalars(select(LtiPlatform))]


def _audit(app):
    from lernmodul.db.models import AuditLog
    from lernmodul.web.database import get_database
    with get_database(app).sessions() as session:
        return session.scalar(select(func.count()).select_from(AuditLog))


@pytest.fixture
def registration_link(admin):
    """A one-time registration link, created by the admin in /admin/lti (the path, on localhost)."""
    from tests.conftest import csrf_token_from

    page = admin.get("/admin/lti").get_data(as_text=True)
    response = admin.post("/admin/lti/registration-link", data={"csrf_token": csrf_token_from(page)})
    assert response.status_code == 200
    link = re.search(r'<code id="registration-link">([^<]+)</code>', response.get_data(as_text=True)).group(1)
    assert link.startswith("http://localhost/lti/register/")
    return link.removeprefix("http://localhost")


def _params(platform, **changes):
    params = {"openid_configuration": f"{platform.issuer}/.well-known/openid-configuration",
              "registration_token": platform.registration_token}
    params.update(changes)
    return {k: v for k, v in params.items() if v is not None}


def test_dynamic_registration_stores_the_platform_which_then_launches(app, registration_link, platform,
                                                                      launch_flow, import_course):
    frame = app.test_client()  # the platform's iframe: no lernmodul session
    confirm = frame.get(registration_link, query_string=_params(platform))
    assert confirm.status_code == 200, confirm.get_data(as_text=True)
    text = confirm.get_data(as_text=True)
    assert "lernmodul bei der Lernplattform registrieren" in text
    assert platform.issuer in text and "testplattform" in text
    assert f"frame-ancestors {platform.issuer}" in confirm.headers["Content-Security-Policy"]
    assert _platforms(app) == [] and platform.registrations == []
    done = frame.post(registration_link, data={**_params(platform), "name": "Moodle der Stadt",
                                               "trust_instructors": "y"})
    assert done.status_code == 200, done.get_data(as_text=True)
    page = done.get_data(as_text=True)
    assert "data-lti-close" in page and "/static/lti.js" in page
    assert "wurde registriert" in page
    assert _platforms(app) == [("Moodle der Stadt", platform.issuer, CLIENT_ID, [DEPLOYMENT_ID],
                                platform.auth_url, f"{platform.issuer}/token", platform.jwks_url, True)]
    (sent,) = platform.registrations
    assert sent["authorization"] == f"Bearer {platform.registration_token}"
    body = sent["body"]
    assert body["application_type"] == "web"
    assert body["response_types"] == ["id_token"]
    assert set(body["grant_types"]) == {"implicit", "client_credentials"}
    assert body["initiate_login_uri"] == "http://localhost/lti/login"
    assert body["redirect_uris"] == ["http://localhost/lti/launch"]
    assert body["jwks_uri"] == "http://localhost/lti/jwks"
    assert body["token_endpoint_auth_method"] == "private_key_jwt"
    assert "https://purl.imsglobal.org/spec/lti-ags/scope/score" in body["scope"].split()
    assert "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem" in body["scope"].split()
    tool = body[TOOL_CONFIGURATION]
    assert tool["domain"] == "localhost"
    assert tool["target_link_uri"] == "http://localhost/lti/launch"
    assert {"sub", "name", "email"} <= set(tool["claims"])
    assert {m["type"] for m in tool["messages"]} == {"LtiResourceLinkRequest", "LtiDeepLinkingRequest"}
    # the link is used up
    assert frame.get(registration_link, query_string=_params(platform)).status_code == 404
    # and the platform registered so launches
    import_course()
    _login, _form, response = launch_flow()
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/courses/beispielkurs")


@pytest.mark.parametrize(("mode", "status", "text"), [
    ("wrong_issuer", 400, "passt nicht zur Adresse ihrer Konfiguration"),
    ("missing_fields", 400, "fehlen Pflichtangaben"),
    ("error", 502, "hat die Registrierung abgelehnt"),
])
def test_registration_failures_store_nothing(app, registration_link, platform, mode, status, text):
    frame = app.test_client()
    platform.registration_mode = mode
    before = _audit(app)
    if mode == "error":  # the configuration is fine: the refusal comes with the confirmation
        assert frame.get(registration_link, query_string=_params(platform)).status_code == 200
        response = frame.post(registration_link, data=_params(platform))
    else:
        response = frame.get(registration_link, query_string=_params(platform))
    assert response.status_code == status, response.get_data(as_text=True)
    page = response.get_data(as_text=True)
    assert "Die Lernplattform kann nicht registriert werden" in page and text in page
    assert _platforms(app) == []
    assert _audit(app) == before
    # the link is still there for another try
    platform.registration_mode = "ok"
    assert frame.post(registration_link, data=_params(platform)).status_code == 200
    assert len(_platforms(app)) == 1


def test_a_forged_confirmation_cannot_change_the_issuer(app, registration_link, platform):
    """Posted values are not trusted: the configuration is fetched again and checked."""
    frame = app.test_client()
    platform.registration_mode = "wrong_issuer"
    response = frame.post(registration_link, data=_params(platform))
    assert response.status_code == 400
    assert _platforms(app) == [] and platform.registrations == []


def test_registration_needs_a_valid_link(app, admin, platform):
    before = _audit(app)
    for link in ("/lti/register/made-up", "/lti/register/x"):
        for method in ("get", "post"):
            response = getattr(app.test_client(), method)(link, **(
                {"query_string": _params(platform)} if method == "get" else {"data": _params(platform)}))
            assert response.status_code == 404
            assert "Registrierungslink ist ungültig" in response.get_data(as_text=True)
    assert _platforms(app) == [] and _audit(app) == before and platform.registrations == []


def test_an_expired_link_is_refused(app, registration_link, platform):
    from lernmodul.db.lti import LtiOneTime
    from lernmodul.db.models import utcnow
    from lernmodul.web.database import get_database

    with get_database(app).sessions() as session:
        row = session.scalars(select(LtiOneTime).where(LtiOneTime.purpose == "registration")).one()
        row.expires_at = utcnow() - timedelta(seconds=1)
        session.commit()
    assert app.test_client().get(registration_link, query_string=_params(platform)).status_code == 404


def test_without_openid_configuration_or_with_an_unreachable_one(app, registration_link, platform):
    frame = app.test_client()
    response = frame.get(registration_link)
    assert response.status_code == 400 and "openid_configuration fehlt" in response.get_data(as_text=True)
    response = frame.get(registration_link, query_string={"openid_configuration": "ftp://example.org/x"})
    assert response.status_code == 400 and "nicht mit https" in response.get_data(as_text=True)
    platform.stop()
    response = frame.get(registration_link, query_string=_params(platform))
    assert response.status_code == 502 and "nicht abgerufen" in response.get_data(as_text=True)
    assert _platforms(app) == []


def test_the_registration_link_is_only_for_admins(app, make_user, login, csrf_token):
    from lernmodul.db.lti import LtiOneTime
    from lernmodul.web.database import get_database

    make_user(("trainer",), email="trainer@example.org")
    client = app.test_client()
    login(client, "trainer@example.org")
    response = client.post("/admin/lti/registration-link", data={"csrf_token": csrf_token(client)})
    assert response.status_code == 403
    with get_database(app).sessions() as session:
        assert session.scalars(select(LtiOneTime)).all() == []


def test_a_link_without_csrf_token_is_not_created(app, admin):
    from lernmodul.db.lti import LtiOneTime
    from lernmodul.web.database import get_database

    assert admin.post("/admin/lti/registration-link", data={}).status_code == 400
    with get_database(app).sessions() as session:
        assert session.scalars(select(LtiOneTime)).all() == []


def test_the_link_of_a_former_admin_stops_working(app, registration_link, admin, platform):
    from lernmodul.db.models import UserRole
    from lernmodul.web.database import get_database

    with get_database(app).sessions() as session:
        for role in session.scalars(select(UserRole).where(UserRole.role == "admin")):
            session.delete(role)
        session.commit()
    assert app.test_client().get(registration_link, query_string=_params(platform)).status_code == 404
