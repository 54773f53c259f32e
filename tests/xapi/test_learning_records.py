"""A learner's course start, exam attempts and completion reach a real LRS (ralph) as xAPI
statements through the outbox: right verbs, pseudonymous actor, results and timestamps; item
statements only when switched on; with the LRS down they wait and then arrive exactly once."""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from tests.app.test_learner_journey import COURSE, SAMPLE, answer_all, compiled_course, post

from lrs import Lrs

BASE = "https://lernen.example.de"
EMAIL = "lea@example.org"
NAME = "Lea Lernende"
VERB = "http://adlnet.gov/expapi/verbs/"


@pytest.fixture
def xapi_config(app_config: dict[str, Any], lrs: Lrs) -> dict[str, Any]:
    # the timer's run (deliver_all) sends; the attempt right after a request is tested apart
    app_config.update(XAPI_ENDPOINT=lrs.endpoint, XAPI_USERNAME=lrs.username,
                      XAPI_PASSWORD=lrs.password, PUBLIC_BASE_URL=BASE,
                      OUTBOX_DELIVER_AFTER_REQUEST=False)
    return app_config


@pytest.fixture
def app(xapi_config: dict[str, Any], make_app: Any) -> Any:
    """Here the app has xAPI on, sending to the test's LRS."""
    return make_app()


@pytest.fixture
def learner(app: Any, make_user: Any, login: Any, import_course: Any) -> Any:
    client = app.test_client()
    import_course(SAMPLE)
    user = make_user(("learner",), email=EMAIL, name=NAME)
    assert login(client, EMAIL).status_code == 302
    client.user = user
    return client


def deliver_all(app: Any, *, later: timedelta = timedelta(0), **config: Any) -> Any:
    """One outbox run, as `lernmodul outbox deliver` makes it (`later`: past any back-off)."""
    from lernmodul.db.models import utcnow
    from lernmodul.outbox import deliver_due
    from lernmodul.web.database import get_database

    return deliver_due(get_database(app).sessions, config={**app.config, **config},
                       now=utcnow() + later)


def xapi_rows(app: Any) -> list[Any]:
    from lernmodul.db.outbox import Delivery
    from lernmodul.web.database import get_database

    with get_database(app).read_sessions() as session:
        return list(session.scalars(select(Delivery).where(Delivery.kind == "xapi")
                                    .order_by(Delivery.id)))


def fail_exam(client: Any) -> Any:
    exam = post(client, f"{COURSE}/exam", page=COURSE)
    url = exam.headers["Location"]
    page = client.get(url).get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    revision = re.search(r'name="revision" value="(\d+)"', page).group(1)
    done = client.post(url, data={"csrf_token": token, "revision": revision, "action": "submit",
                                  "confirm_incomplete": "1"})
    assert done.status_code == 303
    return done


def take_course(app: Any, client: Any, *, fail_first: bool = True) -> None:
    """Start, read and pass every unit's quiz, fail the exam once, then pass it."""
    course = compiled_course(app)
    assert post(client, f"{COURSE}/start", page=COURSE).status_code == 303
    for unit in course.units:
        assert post(client, f"{COURSE}/units/{unit.id}/read", page=COURSE).status_code == 303
        quiz = post(client, f"{COURSE}/units/{unit.id}/quiz", page=COURSE)
        assert answer_all(client, course, quiz.headers["Location"]).status_code == 303
    if fail_first:
        fail_exam(client)
    exam = post(client, f"{COURSE}/exam", page=COURSE)
    assert answer_all(client, course, exam.headers["Location"]).status_code == 303


def by_verb(statements: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for statement in statements:
        found.setdefault(statement["verb"]["id"].removeprefix(VERB), []).append(statement)
    return found


def parse(timestamp: str) -> datetime:
    return datetime.fromisoformat(timestamp.replace("Z", "+00:00"))


def test_course_journey_arrives_with_verbs_results_and_timestamps(app: Any, learner: Any,
                                                                  lrs: Lrs) -> None:
    from lernmodul.db.learning import Attempt, AttemptResult
    from lernmodul.db.models import Enrolment
    from lernmodul.web.database import get_database

    take_course(app, learner)
    stats = deliver_all(app)
    assert stats.delivered == 4 and stats.failed == 0 and stats.retrying == 0
    assert {row.status for row in xapi_rows(app)} == {"delivered"}
    stored = lrs.statements()
    verbs = by_verb(stored)
    assert Counter({k: len(v) for k, v in verbs.items()}) == Counter(
        initialized=1, failed=1, passed=1, completed=1)

    with get_database(app).read_sessions() as session:
        enrolment = session.scalars(select(Enrolment)).one()
        exams = {a.id: (a, session.scalars(select(AttemptResult).where(
            AttemptResult.attempt_id == a.id)).one())
            for a in session.scalars(select(Attempt).where(Attempt.kind == "exam"))}
    course_iri = f"{BASE}/xapi/activities/courses/beispielkurs"
    (started,), (completed,) = verbs["initialized"], verbs["completed"]
    (failed,), (passed,) = verbs["failed"], verbs["passed"]
    assert started["object"]["id"] == completed["object"]["id"] == course_iri
    assert started["object"]["definition"]["name"]["de-DE"] == "Beispielkurs: Sicher am Schalter"
    assert passed["object"]["id"] == failed["object"]["id"] == f"{course_iri}/exam"
    # timestamps: when it happened (the database's times), not when it was sent
    assert abs(parse(started["timestamp"]) - enrolment.started_at) < timedelta(milliseconds=1)
    assert abs(parse(completed["timestamp"]) - enrolment.completed_at) < timedelta(milliseconds=1)
    for statement in (failed, passed):
        assert parse(statement["timestamp"]) <= parse(statement["stored"])
    results = sorted(exams.values(), key=lambda pair: pair[0].id)
    (_, first_result), (_, second_result) = results
    assert not first_result.is_passed and second_result.is_passed
    assert abs(parse(failed["timestamp"]) - first_result.graded_at) < timedelta(milliseconds=1)
    assert abs(parse(passed["timestamp"]) - second_result.graded_at) < timedelta(milliseconds=1)
    assert failed["result"]["success"] is False and failed["result"]["score"]["raw"] == 0
    assert passed["result"]["success"] is True and passed["result"]["completion"] is True
    assert passed["result"]["score"] == {"scaled": 1.0, "raw": second_result.points, "min": 0,
                                         "max": second_result.max_points}
    assert passed["result"]["duration"].startswith("PT")
    assert completed["result"]["completion"] is True
    # one registration for the whole round; the exam's parent is the course
    assert len({s["context"]["registration"] for s in stored}) == 1
    assert passed["context"]["contextActivities"]["parent"][0]["id"] == course_iri
    # pseudonymous: no e-mail, no name, not the user id anywhere in what the LRS holds
    text = json.dumps(stored, ensure_ascii=False)
    assert EMAIL not in text and NAME not in text and "Lea" not in text and "mailto:" not in text
    actors = {json.dumps(s["actor"], sort_keys=True) for s in stored}
    assert len(actors) == 1
    account = stored[0]["actor"]["account"]
    assert account["homePage"] == BASE and re.fullmatch(r"[0-9a-f]{40}", account["name"])
    assert account["name"] != str(learner.user.id)
    # nothing per question by default
    assert "answered" not in verbs
    assert deliver_all(app).claimed == 0  # nothing left, nothing sent twice


@pytest.fixture
def item_learner(xapi_config: dict[str, Any], make_app: Any, make_user: Any, login: Any,
                 import_course: Any) -> Any:
    application = make_app(XAPI_ITEM_STATEMENTS=True)
    client = application.test_client()
    import_course(SAMPLE)
    make_user(("learner",), email=EMAIL, name=NAME)
    assert login(client, EMAIL).status_code == 302
    client.application = application
    return client


def test_item_statements_when_switched_on(item_learner: Any, lrs: Lrs) -> None:
    app = item_learner.application
    take_course(app, item_learner, fail_first=False)
    deliver_all(app)
    verbs = by_verb(lrs.statements())
    from lernmodul.db.learning import Attempt
    from lernmodul.web.database import get_database

    with get_database(app).read_sessions() as session:
        attempt = session.scalars(select(Attempt).where(Attempt.kind == "exam")).one()
    drawn = [qid for qid, _order in attempt.questions]
    assert [a["object"]["id"].rsplit("/", 1)[1] for a in verbs["answered"]] == drawn
    (passed,) = verbs["passed"]
    for answered in verbs["answered"]:
        assert answered["object"]["id"].startswith(
            f"{BASE}/xapi/activities/courses/beispielkurs/exam/questions/")
        assert answered["context"]["contextActivities"]["parent"][0]["id"] == passed["object"]["id"]
        assert answered["context"]["registration"] == passed["context"]["registration"]
        assert set(answered["result"]) == {"score", "success", "completion"}  # no response
        assert answered["result"]["success"] is True
        assert answered["timestamp"] == passed["timestamp"]


def test_lrs_down_statements_wait_then_arrive_once(app: Any, learner: Any, lrs: Lrs) -> None:
    lrs.stop()
    take_course(app, learner)
    stats = deliver_all(app)
    assert stats.delivered == 0 and stats.retrying == 4 and stats.failed == 0
    rows = xapi_rows(app)
    assert len(rows) == 4 and {r.status for r in rows} == {"pending"}
    assert all(r.attempts == 1 and "not reachable" in (r.last_error or "") for r in rows)
    assert deliver_all(app).claimed == 0  # backing off: not due yet
    endpoint = lrs.start_again()
    stats = deliver_all(app, later=timedelta(hours=1), XAPI_ENDPOINT=endpoint)
    assert stats.delivered == 4
    assert deliver_all(app, later=timedelta(days=10), XAPI_ENDPOINT=endpoint).claimed == 0
    counts = Counter(s["id"] for s in lrs.stored_on_disk())
    assert len(counts) == 4 and set(counts.values()) == {1}
    assert {r.key for r in xapi_rows(app)} == set(counts)


def test_sent_right_after_the_request(xapi_config: dict[str, Any], make_app: Any,
                                      make_user: Any, login: Any, import_course: Any,
                                      lrs: Lrs) -> None:
    import time

    application = make_app(OUTBOX_DELIVER_AFTER_REQUEST=True)
    client = application.test_client()
    import_course(SAMPLE)
    make_user(("learner",), email=EMAIL, name=NAME)
    login(client, EMAIL)
    assert post(client, f"{COURSE}/start", page=COURSE).status_code == 303
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not lrs.statements():
        time.sleep(0.2)
    (started,) = lrs.statements()
    assert started["verb"]["id"] == VERB + "initialized"
    while time.monotonic() < deadline and xapi_rows(application)[0].status != "delivered":
        time.sleep(0.1)
    (row,) = xapi_rows(application)
    assert row.status == "delivered" and row.key == started["id"] and row.attempts == 1


def test_a_resend_is_stored_once(app: Any, learner: Any, lrs: Lrs) -> None:
    """The LRS stored a statement but the answer was lost: the retry gets 204, no duplicate."""
    from lernmodul import xapi

    assert post(learner, f"{COURSE}/start", page=COURSE).status_code == 303
    (row,) = xapi_rows(app)
    target = xapi.Lrs(lrs.endpoint, lrs.username, lrs.password)
    assert xapi.post_statement(target, row.payload).delivery == xapi.Delivery.DELIVERED  # 200
    assert deliver_all(app).delivered == 1  # 204
    assert [s["id"] for s in lrs.statements()] == [row.key]


def test_identified_actor_where_agreed(xapi_config: dict[str, Any], make_app: Any,
                                       make_user: Any, login: Any, import_course: Any,
                                       lrs: Lrs) -> None:
    application = make_app(XAPI_ACTOR="identified")
    client = application.test_client()
    import_course(SAMPLE)
    make_user(("learner",), email=EMAIL, name=NAME)
    login(client, EMAIL)
    assert post(client, f"{COURSE}/start", page=COURSE).status_code == 303
    deliver_all(application)
    (started,) = lrs.statements()
    assert started["actor"] == {"objectType": "Agent", "name": NAME, "mbox": f"mailto:{EMAIL}"}
