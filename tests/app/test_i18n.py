"""German by default, English selectable; both catalogues complete; catalogues compile."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from babel.support import Translations

from lernmodul.db.models import User
from lernmodul.web.config import checkout_root
from lernmodul.web.i18n import TRANSLATIONS_DIR, compile_catalogues

PLACEHOLDER = re.compile(r"%\(\w+\)s")


def test_german_is_the_default(client):
    html = client.get("/login").get_data(as_text=True)
    assert '<html lang="de">' in html
    assert "<h1>Anmelden</h1>" in html
    assert 'href="/accessibility">Erklärung zur Barrierefreiheit' in html
    assert 'href="/privacy">Datenschutzhinweise' in html


def test_language_switch_sets_a_cookie_and_returns_to_the_page(client, csrf_token):
    token = csrf_token(client, "/privacy")
    response = client.post("/language", data={"csrf_token": token, "language": "en", "next": "/privacy"})
    assert response.status_code == 303
    assert response.headers["Location"] == "/privacy"
    cookie = client.get_cookie("lernmodul_lang")
    assert cookie.value == "en" and cookie.http_only
    html = client.get("/privacy").get_data(as_text=True)
    assert '<html lang="en">' in html and "<h1>Privacy notice</h1>" in html


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example"])
def test_language_switch_does_not_redirect_elsewhere(client, csrf_token, target):
    response = client.post(
        "/language", data={"csrf_token": csrf_token(client), "language": "en", "next": target}
    )
    assert response.headers["Location"] == "/"


def test_unknown_language_is_ignored(client, csrf_token):
    client.post("/language", data={"csrf_token": csrf_token(client), "language": "xx", "next": "/login"})
    assert client.get_cookie("lernmodul_lang") is None
    assert '<html lang="de">' in client.get("/login").get_data(as_text=True)


def test_signed_in_choice_is_kept_on_the_account(app, make_user, login, csrf_token, db_session):
    user = make_user(email="lea@example.org")
    client = app.test_client()
    login(client, "lea@example.org")
    client.post("/language", data={"csrf_token": csrf_token(client), "language": "en", "next": "/"})
    assert db_session.get(User, user.id).locale == "en"
    other_device = app.test_client()
    login(other_device, "lea@example.org")
    assert "<h1>My courses</h1>" in other_device.get("/").get_data(as_text=True)


def _extracted_messages() -> set[str]:
    root = checkout_root()
    assert root is not None
    method_map = [("src/lernmodul/**.py", "python"), ("templates/**.html", "jinja2")]
    messages = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(root),
        method_map,
        keywords={"_": None, "gettext": None, "lazy_gettext": None, "_l": None},
        directory_filter=lambda path: not os.path.basename(path).startswith("."),
    ):
        messages.add(message if isinstance(message, str) else message[0])
    return messages


def _catalogue(locale: str) -> dict[str, str]:
    path = TRANSLATIONS_DIR / locale / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as handle:
        return {m.id: m.string for m in read_po(handle) if m.id and not m.fuzzy}


HOW_TO_UPDATE = "update the catalogues with the pybabel commands in lernmodul/web/i18n.py"


def test_german_catalogue_translates_every_message():
    translations = _catalogue("de")
    wanted = _extracted_messages()
    assert len(wanted) > 50
    missing = sorted(m for m in wanted if not translations.get(m))
    assert missing == [], f"{HOW_TO_UPDATE}; untranslated: {missing}"
    for message_id in wanted:
        assert set(PLACEHOLDER.findall(message_id)) == set(PLACEHOLDER.findall(translations[message_id])), (
            message_id
        )


def test_english_catalogue_has_every_message():
    """Source strings are English: an empty English msgstr falls back to the source."""
    translations = _catalogue("en")
    missing = sorted(m for m in _extracted_messages() if m not in translations)
    assert missing == [], f"{HOW_TO_UPDATE}; missing: {missing}"


def test_catalogues_compile_when_missing_or_stale(tmp_path: Path):
    source = tmp_path / "translations"
    po = source / "de" / "LC_MESSAGES" / "messages.po"
    po.parent.mkdir(parents=True)
    text = (TRANSLATIONS_DIR / "de" / "LC_MESSAGES" / "messages.po").read_text("utf-8")
    po.write_text(text, "utf-8")
    assert compile_catalogues(source, tmp_path / "fallback") == source
    assert Translations.load(str(source), ["de"]).gettext("Sign in") == "Anmelden"
    po.write_text(text.replace('msgstr "Anmelden"', 'msgstr "Einloggen"'), "utf-8")
    later = po.stat().st_mtime_ns + 10**9
    os.utime(po, ns=(later, later))
    compile_catalogues(source, tmp_path / "fallback")
    assert Translations.load(str(source), ["de"]).gettext("Sign in") == "Einloggen"


def test_catalogues_compile_into_the_instance_when_the_package_is_not_writable(tmp_path: Path):
    source = tmp_path / "translations"
    po = source / "en" / "LC_MESSAGES" / "messages.po"
    po.parent.mkdir(parents=True)
    po.write_bytes((TRANSLATIONS_DIR / "en" / "LC_MESSAGES" / "messages.po").read_bytes())
    # Something that cannot be replaced by a file stands where the .mo would go (a
    # read-only folder does the same for non-root users).
    (po.parent / "messages.mo").mkdir()
    target = compile_catalogues(source, tmp_path / "fallback")
    assert target == tmp_path / "fallback"
    assert Translations.load(str(target), ["en"]).gettext("Sign in") == "Sign in"
    assert (target / "en" / "LC_MESSAGES" / "messages.mo").is_file()
