"""The pure statement builder: verbs, actor, result, ids; and ralph accepts what it builds."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from lernmodul import xapi
from lernmodul.xapi.statements import duration, timestamp
from lrs import Lrs

BASE = "https://lernen.example.de"
KEY = b"k" * 32
SENDER = xapi.Sender(base_url=BASE, pseudonym_key=KEY)
LEARNER = xapi.Learner(user_id=7, name="Jürgen Weiß", email="j.weiss@lindenau.example")
COURSE = xapi.CourseRef(course_id="datenschutz", title="Datenschutz im Bürgeramt", version="2")
START = datetime(2026, 3, 2, 8, 0, 0, tzinfo=UTC)
ROUND = xapi.Round(enrolment_id=3, started_at=START)
EXAM = xapi.ExamResult(attempt_id=11, started_at=START + timedelta(hours=1),
                       graded_at=START + timedelta(hours=1, minutes=12, seconds=30),
                       points=7.5, max_points=10, passed=True)


def all_statements(sender: xapi.Sender = SENDER) -> list[dict]:
    return [
        xapi.course_started(sender, LEARNER, COURSE, ROUND),
        xapi.course_completed(sender, LEARNER, COURSE, ROUND, START + timedelta(days=1)),
        xapi.exam_graded(sender, LEARNER, COURSE, ROUND, EXAM),
        xapi.exam_graded(sender, LEARNER, COURSE, ROUND,
                         xapi.ExamResult(12, EXAM.started_at, EXAM.graded_at, 3, 10, False)),
        xapi.item_answered(sender, LEARNER, COURSE, ROUND, EXAM, xapi.ItemResult("q-ampel", 1, 1)),
    ]


def test_verbs_objects_and_timestamps() -> None:
    started, completed, passed, _failed, answered = all_statements()
    assert [s["verb"]["id"].rsplit("/", 1)[1] for s in all_statements()] == [
        "initialized", "completed", "passed", "failed", "answered"]
    assert all(s["verb"]["id"].startswith("http://adlnet.gov/expapi/verbs/") for s in all_statements())
    assert started["object"]["id"] == f"{BASE}/xapi/activities/courses/datenschutz"
    assert started["object"]["definition"]["name"]["de-DE"] == "Datenschutz im Bürgeramt"
    assert passed["object"]["id"] == f"{BASE}/xapi/activities/courses/datenschutz/exam"
    assert passed["object"]["definition"]["name"] == {
        "de-DE": "Abschlussprüfung: Datenschutz im Bürgeramt",
        "en-US": "Final exam: Datenschutz im Bürgeramt"}
    assert started["timestamp"] == "2026-03-02T08:00:00.000Z"
    assert completed["timestamp"] == "2026-03-03T08:00:00.000Z"
    assert passed["timestamp"] == "2026-03-02T09:12:30.000Z"
    assert passed["context"]["contextActivities"]["parent"][0]["id"] == started["object"]["id"]
    assert answered["context"]["contextActivities"]["parent"][0]["id"] == passed["object"]["id"]
    assert len({s["context"]["registration"] for s in all_statements()}) == 1


def test_results() -> None:
    _, completed, passed, failed, answered = all_statements()
    assert completed["result"] == {"completion": True, "duration": "P1D"} or \
        completed["result"] == {"completion": True, "duration": "PT24H"}
    assert passed["result"] == {"score": {"scaled": 0.75, "raw": 7.5, "min": 0, "max": 10},
                                "success": True, "completion": True, "duration": "PT12M30S"}
    assert failed["result"]["success"] is False and failed["result"]["score"]["scaled"] == 0.3
    assert answered["result"] == {"score": {"scaled": 1.0, "raw": 1, "min": 0, "max": 1},
                                  "success": True, "completion": True}
    assert "response" not in answered["result"]


def test_pseudonymous_actor_has_no_name_or_email() -> None:
    for statement in all_statements():
        assert statement["actor"] == {"objectType": "Agent", "account": {
            "homePage": BASE, "name": xapi.pseudonym(KEY, 7)}}
        text = json.dumps(statement, ensure_ascii=False)
        assert "Weiß" not in text and "lindenau" not in text and '"7"' not in text
    assert xapi.pseudonym(KEY, 7) != xapi.pseudonym(b"other key", 7)
    assert xapi.pseudonym(KEY, 7) != xapi.pseudonym(KEY, 8)


def test_identified_actor_names_the_learner() -> None:
    sender = xapi.Sender(base_url=BASE, pseudonym_key=KEY, actor_mode=xapi.IDENTIFIED)
    assert all_statements(sender)[0]["actor"] == {
        "objectType": "Agent", "name": "Jürgen Weiß", "mbox": "mailto:j.weiss@lindenau.example"}


def test_ids_are_stable_and_distinct() -> None:
    assert all_statements() == all_statements()
    ids = [s["id"] for s in all_statements()]
    assert len(set(ids)) == len(ids)
    other_round = xapi.Round(enrolment_id=3, started_at=START + timedelta(days=400))
    assert xapi.course_started(SENDER, LEARNER, COURSE, other_round)["id"] != ids[0]
    other_instance = xapi.Sender(base_url="https://lernen.other.example", pseudonym_key=KEY)
    assert all_statements(other_instance)[0]["id"] != ids[0]


def test_durations_and_timestamps() -> None:
    assert duration(timedelta(0)) == "PT0S"
    assert duration(timedelta(seconds=3.5)) == "PT3.5S"
    assert duration(timedelta(hours=1, minutes=2, seconds=3)) == "PT1H2M3S"
    assert duration(timedelta(hours=2)) == "PT2H"
    assert duration(timedelta(seconds=-5)) == "PT0S"
    assert timestamp(datetime(2026, 1, 1, 12, 0, 0, 123456)) == "2026-01-01T12:00:00.123Z"


def test_ralph_accepts_every_statement(lrs: Lrs) -> None:
    statements = all_statements() + all_statements(
        xapi.Sender(base_url=BASE, pseudonym_key=KEY, actor_mode=xapi.IDENTIFIED))[:1]
    statements[-1]["id"] = "2f7bb0c2-0000-4000-8000-000000000001"
    target = xapi.Lrs(lrs.endpoint, lrs.username, lrs.password)
    answers = [xapi.post_statement(target, s) for s in statements]
    assert [a.delivery for a in answers] == [xapi.Delivery.DELIVERED] * len(statements), answers
    assert xapi.post_statement(target, statements[0]).delivery == xapi.Delivery.DELIVERED  # resend: 204
    changed = {**statements[0], "timestamp": "2026-03-02T08:00:01.000Z"}
    assert xapi.post_statement(target, changed).delivery == xapi.Delivery.REFUSED  # 409
    stored = {s["id"]: s for s in lrs.statements()}
    assert set(stored) == {s["id"] for s in statements}
    for statement in statements:
        assert stored[statement["id"]]["verb"] == statement["verb"]
        assert stored[statement["id"]].get("result") == statement.get("result")
        assert stored[statement["id"]]["timestamp"] == statement["timestamp"]


def test_unreachable_lrs_means_retry() -> None:
    import socket
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    answer = xapi.post_statement(xapi.Lrs(f"http://127.0.0.1:{port}/xAPI"), all_statements()[0])
    assert answer.delivery == xapi.Delivery.RETRY
