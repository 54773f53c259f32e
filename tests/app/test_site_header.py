"""The site header is rendered once per language, address and menus and kept
(web/chrome.py): each page still shows its own user's name and carries its own session's
CSRF token, and nobody sees another role's menu."""

from __future__ import annotations

import re
from typing import Any

from lernmodul.web import chrome

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
HEADER = re.compile(r'<header class="site-header">.*?</header>', re.S)


def _browser(app: Any, make_user: Any, login: Any, name: str, roles: tuple[str, ...]) -> Any:
    browser = app.test_client()
    make_user(roles, email=f"{name.lower()}@example.org", name=name)
    assert login(browser, f"{name.lower()}@example.org").status_code == 302
    return browser


def _header(browser: Any, path: str = "/accessibility") -> str:
    response = browser.get(path)
    assert response.status_code == 200
    match = HEADER.search(response.get_data(as_text=True))
    assert match is not None
    return match.group(0)


def test_each_page_shows_its_own_name_and_token_from_one_rendering(
        app: Any, make_user: Any, login: Any, rendered: list[str]) -> None:
    lea = _browser(app, make_user, login, "Lea <b>Meier</b>", ("learner",))
    ben = _browser(app, make_user, login, "Ben", ("learner",))
    rendered.clear()
    lea_header, ben_header, again = _header(lea), _header(ben), _header(lea)
    assert rendered.count("_site_header.html") == 1
    assert "Lea &lt;b&gt;Meier&lt;/b&gt;" in lea_header and "Ben" not in lea_header
    assert "Angemeldet als Ben" in ben_header and "Lea" not in ben_header
    assert again == lea_header
    assert CSRF.search(lea_header).group(1) != CSRF.search(ben_header).group(1)
    assert chrome.NAME_MARK not in lea_header + ben_header
    assert chrome.TOKEN_MARK not in lea_header + ben_header
    # the token put in is the session's own: signing out with it works
    token = CSRF.search(ben_header).group(1)
    assert ben.post("/logout", data={"csrf_token": token}).status_code in (302, 303)
    assert "Angemeldet als" not in _header(ben)


def test_the_menus_follow_the_roles_and_the_kept_header_is_the_one_rendered_afresh(
        app: Any, make_user: Any, login: Any) -> None:
    learner = _browser(app, make_user, login, "Lea", ("learner",))
    hr = _browser(app, make_user, login, "Hanna", ("hr",))
    admin = _browser(app, make_user, login, "Ada", ("admin",))
    anonymous = app.test_client()
    headers = {who: _header(browser) for who, browser in
               (("learner", learner), ("hr", hr), ("admin", admin), ("anonymous", anonymous))}
    assert "Personalübersicht" in headers["hr"] and "Personalübersicht" not in headers["learner"]
    assert "Verwaltung" in headers["admin"] and "Verwaltung" not in headers["hr"]
    assert "Abmelden" not in headers["anonymous"]
    # a query string renders it in full, and does not keep it: the same header but for the
    # address it returns to
    kept = chrome.kept_headers(app)
    fresh = _header(hr, "/accessibility?from=mail")
    assert chrome.kept_headers(app) == kept
    assert fresh.replace("/accessibility?from=mail", "/accessibility") == _header(hr)


def test_each_address_and_language_has_its_own_header(app: Any, make_user: Any,
                                                       login: Any) -> None:
    lea = _browser(app, make_user, login, "Lea", ("learner",))
    german = _header(lea)
    token = CSRF.search(german).group(1)
    lea.post("/language", data={"csrf_token": token, "language": "en", "next": "/privacy"})
    english = _header(lea, "/privacy")
    assert 'value="/privacy"' in english and 'value="/accessibility"' in german
    assert "Signed in as Lea" in english and "Angemeldet als Lea" in german
