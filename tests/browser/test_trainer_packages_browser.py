"""The package download in the trainer area, in the browser: keyboard only, axe-clean, and
the downloaded SCORM 2004 package is the one the export command writes."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import pytest
from test_trainer_pages import TRAINER_EMAIL, sign_in

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_download_a_package_by_keyboard(live_server: str, page: Any, make_user: Any,
                                        course_imported: int, assert_accessible: Any) -> None:
    make_user(("trainer",), email=TRAINER_EMAIL, name="Tina Trainerin")
    sign_in(page, live_server, TRAINER_EMAIL)
    page.goto(live_server + "/trainer/courses/beispielkurs")
    assert_accessible(page)
    select = page.get_by_label("Paket für eine Lernplattform – Version 2026.1")
    assert select.get_attribute("aria-describedby") == "package-note"
    select.focus()
    page.keyboard.press("ArrowDown")  # SCORM 1.2 → SCORM 2004
    assert select.input_value() == "scorm2004"
    page.keyboard.press("Tab")
    with page.expect_download() as download_info:
        page.keyboard.press("Enter")
    download = download_info.value
    assert download.suggested_filename == "beispielkurs-2026.1-scorm2004.zip"
    with zipfile.ZipFile(io.BytesIO(download.path().read_bytes())) as archive:
        assert b"2004 4th Edition" in archive.read("imsmanifest.xml")
