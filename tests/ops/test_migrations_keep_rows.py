"""L3: upgrade -> downgrade -> upgrade over every revision, one step at a time, on a database
seeded through the services at head; no row is lost in a table that exists at both ends of
a step (row counts and a hash of each row's key columns). SQLite runs the batch operations
with foreign keys off and checks them afterwards (env.py); PostgreSQL as is."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from itertools import pairwise
from typing import Any

from click.testing import CliRunner
from sqlalchemy import Engine, column, inspect, select, table

from lernmodul.cli import main
from lernmodul.db import migrate
from lernmodul.db.engine import make_engine
from lernmodul.db.models import User
from lernmodul.ops.schema import revisions_in_order

from .conftest import NOW, Learning

Snapshot = dict[str, dict[str, Any]]


def key_columns(engine: Engine, name: str) -> list[str]:
    """Primary key, foreign key and unique columns: what identifies a row and ties it to others."""
    inspector = inspect(engine)
    keys = list(inspector.get_pk_constraint(name)["constrained_columns"])
    for fk in inspector.get_foreign_keys(name):
        keys += fk["constrained_columns"]
    for unique in inspector.get_unique_constraints(name):
        keys += unique["column_names"]
    for index in inspector.get_indexes(name):
        if index.get("unique"):
            keys += [c for c in index["column_names"] if c]
    return sorted(set(keys))


def snapshot(engine: Engine) -> Snapshot:
    state: Snapshot = {}
    for name in inspect(engine).get_table_names():
        if name == "alembic_version":
            continue
        columns = key_columns(engine, name)
        query = select(*table(name, *[column(c) for c in columns]).c)
        with engine.connect() as connection:
            rows = [dict(zip(columns, row, strict=True)) for row in connection.execute(query)]
        state[name] = {"columns": columns, "rows": rows}
    return state


def digest(rows: list[dict[str, Any]], columns: list[str]) -> tuple[int, str]:
    lines = sorted(repr(tuple(str(row[c]) for c in columns)) for row in rows)
    return len(lines), hashlib.sha256("\n".join(lines).encode()).hexdigest()


def assert_no_row_lost(before: Snapshot, after: Snapshot, step: str,
                       within: Snapshot | None = None) -> None:
    """Equal rows in every table of both snapshots, on the key columns of both (and of
    `within`: a round trip compares what exists at the lower end too)."""
    common = set(before) & set(after) & set(within if within is not None else after)
    assert common, step
    for name in sorted(common):
        columns = set(before[name]["columns"]) & set(after[name]["columns"])
        if within is not None:
            columns &= set(within[name]["columns"])
        columns = sorted(columns)
        assert digest(before[name]["rows"], columns) == digest(after[name]["rows"], columns), \
            f"{step}: rows of {name} changed"


def seed(make_app: Any, url: str) -> dict[str, int]:
    app = make_app(DATABASE_URL=url)
    data = Learning(app)
    learners = [data.learner(NOW) for _ in range(3)]
    for user_id in learners:
        data.quiz(user_id, NOW)
        data.quiz(user_id, NOW, 1)
    data.complete_with_certificate(learners[0], NOW)
    from lernmodul.services.password_reset import ResetLimits, request_reset
    from lernmodul.web.database import get_database

    with get_database(app).sessions() as session:
        user = session.get(User, learners[1])
        assert user is not None
        request_reset(session, email=user.email, ip="192.0.2.1", now=NOW,
                      lifetime=timedelta(minutes=60), limits=ResetLimits(), allow_demo=False)
        session.commit()
    engine = get_database(app).engine
    counts = {name: len(value["rows"]) for name, value in snapshot(engine).items()}
    engine.dispose()
    return counts


def test_every_revision_downgrades_and_upgrades_without_losing_rows(make_app, new_database):
    url = new_database()
    engine = make_engine(url)
    migrate.upgrade(engine)
    counts = seed(make_app, url)
    for name in ("users", "course_versions", "enrolments", "unit_progress", "attempts",
                 "attempt_results", "certificates", "audit_log", "user_roles",
                 "password_reset_tokens", "login_throttles"):
        assert counts[name] > 0, f"seed left {name} empty"
    revisions = revisions_in_order()
    assert len(revisions) >= 4
    snapshots = {revisions[-1]: snapshot(engine)}

    # down one step at a time; at each level, go up again and back down (a round trip)
    for upper, lower in pairwise(revisions[::-1]):
        migrate.downgrade(engine, lower)
        snapshots[lower] = snapshot(engine)
        assert_no_row_lost(snapshots[upper], snapshots[lower], f"downgrade {upper} -> {lower}")
        migrate.upgrade(engine, upper)
        assert migrate.current_revision(engine) == upper
        up_again = snapshot(engine)
        # tables at both ends of the step keep every row; a table the step creates is new
        assert_no_row_lost(snapshots[upper], up_again, f"round trip {lower} -> {upper}",
                           within=snapshots[lower])
        assert set(up_again) == set(snapshots[upper])
        migrate.downgrade(engine, lower)

    # from the first revision back up to head, step by step
    below = snapshot(engine)
    for lower, upper in pairwise(revisions):
        migrate.upgrade(engine, upper)
        above = snapshot(engine)
        assert_no_row_lost(below, above, f"upgrade {lower} -> {upper}")
        below = above
    final = below
    assert set(final) == set(snapshots[revisions[-1]])
    # tables of the first revision kept every row through the whole cycle
    assert_no_row_lost(snapshots[revisions[0]], final, "full cycle")
    assert_no_row_lost(snapshots[revisions[-1]], final, "head vs head",
                       within=snapshots[revisions[0]])
    assert all(snapshots[revisions[0]][name]["rows"] for name in ("users", "enrolments"))
    if engine.dialect.name == "sqlite":
        with engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA foreign_key_check").all() == []
            assert connection.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
    engine.dispose()


def test_db_check_finds_no_drift_and_reports_drift_with_exit_1(new_database, monkeypatch, tmp_path):
    monkeypatch.setenv("LERNMODUL_INSTANCE_PATH", str(tmp_path / "cli"))
    monkeypatch.setenv("LERNMODUL_SECRET_KEY", "cli-test-secret")
    runner = CliRunner()
    clean = runner.invoke(main, ["db", "check"])
    assert clean.exit_code == 0, clean.output
    assert "models and migrations agree" in clean.output

    url = new_database()
    engine = make_engine(url)
    migrate.upgrade(engine)
    assert runner.invoke(main, ["db", "check", "--url", url]).exit_code == 0
    with engine.begin() as connection:  # a schema change made outside the migrations
        connection.exec_driver_sql("CREATE TABLE stray_table (id INTEGER PRIMARY KEY)")
    drift = runner.invoke(main, ["db", "check", "--url", url])
    assert drift.exit_code == 1
    assert "stray_table" in drift.output
    assert "Traceback" not in drift.output

    migrate.downgrade(engine, "-1")
    behind = runner.invoke(main, ["db", "check", "--url", url])
    assert behind.exit_code == 1
    assert "not up to date" in behind.output.lower() and "Traceback" not in behind.output
    engine.dispose()
