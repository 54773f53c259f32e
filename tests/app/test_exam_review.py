"""`exam.review`: what the review of a final-exam attempt shows, on the page and in the copy
of the learner's data, before and after passing and when the attempts are used up.

Exam questions come from the unit pools, so a later attempt repeats many of them: the review
of a failed attempt must not hand out the key while another attempt may follow."""

from __future__ import annotations

import html as html_lib
import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from cloze_fields import cloze_right_fields
from lernmodul.core.model import QuestionType

SAMPLE = Path(__file__).parents[1] / "core" / "fixtures" / "sample-course"
COURSE = "/courses/beispielkurs"
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
EXAM_ONLY = "ex-abschluss"  # always drawn: a single-choice question worth 2 points
# words of the review that name or point at the key (German: the default interface language)
KEY_WORDS = ("option-correct", "option-feedback", 'class="explanation"', "Richtige Antwort:",
             "Die richtige Reihenfolge:", "Richtige Zuordnung")
RIGHT_OPTION = re.compile(r"(?<![kK])eine richtige Antwort")  # not "keine richtige Antwort"


def csrf(page: str) -> str:
    return CSRF.search(page).group(1)


def plain(fragment: str) -> str:
    return html_lib.unescape(re.sub(r"<[^>]+>", "", fragment)).strip()


def course_folder(tmp_path: Path, review: str | None, max_attempts: int = 3) -> Path:
    folder = tmp_path / "beispielkurs"
    shutil.copytree(SAMPLE, folder)
    course_md = folder / "course.md"
    setting = f"  review: {review}\n" if review else ""
    text = course_md.read_text(encoding="utf-8")
    assert "  max_attempts: 3\n" in text
    course_md.write_text(text.replace("  max_attempts: 3\n",
                                      f"  max_attempts: {max_attempts}\n{setting}"),
                         encoding="utf-8")
    return folder


class Learner:
    """A learner whose units are complete, taking the final exam through the web pages."""

    def __init__(self, client: Any, course: Any) -> None:
        self.client, self.course = client, course
        self.questions = course.questions()

    def post(self, url: str, data: dict[str, Any], page: str = COURSE) -> Any:
        token = csrf(self.client.get(page).get_data(as_text=True))
        return self.client.post(url, data={"csrf_token": token, **data})

    def start_exam(self) -> str:
        response = self.post(f"{COURSE}/exam", {})
        assert response.status_code == 303, response.get_data(as_text=True)[:500]
        return response.headers["Location"]

    def submit(self, attempt_url: str, *, right: bool, mostly: bool = False) -> str:
        """Submits the open attempt: every answer right; or the exam question wrong and the
        others unanswered, or (`mostly`) right: a fail either way."""
        page = self.client.get(attempt_url).get_data(as_text=True)
        drawn = re.findall(r'<fieldset class="question[^"]*" id="q-([^"]+)"', page)
        data: dict[str, Any] = {
            "csrf_token": csrf(page), "action": "submit", "confirm_incomplete": "1",
            "revision": re.search(r'name="revision" value="(\d+)"', page).group(1)}
        for qid in drawn:
            question = self.questions[qid]
            if right or (mostly and qid != EXAM_ONLY):
                data.update(right_fields(question, page))
            elif qid == EXAM_ONLY:
                wrong = next(o for o in question.options if not o.is_correct)
                data[f"q-{qid}"] = str(shown_order(question, page).index(wrong.id) + 1)
        response = self.client.post(attempt_url, data=data)
        assert response.status_code == 303, response.get_data(as_text=True)[:500]
        return response.headers["Location"]

    def take_exam(self, *, right: bool, mostly: bool = False) -> str:
        return self.submit(self.start_exam(), right=right, mostly=mostly)

    def page(self, url: str) -> str:
        response = self.client.get(url)
        assert response.status_code == 200
        return response.get_data(as_text=True)

    def data_copy(self) -> dict[str, Any]:
        response = self.client.get("/me/data.json")
        assert response.status_code == 200
        return json.loads(response.get_data(as_text=True))

    def attempt_in_copy(self, result_url: str) -> dict[str, Any]:
        attempt_id = int(result_url.split("/")[2])
        return next(a for a in self.data_copy()["attempts"] if a["id"] == attempt_id)


def shown_order(question: Any, page: str) -> list[str]:
    """The display order of a question's options, read off the attempt page."""
    labels = {o.id: o.html if question.type is not QuestionType.MATCH else o.match_text
              for o in question.options}
    block = page[page.index(f'id="q-{question.id}"'):]
    block = block[:block.index("</fieldset>")]
    return sorted(labels, key=lambda i: block.index(labels[i]))


def right_fields(question: Any, page: str) -> dict[str, list[str]]:
    from lernmodul.core.responses import form_values

    kind = question.type
    if kind is QuestionType.CLOZE:
        block = page[page.index(f'id="q-{question.id}"'):]
        return cloze_right_fields(question, block[:block.index("</fieldset>")])
    if kind is QuestionType.NUMBER:
        return {f"q-{question.id}": [f"{question.number_answers[0].value:g}"]}
    if kind is QuestionType.TEXT:
        return {f"q-{question.id}": [question.text_answers[0]]}
    answer: Any
    if kind in (QuestionType.SINGLE, QuestionType.TRUEFALSE):
        answer = next(o.id for o in question.options if o.is_correct)
    elif kind is QuestionType.MULTIPLE:
        answer = frozenset(o.id for o in question.options if o.is_correct)
    elif kind is QuestionType.ORDER:
        answer = tuple(o.id for o in question.options)
    else:
        answer = {o.id: o.id for o in question.options}
    return form_values(question, answer, tuple(shown_order(question, page)))


def key_shown(page: str, course: Any) -> list[str]:
    """Everything in `page` that names or hints at a right answer of the course's questions:
    the review's key words and the authors' feedback and explanation texts."""
    text = html_lib.unescape(page)
    found = [word for word in KEY_WORDS if word in page]
    found += ["eine richtige Antwort"] if RIGHT_OPTION.search(text) else []
    for question in course.questions().values():
        hints = [question.explanation_html, *(o.feedback_html for o in question.options)]
        found += [plain(h) for h in hints if h and plain(h) in text]
    return found


def has_marks(entry: dict[str, Any]) -> bool:
    scores = (entry["result"] or {}).get("scores") or {}
    return any("marks" in score for score in scores.values())


@pytest.fixture
def take_course(app: Any, client: Any, make_user: Any, login: Any, import_course: Any,
                db_session: Any, tmp_path: Path) -> Any:
    """take_course(review, max_attempts=3): the sample course with that `exam.review`,
    imported; a learner signed in, the course started and every unit complete."""
    from lernmodul.content import load_course
    from lernmodul.db.learning import UnitProgress
    from lernmodul.db.models import Enrolment, utcnow

    def setup(review: str | None, max_attempts: int = 3) -> Learner:
        folder = course_folder(tmp_path, review, max_attempts)
        import_course(folder)
        course = load_course(folder).course
        assert course.exam.review.value == (review or "after_pass")
        make_user(("learner",), email="lea@example.org")
        assert login(client, "lea@example.org").status_code == 302
        learner = Learner(client, course)
        assert learner.post(f"{COURSE}/start", {}).status_code == 303
        enrolment = db_session.query(Enrolment).one()
        now = utcnow()
        db_session.add_all(UnitProgress(enrolment_id=enrolment.id, unit_id=unit.id, read_at=now,
                                        quiz_passed_at=now) for unit in course.units)
        db_session.commit()
        return learner

    return setup


def assert_verdicts_only(learner: Learner, result_url: str) -> None:
    page = learner.page(result_url)
    assert key_shown(page, learner.course) == []
    assert "Nicht bestanden" in page and "Ihre Antworten" in page
    assert "Was schützt Bedrohungsmanagement?" in page  # the stem, with its verdict
    assert "nicht richtig" in page and "Ihre Wahl" in page and "Nur Gebäude" in page
    assert "sobald Sie die Abschlussprüfung bestanden haben" in page  # says when the key comes
    entry = learner.attempt_in_copy(result_url)
    assert entry["review"] == "verdicts"
    assert entry["result"]["scores"][EXAM_ONLY] == {"points": 0.0, "max": 2.0}
    assert not has_marks(entry)


def assert_everything(learner: Learner, result_url: str) -> None:
    page = learner.page(result_url)
    shown = key_shown(page, learner.course)
    assert "option-correct" in shown and "eine richtige Antwort" in shown, shown
    entry = learner.attempt_in_copy(result_url)
    assert entry["review"] == "full" and has_marks(entry)


def test_after_pass_withholds_the_key_until_the_exam_is_passed(take_course: Any) -> None:
    learner = take_course(None)  # after_pass is the default
    first = learner.take_exam(right=False)
    assert_verdicts_only(learner, first)
    second = learner.take_exam(right=False, mostly=True)  # every other question answered right
    assert_verdicts_only(learner, second)
    assert learner.page(second).count("feedback feedback-right") == 4
    assert_verdicts_only(learner, first)  # an earlier attempt's page too
    passed = learner.take_exam(right=True)
    page = learner.page(passed)
    assert "Bestanden" in page and "Nicht bestanden" not in page
    assert_everything(learner, passed)
    assert_everything(learner, first)  # now the earlier reviews show the key
    assert_everything(learner, second)


def test_after_pass_shows_the_key_once_no_attempt_is_left(take_course: Any) -> None:
    learner = take_course("after_pass")
    first = learner.take_exam(right=False)
    learner.take_exam(right=False)
    last = learner.start_exam()
    assert_verdicts_only(learner, first)  # the last attempt is being taken
    last_result = learner.submit(last, right=False)
    assert_everything(learner, last_result)
    assert_everything(learner, first)
    assert "Nicht bestanden" in learner.page(last_result)


def test_after_pass_without_an_attempt_limit_never_runs_out(take_course: Any) -> None:
    learner = take_course("after_pass", max_attempts=0)
    results = [learner.take_exam(right=False) for _ in range(4)]
    for result in results:
        assert_verdicts_only(learner, result)


def test_always_shows_everything_at_once(take_course: Any) -> None:
    learner = take_course("always")
    failed = learner.take_exam(right=False)
    assert "Nicht bestanden" in learner.page(failed)
    assert_everything(learner, failed)


def test_never_shows_the_score_only(take_course: Any) -> None:
    learner = take_course("never")
    failed = learner.take_exam(right=False)
    passed = learner.take_exam(right=True)
    for url, verdict in ((failed, "Nicht bestanden"), (passed, "Bestanden")):
        page = learner.page(url)
        assert verdict in page and "Punkte" in page  # the score
        assert "nur das Ergebnis der Abschlussprüfung" in page
        assert "Ihre Antworten" not in page and "Was schützt Bedrohungsmanagement?" not in page
        assert key_shown(page, learner.course) == []
        entry = learner.attempt_in_copy(url)
        assert entry["review"] == "score" and entry["result"]["scores"] is None
        assert entry["result"]["points"] == (0.0 if url == failed else entry["result"]["max_points"])


@pytest.mark.parametrize("review", ["after_pass", "never"])
def test_unit_quizzes_keep_showing_everything(take_course: Any, review: str) -> None:
    learner = take_course(review)
    start = learner.post(f"{COURSE}/units/grundlagen/quiz", {})
    assert start.status_code == 303
    result = learner.submit(start.headers["Location"], right=False)
    page = learner.page(result)
    assert "Nicht bestanden" in page
    shown = key_shown(page, learner.course)
    assert "option-correct" in shown and "eine richtige Antwort" in shown, shown
    entry = learner.attempt_in_copy(result)
    assert entry["kind"] == "quiz" and entry["review"] == "full"


def test_no_page_or_download_gives_away_the_key_of_a_failed_exam(take_course: Any) -> None:
    """Every page a learner reaches by links (plus the review itself) and the data copy."""
    learner = take_course(None)
    failed = learner.take_exam(right=False)
    seen: dict[str, str] = {}
    queue = ["/", "/me/data.json", "/me/hr-view", failed, COURSE]
    while queue and len(seen) < 200:
        path = queue.pop(0)
        if path in seen:
            continue
        response = learner.client.get(path, follow_redirects=True)
        seen[path] = response.get_data(as_text=True) if response.status_code == 200 else ""
        queue += [link for link in re.findall(r'href="(/[^"#?]*)', seen[path])
                  if not link.startswith(("/static/", "/media/", "/logout"))]
    assert len(seen) > 5
    leaks = {path: key_shown(page, learner.course) for path, page in seen.items()}
    assert {path: found for path, found in leaks.items() if found} == {}
    copy = json.loads(seen["/me/data.json"])
    assert [a["review"] for a in copy["attempts"]] == ["verdicts"]
    assert not any(has_marks(a) for a in copy["attempts"])


def test_a_renewal_withholds_the_key_again_until_the_new_round_is_passed(
        take_course: Any, sessions: Any) -> None:
    from sqlalchemy import select

    from lernmodul.db.certificates import Certificate
    from lernmodul.db.models import CourseVersion, utcnow
    from lernmodul.services.certificates import start_renewal

    learner = take_course(None)
    failed = learner.take_exam(right=False)
    passed = learner.take_exam(right=True)
    assert_everything(learner, failed)
    session = sessions()
    try:
        certificate = session.scalars(select(Certificate)).one()  # issued on completion
        version = session.scalars(select(CourseVersion)).one()
        now = utcnow()
        start_renewal(session, certificate, version=version, renewal_days=100_000, now=now,
                      today=now.date())
        session.commit()
    finally:
        session.close()
    assert_verdicts_only(learner, failed)  # the exam lies ahead again
    page = learner.page(passed)
    assert "Bestanden" in page and key_shown(page, learner.course) == []
    assert learner.attempt_in_copy(passed)["review"] == "verdicts"
