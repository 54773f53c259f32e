"""A cmi5 package launched as an LMS launches it, against the real ralph LRS: the player
(with the bundled @xapi/cmi5 client) sends initialized → completed → failed → passed →
terminated with the registration and results; it resumes from its state."""

from __future__ import annotations

import io
import json
import uuid
import zipfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from cmi5_site import serve_cmi5
from learner import answer, form_state, open_view, read_unit, take_exam, take_quiz
from lxml import etree

from lernmodul.core.model import Course

VERBS = "http://adlnet.gov/expapi/verbs/"
CMI5_CATEGORY = "https://w3id.org/xapi/cmi5/context/categories/cmi5"
SESSION = "https://w3id.org/xapi/cmi5/context/extensions/sessionid"
ACTOR = {"objectType": "Agent", "account": {"homePage": "https://lms.example.org", "name": "lea"}}


def au_of(package: bytes) -> tuple[str, str, str, str]:
    """(course id, AU id, moveOn, masteryScore) from the package's cmi5.xml."""
    with zipfile.ZipFile(io.BytesIO(package)) as archive:
        root = etree.fromstring(archive.read("cmi5.xml"))
    ns = {"c": "https://w3id.org/xapi/profiles/cmi5/v1/CourseStructure.xsd"}
    au = root.find("c:au", ns)
    return root.find("c:course", ns).get("id"), au.get("id"), au.get("moveOn"), au.get("masteryScore")


def launch(page: Any, site: Any, lrs: Any, package: bytes, registration: str) -> Any:
    """What an LMS does: launch data into the state, a `launched` statement, the launch URL."""
    course_id, au_id, move_on, mastery = au_of(package)
    session_id = str(uuid.uuid4())
    context = {"registration": registration,
               "contextActivities": {"grouping": [{"objectType": "Activity", "id": course_id}]},
               "extensions": {SESSION: session_id}}
    site.set_launch_data(au_id, registration, {
        "contextTemplate": {"contextActivities": context["contextActivities"],
                            "extensions": context["extensions"]},
        "launchMode": "Normal", "launchMethod": "AnyWindow", "moveOn": move_on,
        "masteryScore": float(mastery)})
    launched = {"id": str(uuid.uuid4()), "actor": ACTOR,
                "verb": {"id": VERBS + "launched", "display": {"en-US": "launched"}},
                "object": {"objectType": "Activity", "id": au_id},
                "context": {**context, "contextActivities": {
                    **context["contextActivities"],
                    "category": [{"objectType": "Activity", "id": CMI5_CATEGORY}]},
                    "extensions": {**context["extensions"],
                                   "https://w3id.org/xapi/cmi5/context/extensions/launchmode": "Normal",
                                   "https://w3id.org/xapi/cmi5/context/extensions/moveon": move_on}},
                "timestamp": datetime.now(UTC).isoformat(timespec="milliseconds")}
    response = lrs.http().post(lrs.statements_url, json=launched, timeout=30)
    assert response.status_code == 200, response.text
    url = (f"{site.base_url}/pkg/index.html?endpoint={quote(site.base_url + '/xapi/', safe='')}"
           f"&fetch={quote(site.base_url + '/fetch', safe='')}"
           f"&actor={quote(json.dumps(ACTOR), safe='')}&registration={registration}"
           f"&activityId={quote(au_id, safe='')}")
    page.goto(url)
    page.wait_for_function("window.LernmodulPlayer && window.LernmodulPlayer.ready")
    return session_id


def close(page: Any) -> None:
    page.locator("#lm-finish").click()
    page.get_by_text("Sie können dieses Fenster jetzt schließen.").wait_for()


def verbs_of(statements: list[dict[str, Any]]) -> list[str]:
    ordered = sorted(statements, key=lambda s: (s["timestamp"], s.get("stored", "")))
    return [s["verb"]["id"].removeprefix(VERBS) for s in ordered]


def test_cmi5_launch_resume_statements(page: Any, lrs: Any, tmp_path: Path,
                                       export: Callable[..., bytes], sample_course: Course,
                                       assert_accessible: Callable[[Any], None]) -> None:
    package = export("cmi5")
    _, au_id, move_on, _ = au_of(package)
    assert move_on == "CompletedAndPassed"
    registration = str(uuid.uuid4())
    with serve_cmi5(tmp_path / "site", lrs.statements_url, lrs.auth) as site:
        site.unpack(package)
        first_session = launch(page, site, lrs, package, registration)
        assert page.get_by_text("Keine Lernplattform gefunden").count() == 0
        first = sample_course.units[0]
        read_unit(page.main_frame, first.id)
        assert_accessible(page)
        close(page)
        assert verbs_of(lrs.statements()) == ["launched", "initialized", "terminated"]

        launch(page, site, lrs, package, registration)
        assert page.locator(f"#view-unit-{first.id}").is_visible()  # resumed from its state
        assert page.locator(f"#view-unit-{first.id}").get_by_text(
            "Sie haben diese Einheit gelesen.").is_visible()
        for unit in sample_course.units:
            read_unit(page.main_frame, unit.id)
            if unit.quiz is not None:
                assert take_quiz(page.main_frame, sample_course, unit.id, right=True).startswith(
                    "Bestanden.")
        assert take_exam(page.main_frame, sample_course, right=False).startswith("Nicht bestanden.")
        assert take_exam(page.main_frame, sample_course, right=True).startswith("Bestanden.")
        close(page)

    statements = lrs.statements()
    assert verbs_of(statements) == ["launched", "initialized", "terminated", "launched",
                                    "initialized", "completed", "failed", "passed", "terminated"]
    by_verb = {s["verb"]["id"].removeprefix(VERBS): s for s in statements}
    assert {s["context"]["registration"] for s in statements} == {registration}
    assert {s["object"]["id"] for s in statements} == {au_id}
    au_statements = [s for s in statements if not s["verb"]["id"].endswith("launched")]
    for statement in au_statements:
        categories = [a["id"] for a in statement["context"]["contextActivities"]["category"]]
        assert CMI5_CATEGORY in categories
        assert statement["actor"]["account"] == ACTOR["account"]
    sessions = {s["context"]["extensions"][SESSION] for s in au_statements}
    assert first_session in sessions and len(sessions) == 2
    assert by_verb["completed"]["result"]["completion"] is True
    assert by_verb["failed"]["result"]["success"] is False
    assert by_verb["failed"]["result"]["score"]["scaled"] < 0.8
    assert by_verb["passed"]["result"]["success"] is True
    assert by_verb["passed"]["result"]["score"]["scaled"] == 1
    # moveOn CompletedAndPassed is met: the LMS may now send "satisfied"
    assert {"completed", "passed"} <= set(by_verb)


PLAYER_STATE = "https://lernmodul.de/xapi/state/player"


def test_cmi5_open_exam_resumed_from_the_state_document(page: Any, lrs: Any, tmp_path: Path,
                                                        export: Callable[..., bytes],
                                                        sample_course: Course) -> None:
    """Half an exam answered, the AU terminated: the State API document holds the open exam;
    the next launch shows the same questions with the same answers, and passing it sends
    `passed` in the second session."""
    package = export("cmi5")
    _, au_id, _, _ = au_of(package)
    registration = str(uuid.uuid4())
    with serve_cmi5(tmp_path / "site", lrs.statements_url, lrs.auth) as site:
        site.unpack(package)
        launch(page, site, lrs, package, registration)
        for unit in sample_course.units:
            read_unit(page.main_frame, unit.id)
            if unit.quiz is not None:
                take_quiz(page.main_frame, sample_course, unit.id, right=True)
        open_view(page.main_frame, "start")
        open_view(page.main_frame, "exam")
        count = page.locator("#lm-exam fieldset.question").count()
        answer(page.main_frame, sample_course, "#lm-exam", right=True, only=range(count // 2),
               submit=False)
        before = form_state(page.main_frame, "#lm-exam")
        close(page)
        document = json.loads(site.states[(au_id, registration, PLAYER_STATE)])
        assert document["location"] == "exam"
        suspend = json.loads(document["suspend"])
        assert suspend["e"][:2] == [1, 0] and len(suspend["x"]["d"]) == count

        launch(page, site, lrs, package, registration)
        assert page.locator("#view-exam").is_visible()
        assert form_state(page.main_frame, "#lm-exam") == before
        answer(page.main_frame, sample_course, "#lm-exam", right=True,
               only=range(count // 2, count))
        assert page.locator("#lm-exam-result").inner_text().startswith("Bestanden.")
        close(page)
        suspend = json.loads(json.loads(site.states[(au_id, registration, PLAYER_STATE)])["suspend"])
        assert suspend["e"][:3] == [1, 1, 1] and "x" not in suspend

    statements = lrs.statements()
    assert verbs_of(statements) == ["launched", "initialized", "completed", "terminated",
                                    "launched", "initialized", "passed", "terminated"]
    passed = next(s for s in statements if s["verb"]["id"] == VERBS + "passed")
    assert passed["result"]["success"] is True and passed["result"]["score"]["scaled"] == 1
    assert {s["context"]["registration"] for s in statements} == {registration}
