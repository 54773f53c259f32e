"""The learner journey through the test client: dashboard, course, units, quizzes, exam,
results and completion; answers never reach the page before submission (SECURITY G1)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from cloze_fields import cloze_right_fields
from lernmodul.core.model import QuestionType

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token_from(html: str) -> str:
    return CSRF.search(html).group(1)


SAMPLE = Path(__file__).parents[1] / "core" / "fixtures" / "sample-course"
COURSE = "/courses/beispielkurs"


@pytest.fixture
def course_loaded(import_course: Any) -> int:
    return import_course(SAMPLE).version_id


@pytest.fixture
def learner_client(client: Any, make_user: Any, login: Any, course_loaded: int) -> Any:
    user = make_user(("learner",), email="lea@example.org", name="Lea Lernende")
    assert login(client, "lea@example.org").status_code == 302
    client.user = user
    return client


def post(client: Any, url: str, data: dict[str, Any] | None = None, page: str = "/") -> Any:
    token = csrf_token_from(client.get(page).get_data(as_text=True))
    return client.post(url, data={"csrf_token": token, **(data or {})})


def compiled_course(app: Any) -> Any:
    from lernmodul.content import load_course

    return load_course(SAMPLE).course


def right_fields(question: Any, html: str) -> dict[str, list[str]]:
    """What a learner who knows the answers sends, read off the rendered form (tokens)."""
    from lernmodul.core.responses import form_values

    qid = question.id
    kind = question.type
    if kind is QuestionType.CLOZE:
        block = html[html.index(f'id="q-{qid}"'):]
        return cloze_right_fields(question, block[:block.index("</fieldset>")])
    if kind in (QuestionType.NUMBER, QuestionType.TEXT):
        return {
            f"q-{qid}": [
                str(question.number_answers[0].value)
                if kind is QuestionType.NUMBER
                else question.text_answers[0]
            ]
        }
    # the display order, recovered from the labels in the page
    labels = {o.id: o.html if kind is not QuestionType.MATCH else o.match_text for o in question.options}
    block = html[html.index(f'id="q-{qid}"') :]
    block = block[: block.index("</fieldset>")]
    order = tuple(sorted(labels, key=lambda i: block.index(labels[i])))
    if kind is QuestionType.SINGLE or kind is QuestionType.TRUEFALSE:
        answer: Any = next(o.id for o in question.options if o.is_correct)
    elif kind is QuestionType.MULTIPLE:
        answer = frozenset(o.id for o in question.options if o.is_correct)
    elif kind is QuestionType.ORDER:
        answer = tuple(o.id for o in question.options)
    else:
        answer = {o.id: o.id for o in question.options}
    return form_values(question, answer, order)


def drawn_ids(html: str) -> list[str]:
    return re.findall(r'<fieldset class="question[^"]*" id="q-([^"]+)"', html)


def answer_all(client: Any, course: Any, attempt_url: str) -> Any:
    page = client.get(attempt_url).get_data(as_text=True)
    questions = course.questions()
    data: dict[str, Any] = {
        "action": "submit",
        "revision": re.search(r'name="revision" value="(\d+)"', page).group(1),
    }
    for qid in drawn_ids(page):
        data.update(right_fields(questions[qid], page))
    return client.post(attempt_url, data={"csrf_token": csrf_token_from(page), **data})


def test_dashboard_lists_available_courses(learner_client: Any) -> None:
    page = learner_client.get("/").get_data(as_text=True)
    assert "Beispielkurs: Sicher am Schalter" in page
    assert 'href="/courses/beispielkurs"' in page


def test_whole_journey_to_completion(app: Any, learner_client: Any) -> None:
    client = learner_client
    course = compiled_course(app)
    start = post(client, f"{COURSE}/start", page=COURSE)
    assert start.status_code == 303 and start.headers["Location"].endswith("/units/grundlagen")
    unit_page = client.get(f"{COURSE}/units/grundlagen").get_data(as_text=True)
    assert '<img src="/media/' in unit_page and "Ampel mit drei Stufen" in unit_page
    image = client.get(re.search(r'<img src="([^"]+)"', unit_page).group(1))
    assert image.status_code == 200 and image.data.startswith(b"\x89PNG")
    for unit in course.units:
        read = post(client, f"{COURSE}/units/{unit.id}/read", page=COURSE)
        assert read.status_code == 303
        quiz = post(client, f"{COURSE}/units/{unit.id}/quiz", page=COURSE)
        assert quiz.status_code == 303
        attempt_url = quiz.headers["Location"]
        submitted = answer_all(client, course, attempt_url)
        assert submitted.status_code == 303, submitted.get_data(as_text=True)[:2000]
        result = client.get(submitted.headers["Location"]).get_data(as_text=True)
        assert "Bestanden" in result or "Passed" in result
    exam = post(client, f"{COURSE}/exam", page=COURSE)
    assert exam.status_code == 303
    done = answer_all(client, course, exam.headers["Location"])
    assert done.status_code == 303
    result = client.get(done.headers["Location"]).get_data(as_text=True)
    assert (
        "Kurs „Beispielkurs: Sicher am Schalter“ abgeschlossen" in result or "completed the course" in result
    )
    from lernmodul.db.models import Enrolment
    from lernmodul.web.database import get_database

    with get_database(app).read_sessions() as session:
        enrolment = session.scalars(select(Enrolment)).one()
        assert enrolment.completed_at is not None and enrolment.exam_passed_at is not None


def test_attempt_pages_never_carry_answers_or_feedback(app: Any, learner_client: Any) -> None:
    """Render every question type in a quiz and in the exam: no key, no feedback (G1)."""
    client = learner_client
    course = compiled_course(app)
    post(client, f"{COURSE}/start", page=COURSE)
    pages = []
    for unit in course.units:
        quiz = post(client, f"{COURSE}/units/{unit.id}/quiz", page=COURSE)
        pages.append(client.get(quiz.headers["Location"]).get_data(as_text=True))
    seen_types = set()
    questions = course.questions()
    for page in pages:
        for qid in drawn_ids(page):
            question = questions[qid]
            seen_types.add(question.type)
            block = page[page.index(f'id="q-{qid}"') :]
            block = block[: block.index("</fieldset>")]
            for option in question.options:
                if option.feedback_html:
                    assert option.feedback_html.strip() not in block
                if question.type is QuestionType.MATCH:
                    # right sides appear as choices, but never next to their left side's id
                    assert f'value="{option.id}"' not in block
                assert f'value="{option.id}"' not in block or option.id.isdigit()
            if question.explanation_html:
                assert question.explanation_html.strip() not in page
            for answer in question.text_answers:
                assert answer not in block
            for number in question.number_answers:
                assert f"{number.value:g}" not in block
        assert "is_correct" not in page and "checked" not in page
    assert QuestionType.MATCH in seen_types and QuestionType.NUMBER in seen_types


def test_forged_and_malformed_posts_get_4xx(learner_client: Any) -> None:
    client = learner_client
    post(client, f"{COURSE}/start", page=COURSE)
    quiz = post(client, f"{COURSE}/units/praxis/quiz", page=COURSE)
    url = quiz.headers["Location"]
    page = client.get(url).get_data(as_text=True)
    token = csrf_token_from(page)
    base = {"csrf_token": token, "revision": "0", "action": "submit"}
    assert client.post(url, data={**base, "q-pr-stufen": "x" * 1_000_000}).status_code in (400, 413)
    row = re.search(r'name="(q-pr-zuordnung-o[0-9a-f]+)"', page).group(1)  # a match row
    assert client.post(url, data={**base, row: "99"}).status_code == 400
    assert client.post(url, data={**base, "revision": "zwei"}).status_code == 400
    assert client.post(url, data={**base, "action": "delete"}).status_code == 400
    assert client.post(url, data={k: v for k, v in base.items() if k != "csrf_token"}).status_code == 400


def test_missing_answers_ask_for_confirmation(learner_client: Any) -> None:
    client = learner_client
    post(client, f"{COURSE}/start", page=COURSE)
    quiz = post(client, f"{COURSE}/units/praxis/quiz", page=COURSE)
    url = quiz.headers["Location"]
    page = client.get(url).get_data(as_text=True)
    response = client.post(
        url, data={"csrf_token": csrf_token_from(page), "revision": "0", "action": "submit"}
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'role="alert"' in html and 'name="confirm_incomplete"' in html
    confirmed = client.post(
        url,
        data={
            "csrf_token": csrf_token_from(page),
            "revision": "0",
            "action": "submit",
            "confirm_incomplete": "1",
        },
    )
    assert confirmed.status_code == 303


def test_double_submit_and_back_button(app: Any, learner_client: Any) -> None:
    from lernmodul.db.learning import AttemptResult
    from lernmodul.web.database import get_database

    client = learner_client
    course = compiled_course(app)
    post(client, f"{COURSE}/start", page=COURSE)
    quiz = post(client, f"{COURSE}/units/praxis/quiz", page=COURSE)
    url = quiz.headers["Location"]
    first = answer_all(client, course, url)
    page = client.get(f"{COURSE}/units/praxis").get_data(as_text=True)
    again = client.post(
        url,
        data={
            "csrf_token": csrf_token_from(page),
            "revision": "0",
            "action": "submit",
            "confirm_incomplete": "1",
        },
    )
    assert first.status_code == again.status_code == 303
    assert first.headers["Location"] == again.headers["Location"]
    with get_database(app).read_sessions() as session:
        assert session.scalar(select(func.count()).select_from(AttemptResult)) == 1


def test_stale_exam_form_is_refused_with_409(app: Any, learner_client: Any) -> None:
    client = learner_client
    course = compiled_course(app)
    post(client, f"{COURSE}/start", page=COURSE)
    for unit in course.units:
        post(client, f"{COURSE}/units/{unit.id}/read", page=COURSE)
        quiz = post(client, f"{COURSE}/units/{unit.id}/quiz", page=COURSE)
        answer_all(client, course, quiz.headers["Location"])
    exam = post(client, f"{COURSE}/exam", page=COURSE)
    url = exam.headers["Location"]
    page = client.get(url).get_data(as_text=True)
    token = csrf_token_from(page)
    saved = client.post(url, data={"csrf_token": token, "revision": "0", "action": "save"})
    assert saved.status_code == 303
    stale = client.post(url, data={"csrf_token": token, "revision": "0", "action": "save"})
    assert stale.status_code == 409
    assert "laden Sie die Seite neu" in stale.get_data(as_text=True)


def test_other_learners_attempts_are_404(app: Any, learner_client: Any, make_user: Any, login: Any) -> None:
    post(learner_client, f"{COURSE}/start", page=COURSE)
    quiz = post(learner_client, f"{COURSE}/units/praxis/quiz", page=COURSE)
    url = quiz.headers["Location"]
    other = app.test_client()
    make_user(("learner",), email="otto@example.org")
    login(other, "otto@example.org")
    assert other.get(url).status_code == 404
    assert other.get(url + "/result").status_code == 404
    token = csrf_token_from(other.get("/").get_data(as_text=True))
    assert other.post(url, data={"csrf_token": token, "revision": "0"}).status_code == 404


def test_exam_is_locked_until_units_are_complete(learner_client: Any) -> None:
    post(learner_client, f"{COURSE}/start", page=COURSE)
    response = post(learner_client, f"{COURSE}/exam", page=COURSE)
    assert response.status_code == 409


def test_inline_self_check_gives_feedback_and_stores_nothing(
    app: Any, learner_client: Any, snapshot: Any
) -> None:
    before = snapshot()
    response = post(
        learner_client,
        f"{COURSE}/units/grundlagen/check/gl-begriff",
        {"q-gl-begriff": "leakage"},
        page=f"{COURSE}/units/grundlagen",
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "feedback-right" in html
    assert snapshot() == before


def test_unknown_course_unit_and_media_are_404(learner_client: Any) -> None:
    assert learner_client.get("/courses/gibt-es-nicht").status_code == 404
    assert learner_client.get(f"{COURSE}/units/gibt-es-nicht").status_code == 404
    assert learner_client.get("/media/1/../../etc/passwd").status_code == 404
    assert learner_client.get("/media/999/x.png").status_code == 404


def test_a_self_check_address_opened_by_get_leads_back_to_the_unit(learner_client: Any) -> None:
    response = learner_client.get(f"{COURSE}/units/grundlagen/check/gl-begriff")
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/units/grundlagen#check-gl-begriff")
