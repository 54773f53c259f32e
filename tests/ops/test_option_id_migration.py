"""Migration 0009: attempts stored with the old option ids (a, b, c by place in the source)
stay gradable after the upgrade, mean the same options, and their review pages do not change
through a downgrade and upgrade again. SQLite and PostgreSQL."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lernmodul.core.grading import grade, grade_attempt
from lernmodul.db import migrate
from lernmodul.db.engine import make_engine

from .conftest import NOW, Learning

# question id -> (response with the old ids, display order with the old ids, points)
RIGHT = {
    "gl-leakage": ("a", ["c", "a", "b"], 1),
    "gl-warnsignale": (["a", "b"], ["d", "b", "a", "c"], 1),
    "gl-meldung": ("a", ["a", "b"], 1),
    "gl-schritte": (["a", "b", "c"], ["b", "c", "a"], 1),
    "pr-zuordnung": ({"a": "a", "b": "b", "c": "c"}, ["c", "a", "b"], 2),
    "pr-stufen": ("4", [], 1),
    "ex-abschluss": ("a", ["b", "a"], 2),
}
WRONG = {"gl-leakage": "b", "gl-schritte": ["b", "a", "c"]}
# the texts those old orders name (a is the first option of the source …)
SHOWN = {"gl-leakage": ["Energieschub", "Leakage", "Fixierung"],
         "gl-schritte": ["Einschätzen", "Entschärfen", "Erkennen"],
         "pr-zuordnung": ["Energieschub", "Leakage", "Fixierung"]}
CSRF = re.compile(r'(name="csrf_token"[^>]*value=")[^"]+"')


def legacy_rows(session: Session, learner: int, version_id: int) -> tuple[int, int]:
    """An exam attempt graded by the old code and an open quiz attempt, with old ids."""
    from lernmodul.db.learning import Attempt, AttemptResult
    from lernmodul.db.models import Enrolment

    enrolment = session.scalars(select(Enrolment).where(Enrolment.user_id == learner)).one()
    common = {"user_id": learner, "enrolment_id": enrolment.id, "course_version_id": version_id,
              "seed": 1, "revision": 1, "started_at": NOW}
    graded = Attempt(**common, kind="exam", unit_key="", state="submitted", submitted_at=NOW,
                     questions=[[q, order] for q, (_r, order, _p) in RIGHT.items()],
                     responses={q: r for q, (r, _o, _p) in RIGHT.items()})
    open_quiz = Attempt(**common, kind="quiz", unit_key="grundlagen", state="in_progress",
                        questions=[[q, RIGHT[q][1]] for q in ("gl-leakage", "gl-schritte")],
                        responses=dict(WRONG))
    session.add_all([graded, open_quiz])
    session.flush()
    session.add(AttemptResult(
        attempt_id=graded.id, points=9, max_points=9, is_passed=True, graded_at=NOW,
        scores={"gl-leakage": {"points": 1, "max": 1, "marks": {"a": True}},
                "gl-schritte": {"points": 1, "max": 1,
                                "marks": {"a": True, "b": True, "c": True}}}))
    session.commit()
    return graded.id, open_quiz.id


def review(client: Any, attempt_id: int) -> str:
    page = client.get(f"/attempts/{attempt_id}/result")
    assert page.status_code == 200
    return CSRF.sub(r'\1"', page.get_data(as_text=True))


def stored(session: Session, *ids: int) -> list[Any]:
    from lernmodul.db.learning import Attempt, AttemptResult

    session.expire_all()
    rows = [(a.questions, a.responses) for a in
            session.scalars(select(Attempt).where(Attempt.id.in_(ids)).order_by(Attempt.id))]
    return rows + [r.scores for r in session.scalars(select(AttemptResult))]


def test_attempts_with_old_option_ids_keep_their_meaning(make_app, new_database, login):
    from lernmodul.db.learning import Attempt, AttemptResult
    from lernmodul.db.models import User
    from lernmodul.services import learning

    url = new_database()
    engine = make_engine(url)
    migrate.upgrade(engine)
    app = make_app(DATABASE_URL=url)
    data = Learning(app)
    learner = data.learner(NOW)
    migrate.downgrade(engine, "0008")
    with Session(engine) as session:
        graded_id, open_id = legacy_rows(session, learner, data.version_id)
        legacy = stored(session, graded_id, open_id)
    migrate.upgrade(engine)

    with data.sessions() as session:
        _version, course = data.course(session)
        questions = course.questions()
        graded = session.get(Attempt, graded_id)
        for qid, order in graded.questions:
            assert sorted(order) == sorted(o.id for o in questions[qid].options)
            if qid in SHOWN:  # the same options in the same display order as before
                by_id = {o.id: o.text for o in questions[qid].options}
                assert [by_id[o] for o in order] == SHOWN[qid]
        answers = learning.stored_responses(graded, questions)
        for qid, (_response, _order, points) in RIGHT.items():
            assert grade(questions[qid], answers[qid]).points == points, qid
        result = session.scalars(select(AttemptResult)).one()
        leakage = questions["gl-leakage"].options
        assert result.scores["gl-leakage"]["marks"] == {leakage[0].id: True}
        drawn = learning.drawn_questions(graded)
        assert grade_attempt(questions, drawn, answers, 0.8).points == 9
        # the open attempt is graded with its old answers: both wrong
        attempt = session.get(Attempt, open_id)
        outcome = learning.submit_attempt(session, attempt, course, {}, attempt.revision, NOW)
        session.commit()
        assert outcome.state == "submitted"
        open_result = session.scalars(select(AttemptResult).where(
            AttemptResult.attempt_id == open_id)).one()
        assert open_result.points == 0 and open_result.max_points == 2
        email = session.get(User, learner).email

    client = app.test_client()
    assert login(client, email).status_code == 302
    before = review(client, graded_id), review(client, open_id)
    assert "Leakage" in before[0]
    with data.sessions() as session:
        upgraded = stored(session, graded_id, open_id)
    migrate.downgrade(engine, "0008")
    with data.sessions() as session:
        assert stored(session, graded_id)[:1] == legacy[:1]  # the old ids again
    migrate.upgrade(engine)
    with data.sessions() as session:
        assert stored(session, graded_id, open_id) == upgraded
    assert (review(client, graded_id), review(client, open_id)) == before
    engine.dispose()
