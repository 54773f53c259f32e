"""Every page and state that the browser and app tests visit is valid HTML: the Nu Html
Checker (vnu.jar, one Java process for all pages) finds no error, in German and English,
with more data than a fresh instance (several org units, courses and people with progress).

Warnings are listed in the output but do not fail the test."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from page_forms import Pages
from site_walk import (
    replay_in_english,
    walk_admin,
    walk_certificates,
    walk_hr,
    walk_learner,
    walk_public,
    walk_trainer,
)
from site_world import SAMPLE, build_world

# A page the checker must refuse: two elements share an id, a required select's placeholder
# has a value, a label names no control. Checked in the same run: the guard costs no JVM.
BROKEN = """<!DOCTYPE html><html lang="de"><head><title>kaputt</title></head><body><main>
<p id="doppelt">1</p><p id="doppelt">2</p>
<label for="s">Einheit</label><select id="s" name="s" required><option value="0">Wählen</option></select>
<label for="nirgends">E-Mail</label><input id="email" name="email">
</main></body></html>"""
BROKEN_NAME = "000-guard-broken.html"


def signed_in(app: Any, login: Any, email: str) -> Any:
    client = app.test_client()
    assert login(client, email).status_code == 302
    return client


# The markup does not depend on the database: SQLite only.
@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_every_page_and_state_is_valid_html(
    app: Any, import_course: Any, make_user: Any, login: Any, csrf_token: Any,
    html_checker: Any, tmp_path: Path, capsys: Any,
) -> None:
    from lernmodul.content import load_course

    world = build_world(app, import_course, make_user, tmp_path)
    folder = tmp_path / "pages"
    folder.mkdir()
    pages = Pages(folder)
    anonymous = app.test_client()
    walk_public(pages, anonymous)
    walk_learner(app, pages, signed_in(app, login, "lea@example.org"), load_course(SAMPLE).course)
    walk_trainer(pages, signed_in(app, login, "tina@example.org"), world)
    walk_hr(pages, signed_in(app, login, "hanna@example.org"), world)
    admin = signed_in(app, login, "anton@example.org")
    walk_admin(pages, admin, world)
    walk_certificates(pages, admin, anonymous)
    german = len(pages.states)
    replay_in_english(pages, csrf_token)
    (folder / BROKEN_NAME).write_text(BROKEN, "utf-8")

    started = time.monotonic()
    messages = html_checker(folder)
    seconds = time.monotonic() - started

    guard = {m.text for m in messages if m.file == BROKEN_NAME and m.kind == "error"}
    assert any("Duplicate ID" in text for text in guard), guard
    assert any("placeholder" in text for text in guard), guard
    assert any("“for” attribute of the “label” element" in text for text in guard), guard
    found = [m for m in messages if m.file != BROKEN_NAME]
    states = pages.states
    with capsys.disabled():
        print(f"\nvnu: {len(states)} pages ({german} German, {len(states) - german} English) "
              f"checked in {seconds:.1f} s")
        for warning in (m for m in found if m.kind != "error"):
            print(f"  {states.get(warning.file, warning.file)}: {warning}")
    errors = [f"{states.get(m.file, m.file)}: {m}" for m in found if m.kind == "error"]
    assert errors == [], "\n".join(errors)
    assert german >= 90
