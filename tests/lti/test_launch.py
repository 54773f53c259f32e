"""LTI 1.3 launches from a real platform implementation: sign-in, course, and every refusal."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
import requests
from sqlalchemy import func, select
from tests.lti.platform import DEPLOYMENT_ID

INSTRUCTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"


def _count(app, model):
    from lernmodul.web.database import get_database
    with get_database(app).sessions() as session:
        return session.scalar(select(func.count()).select_from(model))


def _people_and_audit(app):
    from lernmodul.db.identities import ExternalIdentity
    from lernmodul.db.models import AuditLog, User
    return (_count(app, User), _count(app, ExternalIdentity), _count(app, AuditLog))


def test_launch_signs_in_and_opens_the_course(app, tool, registered, launch_flow, import_course):
    from lernmodul.db.identities import ExternalIdentity
    from lernmodul.db.models import AuditLog, User
    from lernmodul.web.database import get_database

    import_course()
    registered()
    login, _form, response = launch_flow()
    assert login.status_code == 302
    cookie = login.headers["Set-Cookie"]
    for attribute in ("SameSite=None", "Secure", "HttpOnly", "Partitioned", "Path=/lti/"):
        assert attribute in cookie
    assert response.status_code == 303, response.get_data(as_text=True)
    assert response.headers["Location"].endswith("/courses/beispielkurs")
    page = tool.get(response.headers["Location"], base_url="https://localhost")
    assert page.status_code == 200
    assert "Beispielkurs" in page.get_data(as_text=True)
    with get_database(app).sessions() as session:
        user = session.scalars(select(User).where(User.email == "lena@example.org")).one()
        assert user.name == "Lena Lernend"
        assert user.role_names == frozenset({"learner"})
        link = session.scalars(select(ExternalIdentity)).one()
        assert (link.kind, link.subject, link.user_id) == ("lti", "user-1", user.id)
        actions = set(session.scalars(select(AuditLog.action)))
        assert {"user.create", "identity.sign_in", "lti.launch"} <= actions


def test_the_app_session_cookie_stays_lax(app, tool, registered, launch_flow, import_course):
    import_course()
    registered()
    _login, _form, response = launch_flow()
    session_cookies = [c for c in response.headers.getlist("Set-Cookie")
                       if c.startswith("lernmodul_session=")]
    assert session_cookies and all("SameSite=Lax" in c for c in session_cookies)


def test_second_launch_signs_in_the_same_account(app, tool, registered, launch_flow, import_course):
    import_course()
    registered()
    assert launch_flow()[2].status_code == 303
    before = _people_and_audit(app)[:2]
    tool.delete_cookie("lernmodul_session", domain="localhost")
    assert launch_flow()[2].status_code == 303
    assert _people_and_audit(app)[:2] == before


def test_linked_by_personnel_number_not_by_email(app, tool, registered, launch_flow, import_course,
                                                 make_user, platform):
    from lernmodul.db.identities import ExternalIdentity
    from lernmodul.web.database import get_database

    import_course()
    registered()
    user = make_user(("learner",), email="anders@example.org", personnel_number="P-4711")
    platform.launch.custom = {"course": "beispielkurs", "personnel_number": "P-4711"}
    assert launch_flow()[2].status_code == 303
    with get_database(app).sessions() as session:
        assert session.scalars(select(ExternalIdentity.user_id)).one() == user.id
    # the same e-mail address without the personnel number: refused, nothing linked
    platform.launch.sub = "user-2"
    platform.launch.email = "lena@example.org"  # the address the account has now
    platform.launch.custom = {"course": "beispielkurs"}
    before = _people_and_audit(app)
    tool.delete_cookie("lernmodul_session", domain="localhost")
    response = launch_flow()[2]
    assert response.status_code == 403
    assert "E-Mail-Adresse" in response.get_data(as_text=True)
    assert _people_and_audit(app) == before


@pytest.mark.parametrize("trusted", [False, True])
def test_instructor_becomes_trainer_only_on_a_trusted_platform(app, registered, launch_flow, platform,
                                                               import_course, trusted):
    from lernmodul.db.models import User
    from lernmodul.web.database import get_database

    import_course()
    registered(trust_instructors=trusted)
    platform.launch.roles = [INSTRUCTOR]
    assert launch_flow()[2].status_code == 303
    with get_database(app).sessions() as session:
        user = session.scalars(select(User)).one()
        expected = {"learner", "trainer"} if trusted else {"learner"}
        assert user.role_names == frozenset(expected)


def _refused(response, app, before, status=400):
    assert response.status_code == status, response.get_data(as_text=True)
    text = response.get_data(as_text=True)
    assert "Der Kurs kann nicht geöffnet werden" in text
    assert _people_and_audit(app) == before
    return text


def test_bad_signature_is_refused(app, registered, launch_flow, platform, import_course):
    import_course()
    registered()
    platform.launch.sign_with_other_key = True
    before = _people_and_audit(app)
    text = _refused(launch_flow()[2], app, before)
    assert "Signatur" in text


def test_expired_token_is_refused(app, registered, launch_flow, platform, import_course):
    import_course()
    registered()
    platform.launch.expiration = -120
    before = _people_and_audit(app)
    assert "abgelaufen" in _refused(launch_flow()[2], app, before)


def test_unknown_deployment_is_refused(app, registered, launch_flow, platform, import_course):
    import_course()
    registered()
    platform.launch.deployment_id = "deployment-unknown"
    before = _people_and_audit(app)
    assert "Bereitstellung" in _refused(launch_flow()[2], app, before)


def test_wrong_message_type_is_refused(app, registered, launch_flow, platform, import_course):
    import_course()
    registered()
    platform.launch.extra_claims = {
        "https://purl.imsglobal.org/spec/lti/claim/message_type": "LtiSubmissionReviewRequest"}
    before = _people_and_audit(app)
    assert "nicht unterstützt" in _refused(launch_flow()[2], app, before)


def test_replayed_nonce_is_refused(app, tool, registered, launch_flow, import_course):
    import_course()
    registered()
    _login, form, first = launch_flow()
    assert first.status_code == 303
    tool.delete_cookie("lernmodul_session", domain="localhost")
    before = _people_and_audit(app)
    again = tool.post("/lti/launch", data=form, base_url="https://localhost")
    assert "bereits verwendet" in _refused(again, app, before, 403)


def test_unknown_issuer_and_client_are_refused_at_login(app, registered, launch_flow, platform):
    registered()
    before = _people_and_audit(app)
    params = platform.login_params()
    response = launch_flow({**params, "iss": "https://elsewhere.example"})[0]
    assert "nicht registriert" in _refused(response, app, before)
    response = launch_flow({**params, "client_id": "another-client"})[0]
    assert "Client-ID" in _refused(response, app, before)


def test_token_of_an_unknown_issuer_or_client_is_refused_at_launch(app, tool, registered, launch_flow,
                                                                    platform, import_course):
    from lernmodul.db.lti import LtiPlatform
    from lernmodul.web.database import get_database

    import_course()
    platform_id = registered()
    login = tool.get("/lti/login", query_string=platform.login_params(), base_url="https://localhost")
    answer = requests.get(login.headers["Location"], timeout=10)
    from tests.lti.conftest import hidden_fields
    form = hidden_fields(answer.text)
    with get_database(app).sessions() as session:  # the client id changes after the login
        session.get(LtiPlatform, platform_id).client_id = "renamed"
        session.commit()
    before = _people_and_audit(app)
    assert "Client-ID" in _refused(tool.post("/lti/launch", data=form, base_url="https://localhost"),
                                   app, before)
    with get_database(app).sessions() as session:
        session.get(LtiPlatform, platform_id).issuer = "https://elsewhere.example"
        session.commit()
    assert "nicht registriert" in _refused(
        tool.post("/lti/launch", data=form, base_url="https://localhost"), app, before)


def test_launch_without_the_state_cookie_is_refused(app, tool, registered, platform, import_course):
    from tests.lti.conftest import hidden_fields

    import_course()
    registered()
    login = tool.get("/lti/login", query_string=platform.login_params(), base_url="https://localhost")
    form = hidden_fields(requests.get(login.headers["Location"], timeout=10).text)
    before = _people_and_audit(app)
    blocked = app.test_client()  # a browser that dropped the third-party cookie
    assert "Cookies" in _refused(blocked.post("/lti/launch", data=form, base_url="https://localhost"),
                                 app, before)
    # the nonce is still unused: the refused launch changed nothing
    assert tool.post("/lti/launch", data=form, base_url="https://localhost").status_code == 303


def test_login_without_issuer_is_refused(app, tool, registered):
    registered()
    before = _people_and_audit(app)
    assert "nicht registriert" in _refused(tool.get("/lti/login", base_url="https://localhost"), app, before)


def test_unknown_course_is_refused(app, registered, launch_flow, platform, import_course):
    import_course()
    registered()
    platform.launch.custom = {"course": "gibt-es-nicht"}
    before = _people_and_audit(app)
    _refused(launch_flow()[2], app, before, 404)


def test_launch_in_an_iframe_offers_a_new_window(app, tool, registered, launch_flow, platform,
                                                 import_course):
    import_course()
    registered()
    response = launch_flow(**{"Sec-Fetch-Dest": "iframe"})[2]
    assert response.status_code == 200
    assert f"frame-ancestors {platform.issuer}" in response.headers["Content-Security-Policy"]
    assert "X-Frame-Options" not in response.headers
    text = response.get_data(as_text=True)
    assert "In neuem Fenster öffnen" in text
    start_url = next(part.split('"', 1)[0] for part in text.split('href="') if "/lti/start/" in part)
    window = app.test_client()  # the new window: a first-party context without the iframe's cookies
    opened = window.get(start_url, base_url="https://localhost")
    assert opened.status_code == 303
    assert opened.headers["Location"].endswith("/courses/beispielkurs")
    assert window.get(opened.headers["Location"], base_url="https://localhost").status_code == 200
    # once only
    assert app.test_client().get(start_url, base_url="https://localhost").status_code == 404


def test_tool_jwks_and_key_file(app, tool):
    from lernmodul.lti.keys import tool_key_path

    keys = json.loads(tool.get("/lti/jwks").get_data(as_text=True))["keys"]
    assert len(keys) == 1 and keys[0]["kty"] == "RSA" and keys[0]["alg"] == "RS256" and keys[0]["kid"]
    assert "d" not in keys[0]
    path = tool_key_path(Path(app.instance_path))
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    again = json.loads(tool.get("/lti/jwks").get_data(as_text=True))["keys"]
    assert again == keys


def test_deployment_ids_are_listed(registered, app):
    from lernmodul.db.lti import LtiPlatform
    from lernmodul.web.database import get_database
    registered()
    with get_database(app).sessions() as session:
        assert DEPLOYMENT_ID in session.scalars(select(LtiPlatform)).one().deployments


def test_refusal_page_in_english(app, tool, registered, launch_flow, platform, import_course):
    import_course()
    registered()
    platform.launch.sign_with_other_key = True
    tool.set_cookie("lernmodul_lang", "en", domain="localhost")
    before = _people_and_audit(app)
    response = launch_flow()[2]
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert "The course cannot be opened" in text
    assert "The signature of the launch message is not valid." in text
    assert _people_and_audit(app) == before


def test_login_initiation_by_post(app, tool, registered, platform, import_course):
    from tests.lti.conftest import hidden_fields

    import_course()
    registered()
    login = tool.post("/lti/login", data=platform.login_params(), base_url="https://localhost")
    assert login.status_code == 302
    form = hidden_fields(requests.get(login.headers["Location"], timeout=10).text)
    response = tool.post("/lti/launch", data=form, base_url="https://localhost")
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/courses/beispielkurs")


def test_the_nonce_is_shared_by_all_workers_and_used_once(app, make_app, tool, registered, platform,
                                                          import_course):
    from tests.lti.conftest import hidden_fields

    import_course()
    registered()
    login = tool.get("/lti/login", query_string=platform.login_params(), base_url="https://localhost")
    form = hidden_fields(requests.get(login.headers["Location"], timeout=10).text)
    state_cookie = next(c for c in tool._cookies.values() if c.key.startswith("lti1p3-state-"))
    workers = [make_app().test_client(), make_app().test_client()]  # other processes, same database
    for worker in workers:
        worker.set_cookie(state_cookie.key, state_cookie.value, domain="localhost", path="/lti/")
    first = workers[0].post("/lti/launch", data=form, base_url="https://localhost")
    assert first.status_code == 303
    second = workers[1].post("/lti/launch", data=form, base_url="https://localhost")
    assert second.status_code == 403
    assert "bereits verwendet" in second.get_data(as_text=True)
