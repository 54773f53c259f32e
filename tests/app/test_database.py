"""The database layer: SQLite pragmas and BEGIN IMMEDIATE, migrations, UTC timestamps (L1, L3)."""

from __future__ import annotations

import os
import threading
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import event, func, inspect, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from lernmodul.db import migrate
from lernmodul.db.engine import (
    make_engine,
    make_session_factory,
    phased_engine,
    read_only_engine,
)
from lernmodul.db.models import AuditLog, Base, OrgUnit, User, UserRole


def test_sqlite_connections_use_wal_busy_timeout_and_foreign_keys(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'x.sqlite'}")
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000
    engine.dispose()


def _read_then_write_concurrently(engine_for_writes, url: str,
                                  waits: list[bool] | None = None) -> list[BaseException]:
    """Two transactions that both read, wait for each other, then write. `waits` gets
    whether each one met the other after reading."""
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []
    waits = [] if waits is None else waits

    def worker(n: int) -> None:
        try:
            with Session(engine_for_writes) as session, session.begin():
                session.scalar(select(func.count(OrgUnit.id)))
                # Under BEGIN IMMEDIATE the other one waits for us: the barrier breaks.
                try:
                    barrier.wait(timeout=1)
                    waits.append(True)
                except threading.BrokenBarrierError:
                    waits.append(False)
                session.add(OrgUnit(name=f"unit {n}"))
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


def test_sqlite_write_transactions_begin_immediate_so_read_then_write_does_not_fail(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'w.sqlite'}"
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    assert _read_then_write_concurrently(engine, url) == []
    with Session(engine) as session:
        assert session.scalar(select(func.count(OrgUnit.id))) == 2
    # The same pattern with deferred transactions fails at once ("database is locked"):
    # this is why writes begin IMMEDIATE.
    errors = _read_then_write_concurrently(read_only_engine(engine), url)
    assert any(isinstance(e, OperationalError) and "locked" in str(e) for e in errors)
    engine.dispose()


def test_sqlite_phased_transactions_read_together_and_write_one_after_the_other(
    tmp_path: Path,
) -> None:
    """A write request's transaction: both read at once (the barrier holds: no lock yet),
    then each takes the write lock at its write (BEGIN IMMEDIATE waits), and none fails."""
    engine = make_engine(f"sqlite:///{tmp_path / 'p.sqlite'}")
    Base.metadata.create_all(engine)
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute",
                 lambda _c, _cur, sql, *_a: statements.append(sql))
    waits: list[bool] = []
    assert _read_then_write_concurrently(phased_engine(engine), "", waits) == []
    assert waits == [True, True]
    assert statements.count("BEGIN DEFERRED") == 2 and statements.count("BEGIN IMMEDIATE") == 2
    with Session(engine) as session:
        assert session.scalar(select(func.count(OrgUnit.id))) == 2
    engine.dispose()


def test_sqlite_phased_transaction_takes_the_lock_for_a_locking_read(tmp_path: Path) -> None:
    """SQLite has no FOR UPDATE: a locking read begins the write transaction instead."""
    engine = make_engine(f"sqlite:///{tmp_path / 'f.sqlite'}")
    Base.metadata.create_all(engine)
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute",
                 lambda _c, _cur, sql, *_a: statements.append(sql.split()[0]))
    with Session(phased_engine(engine)) as session, session.begin():
        session.scalar(select(func.count(OrgUnit.id)))
        session.scalars(select(OrgUnit).with_for_update()).all()
    assert statements == ["BEGIN", "SELECT", "COMMIT", "BEGIN", "SELECT"]
    engine.dispose()


def test_migrations_create_the_models_schema_exactly(empty_database_url: str) -> None:
    engine = make_engine(empty_database_url)
    migrate.upgrade(engine)
    assert migrate.current_revision(engine) == migrate.head_revision()
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []
    engine.dispose()


def test_upgrade_downgrade_upgrade_round_trip(empty_database_url: str) -> None:
    engine = make_engine(empty_database_url)
    migrate.upgrade(engine)
    assert {"users", "user_roles", "org_units", "audit_log"} <= set(inspect(engine).get_table_names())
    migrate.downgrade(engine, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    migrate.upgrade(engine)
    with Session(engine) as session, session.begin():
        session.add(User(email="a@example.org", name="A"))
    with Session(engine) as session:
        assert session.scalar(select(func.count(User.id))) == 1
    engine.dispose()


BATCH_REVISION = """
from alembic import op
import sqlalchemy as sa

revision = "9999test"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users") as batch_op:
        batch_op.add_column(sa.Column("nickname", sa.String(50), nullable=True))


def downgrade():
    with op.batch_alter_table("users") as batch_op:
        batch_op.drop_column("nickname")
"""


def test_sqlite_batch_migration_keeps_cascading_child_rows(tmp_path: Path) -> None:
    """A batch rebuild of `users` with foreign keys on would delete every user_roles row."""
    engine = make_engine(f"sqlite:///{tmp_path / 'batch.sqlite'}")
    migrate.upgrade(engine)
    with Session(engine) as session, session.begin():
        for n in range(20):
            session.add(User(email=f"u{n}@example.org", name=f"U{n}", roles=[UserRole(role="learner")]))
    versions = tmp_path / "versions"
    versions.mkdir()
    (versions / "9999_test.py").write_text(BATCH_REVISION)
    config = migrate.make_config()
    shipped = Path(migrate.__file__).parent / "migrations" / "versions"
    config.set_main_option("version_locations", os.pathsep.join([str(shipped), str(versions)]))
    with engine.connect() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "9999test")
        command.downgrade(config, "0001")
    with engine.connect() as connection:
        assert connection.scalar(select(func.count(UserRole.id))) == 20
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    engine.dispose()


def test_timestamps_round_trip_as_aware_utc(app, db_session) -> None:
    berlin = timezone(timedelta(hours=2))
    entry = AuditLog(action="x", at=datetime(2025, 6, 1, 14, 0, tzinfo=berlin))
    db_session.add(entry)
    db_session.commit()
    db_session.expire_all()
    stored = db_session.get(AuditLog, entry.id)
    assert stored.at == datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
    assert stored.at.tzinfo is not None


def test_naive_datetimes_are_refused(app, db_session) -> None:
    db_session.add(AuditLog(action="x", at=datetime(2025, 6, 1, 12, 0)))
    with pytest.raises(Exception, match="naive"):
        db_session.flush()


def test_email_is_unique_and_foreign_keys_are_enforced(app, db_session) -> None:
    db_session.add(User(email="same@example.org", name="A"))
    db_session.commit()
    db_session.add(User(email="same@example.org", name="B"))
    with pytest.raises(IntegrityError):
        db_session.commit()
    db_session.rollback()
    db_session.add(UserRole(user_id=999_999, role="learner"))
    with pytest.raises(IntegrityError):
        db_session.commit()


def test_one_transaction_per_request_rolls_back_on_error(app, db_session, csrf_token) -> None:
    """A view that writes and then fails leaves nothing behind."""
    from flask import abort

    from lernmodul.web.access import public
    from lernmodul.web.database import get_session

    @public
    def write_then_fail():
        get_session().add(OrgUnit(name="half-done"))
        get_session().flush()
        abort(409)

    @public
    def write_ok():
        get_session().add(OrgUnit(name="done"))
        return "ok"

    app.add_url_rule("/test-write-fail", "write_then_fail", write_then_fail, methods=["POST"])
    app.add_url_rule("/test-write-ok", "write_ok", write_ok, methods=["POST"])
    client = app.test_client()
    token = {"csrf_token": csrf_token(client)}
    assert client.post("/test-write-fail", data=token).status_code == 409
    assert client.post("/test-write-ok", data=token).status_code == 200
    names = set(db_session.scalars(select(OrgUnit.name)))
    assert names == {"done"}


def test_a_read_request_cannot_write_through_its_session(app, db_session, caplog) -> None:
    """GET transactions begin DEFERRED on SQLite and could not become writes under
    concurrency: the request's read session refuses ORM writes and bulk statements alike."""
    from sqlalchemy import insert

    from lernmodul.web.access import public
    from lernmodul.web.database import ReadRequestWrite, get_session

    @public
    def orm_write():
        get_session().add(OrgUnit(name="via flush"))
        get_session().flush()
        return "written"

    @public
    def bulk_write():
        get_session().execute(insert(OrgUnit).values(name="via insert"))
        return "written"

    app.add_url_rule("/test-orm-write", "orm_write", orm_write, methods=["GET"])
    app.add_url_rule("/test-bulk-write", "bulk_write", bulk_write, methods=["GET"])
    client = app.test_client()
    for path in ("/test-orm-write", "/test-bulk-write"):
        caplog.clear()
        assert client.get(path).status_code == 500  # a programming error, never silent
        assert any(r.exc_info and r.exc_info[0] is ReadRequestWrite for r in caplog.records)
    assert list(db_session.scalars(select(OrgUnit.name))) == []


def test_session_factory_keeps_objects_readable_after_commit(app) -> None:
    from lernmodul.web.database import get_database

    factory = make_session_factory(get_database(app).engine)
    with factory() as session:
        unit = OrgUnit(name="x")
        session.add(unit)
        session.commit()
    assert unit.name == "x"


def test_health_checks_the_database(client) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json == {"status": "ok"}
