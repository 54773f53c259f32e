"""Migration 0010: a completion whose current certificate was revoked before the revision is
undone (the course is to be retaken, as a revocation does now); other completions and the
HR summary agree with the enrolments. SQLite and PostgreSQL."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlalchemy import inspect, select, update
from sqlalchemy.orm import Session

from lernmodul.db import migrate
from lernmodul.db.engine import make_engine

from .conftest import NOW, Learning


def test_completions_of_revoked_certificates_are_undone(make_app, new_database):
    from lernmodul.db.certificates import Certificate
    from lernmodul.db.learning import UnitProgress
    from lernmodul.db.models import Enrolment
    from lernmodul.services import hr

    url = new_database()
    engine = make_engine(url)
    migrate.upgrade(engine)
    data = Learning(make_app(DATABASE_URL=url))
    revoked_learner, kept_learner = data.learner(NOW), data.learner(NOW)
    revoked_id = data.complete_with_certificate(revoked_learner, NOW)
    data.complete_with_certificate(kept_learner, NOW)
    migrate.downgrade(engine, "0012")
    with Session(engine) as session:  # revoked the old way: the completion stayed
        session.execute(update(Certificate).where(Certificate.id == revoked_id)
                        .values(revoked_at=NOW, revoked_reason="Fehler"))
        session.execute(update(Enrolment).values(is_mandatory=True))
        session.commit()
    migrate.upgrade(engine)
    assert "ix_certificates_revoked_current" in {
        i["name"] for i in inspect(engine).get_indexes("certificates")}
    with Session(engine) as session:
        by_user = {e.user_id: e for e in session.scalars(select(Enrolment))}
        reopened, kept = by_user[revoked_learner], by_user[kept_learner]
        assert (reopened.completed_at, reopened.exam_passed_at, reopened.course_version_id) == \
            (None, None, None)
        assert kept.completed_at is not None and kept.course_version_id is not None
        assert session.scalars(select(UnitProgress.enrolment_id).distinct()).all() == [kept.id]
        rows = hr.rows_of_person(session, revoked_learner,
                                 hr.Clock(now=NOW, timezone=ZoneInfo("Europe/Berlin")))
        assert [r.status for r in rows] == [hr.REVOKED]
    migrate.downgrade(engine, "0012")
    assert "ix_certificates_revoked_current" not in {
        i["name"] for i in inspect(engine).get_indexes("certificates")}
    migrate.upgrade(engine)
