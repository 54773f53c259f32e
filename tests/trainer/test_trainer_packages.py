"""The trainer area's package download: every format, the role check, the audit row, the
integrity note, bad input."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import pytest
from sqlalchemy import select

from lernmodul.db.models import AuditLog


@pytest.mark.parametrize(("package_format", "entry"), [
    ("scorm12", "imsmanifest.xml"), ("scorm2004", "imsmanifest.xml"), ("cmi5", "cmi5.xml")])
def test_trainer_downloads_a_package(trainer: Any, sample_version: Any, db_session: Any,
                                     package_format: str, entry: str) -> None:
    response = trainer.get(f"/trainer/versions/{sample_version}/package?format={package_format}")
    assert response.status_code == 200 and response.mimetype == "application/zip"
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="beispielkurs-2026.1-{package_format}.zip"')
    with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
        names = archive.namelist()
    assert entry in names and "index.html" in names and "media/ampel.png" in names
    again = trainer.get(f"/trainer/versions/{sample_version}/package?format={package_format}")
    assert again.data == response.data
    rows = db_session.scalars(select(AuditLog).where(AuditLog.action == "course.package")).all()
    assert len(rows) == 2 and rows[0].detail["format"] == package_format


def test_course_page_offers_every_format_and_says_what_packages_are_for(
        trainer: Any, sample_version: Any) -> None:
    html = trainer.get("/trainer/courses/beispielkurs").get_data(as_text=True)
    assert f'action="/trainer/versions/{sample_version}/package"' in html
    for value in ("scorm12", "scorm2004", "cmi5"):
        assert f'<option value="{value}">' in html
    assert "Paket für eine Lernplattform" in html
    assert "zum Üben" in html and "LTI-Tool" in html


@pytest.mark.parametrize("query", ["", "?format=aicc", "?format=SCORM12"])
def test_unknown_format_is_a_400(trainer: Any, sample_version: Any, query: str) -> None:
    response = trainer.get(f"/trainer/versions/{sample_version}/package{query}")
    assert response.status_code == 400
    assert "Paketformate" in response.get_data(as_text=True)


def test_unknown_version_is_a_404(trainer: Any, sample_version: Any) -> None:
    assert trainer.get("/trainer/versions/999999/package?format=scorm12").status_code == 404


def test_learners_may_not_download_packages(client: Any, make_user: Any, login: Any,
                                            sample_version: Any) -> None:
    make_user(("learner",), email="lerner@example.org", name="Lea Lernend")
    assert login(client, "lerner@example.org").status_code == 302
    response = client.get(f"/trainer/versions/{sample_version}/package?format=scorm12")
    assert response.status_code == 403
