"""The UI shell in a real browser: keyboard-only sign-in, visible focus, axe on every page."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.browser

LANGUAGES = {
    "de": {"button": "Deutsch", "sign_in": "Anmelden", "courses": "Meine Kurse"},
    "en": {"button": "English", "sign_in": "Sign in", "courses": "My courses"},
}


def _focused(page) -> dict:
    return page.evaluate(
        """() => {
            const el = document.activeElement;
            const style = getComputedStyle(el);
            const box = el.getBoundingClientRect();
            return {id: el.id, tag: el.tagName, text: el.textContent.trim(),
                    outline: style.outlineStyle, outlineWidth: parseFloat(style.outlineWidth),
                    top: box.top, height: box.height};
        }"""
    )


def _tab_to(page, element_id: str, limit: int = 30) -> None:
    for _ in range(limit):
        page.keyboard.press("Tab")
        if _focused(page)["id"] == element_id:
            return
    raise AssertionError(f"#{element_id} is not reachable with Tab")


def test_keyboard_only_sign_in_with_skip_link_and_visible_focus(live_server, page, make_user):
    make_user(("learner",), email="lea@example.org", name="Lea Lernende")
    page.goto(live_server + "/login")

    page.keyboard.press("Tab")
    skip = _focused(page)
    assert skip["tag"] == "A" and skip["text"] == "Zum Hauptinhalt springen"
    assert skip["top"] >= 0 and skip["height"] > 0  # shown when focused
    assert skip["outline"] != "none" and skip["outlineWidth"] >= 2
    page.keyboard.press("Enter")
    assert _focused(page)["id"] == "main"

    _tab_to(page, "login")
    field = _focused(page)
    assert field["outline"] != "none" and field["outlineWidth"] >= 2
    page.keyboard.type("lea@example.org")
    page.keyboard.press("Tab")
    assert _focused(page)["id"] == "password"
    page.keyboard.type("correct-horse-battery")
    page.keyboard.press("Enter")
    # (the #main fragment of the skip link survives the redirect)
    page.wait_for_url(re.compile(re.escape(live_server) + r"/(#main)?$"))
    assert page.locator("h1").inner_text() == "Meine Kurse"
    assert "Lea Lernende" in page.locator("header").inner_text()

    # Sign out with the keyboard as well.
    for _ in range(30):
        page.keyboard.press("Tab")
        if _focused(page)["text"] == "Abmelden":
            break
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/login$"))
    assert "Sie wurden abgemeldet." in page.locator("main").inner_text()


def test_wrong_password_error_is_announced_and_tied_to_the_form(live_server, page, make_user):
    make_user(("learner",), email="lea@example.org")
    page.goto(live_server + "/login")
    page.fill("#login", "lea@example.org")
    page.fill("#password", "wrong-password-123")
    page.press("#password", "Enter")
    page.wait_for_load_state()
    alert = page.locator("[role=alert]")
    assert "nicht korrekt" in alert.inner_text()


@pytest.mark.parametrize("language", ["de", "en"])
def test_axe_finds_no_violations_on_the_shell_pages(
    live_server, page, make_user, assert_accessible, language
):
    texts = LANGUAGES[language]
    make_user(("learner",), email="lea@example.org")
    page.goto(live_server + "/login")
    page.get_by_role("button", name=texts["button"]).click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == language
    assert page.locator("h1").inner_text() == texts["sign_in"]
    assert_accessible(page)

    # the login form with validation errors
    page.get_by_role("button", name=texts["sign_in"]).last.click()
    page.wait_for_load_state()
    assert page.locator(".error-summary").count() == 1
    assert_accessible(page)

    for path in ("/accessibility", "/privacy"):
        page.goto(live_server + path)
        assert page.locator("html").get_attribute("lang") == language
        assert_accessible(page)

    page.goto(live_server + "/login")
    page.fill("#login", "lea@example.org")
    page.fill("#password", "correct-horse-battery")
    page.press("#password", "Enter")
    page.wait_for_url(live_server + "/")
    assert page.locator("h1").inner_text() == texts["courses"]
    assert_accessible(page)

    page.goto(live_server + "/password")
    assert_accessible(page)
    page.fill("#current_password", "correct-horse-battery")
    page.fill("#new_password", "zu-kurz")
    page.fill("#confirm_password", "zu-kurz")
    page.press("#confirm_password", "Enter")
    page.wait_for_load_state()
    error = page.locator("#new_password-error")
    assert error.count() == 1
    assert page.locator("#new_password").get_attribute("aria-describedby").split() == [
        "new_password-hint",
        "new_password-error",
    ]
    assert_accessible(page)

    for path in ("/accessibility", "/privacy"):
        page.goto(live_server + path)
        assert_accessible(page)


def test_pages_are_readable_on_a_phone(live_server, browser, make_user):
    context = browser.new_context(viewport={"width": 360, "height": 740})
    try:
        phone = context.new_page()
        phone.goto(live_server + "/privacy")
        overflow = phone.evaluate(
            "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0
        font_size = phone.evaluate("() => parseFloat(getComputedStyle(document.body).fontSize)")
        assert font_size >= 16
    finally:
        context.close()


def test_the_axe_check_does_catch_violations(browser, assert_accessible):
    """Guards the guard: a page with an unlabelled field and low contrast must fail."""
    context = browser.new_context()
    try:
        bad = context.new_page()
        bad.set_content(
            '<html><body><main><input type="text">'
            '<p style="color:#aaa;background:#fff">faint</p></main></body></html>'
        )
        with pytest.raises(AssertionError) as failure:
            assert_accessible(bad)
        report = str(failure.value)
        assert "label" in report and "color-contrast" in report
    finally:
        context.close()
