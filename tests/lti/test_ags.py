"""Assignment and Grade Services against the lti1p3platform test platform: a launch with the AGS
claim, the learner finishes the exam or completes the course, and the platform's scores
endpoint receives exactly one correct score, with a token from its client-credentials check;
the platform down (5xx, connection refused), a refused score, two workers, an expired token."""

from __future__ import annotations

import re
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from tests.app.test_learner_journey import (
    answer_all,
    compiled_course,
    csrf_token_from,
    drawn_ids,
    right_fields,
)
from tests.lti.platform import CLIENT_ID, SCORE_SCOPE, SCORE_TYPE

from lernmodul.core.model import QuestionType
from lernmodul.db.learning import UnitProgress
from lernmodul.db.lti import LtiLineItem
from lernmodul.db.models import Enrolment, User
from lernmodul.db.outbox import DELIVERED, FAILED, PENDING, Delivery
from lernmodul.lti import ags
from lernmodul.outbox import deliver_due

TOOL = "https://localhost"
COURSE = "/courses/beispielkurs"


@pytest.fixture(autouse=True)
def _fresh_token_cache() -> None:
    ags._tokens.clear()


@pytest.fixture
def launched(app: Any, tool: Any, platform: Any, registered: Any, launch_flow: Any,
             import_course: Any) -> Any:
    """The learner launched from the platform (with AGS) and signed in on `tool`."""
    import_course()
    registered()
    platform.tool_jwks = tool.get("/lti/jwks", base_url=TOOL).get_json()
    _login, _form, response = launch_flow()
    assert response.status_code == 303, response.get_data(as_text=True)
    return tool


def post(client: Any, url: str, data: dict[str, Any] | None = None) -> Any:
    page = client.get(COURSE).get_data(as_text=True)
    return client.post(url, data={"csrf_token": csrf_token_from(page), **(data or {})})


def _sessions(app: Any) -> Any:
    from lernmodul.web.database import get_database

    return get_database(app).sessions


def _config(app: Any, **changes: Any) -> dict[str, Any]:
    from lernmodul.web.outbox_edge import sender_config

    return {**sender_config(app), **changes}


def ready_for_exam(app: Any, client: Any) -> None:
    """Started, every unit read and its quiz passed: the exam is open."""
    assert post(client, f"{COURSE}/start").status_code == 303
    with _sessions(app)() as session, session.begin():
        enrolment = session.scalars(select(Enrolment)).one()
        for unit in ("grundlagen", "praxis"):
            session.add(UnitProgress(enrolment_id=enrolment.id, unit_id=unit,
                                     read_at=datetime.now(UTC), quiz_passed_at=datetime.now(UTC)))


def take_exam(app: Any, client: Any, *, right: bool) -> Any:
    exam = post(client, f"{COURSE}/exam")
    assert exam.status_code == 303
    if right:
        done = answer_all(client, compiled_course(app), exam.headers["Location"])
    else:
        # nothing answered, but positions given where an empty answer is no answer at all
        page = client.get(exam.headers["Location"]).get_data(as_text=True)
        revision = re.search(r'name="revision" value="(\d+)"', page).group(1)
        data: dict[str, Any] = {"csrf_token": csrf_token_from(page), "action": "submit",
                                "revision": revision, "confirm_incomplete": "1"}
        questions = compiled_course(app).questions()
        for qid in drawn_ids(page):
            if questions[qid].type in (QuestionType.ORDER, QuestionType.MATCH):
                data.update(right_fields(questions[qid], page))
        done = client.post(exam.headers["Location"], data=data)
    assert done.status_code == 303, done.get_data(as_text=True)[:500]
    return done


def wait_for(condition: Any, seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def deliveries(app: Any) -> list[Delivery]:
    with _sessions(app)() as session:
        return list(session.scalars(select(Delivery).order_by(Delivery.id)))


def test_launch_remembers_the_line_item(app: Any, launched: Any, platform: Any) -> None:
    with _sessions(app)() as session:
        item = session.scalars(select(LtiLineItem)).one()
        user = session.get(User, item.user_id)
    assert (item.course_id, item.resource_link_id, item.subject, item.lineitem_url) == (
        "beispielkurs", "link-1", "user-1", platform.lineitem_url)
    assert user is not None and user.email == "lena@example.org"


def test_passed_exam_sends_one_correct_score(app: Any, launched: Any, platform: Any) -> None:
    ready_for_exam(app, launched)
    before = datetime.now(UTC)
    take_exam(app, launched, right=True)
    wait_for(lambda: platform.scores)  # sent right after the request
    time.sleep(0.3)
    assert len(platform.scores) == 1
    score = platform.scores[0]
    assert score["lineitem"] == platform.lineitem_url and score["content_type"] == SCORE_TYPE
    body = score["body"]
    assert body["userId"] == "user-1"
    assert body["scoreMaximum"] > 0 and body["scoreGiven"] == body["scoreMaximum"]
    assert (body["activityProgress"], body["gradingProgress"]) == ("Completed", "FullyGraded")
    stamp = datetime.fromisoformat(body["timestamp"].replace("Z", "+00:00"))
    assert before - timedelta(seconds=1) <= stamp <= datetime.now(UTC)
    # the token came from the platform's client-credentials check of the tool's assertion
    [assertion] = platform.token_requests
    assert (assertion["iss"], assertion["sub"], assertion["aud"]) == (
        CLIENT_ID, CLIENT_ID, platform.token_url)
    rows = deliveries(app)
    assert [(r.kind, r.status, r.attempts) for r in rows] == [("ags", DELIVERED, 1)]
    assert deliver_due(_sessions(app), config=_config(app)).claimed == 0
    assert len(platform.scores) == 1


def test_failed_exam_sends_in_progress_then_the_pass(app: Any, launched: Any, platform: Any) -> None:
    ready_for_exam(app, launched)
    take_exam(app, launched, right=False)
    wait_for(lambda: len(platform.scores) == 1)
    failed = platform.scores[0]["body"]
    assert failed["scoreGiven"] < failed["scoreMaximum"] and failed["activityProgress"] == "InProgress"
    take_exam(app, launched, right=True)
    wait_for(lambda: len(platform.scores) == 2)
    passed = platform.scores[1]["body"]
    assert passed["activityProgress"] == "Completed" and passed["scoreGiven"] > 0
    assert len(deliveries(app)) == 2


def test_completion_without_exam_result_sends_one_score(app: Any, launched: Any,
                                                         platform: Any) -> None:
    """The last unit read completes the course (the exam was passed before): one score."""
    assert post(launched, f"{COURSE}/start").status_code == 303
    with _sessions(app)() as session, session.begin():
        enrolment = session.scalars(select(Enrolment)).one()
        enrolment.exam_passed_at = datetime.now(UTC)
        session.add(UnitProgress(enrolment_id=enrolment.id, unit_id="grundlagen",
                                 read_at=datetime.now(UTC), quiz_passed_at=datetime.now(UTC)))
        session.add(UnitProgress(enrolment_id=enrolment.id, unit_id="praxis",
                                 quiz_passed_at=datetime.now(UTC)))
    assert post(launched, f"{COURSE}/units/praxis/read").status_code == 303
    wait_for(lambda: platform.scores)
    assert post(launched, f"{COURSE}/units/praxis/read").status_code == 303  # again: nothing new
    time.sleep(0.3)
    assert [s["body"]["activityProgress"] for s in platform.scores] == ["Completed"]
    assert platform.scores[0]["body"]["scoreGiven"] == 1.0


def test_no_ags_claim_no_delivery(app: Any, tool: Any, platform: Any, registered: Any,
                                  launch_flow: Any, import_course: Any) -> None:
    import_course()
    registered()
    platform.launch.ags = False
    assert launch_flow()[2].status_code == 303
    ready_for_exam(app, tool)
    take_exam(app, tool, right=True)
    with _sessions(app)() as session:
        assert session.scalars(select(LtiLineItem)).all() == []
    assert deliveries(app) == []


def test_platform_down_then_back_arrives_once(app: Any, make_app: Any, launched: Any,
                                              platform: Any) -> None:
    platform.fail_scores = [503]
    ready_for_exam(app, launched)
    take_exam(app, launched, right=True)
    wait_for(lambda: deliveries(app)[0].attempts == 1 if deliveries(app) else False)
    row = deliveries(app)[0]
    assert (row.status, platform.scores) == (PENDING, [])
    assert "503" in (row.last_error or "")
    first_wait = row.next_attempt_at
    assert first_wait > datetime.now(UTC) + timedelta(seconds=30)
    # not due yet: a run now sends nothing
    assert deliver_due(_sessions(app), config=_config(app)).claimed == 0
    # the platform is down altogether (connection refused)
    platform.stop()
    stats = deliver_due(_sessions(app), config=_config(app), now=first_wait + timedelta(seconds=1))
    assert stats.retrying == 1
    row = deliveries(app)[0]
    assert row.attempts == 2 and row.status == PENDING and "ConnectionError" in (row.last_error or "")
    assert row.next_attempt_at - first_wait >= timedelta(seconds=90)  # the wait doubled
    platform.restart()
    stats = deliver_due(_sessions(app), config=_config(app), now=row.next_attempt_at)
    assert stats.delivered == 1
    assert len(platform.scores) == 1 and platform.scores[0]["body"]["userId"] == "user-1"
    assert deliveries(app)[0].status == DELIVERED
    assert deliver_due(_sessions(app), config=_config(app), now=row.next_attempt_at
                       + timedelta(days=1)).claimed == 0
    assert len(platform.scores) == 1


def test_a_refused_score_fails_at_once_with_the_platforms_message(app: Any, launched: Any,
                                                                  platform: Any) -> None:
    platform.fail_scores = [422]
    ready_for_exam(app, launched)
    take_exam(app, launched, right=True)
    wait_for(lambda: bool(deliveries(app)) and deliveries(app)[0].status == FAILED)
    row = deliveries(app)[0]
    assert row.attempts == 1
    assert row.last_error == ('platform answered 422 to the score request: '
                              '{"error":"failure 422"}')


def test_two_workers_in_parallel_send_each_score_once(app: Any, launched: Any, platform: Any,
                                                      make_user: Any) -> None:
    """Twenty learners' results waiting; two `deliver_due` runs at once send each once."""
    from lernmodul.services.score_return import queue_scores

    ready_for_exam(app, launched)
    with _sessions(app)() as session, session.begin():
        item = session.scalars(select(LtiLineItem)).one()
        for number in range(20):
            queue_scores(session, user_id=item.user_id, course_id=item.course_id,
                         result_key=f"attempt:{1000 + number}", given=number, maximum=20,
                         completed=False, at=datetime.now(UTC))
    barrier = threading.Barrier(2)
    results: list[Any] = []

    def worker() -> None:
        barrier.wait()
        while (stats := deliver_due(_sessions(app), config=_config(app), limit=4)).claimed:
            results.append(stats)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    given = sorted(s["body"]["scoreGiven"] for s in platform.scores)
    assert given == [float(n) for n in range(20)]
    assert sum(s.delivered for s in results) == 20
    assert {r.status for r in deliveries(app)} == {DELIVERED}


def test_an_expired_token_is_renewed(app: Any, launched: Any, platform: Any) -> None:
    from lernmodul.services.score_return import queue_scores

    ready_for_exam(app, launched)

    def queue(key: str) -> None:
        with _sessions(app)() as session, session.begin():
            item = session.scalars(select(LtiLineItem)).one()
            queue_scores(session, user_id=item.user_id, course_id=item.course_id,
                         result_key=key, given=1, maximum=2, completed=False, at=datetime.now(UTC))

    config = _config(app)
    queue("a")
    assert deliver_due(_sessions(app), config=config).delivered == 1
    queue("b")
    assert deliver_due(_sessions(app), config=config).delivered == 1
    assert len(platform.token_requests) == 1  # cached until it expires
    # the platform ends the token's life early: 401, a new token, the score arrives
    time.sleep(1.1)
    platform.tokens_valid_after = time.time()
    queue("c")
    assert deliver_due(_sessions(app), config=config).delivered == 1
    assert len(platform.token_requests) == 2
    # a token the platform gives a short life is not used after it
    platform.token_lifetime = 20  # shorter than the 30 s the tool renews early: never reused
    ags._tokens.clear()
    for key in ("d", "e"):
        queue(key)
        assert deliver_due(_sessions(app), config=config).delivered == 1
    assert len(platform.token_requests) == 4
    assert len(platform.scores) == 5
    assert all(SCORE_SCOPE in str(r.get("scope", SCORE_SCOPE)) for r in platform.token_requests)


def test_without_the_attempt_after_the_request_the_timer_sends(app: Any, tool: Any, platform: Any,
                                                                registered: Any, launch_flow: Any,
                                                                import_course: Any) -> None:
    app.config["OUTBOX_DELIVER_AFTER_REQUEST"] = False
    import_course()
    registered()
    platform.tool_jwks = tool.get("/lti/jwks", base_url=TOOL).get_json()
    assert launch_flow()[2].status_code == 303
    ready_for_exam(app, tool)
    take_exam(app, tool, right=True)
    time.sleep(0.5)
    assert platform.scores == [] and [r.status for r in deliveries(app)] == [PENDING]
    assert deliver_due(_sessions(app), config=_config(app)).delivered == 1
    assert len(platform.scores) == 1


def test_cli_lists_the_waiting_score_and_sends_it_after_retry_now(
        app: Any, launched: Any, platform: Any, monkeypatch: Any) -> None:
    import json

    from click.testing import CliRunner

    from lernmodul.cli import main
    from lernmodul.db.models import utcnow
    from lernmodul.outbox import retry_now

    monkeypatch.setenv("LERNMODUL_DATABASE_URL", app.config["DATABASE_URL"])
    monkeypatch.setenv("LERNMODUL_INSTANCE_PATH", app.instance_path)  # the same tool key
    monkeypatch.setenv("LERNMODUL_SECRET_KEY", "x" * 32)
    platform.fail_scores = [500]
    ready_for_exam(app, launched)
    take_exam(app, launched, right=True)
    wait_for(lambda: bool(deliveries(app)) and deliveries(app)[0].attempts == 1)
    result = CliRunner().invoke(main, ["outbox", "list", "--json"])
    assert result.exit_code == 0, result.output
    [row] = json.loads(result.output)["deliveries"]
    assert (row["kind"], row["status"], row["attempts"], row["target"]) == (
        "ags", PENDING, 1, "lti_platform:1")
    assert "500" in row["last_error"]
    result = CliRunner().invoke(main, ["outbox", "deliver"])
    assert result.exit_code == 0 and result.output.startswith("0 due"), result.output
    with _sessions(app)() as session, session.begin():
        assert retry_now(session, row["id"], now=utcnow())
    result = CliRunner().invoke(main, ["outbox", "deliver"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "1 due: 1 delivered, 0 to retry, 0 given up"
    assert len(platform.scores) == 1
    result = CliRunner().invoke(main, ["outbox", "list"])
    assert result.output.strip() == "0 deliveries"


def test_a_second_launch_updates_the_line_item_and_without_score_scope_none(
        app: Any, tool: Any, platform: Any, registered: Any, launch_flow: Any,
        import_course: Any) -> None:
    from tests.lti.platform import AGS_CLAIM

    import_course()
    registered()
    assert launch_flow()[2].status_code == 303
    platform.launch.extra_claims = {AGS_CLAIM: {
        "scope": [SCORE_SCOPE], "lineitem": f"{platform.issuer}/lineitems/2/lineitem"}}
    assert launch_flow()[2].status_code == 303
    with _sessions(app)() as session:
        [item] = session.scalars(select(LtiLineItem)).all()
    assert item.lineitem_url == f"{platform.issuer}/lineitems/2/lineitem"
    # a platform that lets the tool read line items only: nothing to send scores to
    with _sessions(app)() as session, session.begin():
        session.execute(LtiLineItem.__table__.delete())
    platform.launch.extra_claims = {AGS_CLAIM: {
        "scope": ["https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly"],
        "lineitem": platform.lineitem_url}}
    assert launch_flow()[2].status_code == 303
    with _sessions(app)() as session:
        assert session.scalars(select(LtiLineItem)).all() == []
