"""The unit page is rendered once per version, unit, language and learner state and reused
for every learner (web/learner/unit_text.py); each page still carries its own session's CSRF
token and the learner's own name. Pages that cannot come from the cache (a message to show, a
query string) still take the unit's text from its own cache."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from lernmodul.web import chrome
from lernmodul.web.learner import unit_text

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
SAMPLE = Path(__file__).parents[1] / "core" / "fixtures" / "sample-course"
UNIT = "/courses/beispielkurs/units/grundlagen"


@pytest.fixture
def learners(app: Any, client: Any, make_user: Any, login: Any, import_course: Any) -> list[Any]:
    import_course(SAMPLE)
    unit_text.clear()
    clients = []
    for n, name in enumerate(("lea", "ben")):
        browser = client if n == 0 else app.test_client()
        make_user(("learner",), email=f"{name}@example.org", name=name.title())
        assert login(browser, f"{name}@example.org").status_code == 302
        clients.append(browser)
    return clients


def _self_check_tokens(html: str) -> set[str]:
    forms = re.findall(r'<form method="post" action="[^"]*/check/[^"]*".*?</form>', html, re.S)
    assert forms, "the unit has a self-check form"
    return {CSRF.search(form).group(1) for form in forms}


def test_the_page_is_rendered_once_for_every_learner(learners: list[Any],
                                                     rendered: list[str]) -> None:
    pages = [browser.get(UNIT) for browser in learners + learners]
    assert [p.status_code for p in pages] == [200] * 4
    assert rendered.count("learner/unit.html") == 1
    assert unit_text.cached_pages() == 1
    lea_page, ben_page = (p.get_data(as_text=True) for p in pages[:2])
    assert "Angemeldet als Lea" in lea_page and "Ben" not in lea_page
    assert "Angemeldet als Ben" in ben_page and "Lea" not in ben_page
    assert chrome.NAME_MARK not in lea_page + ben_page


def test_a_page_with_a_query_string_takes_the_text_from_its_cache(
        learners: list[Any], rendered: list[str]) -> None:
    lea, ben = learners
    for browser in (lea, ben, lea):
        assert browser.get(f"{UNIT}?from=mail").status_code == 200
    assert rendered.count("learner/_unit_text.html") == 1
    assert rendered.count("learner/unit.html") == 3
    assert unit_text.cached_units() == 1 and unit_text.cached_pages() == 0


def test_the_kept_page_is_the_page_rendered_afresh(learners: list[Any]) -> None:
    lea, _ = learners
    kept = lea.get(UNIT).get_data(as_text=True)
    kept = lea.get(UNIT).get_data(as_text=True)  # from the cache
    fresh = lea.get(f"{UNIT}?x=1").get_data(as_text=True)  # rendered in full
    assert kept == fresh.replace(f"{UNIT}?x=1", UNIT)


def test_the_learners_state_in_the_unit_has_its_own_page(learners: list[Any]) -> None:
    lea, ben = learners
    page = lea.get(UNIT).get_data(as_text=True)
    token = CSRF.search(page).group(1)
    assert lea.post("/courses/beispielkurs/start", data={"csrf_token": token}).status_code == 303
    started = lea.get(UNIT).get_data(as_text=True)
    assert "Mark as read" not in started and "Als gelesen markieren" in started
    read = lea.post(f"{UNIT}/read", data={"csrf_token": token})
    assert read.status_code in (302, 303)
    after = lea.get(read.headers["Location"]).get_data(as_text=True)  # its message shows once
    again = lea.get(UNIT).get_data(as_text=True)
    assert "Als gelesen markieren" not in again and "Sie haben diese Einheit gelesen." in again
    assert "Als gelesen markieren" not in after
    # the other learner has not started: still the page with the start button
    assert "Kurs beginnen" in ben.get(UNIT).get_data(as_text=True)
    assert unit_text.cached_pages() == 3  # not started, started, read


def test_each_page_carries_its_own_sessions_token(learners: list[Any]) -> None:
    lea, ben = learners
    lea_page = lea.get(UNIT).get_data(as_text=True)
    ben_page = ben.get(UNIT).get_data(as_text=True)
    (lea_token,) = _self_check_tokens(lea_page)
    (ben_token,) = _self_check_tokens(ben_page)
    assert lea_token == CSRF.search(lea_page).group(1)  # the page's other forms: same token
    assert lea_token != ben_token
    assert chrome.TOKEN_MARK not in lea_page  # no marker left over
    # the token from the kept text works for the self-check
    checked = lea.post(f"{UNIT}/check/gl-begriff",
                       data={"csrf_token": lea_token, "q-gl-begriff": "leakage"})
    assert checked.status_code == 200
    assert "feedback-right" in checked.get_data(as_text=True)
    # and another session's token does not
    forged = ben.post(f"{UNIT}/check/gl-begriff",
                      data={"csrf_token": lea_token, "q-gl-begriff": "leakage"})
    assert forged.status_code == 400


def test_the_kept_text_is_the_text_rendered_afresh(learners: list[Any]) -> None:
    lea, _ = learners
    first = lea.get(UNIT).get_data(as_text=True)  # renders and keeps it
    again = lea.get(UNIT).get_data(as_text=True)  # from the kept text
    unit_text.clear()
    fresh = lea.get(UNIT).get_data(as_text=True)
    assert first == again == fresh


def test_each_language_has_its_own_text(learners: list[Any]) -> None:
    lea, _ = learners
    german = lea.get(UNIT).get_data(as_text=True)
    token = CSRF.search(german).group(1)
    lea.post("/language", data={"csrf_token": token, "language": "en", "next": UNIT})
    english = lea.get(UNIT).get_data(as_text=True)
    assert "Check yourself" in english and "Selbsttest" not in english
    assert "Selbsttest" in german
    assert "Check yourself" not in german
    assert unit_text.cached_pages() == 2


def test_a_checked_self_check_is_not_taken_from_the_kept_text(learners: list[Any]) -> None:
    lea, _ = learners
    page = lea.get(UNIT).get_data(as_text=True)
    token = CSRF.search(page).group(1)
    checked = lea.post(f"{UNIT}/check/gl-begriff",
                       data={"csrf_token": token, "q-gl-begriff": "falsch"})
    html = checked.get_data(as_text=True)
    assert "feedback-wrong" in html
    assert "feedback-wrong" not in lea.get(UNIT).get_data(as_text=True)
