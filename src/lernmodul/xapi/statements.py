"""xAPI 1.0.3 statements for lernmodul's learning events: values in, JSON-ready dicts out.

No I/O, no clock, no randomness: every time and id comes from the event, so the same event
always gives the same statement (same id, same body), and a resend is idempotent at the LRS.

Verbs (ADL vocabulary, as cmi5 uses them): `initialized` when the learner starts a course
(lernmodul, the activity provider, has determined that the learner started it; `launched` is an
LMS launching content, which lernmodul does not do), `completed` when the course's completion
rules are met, `passed` / `failed` for a graded final-exam attempt, and — only where switched
on — `answered` for each question of a graded exam attempt.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

XAPI_VERSION = "1.0.3"
ADL_VERBS = "http://adlnet.gov/expapi/verbs/"
ADL_ACTIVITIES = "http://adlnet.gov/expapi/activities/"
VERBS: dict[str, dict[str, str]] = {
    "initialized": {"de-DE": "hat begonnen", "en-US": "initialized"},
    "completed": {"de-DE": "hat abgeschlossen", "en-US": "completed"},
    "passed": {"de-DE": "hat bestanden", "en-US": "passed"},
    "failed": {"de-DE": "hat nicht bestanden", "en-US": "failed"},
    "answered": {"de-DE": "hat beantwortet", "en-US": "answered"},
}
PSEUDONYM = "pseudonym"
IDENTIFIED = "identified"
ACTOR_MODES = (PSEUDONYM, IDENTIFIED)


@dataclass(frozen=True, slots=True)
class Learner:
    """Who learned. `name` and `email` are used only in the identified mode."""

    user_id: int
    name: str = ""
    email: str = ""


@dataclass(frozen=True, slots=True)
class Sender:
    """The sending instance: its public base URL, the actor mode and the pseudonym key."""

    base_url: str
    pseudonym_key: bytes
    actor_mode: str = PSEUDONYM

    def __post_init__(self) -> None:
        if self.actor_mode not in ACTOR_MODES:
            raise ValueError(f"actor mode must be one of {', '.join(ACTOR_MODES)}, not {self.actor_mode!r}")
        if not self.pseudonym_key:
            raise ValueError("the pseudonym key is empty")


@dataclass(frozen=True, slots=True)
class CourseRef:
    """The course as the statement names it."""

    course_id: str
    title: str
    version: str
    language: str = "de"


@dataclass(frozen=True, slots=True)
class Round:
    """One enrolment's run through a course (a renewal starts a new one): the registration."""

    enrolment_id: int
    started_at: datetime


@dataclass(frozen=True, slots=True)
class ExamResult:
    """A graded final-exam attempt."""

    attempt_id: int
    started_at: datetime
    graded_at: datetime
    points: float
    max_points: float
    passed: bool


@dataclass(frozen=True, slots=True)
class ItemResult:
    """One question of a graded exam attempt: points only, never the learner's answer."""

    question_id: str
    points: float
    max_points: float


# --- identifiers ---------------------------------------------------------------------------


def _namespace(base_url: str) -> uuid.UUID:
    return uuid.uuid5(uuid.NAMESPACE_URL, base_url.rstrip("/") + "/xapi")


def statement_id(base_url: str, *parts: object) -> str:
    """A UUID5 from the instance and the event: the same event always has the same id."""
    return str(uuid.uuid5(_namespace(base_url), "/".join(str(p) for p in parts)))


def registration(base_url: str, course_round: Round) -> str:
    """The xAPI registration of one enrolment round (shared by all its statements)."""
    return statement_id(base_url, "registration", course_round.enrolment_id,
                        timestamp(course_round.started_at))


def pseudonym(key: bytes, user_id: int) -> str:
    """The keyed HMAC of the user id: stable per instance, not reversible without the key."""
    return hmac.new(key, f"lernmodul-user:{user_id}".encode(), hashlib.sha256).hexdigest()[:40]


def course_iri(base_url: str, course_id: str) -> str:
    return f"{base_url.rstrip('/')}/xapi/activities/courses/{course_id}"


def exam_iri(base_url: str, course_id: str) -> str:
    return f"{course_iri(base_url, course_id)}/exam"


def question_iri(base_url: str, course_id: str, question_id: str) -> str:
    return f"{exam_iri(base_url, course_id)}/questions/{question_id}"


# --- values --------------------------------------------------------------------------------


def timestamp(at: datetime) -> str:
    """ISO 8601 in UTC with milliseconds (naive datetimes are taken as UTC)."""
    aware = at if at.tzinfo is not None else at.replace(tzinfo=UTC)
    return aware.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def duration(span: timedelta) -> str:
    """An ISO 8601 duration (PT1H2M3.5S); negative spans count as zero."""
    hundredths = max(0, round(span.total_seconds() * 100))
    hours, rest = divmod(hundredths, 360_000)
    minutes, rest = divmod(rest, 6_000)
    seconds = f"{rest // 100}" if rest % 100 == 0 else f"{rest / 100:.2f}".rstrip("0")
    text = "PT" + (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "")
    return text + (f"{seconds}S" if rest or not (hours or minutes) else "")


def score(points: float, max_points: float) -> dict[str, float]:
    """xAPI score: scaled (0..1), raw, min and max."""
    scaled = round(points / max_points, 4) if max_points > 0 else 0.0
    return {"scaled": min(1.0, max(0.0, scaled)), "raw": points, "min": 0, "max": max_points}


def actor(sender: Sender, learner: Learner) -> dict[str, Any]:
    """The pseudonymous account by default; name and e-mail only in the identified mode."""
    if sender.actor_mode == IDENTIFIED:
        if learner.email:
            return {"objectType": "Agent", "name": learner.name, "mbox": f"mailto:{learner.email}"}
        return {"objectType": "Agent", "name": learner.name,
                "account": {"homePage": sender.base_url, "name": str(learner.user_id)}}
    name = pseudonym(sender.pseudonym_key, learner.user_id)
    return {"objectType": "Agent", "account": {"homePage": sender.base_url, "name": name}}


def _names(course: CourseRef, de: str, en: str) -> dict[str, str]:
    return {"de-DE": de.format(title=course.title), "en-US": en.format(title=course.title)}


def course_activity(base_url: str, course: CourseRef) -> dict[str, Any]:
    return {"objectType": "Activity", "id": course_iri(base_url, course.course_id),
            "definition": {"type": ADL_ACTIVITIES + "course",
                           "name": _names(course, "{title}", "{title}")}}


def exam_activity(base_url: str, course: CourseRef) -> dict[str, Any]:
    return {"objectType": "Activity", "id": exam_iri(base_url, course.course_id),
            "definition": {"type": ADL_ACTIVITIES + "assessment",
                           "name": _names(course, "Abschlussprüfung: {title}", "Final exam: {title}")}}


def _verb(name: str) -> dict[str, Any]:
    return {"id": ADL_VERBS + name, "display": dict(VERBS[name])}


def _context(sender: Sender, course: CourseRef, course_round: Round,
             parents: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    activities: dict[str, Any] = {}
    if parents:
        activities["parent"] = parents
    context: dict[str, Any] = {
        "registration": registration(sender.base_url, course_round),
        "platform": "lernmodul",
        "language": course.language,
        "revision": course.version,
    }
    if activities:
        context["contextActivities"] = activities
    return context


def _statement(sid: str, sender: Sender, learner: Learner, verb: str, obj: dict[str, Any],
               at: datetime, context: dict[str, Any], result: dict[str, Any] | None = None
               ) -> dict[str, Any]:
    statement: dict[str, Any] = {"id": sid, "actor": actor(sender, learner), "verb": _verb(verb),
                                 "object": obj}
    if result is not None:
        statement["result"] = result
    statement["context"] = context
    statement["timestamp"] = timestamp(at)
    statement["version"] = XAPI_VERSION
    return statement


# --- statements ----------------------------------------------------------------------------


def course_started(sender: Sender, learner: Learner, course: CourseRef,
                   course_round: Round) -> dict[str, Any]:
    """`initialized` the course, at the round's start."""
    sid = statement_id(sender.base_url, "course-started", course_round.enrolment_id,
                       timestamp(course_round.started_at))
    return _statement(sid, sender, learner, "initialized",
                      course_activity(sender.base_url, course), course_round.started_at,
                      _context(sender, course, course_round))


def course_completed(sender: Sender, learner: Learner, course: CourseRef, course_round: Round,
                     completed_at: datetime) -> dict[str, Any]:
    """`completed` the course: completion true, the time from start to completion."""
    sid = statement_id(sender.base_url, "course-completed", course_round.enrolment_id,
                       timestamp(course_round.started_at))
    result = {"completion": True, "duration": duration(completed_at - course_round.started_at)}
    return _statement(sid, sender, learner, "completed", course_activity(sender.base_url, course),
                      completed_at, _context(sender, course, course_round), result)


def exam_graded(sender: Sender, learner: Learner, course: CourseRef, course_round: Round,
                exam: ExamResult) -> dict[str, Any]:
    """`passed` or `failed` the final exam, with the score and the attempt's duration."""
    sid = statement_id(sender.base_url, "exam-graded", exam.attempt_id)
    result = {"score": score(exam.points, exam.max_points), "success": exam.passed,
              "completion": True, "duration": duration(exam.graded_at - exam.started_at)}
    return _statement(sid, sender, learner, "passed" if exam.passed else "failed",
                      exam_activity(sender.base_url, course), exam.graded_at,
                      _context(sender, course, course_round, [course_activity(sender.base_url, course)]),
                      result)


def item_answered(sender: Sender, learner: Learner, course: CourseRef, course_round: Round,
                  exam: ExamResult, item: ItemResult) -> dict[str, Any]:
    """`answered` one exam question: its score and whether it earned full marks — no response
    (the learner's answer, free text above all, stays on lernmodul's server)."""
    sid = statement_id(sender.base_url, "item-answered", exam.attempt_id, item.question_id)
    obj = {"objectType": "Activity",
           "id": question_iri(sender.base_url, course.course_id, item.question_id),
           "definition": {"type": ADL_ACTIVITIES + "question",
                          "name": {"de-DE": f"Frage {item.question_id}",
                                   "en-US": f"Question {item.question_id}"}}}
    success = item.max_points > 0 and item.points >= item.max_points
    result = {"score": score(item.points, item.max_points), "success": success, "completion": True}
    parents = [exam_activity(sender.base_url, course)]
    context = _context(sender, course, course_round, parents)
    context["contextActivities"]["grouping"] = [course_activity(sender.base_url, course)]
    return _statement(sid, sender, learner, "answered", obj, exam.graded_at, context, result)
