"""Learner views: dashboard, course, unit, quizzes and exam, results, course media.

Every view needs the learner role (declared on the blueprint). State changes are POSTs that
redirect (Post/Redirect/Get); a learner only ever sees their own attempts (others: 404)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Response, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from lernmodul.core.attempts import seconds_left
from lernmodul.core.grading import (
    InvalidResponse,
    Score,
    answer_feedback,
    gap_verdicts,
    grade,
    read_number,
    self_check_order,
)
from lernmodul.core.grading import Response as Answer
from lernmodul.core.model import Course, Gap, Option, Question, Unit
from lernmodul.core.progress import (
    CourseState,
    completed_units,
    exam_is_open,
    progress_share,
    unit_is_complete,
)
from lernmodul.core.responses import (
    IncompleteResponse,
    NotANumber,
    form_values,
    gap_answer,
    gap_choices,
    gap_solution,
    is_complete,
    response_from_form,
)
from lernmodul.core.review import ReviewDetail
from lernmodul.db.learning import Attempt, UnitProgress
from lernmodul.db.models import CourseVersion, Enrolment, Role, utcnow
from lernmodul.services import courses as course_service
from lernmodul.services import learning, reviews
from lernmodul.web.access import login_required_any, require_roles
from lernmodul.web.database import get_session
from lernmodul.web.learner.unit_text import cached_page, page_is_cacheable, unit_text
from lernmodul.web.navigation import home_url
from lernmodul.web.request_values import parse_int
from lernmodul.web.security import media_response, render_error

bp = Blueprint("learner", __name__)
require_roles(bp, Role.LEARNER.value)

COMPILED = course_service.CompiledCourses()

ERRORS = {
    "no_unit": (404, None),
    "no_quiz": (404, None),
    "no_exam": (404, None),
    "not_started": (409, _l("Please start the course first.")),
    "exam_locked": (409, _l("The final exam opens once every unit is complete.")),
    "already_passed": (409, _l("You have passed the final exam already.")),
    "no_attempts_left": (409, _l("You have used all attempts at the final exam.")),
    "stale": (409, _l("This form is older than your latest saved answers (perhaps from another "
                   "tab or the back button). Nothing was changed: please reload the page.")),
}


NOT_A_NUMBER = _l("Please enter a number, for example 42 or 3.5 (digits only, no units).")
GAP_NOT_A_NUMBER = _l("Gap %(number)s: please enter a number, for example 42 or 3.5 (digits "
                      "only, no units).")


def not_a_number_message(error: NotANumber) -> str:
    """What the learner reads when a number field (or a cloze's number gap) holds no number."""
    if error.gap is not None:
        return str(GAP_NOT_A_NUMBER) % {"number": error.gap}
    return str(NOT_A_NUMBER)


def media_base(version_id: int) -> str:
    return url_for("learner.course_media", version_id=version_id, name="x")[:-1]


def compiled(version: CourseVersion) -> Course:
    return COMPILED.get(version, media_base(version.id))


def course_of(version_id: int) -> Course:
    """The compiled course of a version id."""
    version = get_session().get(CourseVersion, version_id)
    assert version is not None  # attempts and enrolments keep their version (RESTRICT)
    return compiled(version)


@dataclass(frozen=True)
class Place:
    """What a learner sees of one course: the version they take (or would take) and state."""

    version: CourseVersion
    course: Course
    enrolment: Enrolment | None
    state: CourseState
    progress: dict[str, UnitProgress]


def load_place(course_id: str) -> Place:
    session = get_session()
    enrolment, version, rows = learning.find_enrolment_and_version(
        session, current_user.id, course_id)
    if version is None:
        version = course_service.find_latest_version(session, course_id)
    if version is None:
        abort(404)
    state = learning.course_state(enrolment, rows) if enrolment else CourseState()
    return Place(version, compiled(version), enrolment, state, rows)


def refuse(error: learning.LearningError) -> tuple[str, int]:
    code, message = ERRORS.get(error.code, (400, None))
    return render_error(code, str(message) if message else None)


# --- pages ---------------------------------------------------------------------------------


@bp.route("/")
@login_required_any
def dashboard() -> Response | str:
    """The learner's home; the site address, so everyone else goes to their own home page
    (the one the login chooses: trainer, HR or administration area)."""
    home = home_url(current_user)
    if home != url_for("learner.dashboard"):
        return redirect(home)
    session = get_session()
    now = utcnow()
    latest = course_service.latest_versions(session)
    enrolments = {e.course_id: e for e in learning.list_enrolments(session, current_user.id)}
    progress = learning.progress_for(session, [e.id for e in enrolments.values()])
    versions = {v.id: v for v in latest}
    missing = {e.course_version_id for e in enrolments.values()
               if e.course_version_id and e.course_version_id not in versions}
    if missing:
        versions.update({v.id: v for v in course_service.versions_by_id(session, missing)})
    cards = []
    for version in latest:
        enrolment = enrolments.get(version.course_id)
        taken = versions.get(enrolment.course_version_id) if enrolment and \
            enrolment.course_version_id else version
        course = compiled(taken or version)
        state = learning.course_state(enrolment, progress[enrolment.id]) if enrolment \
            else CourseState()
        cards.append({
            "course": course, "enrolment": enrolment,
            "share": 1.0 if enrolment and enrolment.completed_at else progress_share(course, state),
            "is_overdue": bool(enrolment and enrolment.due_at and not enrolment.completed_at
                               and enrolment.due_at < now),
        })
    assigned = [c for c in cards if c["enrolment"] is not None and c["enrolment"].is_mandatory]
    mine = [c for c in cards if c["enrolment"] is not None and not c["enrolment"].is_mandatory]
    available = [c for c in cards if c["enrolment"] is None]
    return render_template("learner/dashboard.html", assigned=assigned, mine=mine,
                           available=available)


@bp.route("/courses/<course_id>")
def course_page(course_id: str) -> str:
    place = load_place(course_id)
    exam_attempts = 0
    if place.enrolment is not None and place.course.exam is not None:
        exam_attempts = learning.count_attempts(get_session(), place.enrolment.id,
                                                learning.EXAM, "",
                                                since=place.enrolment.started_at)
    return render_template("learner/course.html", place=place, course=place.course,
                           completed=set(completed_units(place.course, place.state)),
                           share=progress_share(place.course, place.state),
                           exam_open=exam_is_open(place.course, place.state),
                           exam_attempts=exam_attempts, resume=_resume_unit(place))


def _resume_unit(place: Place) -> Unit | None:
    for unit in place.course.units:
        if not unit_is_complete(place.course, unit.id, place.state):
            return unit
    return None


@bp.post("/courses/<course_id>/start")
def start_course(course_id: str) -> Response:
    session = get_session()
    place = load_place(course_id)
    learning.start_course(session, current_user.id, place.version, utcnow(),
                          enrolment=place.enrolment)
    unit = _resume_unit(place) or place.course.units[0]
    return redirect(url_for("learner.unit_page", course_id=course_id, unit_id=unit.id), 303)


def _unit_or_404(course: Course, unit_id: str) -> Unit:
    unit = course.unit(unit_id)
    if unit is None:
        abort(404)
    return unit


def _render_unit(place: Place, unit: Unit, checked: dict[str, Any] | None = None,
                 status: int = 200) -> tuple[str, int]:
    units = place.course.units
    index = units.index(unit)
    progress = place.progress.get(unit.id)
    last_result = progress if progress is not None and progress.last_quiz_points is not None \
        else None
    questions = {q.id: q for q in unit.questions}
    context: dict[str, Any] = dict(
        place=place, course=place.course, unit=unit, questions=questions,
        checked=checked or {},
        previous=units[index - 1] if index > 0 else None,
        next=units[index + 1] if index + 1 < len(units) else None,
        is_read=unit.id in place.state.read_units,
        quiz_passed=unit.id in place.state.passed_quizzes, last_result=last_result,
        position=index + 1)
    if not checked and page_is_cacheable():
        user = current_user._get_current_object()  # type: ignore[attr-defined]
        key = ("unit", unit.id, bool(place.enrolment and place.enrolment.course_version_id),
               context["is_read"], context["quiz_passed"],
               None if last_result is None else (last_result.last_quiz_points,
                                                 last_result.last_quiz_max_points),
               user.has_role("learner"), user.has_role("trainer", "admin"),
               user.has_role("hr"), user.has_role("admin"))
        return cached_page(place.course, key, user, lambda **marks: render_template(
            "learner/unit.html", text=None, **context, **marks)), status
    text = None if checked else unit_text(place.course, unit, questions)
    return render_template("learner/unit.html", text=text, **context), status


@bp.app_template_filter("self_check_order")
def self_check_order_filter(question: Question) -> list[str]:
    """The option order of a self-check in the text (the same for the form and its check)."""
    return list(self_check_order(question))


@bp.app_template_filter("answer_feedback")
def answer_feedback_filter(question: Question, answer: object) -> str:
    """The feedback of the accepted number or text answer the learner typed, or ""."""
    return answer_feedback(question, answer if isinstance(answer, str) else None)


@bp.app_template_filter("gap_choices")
def gap_choices_filter(question: Question, order: list[str] | tuple[str, ...] | None
                       ) -> dict[str, list[tuple[str, Option]]]:
    """Per choice gap of a cloze: (display token, option) in the drawn order."""
    return gap_choices(question, order)


@bp.app_template_filter("gap_verdicts")
def gap_verdicts_filter(question: Question, answer: Answer) -> tuple[bool, ...]:
    """Per gap of a graded cloze: is the learner's answer right."""
    return gap_verdicts(question, answer)


@bp.app_template_filter("gap_answer")
def gap_answer_filter(gap: Gap, value: str) -> str:
    return gap_answer(gap, value)


@bp.app_template_filter("gap_solution")
def gap_solution_filter(gap: Gap) -> str:
    return gap_solution(gap)


@bp.app_template_filter("reads_as_number")
def reads_as_number_filter(value: str) -> bool:
    return read_number(value) is not None


@bp.route("/courses/<course_id>/units/<unit_id>")
def unit_page(course_id: str, unit_id: str) -> tuple[str, int]:
    place = load_place(course_id)
    return _render_unit(place, _unit_or_404(place.course, unit_id))


@bp.post("/courses/<course_id>/units/<unit_id>/check/<question_id>")
def check_inline(course_id: str, unit_id: str, question_id: str) -> tuple[str, int]:
    """A self-check in the text: graded for feedback only, nothing is stored."""
    place = load_place(course_id)
    unit = _unit_or_404(place.course, unit_id)
    question = next((q for q in unit.questions if q.id == question_id and q.is_inline), None)
    if question is None:
        abort(404)
    try:
        answer = response_from_form(question, request.form.getlist,
                                    self_check_order(question))
        score = grade(question, answer)
    except NotANumber as error:
        return _render_unit(place, unit, {question.id: {"error": not_a_number_message(error)}},
                            422)
    except IncompleteResponse:
        return _render_unit(place, unit, {question.id: {
            "error": _("Give every item a different position.")}}, 422)
    except InvalidResponse:
        return render_error(400, _("The answer does not fit this question."))
    return _render_unit(place, unit, {question.id: {"answer": answer, "score": score}})


@bp.get("/courses/<course_id>/units/<unit_id>/check/<question_id>")
def show_inline(course_id: str, unit_id: str, question_id: str) -> Response:
    """The address of a self-check's answer page, opened again (e.g. after switching the
    language there): back to the question in the unit."""
    return redirect(url_for("learner.unit_page", course_id=course_id, unit_id=unit_id,
                            _anchor=f"check-{question_id}"), 303)


@bp.post("/courses/<course_id>/units/<unit_id>/read")
def mark_read(course_id: str, unit_id: str) -> Response | tuple[str, int]:
    place = load_place(course_id)
    unit = _unit_or_404(place.course, unit_id)
    if place.enrolment is None or place.enrolment.course_version_id is None:
        return refuse(learning.LearningError("not_started"))
    learning.mark_unit_read(get_session(), place.enrolment, place.course, unit.id, utcnow())
    if unit.quiz is not None and unit.id not in place.state.passed_quizzes:
        target = url_for("learner.unit_page", course_id=course_id, unit_id=unit.id,
                         _anchor="quiz")
    else:
        units = place.course.units
        index = units.index(unit)
        target = (url_for("learner.unit_page", course_id=course_id, unit_id=units[index + 1].id)
                  if index + 1 < len(units) else url_for("learner.course_page",
                                                         course_id=course_id))
    return redirect(target, 303)


@bp.post("/courses/<course_id>/units/<unit_id>/quiz")
def start_quiz(course_id: str, unit_id: str) -> Response | tuple[str, int]:
    place = load_place(course_id)
    unit = _unit_or_404(place.course, unit_id)
    if place.enrolment is None:
        return refuse(learning.LearningError("not_started"))
    try:
        attempt = learning.start_attempt(get_session(), enrolment=place.enrolment,
                                         course=place.course, unit_id=unit.id,
                                         seed=secrets.randbelow(2**31), now=utcnow())
    except learning.LearningError as error:
        return refuse(error)
    return redirect(url_for("learner.attempt_page", attempt_id=attempt.id), 303)


@bp.post("/courses/<course_id>/exam")
def start_exam(course_id: str) -> Response | tuple[str, int]:
    place = load_place(course_id)
    if place.enrolment is None:
        return refuse(learning.LearningError("not_started"))
    try:
        attempt = learning.start_attempt(
            get_session(), enrolment=place.enrolment, course=place.course, unit_id=None,
            seed=secrets.randbelow(2**31), now=utcnow(),
            extra_time_percent=current_user.extra_time_percent)
    except learning.LearningError as error:
        return refuse(error)
    return redirect(url_for("learner.attempt_page", attempt_id=attempt.id), 303)


def _own_attempt(attempt_id: int) -> tuple[Attempt, Course, CourseVersion]:
    session = get_session()
    try:
        attempt, version = learning.get_attempt_and_version(session, attempt_id,
                                                            current_user.id)
    except LookupError:
        abort(404)
    return attempt, compiled(version), version


def _render_attempt(attempt: Attempt, course: Course, values: dict[str, list[str]],
                    errors: dict[str, str], status: int = 200,
                    unanswered: bool = False) -> tuple[str, int]:
    questions = course.questions()
    drawn = [(questions[qid], order) for qid, order in attempt.questions]
    unit = course.unit(attempt.unit_key) if attempt.unit_key else None
    return render_template(
        "learner/attempt.html", attempt=attempt, course=course, unit=unit, drawn=drawn,
        values=values, errors=errors, seconds_left=seconds_left(utcnow(), attempt.deadline_at),
        unanswered=unanswered, numbers={qid: n for n, (qid, _o) in enumerate(attempt.questions, 1)}
    ), status


@bp.route("/attempts/<int:attempt_id>")
def attempt_page(attempt_id: int) -> Response | tuple[str, int]:
    attempt, course, _version = _own_attempt(attempt_id)
    if attempt.state != "in_progress":
        return redirect(url_for("learner.result_page", attempt_id=attempt.id), 303)
    questions = course.questions()
    orders = {qid: tuple(order) for qid, order in attempt.questions}
    values: dict[str, list[str]] = {}
    for qid, answer in learning.stored_responses(attempt, questions).items():
        values.update(form_values(questions[qid], answer, orders.get(qid)))
    return _render_attempt(attempt, course, values, {})


@bp.post("/attempts/<int:attempt_id>")
def submit_attempt(attempt_id: int) -> Response | tuple[str, int]:
    attempt, course, _version = _own_attempt(attempt_id)
    expected = parse_int(request.form.get("revision"))
    if expected is None:
        return render_error(400, _("The form is incomplete. Please reload the page."))
    questions = course.questions()
    answers: dict[str, Answer] = {}
    errors: dict[str, str] = {}
    for qid, order in attempt.questions:
        question: Question = questions[qid]
        try:
            answers[qid] = response_from_form(question, request.form.getlist, tuple(order))
        except NotANumber as error:
            errors[qid] = not_a_number_message(error)
        except IncompleteResponse:
            errors[qid] = _("Give every item a different position.")
        except InvalidResponse:
            return render_error(400, _("The answers do not fit these questions."))
    action = request.form.get("action", "submit")
    if action not in ("submit", "save"):
        return render_error(400)
    unanswered = False
    if action == "submit" and not errors:
        missing = [qid for qid, _o in attempt.questions
                   if not is_complete(questions[qid], answers.get(qid))]
        if missing and request.form.get("confirm_incomplete") != "1":
            unanswered = True
            for qid in missing:
                errors[qid] = (_("Please answer this question.") if answers.get(qid) is None
                               else _("Please fill in every gap."))
    if errors:
        values = {k: request.form.getlist(k) for k in request.form if k.startswith("q-")}
        return _render_attempt(attempt, course, values, errors, 422, unanswered)
    session = get_session()
    try:
        if action == "save":
            outcome = learning.save_responses(session, attempt, answers, expected, utcnow())
            if outcome.state == "saved":
                return redirect(url_for("learner.attempt_page", attempt_id=attempt.id,
                                        saved=1), 303)
        else:
            learning.submit_attempt(session, attempt, course, answers, expected, utcnow())
    except learning.LearningError as error:
        return refuse(error)
    return redirect(url_for("learner.result_page", attempt_id=attempt.id), 303)


@bp.route("/attempts/<int:attempt_id>/result")
def result_page(attempt_id: int) -> Response | str:
    attempt, course, _version = _own_attempt(attempt_id)
    if attempt.state == "in_progress":
        return redirect(url_for("learner.attempt_page", attempt_id=attempt.id), 303)
    session = get_session()
    result = learning.find_result(session, attempt.id)
    questions = course.questions()
    answers = learning.stored_responses(attempt, questions)
    drawn = [(questions[qid], order) for qid, order in attempt.questions]
    unit = course.unit(attempt.unit_key) if attempt.unit_key else None
    enrolment = session.get(Enrolment, attempt.enrolment_id)
    # the key of a failed exam stays hidden while it could help with the next attempt
    detail = reviews.review_details(session, [attempt], course_of)[attempt.id]
    scores = {}
    if result is not None and detail is not ReviewDetail.SCORE:
        scores = {qid: Score(v["points"], v["max"], abs(v["points"] - v["max"]) < 1e-9)
                  for qid, v in result.scores.items()}
    else:
        drawn, answers = [], {}
    return render_template("learner/result.html", attempt=attempt, course=course, unit=unit,
                           result=result, drawn=drawn, answers=answers, enrolment=enrolment,
                           scores=scores, detail=detail.value)


@bp.route("/media/<int:version_id>/<path:name>")
def course_media(version_id: int, name: str) -> Response:
    media = course_service.find_media(get_session(), version_id, f"media/{name}")
    if media is None:
        abort(404)
    return media_response(media.content, media.media_type)
