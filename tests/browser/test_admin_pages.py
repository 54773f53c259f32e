"""Administration in the browser, in German: axe-core finds no WCAG 2.1 A/AA violation on
any admin page and state (tree, unit with a refused move, user list and search, user page
with errors and with failed sign-ins, import upload, dry run, bad file), and an admin sets
up units and people."""

from __future__ import annotations

from typing import Any

import pytest
from learner_pages import LEARNER_PASSWORD

pytestmark = pytest.mark.browser

ADMIN_EMAIL = "admin@example.org"
CSV = (
    "Personalnummer;Name;E-Mail;Organisationseinheit;Rollen\n"
    "1001;Jürgen Weiß;j.weiss@lindenau.de;Stadt Lindenau / Dezernat II / Bürgeramt;\n"
    '1002;Anna Groß;a.gross@lindenau.de;Stadt Lindenau > Dezernat II;"learner,hr"\n'
)


@pytest.fixture
def admin_page(live_server: str, page: Any, make_user: Any) -> Any:
    make_user(("admin",), email=ADMIN_EMAIL, name="Anton Admin")
    page.goto(live_server + "/login")
    page.locator("#login").fill(ADMIN_EMAIL)
    page.locator("#password").fill(LEARNER_PASSWORD)
    with page.expect_navigation():
        page.locator("#password").press("Enter")
    assert page.url == live_server + "/admin/", page.url
    return page


def click(page: Any, name: str) -> Any:
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name=name).click()
    return navigation.value


def upload(page: Any, tmp_path: Any, text: str, name: str) -> Any:
    path = tmp_path / name
    path.write_bytes(text.encode("cp1252"))
    page.get_by_label("CSV-Datei").set_input_files(str(path))
    return click(page, "Datei prüfen")


# The markup does not depend on the database: SQLite only.
@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_admin_pages_are_accessible_in_german(
    live_server: str, admin_page: Any, assert_accessible: Any, tmp_path: Any
) -> None:
    page = admin_page
    assert page.locator("html").get_attribute("lang") == "de"
    assert_accessible(page)

    # import: empty form, dry run, confirmation, the same file again, a bad file
    page.get_by_role("link", name="Personen aus einer CSV-Datei importieren").click()
    assert page.locator("h1").inner_text() == "Personen importieren"
    assert_accessible(page)
    upload(page, tmp_path, CSV, "personal.csv")
    assert "2 Personen werden angelegt" in page.locator("main").inner_text()
    assert_accessible(page)
    click(page, "Jetzt importieren")
    assert "2 angelegt" in page.locator(".messages").inner_text()
    assert_accessible(page)
    response = upload(page, tmp_path, CSV + "1001;Doppelt;x@lindenau.de;;chef\n", "kaputt.csv")
    assert response.status == 400
    assert "Die Personalnummer 1001 steht schon in Zeile 2." in page.locator("main").inner_text()
    assert page.title().startswith("Fehler:")
    assert_accessible(page)

    # the tree, a unit, and a refused move into its own sub-unit
    page.goto(live_server + "/admin/units")
    assert_accessible(page)
    page.get_by_label("Name der neuen Einheit").fill("Standesamt")
    page.get_by_label("Übergeordnete Einheit").select_option(label="Stadt Lindenau / Dezernat II")
    click(page, "Einheit anlegen")
    assert "„Standesamt“ ist angelegt" in page.locator(".messages").inner_text()
    page.get_by_role("link", name="Dezernat II", exact=True).click()
    assert_accessible(page)
    page.get_by_label("Neue übergeordnete Einheit").select_option(label="Stadt Lindenau")
    # a forged choice: the page does not offer its own sub-units
    child = page.locator("main ul a[href^='/admin/units/']").first.get_attribute("href")
    page.evaluate(
        "id => { const s = document.querySelector('#move + form select');"
        " s.add(new Option('x', id)); s.value = id; }",
        child.rsplit("/", 1)[1],
    )
    response = click(page, "Verschieben")
    assert response.status == 409
    assert "nicht unter sich selbst" in page.locator("main").inner_text()
    assert_accessible(page)

    # users: list, search, a person with a form error, roles
    page.goto(live_server + "/admin/users")
    assert_accessible(page)
    page.get_by_label("Suche", exact=True).fill("weiß")
    click(page, "Suchen")
    assert "1 Person gefunden" in page.locator("main").inner_text()
    page.get_by_role("link", name="Jürgen Weiß").click()
    assert "nicht gesetzt" in page.locator("main").inner_text()
    assert_accessible(page)
    page.get_by_label("E-Mail-Adresse", exact=True).fill("kein-at")
    response = click(page, "Änderungen speichern")
    assert response.status == 400
    assert_accessible(page)
    page.get_by_role("link", name="E-Mail-Adresse: Geben Sie eine gültige E-Mail-Adresse ein").click()
    assert page.evaluate("document.activeElement.id") == "profile-email"
    page.get_by_label("E-Mail-Adresse", exact=True).fill("juergen.weiss@lindenau.de")
    page.get_by_label("Zusätzliche Zeit in Prüfungen (Prozent)").fill("25")
    click(page, "Änderungen speichern")
    assert "Die Änderungen sind gespeichert." in page.locator(".messages").inner_text()
    page.get_by_label("Rolle hinzufügen").select_option(label="Personalstelle")
    page.get_by_label("Für welche Einheiten").select_option(label="Stadt Lindenau / Dezernat II / Bürgeramt")
    click(page, "Rollen speichern")
    assert "Personalstelle – Stadt Lindenau / Dezernat II / Bürgeramt" in page.locator("main").inner_text()
    # failed sign-ins of this person (from another browser) and lifting them
    other = page.context.browser.new_context()
    stranger = other.new_page()
    for _ in range(2):
        stranger.goto(live_server + "/login")
        stranger.locator("#login").fill("1001")
        stranger.locator("#password").fill("falsches-passwort-123")
        with stranger.expect_navigation():
            stranger.locator("#password").press("Enter")
    other.close()
    page.reload()
    assert "2 fehlgeschlagene Versuche in Folge" in page.locator("main").inner_text()
    assert_accessible(page)
    click(page, "Anmeldesperre aufheben")
    assert "Die Anmeldesperre ist aufgehoben" in page.locator(".messages").inner_text()
    assert "keine fehlgeschlagenen Versuche" in page.locator("main").inner_text()
    click(page, "Konto deaktivieren")
    assert "seine Sitzungen sind beendet" in page.locator(".messages").inner_text()
    assert_accessible(page)


def test_phone_width_reflows_the_user_list(live_server: str, admin_page: Any) -> None:
    page = admin_page
    page.set_viewport_size({"width": 375, "height": 740})
    page.goto(live_server + "/admin/users")
    overflow = page.evaluate("document.documentElement.scrollWidth > window.innerWidth + 1")
    assert not overflow
