"""Number questions answered with text that is no number: refused with a message next to
the field at save and at submit (422), never stored, never a 500; an attempt that stored
such a text before forms refused it can still be submitted (the answer is wrong)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import update

from lernmodul.db.learning import Attempt, AttemptResult

COURSE = "/courses/beispielkurs"
NOT_NUMBERS = ["abc", "42 Euro", "vierzig", "4,2e1", "1.2.3"]
MESSAGE = "Bitte geben Sie eine Zahl ein"
FIELD = "q-pr-stufen"
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token_from(html: str) -> str:
    return CSRF.search(html).group(1)


def post(client: Any, url: str, page: str) -> Any:
    return client.post(url, data={"csrf_token": csrf_token_from(
        client.get(page).get_data(as_text=True))})


@pytest.fixture
def learner(client: Any, make_user: Any, login: Any, sample_version: int) -> Any:
    make_user(("learner",), email="lea@example.org")
    assert login(client, "lea@example.org").status_code == 302
    return client


@pytest.fixture
def quiz_url(learner: Any) -> str:
    post(learner, f"{COURSE}/start", page=COURSE)
    return post(learner, f"{COURSE}/units/praxis/quiz", page=COURSE).headers["Location"]


def _form(client: Any, url: str, **fields: str) -> dict[str, str]:
    page = client.get(url).get_data(as_text=True)
    revision = re.search(r'name="revision" value="(\d+)"', page).group(1)
    return {"csrf_token": csrf_token_from(page), "revision": revision,
            "confirm_incomplete": "1", **fields}


def _attempt(db_session: Any) -> Attempt:
    db_session.rollback()
    return db_session.query(Attempt).one()


@pytest.mark.parametrize("action", ["save", "submit"])
@pytest.mark.parametrize("typed", NOT_NUMBERS)
def test_text_that_is_no_number_is_refused_next_to_the_field(learner, quiz_url, db_session,
                                                            action, typed):
    response = learner.post(quiz_url, data=_form(learner, quiz_url, action=action,
                                                 **{FIELD: typed}))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    field = html[html.index('id="q-pr-stufen"'):]
    field = field[:field.index("</fieldset>")]
    assert MESSAGE in field and 'class="field-error"' in field
    assert f'value="{typed}"' in field  # the learner sees what they typed
    attempt = _attempt(db_session)
    assert attempt.state == "in_progress" and attempt.revision == 0 and attempt.responses == {}
    # corrected, the same attempt is saved and submitted
    assert learner.post(quiz_url, data=_form(learner, quiz_url, action="save",
                                             **{FIELD: "4"})).status_code == 303
    assert learner.post(quiz_url, data=_form(learner, quiz_url, action="submit",
                                             **{FIELD: "4"})).status_code == 303
    assert _attempt(db_session).state == "submitted"


def test_the_english_message(learner, quiz_url):
    learner.set_cookie("lernmodul_lang", "en")
    response = learner.post(quiz_url, data=_form(learner, quiz_url, action="submit",
                                                 **{FIELD: "vierzig"}))
    assert response.status_code == 422
    assert "Please enter a number" in response.get_data(as_text=True)


@pytest.mark.parametrize("stored", NOT_NUMBERS)
def test_an_attempt_that_stored_such_text_before_can_be_submitted(app, learner, quiz_url,
                                                                  sessions, db_session, stored):
    with sessions() as session:  # as a save before forms refused such answers left it
        session.execute(update(Attempt).values(responses={"pr-stufen": stored}, revision=1))
        session.commit()
    page = learner.get(quiz_url)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    sent = re.search(r'name="q-pr-stufen"[^>]*value="([^"]*)"', html).group(1)
    assert sent == stored  # the page fills the field in again, and the browser sends it back
    response = learner.post(quiz_url, data=_form(learner, quiz_url, action="submit",
                                                 **{FIELD: sent}))
    assert response.status_code == 422 and MESSAGE in response.get_data(as_text=True)
    response = learner.post(quiz_url, data=_form(learner, quiz_url, action="submit",
                                                 **{FIELD: "3"}))
    assert response.status_code == 303
    assert learner.get(response.headers["Location"]).status_code == 200
    db_session.rollback()
    result = db_session.query(AttemptResult).one()
    assert result.scores["pr-stufen"]["points"] == 0  # 3 is wrong: 4 steps
    assert _attempt(db_session).state == "submitted"


def test_an_attempt_that_stored_such_text_is_submitted_with_the_field_emptied(
        learner, quiz_url, sessions, db_session):
    with sessions() as session:
        session.execute(update(Attempt).values(responses={"pr-stufen": "vierzig"}))
        session.commit()
    response = learner.post(quiz_url, data=_form(learner, quiz_url, action="submit",
                                                 **{FIELD: ""}))
    assert response.status_code == 303
    assert _attempt(db_session).state == "submitted"


def test_a_revision_too_large_for_the_database_is_400(learner, quiz_url, db_session):
    for revision in (str(2**31), str(2**63), "²"):
        data = {**_form(learner, quiz_url, action="save", **{FIELD: "4"}), "revision": revision}
        assert learner.post(quiz_url, data=data).status_code == 400
    assert _attempt(db_session).revision == 0
