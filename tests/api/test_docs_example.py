"""docs/examples/flask_quiz.py runs as documented: compiles, serves and grades quizzes over HTTP."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import lernmodul
from lernmodul.core.model import Gap

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "docs" / "examples" / "flask_quiz.py"
SAMPLE = REPO / "tests" / "core" / "fixtures" / "sample-course"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def site() -> Iterator[str]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, str(EXAMPLE), str(SAMPLE), "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            if proc.poll() is not None:
                raise AssertionError(f"the example exited: {proc.stdout.read() if proc.stdout else ''}")
            try:
                urllib.request.urlopen(base + "/", timeout=2).close()
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise AssertionError("the example did not start listening")
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def request(url: str, data: bytes | None = None,
            content_type: str = "application/x-www-form-urlencoded") -> tuple[int, str]:
    req = urllib.request.Request(url, data=data, headers={"Content-Type": content_type})
    try:
        with urllib.request.urlopen(req, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


@pytest.fixture(scope="module")
def course() -> lernmodul.Course:
    compiled = lernmodul.compile_folder(SAMPLE).course
    assert compiled is not None
    return compiled


def _right_gap(gap: Gap) -> str:
    if gap.options:
        return next(o.id for o in gap.options if o.is_correct)
    if gap.number_answer is not None:
        return str(gap.number_answer.value).replace(".", ",")
    return gap.answers[0]


def right_answer(question: lernmodul.Question) -> lernmodul.Response:
    kind = question.type
    if kind is lernmodul.QuestionType.MULTIPLE:
        return frozenset(o.id for o in question.options if o.is_correct)
    if kind is lernmodul.QuestionType.ORDER:
        return tuple(o.id for o in question.options)
    if kind is lernmodul.QuestionType.MATCH:
        return {o.id: o.id for o in question.options}
    if kind is lernmodul.QuestionType.NUMBER:
        return str(question.number_answers[0].value).replace(".", ",")
    if kind is lernmodul.QuestionType.TEXT:
        return question.text_answers[0]
    if kind is lernmodul.QuestionType.CLOZE:
        return {g.key: _right_gap(g) for g in question.gaps}
    return next(o.id for o in question.options if o.is_correct)


def start(site: str, unit_id: str) -> tuple[str, str, dict[str, Any]]:
    status, page = request(f"{site}/units/{unit_id}/quiz")
    assert status == 200
    match = re.search(r'action="/attempts/([^"]+)"', page)
    assert match is not None
    attempt_id = match.group(1)
    status, drawn = request(f"{site}/attempts/{attempt_id}")
    assert status == 200
    return attempt_id, page, json.loads(drawn)


def test_the_unit_list_links_every_quiz(site: str, course: lernmodul.Course) -> None:
    status, page = request(site + "/")
    assert status == 200
    for unit in course.units:
        assert (f'href="/units/{unit.id}/quiz"' in page) is (unit.quiz is not None)


def test_right_answers_through_the_form_pass(site: str, course: lernmodul.Course) -> None:
    for unit in (u for u in course.units if u.quiz is not None):
        attempt_id, page, drawn = start(site, unit.id)
        questions = {q.id: q for q in unit.questions}
        form: dict[str, list[str]] = {}
        for item in drawn["questions"]:
            question = questions[item["id"]]
            fields = lernmodul.form_values(question, right_answer(question),
                                           tuple(item["option_order"]))
            for name in fields:
                assert f'name="{name}"' in page  # the page offers the field the engine reads
            form.update(fields)
        status, result = request(f"{site}/attempts/{attempt_id}",
                                 urllib.parse.urlencode(form, doseq=True).encode())
        assert status == 200, result
        assert re.search(r'<p id="verdict">Bestanden:\s*(\S+) von \1 Punkten', result), result
        # one submission per attempt
        assert request(f"{site}/attempts/{attempt_id}", b"")[0] == 404


def test_an_empty_form_fails_and_a_forged_one_is_refused(site: str,
                                                         course: lernmodul.Course) -> None:
    unit = next(u for u in course.units if u.quiz is not None)
    attempt_id, _, _ = start(site, unit.id)
    status, result = request(f"{site}/attempts/{attempt_id}", b"")
    assert status == 200 and "Nicht bestanden" in result
    # a question answered by ticking options (a typed number or text may well be "99"; a
    # cloze, an order or a match has fields of its own); the draw is random, so start again
    # until one is drawn
    ticked = {lernmodul.QuestionType.SINGLE, lernmodul.QuestionType.MULTIPLE,
              lernmodul.QuestionType.TRUEFALSE}
    for _ in range(50):
        attempt_id, _, drawn = start(site, unit.id)
        chosen = [d["id"] for d in drawn["questions"]
                  if course.questions()[d["id"]].type in ticked]
        if chosen:
            break
    else:
        raise AssertionError("no question answered by choosing was drawn in 50 attempts")
    forged = {f"q-{chosen[0]}": ["99"]}
    status, _ = request(f"{site}/attempts/{attempt_id}", urllib.parse.urlencode(forged).encode())
    assert status == 400
    assert request(f"{site}/units/no-such-unit/quiz")[0] == 404


def test_the_json_endpoints(site: str, course: lernmodul.Course) -> None:
    status, body = request(site + "/api/course")
    assert status == 200
    document = json.loads(body)
    assert document == lernmodul.course_to_dict(course) and document["with_keys"] is False
    question = course.questions()["gl-warnsignale"]
    payload = json.dumps({"response": lernmodul.response_to_json(right_answer(question))})
    status, body = request(site + "/api/questions/gl-warnsignale/grade", payload.encode(),
                           "application/json")
    assert status == 200 and json.loads(body)["is_correct"] is True
    status, body = request(site + "/api/questions/gl-warnsignale/grade",
                           json.dumps({"response": ["nope"]}).encode(), "application/json")
    assert status == 400 and "unknown option" in json.loads(body)["error"]
    assert request(site + "/api/questions/gl-warnsignale/grade", b"[]", "application/json")[0] == 400
