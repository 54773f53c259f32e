"""Password reset in a real browser, without JavaScript: forgot → the e-mailed link → a new
password → sign in; axe-core finds no WCAG 2.1 A/AA violation on any of its pages."""

from __future__ import annotations

import email
import re
import time
from email import policy
from pathlib import Path
from typing import Any

import pytest
from learner_pages import LEARNER_PASSWORD

pytestmark = pytest.mark.browser

EMAIL = "lea@example.org"
NEW_PASSWORD = "neues-fahrrad-im-keller"


@pytest.fixture
def outbox(tmp_path: Path) -> Path:
    return tmp_path / "outbox"


@pytest.fixture
def app_config(app_config: dict[str, Any], outbox: Path) -> dict[str, Any]:
    return {**app_config, "ENV": "development", "MAIL_OUTBOX_PATH": str(outbox)}


@pytest.fixture
def reset_app(app: Any, live_server: str, make_user: Any) -> str:
    """The live server, whose e-mails link to itself; an account to reset."""
    app.config["PUBLIC_BASE_URL"] = live_server
    make_user(("learner",), email=EMAIL, name="Lea Lernende")
    return live_server


def wait_for_link(outbox: Path, count: int = 1) -> str:
    """The reset link of the `count`-th e-mail (sent just after the answer page)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        files = sorted(outbox.glob("*.eml")) if outbox.exists() else []
        if len(files) >= count:
            message = email.message_from_bytes(files[count - 1].read_bytes(),
                                               policy=policy.default)
            body = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
            match = re.search(r"https?://\S+/password/reset/[A-Za-z0-9_-]+", body)
            assert match, body
            return match.group(0)
        time.sleep(0.05)
    raise AssertionError("no reset e-mail in the outbox")


def submit(page: Any, button: str) -> None:
    with page.expect_navigation():
        page.get_by_role("button", name=button).click()


# The markup does not depend on the database: SQLite only.
@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_forgot_mail_link_new_password_sign_in_without_javascript(reset_app: str, browser: Any,
                                                                  outbox: Path) -> None:
    context = browser.new_context(java_script_enabled=False)
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        page.goto(reset_app + "/login")
        with page.expect_navigation():
            page.get_by_role("link", name="Passwort vergessen?").click()
        assert page.locator("h1").inner_text() == "Passwort vergessen?"
        page.get_by_label("E-Mail-Adresse").fill(EMAIL)
        submit(page, "Link senden")
        assert page.locator("h1").inner_text() == "Bitte prüfen Sie Ihre E-Mails"

        link = wait_for_link(outbox)
        assert link.startswith(reset_app + "/password/reset/")
        page.goto(link)
        assert page.locator("h1").inner_text() == "Neues Passwort festlegen"
        page.get_by_label("Neues Passwort", exact=True).fill(NEW_PASSWORD)
        page.get_by_label("Neues Passwort wiederholen").fill(NEW_PASSWORD)
        submit(page, "Neues Passwort speichern")
        assert page.url == reset_app + "/login"
        assert "Ihr Passwort wurde geändert" in page.locator("main").inner_text()

        page.locator("#login").fill(EMAIL)
        page.locator("#password").fill(NEW_PASSWORD)
        submit(page, "Anmelden")
        assert page.locator("h1").inner_text() == "Meine Kurse"

        page.goto(link)  # the link works once
        assert "bereits verwendet" in page.locator("main").inner_text()
    finally:
        context.close()


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_reset_pages_are_accessible(reset_app: str, page: Any, outbox: Path,
                                    assert_accessible: Any) -> None:
    page.goto(reset_app + "/login")
    assert_accessible(page)
    page.goto(reset_app + "/password/forgot")
    assert_accessible(page)
    submit(page, "Link senden")  # empty: the error summary and the field's error
    assert page.locator(".error-summary").count() == 1
    assert_accessible(page)
    page.get_by_label("E-Mail-Adresse").fill(EMAIL)
    submit(page, "Link senden")
    assert_accessible(page)

    page.goto(wait_for_link(outbox))
    assert_accessible(page)
    page.get_by_label("Neues Passwort", exact=True).fill("kurz")
    page.get_by_label("Neues Passwort wiederholen").fill("anders")
    submit(page, "Neues Passwort speichern")
    assert page.locator(".error-summary").count() == 1
    assert_accessible(page)

    page.goto(reset_app + "/password/reset/forged-link")
    assert page.locator("h1").inner_text() == "Der Link kann nicht verwendet werden"
    assert_accessible(page)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_the_old_password_still_works_until_the_link_is_used(reset_app: str, page: Any,
                                                            outbox: Path) -> None:
    page.goto(reset_app + "/password/forgot")
    page.get_by_label("E-Mail-Adresse").fill(EMAIL)
    submit(page, "Link senden")
    wait_for_link(outbox)
    page.goto(reset_app + "/login")
    page.locator("#login").fill(EMAIL)
    page.locator("#password").fill(LEARNER_PASSWORD)
    submit(page, "Anmelden")
    assert page.locator("h1").inner_text() == "Meine Kurse"
