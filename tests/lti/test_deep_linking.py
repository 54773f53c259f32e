"""Deep linking from a real platform implementation (lti1p3platform): the author picks a course
or its final exam, the platform verifies the signed answer, and the placed link opens it."""

from __future__ import annotations

import html
import re

import pytest
import requests
from sqlalchemy import func, select
from tests.lti.conftest import hidden_fields
from tests.lti.platform import CLIENT_ID, DEPLOYMENT_ID

INSTRUCTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"
LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"


def _writes(app):
    """Everything a refusal must leave as it was: people, links, audit, one-time values."""
    from lernmodul.db.identities import ExternalIdentity
    from lernmodul.db.lti import LtiOneTime
    from lernmodul.db.models import AuditLog, User
    from lernmodul.web.database import get_database
    with get_database(app).sessions() as session:
        return tuple(session.scalar(select(func.count()).select_from(m))
                     for m in (User, ExternalIdentity, AuditLog, LtiOneTime))


@pytest.fixture
def author(platform, tool):
    """The next launch is a deep-linking request by an instructor; the platform knows our keys."""
    platform.launch.deep_linking = True
    platform.launch.roles = [INSTRUCTOR]
    platform.launch.custom = {}
    platform.tool_jwks = tool.get("/lti/jwks").get_json()
    return platform


def _picker(launch_flow):
    _login, _form, response = launch_flow()
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_data(as_text=True)


def _request_token(page: str) -> str:
    return html.unescape(re.search(r'name="request" value="([^"]+)"', page).group(1))


def _answer_form(page: str) -> tuple[str, dict[str, str]]:
    action = html.unescape(re.search(r'<form method="post" action="([^"]+)" data-autosubmit', page).group(1))
    return action, hidden_fields(page.replace('type="hidden" name="JWT"', 'type="hidden" name="JWT"'))


@pytest.mark.parametrize("target", ["course", "exam"])
def test_author_picks_content_and_the_platform_accepts_it(app, tool, registered, author, launch_flow,
                                                          import_course, target):
    from lernmodul.db.models import AuditLog, User
    from lernmodul.web.database import get_database

    import_course()
    registered(trust_instructors=True)
    page = _picker(launch_flow)
    assert "Kurs für die Lernplattform auswählen" in page
    assert 'type="radio" name="choice" id="choice-0-course" value="beispielkurs:course"' in page
    assert 'value="beispielkurs:exam"' in page
    assert "Beispielkurs: Sicher am Schalter" in page
    with get_database(app).sessions() as session:  # the author is signed in: trainer on a trusted platform
        user = session.scalars(select(User)).one()
        assert user.role_names == frozenset({"learner", "trainer"})
    answer = tool.post("/lti/deep-link", data={"request": _request_token(page),
                                               "choice": f"beispielkurs:{target}"},
                       base_url="https://localhost")
    assert answer.status_code == 200, answer.get_data(as_text=True)
    text = answer.get_data(as_text=True)
    action, form = _answer_form(text)
    assert action == author.deep_link_return_url
    assert "Weiter zur Lernplattform" in text  # the button for a browser without JavaScript
    assert f"form-action 'self' {author.issuer}" in answer.headers["Content-Security-Policy"]
    received = requests.post(action, data={"JWT": form["JWT"]}, timeout=10)
    assert received.status_code == 200, received.text
    assert author.deep_link_errors == []
    (item,) = author.deep_link_answers[0]["items"]
    claims = author.deep_link_answers[0]["claims"]
    assert claims["https://purl.imsglobal.org/spec/lti/claim/message_type"] == "LtiDeepLinkingResponse"
    assert claims["iss"] == CLIENT_ID
    assert claims["https://purl.imsglobal.org/spec/lti-dl/claim/data"] == {"placement": "section-3"}
    assert item["type"] == "ltiResourceLink"
    assert item["url"] == "https://localhost/lti/launch"
    expected_custom = {"course": "beispielkurs", **({"target": "exam"} if target == "exam" else {})}
    assert item["custom"] == expected_custom
    assert item["lineItem"]["scoreMaximum"] == 100
    assert item["lineItem"]["resourceId"] == ("beispielkurs" if target == "course" else "beispielkurs:exam")
    assert item["lineItem"]["label"] == item["title"]
    assert item["title"].startswith("Beispielkurs: Sicher am Schalter")
    with get_database(app).sessions() as session:
        assert session.scalars(select(AuditLog.action).where(AuditLog.action == "lti.deep_link")).one()
    # the placed link, launched by a learner, opens the course or its final exam directly
    author.launch.deep_linking = False
    author.launch.sub, author.launch.email, author.launch.roles = "user-9", "lea@example.org", [LEARNER]
    author.launch.custom = item["custom"]
    learner = app.test_client()
    login = learner.get("/lti/login", query_string=author.login_params(), base_url="https://localhost")
    launch_form = hidden_fields(requests.get(login.headers["Location"], timeout=10).text)
    opened = learner.post("/lti/launch", data=launch_form, base_url="https://localhost")
    assert opened.status_code == 303
    expected = "/courses/beispielkurs" + ("#exam-heading" if target == "exam" else "")
    assert opened.headers["Location"].endswith(expected)


def test_the_picker_form_works_once(app, tool, registered, author, launch_flow, import_course):
    import_course()
    registered()
    token = _request_token(_picker(launch_flow))
    first = tool.post("/lti/deep-link", data={"request": token, "choice": "beispielkurs:course"},
                      base_url="https://localhost")
    assert first.status_code == 200
    before = _writes(app)
    again = tool.post("/lti/deep-link", data={"request": token, "choice": "beispielkurs:course"},
                      base_url="https://localhost")
    assert again.status_code == 400
    assert "bereits verwendet" in again.get_data(as_text=True)
    assert _writes(app) == before


def test_a_forged_picker_form_is_refused(app, tool, registered, author, launch_flow, import_course):
    import_course()
    registered()
    token = _request_token(_picker(launch_flow))
    before = _writes(app)
    payload, _dot, signature = token.rpartition(".")
    for forged in (payload + "." + signature[::-1], "", "not-a-token",
                   token.replace(token[2], "A" if token[2] != "A" else "B", 1)):
        response = tool.post("/lti/deep-link", data={"request": forged, "choice": "beispielkurs:course"},
                             base_url="https://localhost")
        assert response.status_code == 400, forged
        assert "nicht gültig" in response.get_data(as_text=True)
    assert _writes(app) == before


def test_no_choice_shows_the_picker_again_with_an_error(app, tool, registered, author, launch_flow,
                                                        import_course):
    import_course()
    registered()
    token = _request_token(_picker(launch_flow))
    before = _writes(app)
    for choice in ("", "beispielkurs:everything", "gibt-es-nicht:course"):
        response = tool.post("/lti/deep-link", data={"request": token, "choice": choice},
                             base_url="https://localhost")
        assert response.status_code == 400
        text = response.get_data(as_text=True)
        assert 'role="alert"' in text and "Bitte wählen Sie einen Kurs" in text
    assert _writes(app) == before
    # the form is still usable
    assert tool.post("/lti/deep-link", data={"request": token, "choice": "beispielkurs:exam"},
                     base_url="https://localhost").status_code == 200


def test_a_learner_cannot_open_the_picker(app, registered, author, launch_flow, import_course):
    import_course()
    registered()
    author.launch.roles = [LEARNER]
    before = _writes(app)
    response = launch_flow()[2]
    assert response.status_code == 403
    assert "Autorinnen" in response.get_data(as_text=True) or "Autor" in response.get_data(as_text=True)
    assert _writes(app)[:3] == before[:3]


def test_deep_linking_without_settings_is_refused(app, registered, platform, launch_flow, import_course):
    import_course()
    registered()
    platform.launch.roles = [INSTRUCTOR]
    platform.launch.extra_claims = {
        "https://purl.imsglobal.org/spec/lti/claim/message_type": "LtiDeepLinkingRequest"}
    before = _writes(app)
    response = launch_flow()[2]
    assert response.status_code == 400
    assert "keine Deep-Linking-Einstellungen" in response.get_data(as_text=True)
    assert _writes(app)[:3] == before[:3]


def test_a_return_url_elsewhere_fails_at_the_platform_not_here(app, tool, registered, author, launch_flow,
                                                                 import_course, platform):
    """The platform checks the signature against the tool's key set: another key set refuses it."""
    from tests.lti.platform import new_key_pair

    import_course()
    registered()
    page = _picker(launch_flow)
    answer = tool.post("/lti/deep-link", base_url="https://localhost",
                       data={"request": _request_token(page), "choice": "beispielkurs:course"})
    action, form = _answer_form(answer.get_data(as_text=True))
    from lti1p3platform.registration import Registration
    other = Registration.get_jwk(new_key_pair()[1])
    platform.tool_jwks = {"keys": [{**other, "kid": tool.get("/lti/jwks").get_json()["keys"][0]["kid"]}]}
    refused = requests.post(action, data={"JWT": form["JWT"]}, timeout=10)
    assert refused.status_code == 400
    assert platform.deep_link_answers == [] and platform.deep_link_errors


def test_picker_in_english_and_without_courses(app, tool, registered, author, launch_flow):
    registered()
    tool.set_cookie("lernmodul_lang", "en", domain="localhost")
    page = _picker(launch_flow)
    assert "Choose a course for the learning platform" in page
    assert "No course has been published yet." in page


def test_deployment_id_is_echoed(app, tool, registered, author, launch_flow, import_course):
    import_course()
    registered()
    page = _picker(launch_flow)
    answer = tool.post("/lti/deep-link", base_url="https://localhost",
                       data={"request": _request_token(page), "choice": "beispielkurs:course"})
    action, form = _answer_form(answer.get_data(as_text=True))
    assert requests.post(action, data={"JWT": form["JWT"]}, timeout=10).status_code == 200
    claims = author.deep_link_answers[0]["claims"]
    assert claims["https://purl.imsglobal.org/spec/lti/claim/deployment_id"] == DEPLOYMENT_ID
