"""Trainer insights in the browser, in German: axe-core finds no WCAG 2.1 A/AA violation on the
version diff, the question statistics (sorted) and the GIFT conversion (result, errors), and
each works with the keyboard and without JavaScript-only controls."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from learner_pages import LEARNER_PASSWORD

pytestmark = pytest.mark.browser

SAMPLE = Path(__file__).parents[1] / "core" / "fixtures" / "sample-course"
TRAINER_EMAIL = "tina@example.org"
WHEN = datetime(2031, 3, 4, 5, 6, 7, tzinfo=UTC)
GIFT = (
    "::Farbe:: Welche Farbe hat der Himmel? {=blau ~grün ~rot}\n\n"
    "::Aufsatz:: Beschreiben Sie Ihren Tag. {}\n\n"
    "Die Erde ist rund. {T}\n"
)


def import_versions(import_course: Any, tmp_path: Path) -> tuple[int, int]:
    second = tmp_path / "v2"
    shutil.copytree(SAMPLE, second)
    course = second / "course.md"
    course.write_text(course.read_text("utf-8").replace('"2026.1"', '"2026.2"')
                      .replace("pass_mark: 0.8", "pass_mark: 0.9"), "utf-8")
    unit = second / "01-grundlagen.md"
    unit.write_text(unit.read_text("utf-8").replace("einschätzen, entschärfen", "bewerten, entschärfen")
                    .replace("- [ ] Energieschub", "- [ ] Plötzlicher Energieschub"), "utf-8")
    return import_course(SAMPLE).version_id, import_course(second).version_id


def add_graded_exams(app: Any, version_id: int, people: int = 7) -> None:
    from lernmodul.db.learning import Attempt, AttemptResult
    from lernmodul.db.models import Enrolment, User
    from lernmodul.web.database import get_database

    session = get_database(app).sessions()
    try:
        for n in range(people):
            user = User(name=f"Person {n}", email=f"person{n}@example.org")
            session.add(user)
            session.flush()
            enrolment = Enrolment(user_id=user.id, course_id="beispielkurs", assigned_at=WHEN,
                                  course_version_id=version_id, started_at=WHEN)
            session.add(enrolment)
            session.flush()
            right = n % 3 != 0
            scores = {"ex-abschluss": (2.0 if right else 0.0, 2.0),
                      "gl-leakage": (1.0 if n % 2 else 0.0, 1.0)}
            attempt = Attempt(user_id=user.id, enrolment_id=enrolment.id,
                              course_version_id=version_id, kind="exam", unit_key="", seed=n,
                              questions=[[q, []] for q in scores], revision=1, state="submitted",
                              responses={"gl-leakage": "a" if n % 2 else "b",
                                         "ex-abschluss": "a" if right else "b"},
                              started_at=WHEN, submitted_at=WHEN)
            session.add(attempt)
            session.flush()
            session.add(AttemptResult(
                attempt_id=attempt.id, points=sum(p for p, _ in scores.values()), max_points=3.0,
                is_passed=right, graded_at=WHEN,
                scores={q: {"points": p, "max": m, "marks": {}} for q, (p, m) in scores.items()}))
        session.commit()
    finally:
        session.close()


@pytest.fixture
def trainer_page(live_server: str, page: Any, make_user: Any) -> Any:
    make_user(("trainer",), email=TRAINER_EMAIL, name="Tina Trainerin")
    page.goto(live_server + "/login")
    page.locator("#login").fill(TRAINER_EMAIL)
    page.locator("#password").fill(LEARNER_PASSWORD)
    with page.expect_navigation():
        page.locator("#password").press("Enter")
    return page


def submit(page: Any, name: str) -> Any:
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name=name).click()
    return navigation.value


# The markup does not depend on the database: SQLite only.
@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_trainer_insight_pages_are_accessible_in_german(
    app: Any, live_server: str, trainer_page: Any, assert_accessible: Any, tmp_path: Path,
    import_course: Any,
) -> None:
    page = trainer_page
    first, second = import_versions(import_course, tmp_path)
    add_graded_exams(app, second)

    # the diff: newest two versions preselected; choosing them again with the keyboard
    page.goto(f"{live_server}/trainer/courses/beispielkurs/diff")
    assert page.locator("h1").inner_text() == "Versionen von „Beispielkurs: Sicher am Schalter“ vergleichen"
    main = page.locator("main").inner_text()
    assert "Plötzlicher Energieschub" in main and "90 %" in main.replace("\xa0", " ")
    assert page.locator("ins").first.inner_text().startswith("+")
    assert_accessible(page)
    page.get_by_label("Ältere Version").select_option(str(second))
    page.get_by_label("Neuere Version").select_option(str(first))
    page.get_by_label("Neuere Version").focus()
    page.keyboard.press("Tab")  # the button follows the selects
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert f"from={second}" in page.url and f"to={first}" in page.url
    assert_accessible(page)

    # the statistics of the newer version, sorted by a header link
    page.goto(f"{live_server}/trainer/versions/{second}/statistics")
    assert "7 Personen mit einem bewerteten Versuch." in page.locator("main").inner_text()
    assert "Person 0" not in page.content() and "person0@" not in page.content()
    assert_accessible(page)
    page.get_by_role("link", name="Schwierigkeit (p)").click()
    page.wait_for_url("**sort=difficulty**")
    assert page.locator('th[aria-sort="ascending"]').count() == 1
    assert_accessible(page)

    # the GIFT page: empty form, a conversion with an error message, a download, a bad file
    page.goto(f"{live_server}/trainer/gift")
    assert page.locator("h1").inner_text() == "GIFT-Datei umwandeln"
    assert_accessible(page)
    path = tmp_path / "himmel.txt"
    path.write_text(GIFT, "utf-8")
    page.get_by_label("GIFT-Datei").set_input_files(str(path))
    submit(page, "Umwandeln")
    main = page.locator("main").inner_text()
    assert "himmel.txt: 2 Fragen umgewandelt" in main
    assert "Freitext" in main or "Aufsatz" in main or "essay" in main.lower()
    markdown = page.get_by_label("Markdown von 01-himmel.md").input_value()
    assert "- [x] blau" in markdown
    assert_accessible(page)
    with page.expect_download() as download:
        page.get_by_role("button", name="01-himmel.md herunterladen").click()
    assert download.value.suggested_filename == "01-himmel.md"
    assert Path(download.value.path()).read_text("utf-8") == markdown

    # with a course chosen: the unit joins the course's draft
    page.get_by_label("GIFT-Datei").set_input_files(str(path))
    page.get_by_label("Kurs für die Einheiten (optional)").select_option("beispielkurs")
    submit(page, "Umwandeln")
    assert_accessible(page)
    button = page.get_by_role("button", name="zum Entwurf von „Beispielkurs: Sicher am Schalter“")
    with page.expect_navigation():
        button.first.click()
    assert "im Entwurf des Kurses beispielkurs" in page.locator(".messages").inner_text()

    page.goto(f"{live_server}/trainer/gift")
    bad = tmp_path / "bild.txt"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00binary")
    page.get_by_label("GIFT-Datei").set_input_files(str(bad))
    response = submit(page, "Umwandeln")
    assert response.status == 400
    assert page.title().startswith("Fehler:")
    assert "Das ist keine Textdatei." in page.locator(".error-summary").inner_text()
    assert_accessible(page)
