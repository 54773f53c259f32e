"""The trainer workspace in the browser, in German: edit a unit, see the error with file and
line, fix it, watch the live preview follow the typing, publish, and a learner sees the new
version; the same without JavaScript (form posts only); axe-core finds no WCAG 2.1 A/AA
violation on the course list, the course page, the editor (with and without errors), the
preview page and a refused upload."""

from __future__ import annotations

import re
from typing import Any

import pytest
from learner_pages import LEARNER_PASSWORD

pytestmark = pytest.mark.browser

TRAINER_EMAIL = "tina@example.org"
NEW_LEARNER_EMAIL = "neu@example.org"
MARK = "Neu in dieser Version: Bedrohungsmanagement heißt"


def sign_in(page: Any, live_server: str, email: str) -> None:
    page.goto(live_server + "/login")
    page.locator("#login").fill(email)
    page.locator("#password").fill(LEARNER_PASSWORD)
    with page.expect_navigation():
        page.locator("#password").press("Enter")


@pytest.fixture
def trainer_page(live_server: str, page: Any, make_user: Any, course_imported: int) -> Any:
    make_user(("trainer",), email=TRAINER_EMAIL, name="Tina Trainerin")
    make_user(("learner",), email=NEW_LEARNER_EMAIL, name="Nils Neu")
    sign_in(page, live_server, TRAINER_EMAIL)
    page.goto(live_server + "/trainer/")
    return page


def click(page: Any, name: str) -> Any:
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name=name, exact=True).click()
    return navigation.value


def open_unit_in_editor(page: Any) -> None:
    page.get_by_role("link", name="Beispielkurs: Sicher am Schalter").click()
    click(page, "Bearbeiten (Entwurf anlegen)")
    assert "Aus der neuesten Version wurde ein Entwurf angelegt." in page.locator(".messages").inner_text()
    page.locator(".draft-files").get_by_role("link", name="01-grundlagen.md").click()
    assert page.locator("#editor-title").inner_text() == "01-grundlagen.md bearbeiten"


def source(page: Any) -> Any:
    return page.get_by_label("Markdown-Text von 01-grundlagen.md")


def learner_sees_the_new_version(page: Any, live_server: str) -> None:
    page.context.clear_cookies()
    sign_in(page, live_server, NEW_LEARNER_EMAIL)
    page.goto(live_server + "/courses/beispielkurs/units/grundlagen")
    assert MARK in page.locator("article.unit").inner_text()


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_edit_fix_and_publish_with_the_live_preview(live_server: str, trainer_page: Any,
                                                    assert_accessible: Any) -> None:
    page = trainer_page
    assert page.locator("html").get_attribute("lang") == "de"
    assert_accessible(page)
    open_unit_in_editor(page)
    assert_accessible(page)
    original = source(page).input_value()

    # typing an error: the live preview reports it with file and line, without saving
    source(page).fill(original.replace("- [x] Leakage", "- [ ] Leakage", 1))
    status = page.locator(".preview-status")
    assert status.get_attribute("aria-live") == "polite"
    problem = status.locator(".diagnostic-error")
    problem.wait_for()
    line = original.splitlines().index("::: question single id=gl-leakage") + 1
    assert re.search(rf"01-grundlagen\.md:{line}:1\s+Fehler:\s+Frage vom Typ „single“ braucht "
                     r"genau ein \[x\], gefunden: 0", problem.inner_text())
    assert_accessible(page)
    # the diagnostic's link puts the cursor on that line
    problem.get_by_role("link").click()
    assert page.evaluate("document.activeElement.id") == "source"
    selected = page.evaluate("(() => { const s = document.getElementById('source');"
                             " return s.value.slice(s.selectionStart, s.selectionEnd); })()")
    assert selected == "::: question single id=gl-leakage"

    # fixing it: the preview follows the text and the problem disappears
    source(page).fill(original.replace("Bedrohungsmanagement heißt", MARK))
    page.locator(".preview-body", has_text="Neu in dieser Version").wait_for()
    assert "Keine Probleme in dieser Datei." in status.inner_text()
    assert page.locator(".preview-body h1").inner_text() == "Grundlagen"
    click(page, "01-grundlagen.md speichern")
    assert "01-grundlagen.md wurde gespeichert." in page.locator(".messages").inner_text()
    assert MARK in source(page).input_value()

    # the preview page, as learners will see the unit
    page.get_by_role("link", name="Vorschau auf eigener Seite").click()
    assert MARK in page.locator("article.unit").inner_text()
    assert page.locator("form[action*='/check/']").count() == 0  # nothing to submit
    assert_accessible(page)
    page.go_back()

    # publishing: the existing version number is replaced by the suggested one
    version = page.get_by_label("Version", exact=True)
    assert version.input_value() == "2026.2"
    click(page, "Veröffentlichen")
    assert "Version 2026.2 von „Beispielkurs: Sicher am Schalter“ wurde veröffentlicht." in \
        page.locator(".messages").inner_text()
    assert page.locator("main table tbody th").all_inner_texts() == ["2026.2", "2026.1"]
    assert_accessible(page)
    learner_sees_the_new_version(page, live_server)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_the_same_without_javascript(live_server: str, browser: Any, make_user: Any,
                                     course_imported: int) -> None:
    context = browser.new_context(java_script_enabled=False)
    context.set_default_timeout(10_000)
    try:
        page = context.new_page()
        make_user(("trainer",), email=TRAINER_EMAIL, name="Tina Trainerin")
        make_user(("learner",), email=NEW_LEARNER_EMAIL, name="Nils Neu")
        sign_in(page, live_server, TRAINER_EMAIL)
        page.goto(live_server + "/trainer/")
        open_unit_in_editor(page)
        original = source(page).input_value()
        source(page).fill(original.replace("- [x] Leakage", "- [ ] Leakage", 1))
        click(page, "01-grundlagen.md speichern")
        assert "braucht genau ein [x], gefunden: 0" in page.locator(".preview-status").inner_text()
        response = click(page, "Veröffentlichen")
        assert response.status == 409
        assert "Der Kurs hat noch Fehler (1)." in page.locator(".error-summary").inner_text()
        assert page.title().startswith("Fehler:")
        # (axe needs JavaScript: the same pages are checked in the other tests)
        page.locator(".draft-files").get_by_role("link", name="01-grundlagen.md").click()
        source(page).fill(original.replace("Bedrohungsmanagement heißt", MARK))
        click(page, "01-grundlagen.md speichern")
        assert MARK in page.locator(".preview-body").inner_text()
        assert "Keine Probleme: Der Entwurf kann veröffentlicht werden." in \
            page.locator("#problems").inner_text()
        # units: add one, move it up, remove it again
        page.get_by_label("Titel einer neuen Einheit").fill("Zusatz")
        click(page, "Einheit hinzufügen")
        assert page.locator("#editor-title").inner_text() == "03-zusatz.md bearbeiten"
        click(page, "Nach oben – 03-zusatz.md")
        names = page.locator(".unit-files > li > a").all_inner_texts()
        assert names == ["01-grundlagen.md", "03-zusatz.md", "02-praxis.md"]
        click(page, "Entfernen – 03-zusatz.md")
        assert page.locator("h1").inner_text() == "Die Einheit 03-zusatz.md entfernen?"
        click(page, "Einheit entfernen")
        assert "03-zusatz.md" not in page.locator(".unit-files").inner_text()
        click(page, "Veröffentlichen")
        assert "Version 2026.2" in page.locator(".messages").inner_text()
        learner_sees_the_new_version(page, live_server)
    finally:
        context.close()


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_refused_uploads_and_the_new_course_form_are_accessible(
        live_server: str, trainer_page: Any, assert_accessible: Any, tmp_path: Any) -> None:
    page = trainer_page
    bad = tmp_path / "kurs.zip"
    bad.write_bytes(b"kein zip")
    page.get_by_label("Zip-Datei", exact=True).set_input_files(str(bad))
    response = click(page, "Hochladen")
    assert response.status == 400
    assert "Das ist keine Zip-Datei." in page.locator(".error-summary").inner_text()
    assert_accessible(page)
    page.get_by_label("Kurs-Kennung").fill("datenschutz")
    page.get_by_label("Titel", exact=True).fill("Datenschutz kompakt")
    click(page, "Kurs anlegen")
    assert "„Datenschutz kompakt“ wurde als Entwurf angelegt" in page.locator(".messages").inner_text()
    image = tmp_path / "logo.svg"
    image.write_text("<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>")
    page.get_by_label("Bilddatei").set_input_files(str(image))
    response = click(page, "Bild hochladen")
    assert response.status == 400
    assert "SVG-Bilder werden nicht angenommen" in page.locator(".error-summary").inner_text()
    assert_accessible(page)
    # removing a unit asks first, on a page of its own
    click(page, "Entfernen – 01-einfuehrung.md")
    assert page.locator("h1").inner_text() == "Die Einheit 01-einfuehrung.md entfernen?"
    assert_accessible(page)
    page.get_by_role("link", name="Behalten").click()
    assert "01-einfuehrung.md" in page.locator(".unit-files").inner_text()
