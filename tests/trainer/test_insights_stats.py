"""Item statistics: the math (hand-computed values), k-suppression, the service over graded
attempts on both databases, and the trainer's page (anonymous, sortable without JavaScript)."""

from __future__ import annotations

import math
import re
import secrets
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from lernmodul.core.item_stats import (
    GradedAttempt,
    corrected_item_total,
    difficulty,
    item_statistics,
    pearson,
    withhold,
)
from lernmodul.core.model import Option, Question, QuestionType

SAMPLE = Path(__file__).parents[1] / "core" / "fixtures" / "sample-course"


def pick(qid: str, *letters: str) -> Any:
    """The sample course's option ids for places in the source (a: the first option …)."""
    from lernmodul.content import read_course_files
    from lernmodul.core.compiler import compile_course

    course = compile_course(read_course_files(SAMPLE)).course
    assert course is not None
    ids = [o.id for o in course.questions()[qid].options]
    found = [ids[ord(letter) - ord("a")] for letter in letters]
    return found[0] if len(found) == 1 else found
TRAINER_EMAIL = "stats-trainer@example.org"
WHEN = datetime(2031, 3, 4, 5, 6, 7, tzinfo=UTC)


def choice(qid: str, kind: QuestionType = QuestionType.SINGLE, correct: tuple[str, ...] = ("a",),
           ids: tuple[str, ...] = ("a", "b", "c")) -> Question:
    return Question(qid, kind, f"<p>Frage {qid}</p>", options=tuple(
        Option(i, i.upper(), f"Antwort {i.upper()}", is_correct=i in correct) for i in ids))


def attempt(points: dict[str, float], chosen: dict[str, str | tuple[str, ...]] | None = None,
            maximum: dict[str, float] | None = None) -> GradedAttempt:
    maximum = maximum or {}
    choices = {q: frozenset((c,) if isinstance(c, str) else c) for q, c in (chosen or {}).items()}
    return GradedAttempt({q: (p, maximum.get(q, 1.0)) for q, p in points.items()}, choices)


# --- math ----------------------------------------------------------------------------------


def test_difficulty_is_the_mean_share() -> None:
    assert difficulty([1, 0, 1, 1]) == 0.75
    assert difficulty([0.5, 0.25]) == 0.375
    assert difficulty([]) is None


def test_pearson_by_hand() -> None:
    # means 2 and 13/3; sxy = 5, sxx = 2, syy = 114/9 -> r = 5 / sqrt(2 * 114 / 9)
    assert pearson([1, 2, 3], [2, 4, 7]) == pytest.approx(5 / math.sqrt(228 / 9))
    assert pearson([1, 2, 3], [3, 2, 1]) == pytest.approx(-1.0)
    assert pearson([1, 1, 1], [1, 2, 3]) is None  # no variance: undefined, not 0
    assert pearson([1, 2], [1, 2]) is None  # too few pairs
    with pytest.raises(ValueError):
        pearson([1, 2, 3], [1, 2])


def test_corrected_item_total_leaves_the_item_out_of_the_total() -> None:
    # item A over 5 people; the rest is B and C (each 0/1): rest shares 1, .5, 0, .5, .5
    # x mean .6, y mean .5: sxy = .5, sxx = 1.2, syy = .5 -> r = .5 / sqrt(.6) = 0.6455
    item = [(1, 1), (1, 1), (0, 1), (1, 1), (0, 1)]
    totals = [(3, 3), (2, 3), (0, 3), (2, 3), (1, 3)]
    assert corrected_item_total(item, totals) == pytest.approx(0.5 / math.sqrt(0.6))
    assert round(corrected_item_total(item, totals) or 0, 4) == 0.6455
    # an attempt with nothing but this item has no rest: left out
    assert corrected_item_total([*item, (1, 1)], [*totals, (1, 1)]) == pytest.approx(
        0.5 / math.sqrt(0.6))


def test_item_statistics_by_hand() -> None:
    a, b, c = choice("a"), choice("b"), choice("c")
    people = [
        attempt({"a": 1, "b": 1, "c": 1}, {"a": "a", "b": "a", "c": "a"}),
        attempt({"a": 1, "b": 0, "c": 1}, {"a": "a", "b": "b", "c": "a"}),
        attempt({"a": 0, "b": 0, "c": 0}, {"a": "b", "b": "b", "c": "b"}),
        attempt({"a": 1, "b": 1, "c": 0}, {"a": "a", "b": "a", "c": "b"}),
        attempt({"a": 0, "b": 1, "c": 0}, {"b": "a", "c": "b"}),
    ]
    stats = item_statistics([a, b, c], people, k=5)
    first = stats[0]
    assert first.people == 5 and not first.is_withheld
    assert first.difficulty == pytest.approx(0.6)
    assert first.discrimination == pytest.approx(0.5 / math.sqrt(0.6))
    # A chosen 3 times, B once, C never, no answer once: 1s are hidden, the 0 is shown
    assert [(o.option_id, o.count) for o in first.options] == [
        ("a", None), ("b", None), ("c", 0), ("", None)]
    assert "unused_option" in first.flags


def test_partial_points_use_shares() -> None:
    q = choice("m", QuestionType.MULTIPLE, correct=("a", "b"))
    other = choice("o")
    people = [attempt({"m": p, "o": o}, maximum={"m": 2}) for p, o in
              [(2, 1), (1, 1), (1, 0), (0, 0), (2, 1), (0.5, 0)]]
    (stat, _) = item_statistics([q, other], people, k=5)
    assert stat.difficulty == pytest.approx((1 + 0.5 + 0.5 + 0 + 1 + 0.25) / 6)
    xs = [1, 0.5, 0.5, 0, 1, 0.25]
    ys = [1, 1, 0, 0, 1, 0]
    assert stat.discrimination == pytest.approx(pearson(xs, ys))


def test_fewer_than_k_people_show_no_figures() -> None:
    q = choice("q")
    four = [attempt({"q": 1, "r": 0}, {"q": "a"}) for _ in range(4)]
    (stat,) = item_statistics([q], four, k=5)
    assert stat.is_withheld and stat.people == 4
    assert stat.difficulty is None and stat.discrimination is None and stat.options == ()
    assert stat.flags == ()
    # a question nobody drew
    (unseen,) = item_statistics([choice("x")], [*four, attempt({"q": 1})], k=5)
    assert unseen.is_withheld and unseen.people == 0


def test_withhold_small_counts_and_protect_them_from_subtraction() -> None:
    assert withhold([0, 3, 7, 12], 5) == [0, None, 7, 12]
    assert withhold([5, 4], 5) == [5, None]
    # single choice: right answer 12 (known from p), B 3, C 0, no answer 5 -> B alone would
    # follow from n - 12 - 0 - 5, so the smallest other wrong count (C's 0) is hidden as well
    assert withhold([12, 3, 0, 5], 5, adds_up=True, known=[True, False, False, False]) == [
        12, None, None, 5]
    # two hidden already: nothing more to hide
    assert withhold([10, 2, 3, 0], 5, adds_up=True, known=[True, False, False, False]) == [
        10, None, None, 0]
    # nothing hidden: nothing more to hide
    assert withhold([10, 5, 0], 5, adds_up=True) == [10, 5, 0]


def test_single_choice_counts_with_secondary_suppression() -> None:
    q = choice("s")
    people = ([attempt({"s": 1, "t": 1}, {"s": "a"})] * 8 + [attempt({"s": 0, "t": 1}, {"s": "b"})]
              * 6 + [attempt({"s": 0, "t": 0}, {"s": "c"})] * 2 + [attempt({"s": 0, "t": 0})] * 5)
    (stat,) = item_statistics([q], people, k=5)
    assert stat.people == 21
    assert stat.difficulty == pytest.approx(8 / 21)
    # C's 2 is hidden; since A (8 = p * n), B and "no answer" add up to 21, the smallest other
    # wrong count (no answer, 5) is hidden too
    assert [(o.option_id, o.count) for o in stat.options] == [
        ("a", 8), ("b", 6), ("c", None), ("", None)]


def test_multiple_choice_counts_each_option() -> None:
    q = choice("m", QuestionType.MULTIPLE, correct=("a", "b"))
    people = [attempt({"m": 1}, {"m": ("a", "b")})] * 6 + [attempt({"m": 0}, {"m": ("a", "c")})] * 5
    (stat,) = item_statistics([q], people, k=5)
    assert [(o.option_id, o.count) for o in stat.options] == [("a", 11), ("b", 6), ("c", 5), ("", 0)]
    assert stat.difficulty == pytest.approx(6 / 11)
    assert stat.discrimination is None  # no rest score: the attempts hold one question


def test_flags() -> None:
    easy = [attempt({"e": 1, "h": 0, "x": x}, {"e": "a"}) for x in (1, 0, 1, 0, 1)]
    stats = {s.question.id: s for s in item_statistics([choice("e"), choice("h")], easy, k=5)}
    assert "very_easy" in stats["e"].flags and "unused_option" in stats["e"].flags
    assert "very_hard" in stats["h"].flags
    # right answers by the weaker, wrong ones by the stronger participants
    upside_down = [attempt({"n": n, "r1": r, "r2": r}) for n, r in
                   [(1, 0), (1, 0), (0, 1), (0, 1), (1, 1), (0, 0)]]
    (neg,) = item_statistics([choice("n", QuestionType.NUMBER, ids=())], upside_down, k=5)
    assert neg.discrimination is not None and neg.discrimination < 0
    assert "negative_discrimination" in neg.flags and neg.options == ()


# --- the service over stored attempts (SQLite and PostgreSQL) -------------------------------


class Stored:
    """Writes people, enrolments and graded attempts straight into the database."""

    def __init__(self, app: Any, version_id: int) -> None:
        from lernmodul.web.database import get_database

        self.session = get_database(app).sessions()
        self.version_id = version_id
        self.count = 0
        self.tag = secrets.token_hex(4)

    def person(self, name: str | None = None) -> tuple[int, int]:
        from lernmodul.db.models import Enrolment, User

        self.count += 1
        user = User(name=name or f"Person {self.count}", email=f"p{self.count}-{self.tag}@example.org")
        self.session.add(user)
        self.session.flush()
        enrolment = Enrolment(user_id=user.id, course_id="beispielkurs", assigned_at=WHEN,
                              course_version_id=self.version_id, started_at=WHEN)
        self.session.add(enrolment)
        self.session.flush()
        return user.id, enrolment.id

    def attempt(self, who: tuple[int, int], scores: dict[str, tuple[float, float]],
                responses: dict[str, Any] | None = None, *, kind: str = "exam",
                unit_key: str = "", graded: bool = True, minutes: int = 0,
                version_id: int | None = None) -> None:
        from lernmodul.db.learning import Attempt, AttemptResult

        at = WHEN + timedelta(minutes=minutes)
        row = Attempt(user_id=who[0], enrolment_id=who[1],
                      course_version_id=version_id or self.version_id, kind=kind,
                      unit_key=unit_key, seed=1, questions=[[q, []] for q in scores],
                      responses=responses or {}, revision=1,
                      state="submitted" if graded else "in_progress", started_at=at,
                      submitted_at=at if graded else None)
        self.session.add(row)
        self.session.flush()
        if graded:
            points = sum(p for p, _ in scores.values())
            maximum = sum(m for _, m in scores.values())
            self.session.add(AttemptResult(
                attempt_id=row.id, points=points, max_points=maximum, is_passed=False,
                graded_at=at, scores={q: {"points": p, "max": m, "marks": {}}
                                      for q, (p, m) in scores.items()}))
            self.session.flush()

    def commit(self) -> None:
        self.session.commit()
        self.session.close()


# Hand-computed exam: ex-abschluss (2 points) and gl-leakage (1 point, options a right, b, c)
EXAM_ROWS = [  # (ex-abschluss points, gl-leakage points, gl-leakage choice)
    (2, 1, "a"), (2, 0, "b"), (0, 0, "b"), (2, 1, "a"), (0, 1, "a"), (2, 1, "a"),
]


@pytest.fixture
def graded(app: Any, import_course: Any) -> dict[str, Any]:
    version_id = import_course(SAMPLE).version_id
    store = Stored(app, version_id)
    people = [store.person(name=f"Zoe Zeugin {n}") for n in range(len(EXAM_ROWS))]
    for who, (exam, leak, chosen) in zip(people, EXAM_ROWS, strict=True):
        store.attempt(who, {"ex-abschluss": (exam, 2), "gl-leakage": (leak, 1)},
                      {"gl-leakage": pick("gl-leakage", chosen),
                       "ex-abschluss": pick("ex-abschluss", "a" if exam else "b")})
        # later attempts of the same people do not count
        store.attempt(who, {"ex-abschluss": (2, 2), "gl-leakage": (1, 1)},
                      {"gl-leakage": pick("gl-leakage", "a")}, minutes=30)
    store.attempt(people[0], {"gl-leakage": (0, 1)}, graded=False, minutes=60)  # open: ignored
    # unit quiz "grundlagen": 5 people, gl-meldung (truefalse) and gl-schritte (order)
    for n, who in enumerate(people[:5]):
        store.attempt(who, {"gl-meldung": (1 if n < 4 else 0, 1), "gl-schritte": (n % 2, 1)},
                      {"gl-meldung": pick("gl-meldung", "a" if n < 4 else "b"),
                       "gl-schritte": pick("gl-schritte", "a", "b", "c")},
                      kind="quiz", unit_key="grundlagen", minutes=-10)
    store.commit()
    return {"version_id": version_id}


def test_service_uses_each_persons_first_graded_attempt(app: Any, graded: dict[str, Any]) -> None:
    from lernmodul.services import item_stats
    from lernmodul.services.courses import compile_version
    from lernmodul.web.database import get_database

    session = get_database(app).sessions()
    try:
        from lernmodul.db.models import CourseVersion

        version = session.get(CourseVersion, graded["version_id"])
        course = compile_version(version, "media/").course
        figures = item_stats.version_statistics(session, version.id, course)
    finally:
        session.close()
    assert figures.exam is not None and figures.exam.people == 6
    by_id = {s.question.id: s for s in figures.exam.items}
    exam = by_id["ex-abschluss"]
    assert exam.people == 6 and exam.difficulty == pytest.approx(4 / 6)
    # item (shares) 1,1,0,1,0,1 against the rest (gl-leakage) 1,0,0,1,1,1
    assert exam.discrimination == pytest.approx(pearson([1, 1, 0, 1, 0, 1], [1, 0, 0, 1, 1, 1]))
    leak = by_id["gl-leakage"]
    assert leak.difficulty == pytest.approx(4 / 6)
    # A 4 and B 2 are below k; A's count follows from p anyway, so B alone would follow by
    # subtraction: C's 0 (the smallest other wrong count) is hidden too
    assert [(o.option_id, o.count) for o in leak.options] == [
        (pick("gl-leakage", "a"), None), (pick("gl-leakage", "b"), None),
        (pick("gl-leakage", "c"), None), ("", 0)]
    assert by_id["gl-meldung"].is_withheld and by_id["gl-meldung"].people == 0
    quizzes = {q.unit_id: q for q in figures.quizzes}
    assert set(quizzes) == {"grundlagen", "praxis"}
    grundlagen = {s.question.id: s for s in quizzes["grundlagen"].items}
    assert quizzes["grundlagen"].people == 5
    assert grundlagen["gl-meldung"].difficulty == pytest.approx(0.8)
    assert [(o.option_id, o.count) for o in grundlagen["gl-meldung"].options] == [
        # 4 and 1 are below k; 0 hidden to protect them
        (pick("gl-meldung", "a"), None), (pick("gl-meldung", "b"), None), ("", None)]
    assert grundlagen["gl-schritte"].options == ()
    assert "gl-begriff" not in grundlagen  # inline: not part of the quiz
    assert quizzes["praxis"].people == 0


def test_attempts_of_other_versions_do_not_count(app: Any, graded: dict[str, Any],
                                                 tmp_path: Path) -> None:
    import shutil

    from lernmodul.services import item_stats
    from lernmodul.services.courses import import_course_folder
    from lernmodul.web.database import get_database

    folder = tmp_path / "v2"
    shutil.copytree(SAMPLE, folder)
    course_md = folder / "course.md"
    course_md.write_text(course_md.read_text().replace('"2026.1"', '"2026.2"'))
    session = get_database(app).sessions()
    other = import_course_folder(session, folder).version_id
    session.commit()
    session.close()
    store = Stored(app, other)
    for _ in range(5):
        store.attempt(store.person(), {"gl-leakage": (1, 1)}, {"gl-leakage": pick("gl-leakage", "a")})
    store.commit()
    session = get_database(app).sessions()
    try:
        first = item_stats.first_graded_attempts(session, graded["version_id"], "exam")
        second = item_stats.first_graded_attempts(session, other, "exam")
    finally:
        session.close()
    assert len(first[""]) == 6 and len(second[""]) == 5


# --- the page ------------------------------------------------------------------------------


@pytest.fixture
def trainer_client(app: Any, make_user: Any, login: Any) -> Any:
    make_user(("trainer",), email=TRAINER_EMAIL, name="Tina Trainerin")
    client = app.test_client()
    assert login(client, TRAINER_EMAIL).status_code == 302
    return client


def test_page_shows_figures_but_nothing_about_persons(trainer_client: Any,
                                                       graded: dict[str, Any]) -> None:
    response = trainer_client.get(f"/trainer/versions/{graded['version_id']}/statistics")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Zoe Zeugin" not in html and "@example.org" not in html.replace(TRAINER_EMAIL, "")
    assert "2031" not in html and "04.03." not in html  # no attempt dates
    assert "ex-abschluss" in html and "0,67" in html  # p = 4/6 in German notation
    assert "Abschlussprüfung" in html and "Grundlagen" in html
    assert "weniger als 5 Antworten" in html  # gl-meldung in the exam: nobody drew it
    assert "verborgen" in html  # hidden option counts
    assert "erster bewerteter Versuch" in html  # the page says which attempt counts


def test_page_sorts_by_get_parameters(trainer_client: Any, graded: dict[str, Any]) -> None:
    url = f"/trainer/versions/{graded['version_id']}/statistics"
    html = trainer_client.get(url + "?sort=discrimination&dir=desc").get_data(as_text=True)
    exam_table = html.split("<table", 2)[1]
    ids = re.findall(r'class="question-id">([a-z0-9-]+)<', exam_table)
    assert ids[:2] == ["gl-leakage", "ex-abschluss"] or ids[:2] == ["ex-abschluss", "gl-leakage"]
    assert 'aria-sort="descending"' in exam_table
    # withheld rows come last, whatever the direction
    assert ids[-1] not in ("ex-abschluss", "gl-leakage")
    ascending = trainer_client.get(url + "?sort=order&dir=desc").get_data(as_text=True)
    ordered = re.findall(r'class="question-id">([a-z0-9-]+)<', ascending.split("<table", 2)[1])
    assert ordered[0] == "ex-abschluss" and ordered[-1] == "gl-leakage"


@pytest.mark.parametrize("query", ["sort=name", "dir=up", "sort=%3Cscript%3E"])
def test_page_refuses_unknown_sort_keys(trainer_client: Any, graded: dict[str, Any],
                                        query: str) -> None:
    response = trainer_client.get(f"/trainer/versions/{graded['version_id']}/statistics?{query}")
    assert response.status_code == 400
    assert "<script>" not in response.get_data(as_text=True)


def test_page_of_unknown_version_is_404(trainer_client: Any) -> None:
    assert trainer_client.get("/trainer/versions/424242/statistics").status_code == 404


def test_page_with_fewer_than_k_people(trainer_client: Any, app: Any, import_course: Any) -> None:
    version_id = import_course(SAMPLE).version_id
    store = Stored(app, version_id)
    for _ in range(4):
        store.attempt(store.person(), {"ex-abschluss": (2, 2), "gl-leakage": (1, 1)},
                      {"gl-leakage": pick("gl-leakage", "a")})
    store.commit()
    html = trainer_client.get(f"/trainer/versions/{version_id}/statistics").get_data(as_text=True)
    assert "Weniger als 5 Personen" in html
    assert "question-id" not in html  # no table at all


def test_learners_and_hr_cannot_open_the_page(app: Any, make_user: Any, login: Any,
                                              graded: dict[str, Any]) -> None:
    make_user(("learner",), email="lea@example.org")
    client = app.test_client()
    login(client, "lea@example.org")
    assert client.get(f"/trainer/versions/{graded['version_id']}/statistics").status_code == 403


def test_stored_json_of_odd_shape_is_skipped_not_fatal() -> None:
    from lernmodul.services.item_stats import graded_attempt

    found = graded_attempt({"q": ["a", 3], "r": "", "s": 5, "u": "b"},
                           {"q": {"points": 1, "max": 2}, "r": "bad", "t": {"points": None},
                            "u": {"points": 0.5, "max": 1.0, "marks": {}}}, (1.5, 3.0))
    assert found.scores == {"q": (1.0, 2.0), "u": (0.5, 1.0)}
    assert found.choices == {"q": frozenset({"a"}), "u": frozenset({"b"})}
    assert found.totals() == (1.5, 3.0)
    assert GradedAttempt({"a": (1, 2), "b": (0.5, 1)}, {}).totals() == (1.5, 3)
