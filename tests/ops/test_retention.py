"""Privacy 8: attempts and answers are deleted after RETENTION_DAYS, with the outbox's finished
deliveries; completions, unit progress and certificates stay; a second run deletes nothing."""

from __future__ import annotations

from datetime import timedelta

from click.testing import CliRunner
from freezegun import freeze_time
from sqlalchemy import func, select

from lernmodul.cli import main
from lernmodul.db.certificates import Certificate
from lernmodul.db.learning import Attempt, AttemptResult, UnitProgress
from lernmodul.db.models import AuditLog, Enrolment
from lernmodul.services import maintenance

from .conftest import NOW

OLD = NOW - timedelta(days=400)
RECENT = NOW - timedelta(days=30)


def count(session, model) -> int:
    session.rollback()
    return session.scalar(select(func.count()).select_from(model))


def arrange(learning_data):
    """Two learners: one completed a year and more ago (with a certificate), one active now."""
    veteran = learning_data.learner(OLD)
    old_attempts = [learning_data.quiz(veteran, OLD), learning_data.quiz(veteran, OLD, 1)]
    learning_data.complete_with_certificate(veteran, OLD)
    recent_of_veteran = learning_data.quiz(veteran, RECENT)  # practising again
    active = learning_data.learner(RECENT)
    recent = [learning_data.quiz(active, RECENT), recent_of_veteran]
    return veteran, old_attempts, recent


def test_retention_deletes_old_attempts_and_keeps_proof(app, learning_data, db_session):
    _veteran, old_attempts, recent = arrange(learning_data)
    completions_before = db_session.scalars(select(Enrolment.completed_at)).all()
    progress_before = db_session.execute(select(UnitProgress.unit_id, UnitProgress.read_at,
                                                UnitProgress.quiz_passed_at)).all()
    certificates_before = count(db_session, Certificate)
    assert certificates_before == 1

    with learning_data.sessions() as session:
        report = maintenance.delete_expired_attempts(session, now=NOW, days=365)
        session.commit()
    assert (report.attempts, report.results) == (2, 2)
    assert report.cutoff == NOW - timedelta(days=365)
    db_session.rollback()
    remaining = set(db_session.scalars(select(Attempt.id)))
    assert remaining == set(recent)
    assert set(db_session.scalars(select(AttemptResult.attempt_id))) == set(recent)
    assert not remaining & set(old_attempts)
    # the proof stays
    assert sorted(db_session.scalars(select(Enrolment.completed_at)).all(), key=str) == \
        sorted(completions_before, key=str)
    assert db_session.execute(select(UnitProgress.unit_id, UnitProgress.read_at,
                                     UnitProgress.quiz_passed_at)).all() == progress_before
    assert count(db_session, Certificate) == certificates_before
    audit = db_session.scalars(select(AuditLog).where(
        AuditLog.action == maintenance.RETENTION_ACTION)).one()
    assert audit.detail["attempts"] == 2

    with learning_data.sessions() as session:
        again = maintenance.delete_expired_attempts(session, now=NOW, days=365)
        session.commit()
    assert (again.attempts, again.results) == (0, 0)
    assert count(db_session, Attempt) == 2
    db_session.rollback()
    assert len(db_session.scalars(select(AuditLog).where(
        AuditLog.action == maintenance.RETENTION_ACTION)).all()) == 1  # an empty run adds none


def test_an_attempt_counts_from_when_it_ended(app, learning_data, db_session):
    learner = learning_data.learner(OLD)
    kept = learning_data.quiz(learner, NOW - timedelta(days=364))
    gone = learning_data.quiz(learner, NOW - timedelta(days=366), 1)
    with learning_data.sessions() as session:
        report = maintenance.delete_expired_attempts(session, now=NOW, days=365)
        session.commit()
    assert report.attempts == 1
    db_session.rollback()
    assert set(db_session.scalars(select(Attempt.id))) == {kept}
    assert gone not in set(db_session.scalars(select(Attempt.id)))


def test_cli_dry_run_changes_nothing_then_the_run_deletes(
        app, learning_data, db_session, database_url, tmp_path, monkeypatch):
    arrange(learning_data)
    monkeypatch.setenv("LERNMODUL_DATABASE_URL", database_url)
    monkeypatch.setenv("LERNMODUL_INSTANCE_PATH", str(tmp_path / "cli"))
    monkeypatch.setenv("LERNMODUL_SECRET_KEY", "cli-test-secret")
    runner = CliRunner()
    with freeze_time(NOW):
        dry = runner.invoke(main, ["retention", "run", "--dry-run"])
        assert dry.exit_code == 0, dry.output
        assert "would delete 2 attempt(s) and 2 result(s)" in dry.output
        assert count(db_session, Attempt) == 4
        real = runner.invoke(main, ["retention", "run"])
        assert real.exit_code == 0, real.output
        assert "deleted 2 attempt(s) and 2 result(s)" in real.output
        assert "0 finished delivery(ies)" in real.output
        assert count(db_session, Attempt) == 2
        assert "deleted 0 attempt(s)" in runner.invoke(main, ["retention", "run"]).output
        # a shorter period from the environment, and a longer one on the command line
        monkeypatch.setenv("LERNMODUL_RETENTION_DAYS", "7")
        short = runner.invoke(main, ["retention", "run", "--dry-run"])
        assert "would delete 2 attempt(s)" in short.output and "(7 days)" in short.output
        longer = runner.invoke(main, ["retention", "run", "--days", "3650"])
        assert "deleted 0 attempt(s)" in longer.output


def test_cli_rejects_a_bad_period_without_a_traceback(app, database_url, tmp_path, monkeypatch):
    monkeypatch.setenv("LERNMODUL_DATABASE_URL", database_url)
    monkeypatch.setenv("LERNMODUL_INSTANCE_PATH", str(tmp_path / "cli"))
    monkeypatch.setenv("LERNMODUL_SECRET_KEY", "cli-test-secret")
    runner = CliRunner()
    zero = runner.invoke(main, ["retention", "run", "--days", "0"])
    assert zero.exit_code == 2 and "--days" in zero.output
    monkeypatch.setenv("LERNMODUL_RETENTION_DAYS", "0")
    bad = runner.invoke(main, ["retention", "run"])
    assert bad.exit_code == 1
    assert "RETENTION_DAYS must be a whole number of at least 1" in bad.output
    assert "Traceback" not in bad.output


def _delivery(session, key: str, at, status: str):
    from lernmodul.db.outbox import DELIVERED, Delivery
    from lernmodul.outbox import enqueue

    assert enqueue(session, kind="xapi", key=key, payload={"result": {"score": {"raw": 7}}}, now=at)
    row = session.scalars(select(Delivery).where(Delivery.key == key)).one()
    row.status = status
    row.delivered_at = at if status == DELIVERED else None
    return row


def test_retention_deletes_finished_deliveries_and_keeps_pending_ones(app, learning_data, db_session):
    """The outbox's payloads carry scores: delivered and given-up rows from before the cutoff
    go with the attempts; a pending row stays whatever its age; a second run deletes nothing."""
    from lernmodul.db.outbox import DELIVERED, FAILED, PENDING, Delivery

    with learning_data.sessions() as session:
        _delivery(session, "old-delivered", OLD, DELIVERED)
        _delivery(session, "old-given-up", OLD, FAILED)
        _delivery(session, "old-pending", OLD, PENDING)
        _delivery(session, "recent-delivered", RECENT, DELIVERED)
        session.commit()
    with learning_data.sessions() as session:
        dry = maintenance.delete_expired_attempts(session, now=NOW, days=365, dry_run=True)
        session.commit()
    assert dry.deliveries == 2 and count(db_session, Delivery) == 4
    with learning_data.sessions() as session:
        report = maintenance.delete_expired_attempts(session, now=NOW, days=365)
        session.commit()
    assert (report.attempts, report.deliveries) == (0, 2)
    db_session.rollback()
    assert set(db_session.scalars(select(Delivery.key))) == {"old-pending", "recent-delivered"}
    audit = db_session.scalars(select(AuditLog).where(
        AuditLog.action == maintenance.RETENTION_ACTION)).one()
    assert (audit.detail["attempts"], audit.detail["deliveries"]) == (0, 2)
    with learning_data.sessions() as session:
        again = maintenance.delete_expired_attempts(session, now=NOW, days=365)
        session.commit()
    assert again.deliveries == 0 and count(db_session, Delivery) == 2
