"""L2: `lernmodul backup` while the app writes, `lernmodul restore` into a fresh database,
row counts and integrity compared (SQLite backup API, pg_dump/pg_restore)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine
from tests.ops.conftest import scalar

from lernmodul.cli import main
from lernmodul.db import migrate
from lernmodul.ops import backup as backups

from .conftest import NOW


def counts(url: str) -> dict[str, int]:
    engine = create_engine(url)
    try:
        return backups.table_counts(engine)
    finally:
        engine.dispose()


def run_cli(monkeypatch, tmp_path: Path, url: str, *args: str):
    monkeypatch.setenv("LERNMODUL_DATABASE_URL", url)
    monkeypatch.setenv("LERNMODUL_INSTANCE_PATH", str(tmp_path / "cli-instance"))
    monkeypatch.setenv("LERNMODUL_SECRET_KEY", "cli-test-secret")
    return CliRunner().invoke(main, list(args))


@pytest.fixture
def backup_tools(backend):
    if backend.name == "postgresql":
        import shutil

        if shutil.which("pg_dump") is None:
            pytest.fail("pg_dump is needed for the PostgreSQL backup test")


def test_backup_under_concurrent_writes_restores_a_consistent_copy(
        backup_tools, app, database_url, learning_data, new_database, tmp_path, monkeypatch):
    learners = [learning_data.learner(NOW) for _ in range(8)]
    for user_id in learners:
        learning_data.quiz(user_id, NOW)
    certificate_holder = learners[0]
    learning_data.complete_with_certificate(certificate_holder, NOW)
    before = counts(database_url)

    stop = threading.Event()
    written: list[int] = []
    failures: list[BaseException] = []

    def writer(user_id: int) -> None:
        try:
            while not stop.is_set():
                written.append(learning_data.quiz(user_id, NOW, unit_index=1))
        except BaseException as error:
            failures.append(error)

    threads = [threading.Thread(target=writer, args=(u,)) for u in learners[1:4]]
    for t in threads:
        t.start()
    try:
        while len(written) < 6 and not failures:  # writes are under way
            threading.Event().wait(0.02)
        result = run_cli(monkeypatch, tmp_path, database_url, "backup", str(tmp_path / "live.bak"))
        during = len(written)
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert not failures, failures
    assert result.exit_code == 0, result.output
    assert "backup written to" in result.output
    assert len(written) > during or during > 6  # the writers ran before and while copying

    target = new_database()
    migrate.upgrade(create_engine(target))  # restoring into a migrated, empty database is allowed
    restored = run_cli(monkeypatch, tmp_path, target, "restore", str(tmp_path / "live.bak"))
    assert restored.exit_code == 0, restored.output
    assert "integrity check passed" in restored.output
    after = counts(database_url)
    copy = counts(target)
    assert set(copy) == set(after)
    for table, rows in copy.items():
        assert before[table] <= rows <= after[table], table
    # a snapshot: every submitted attempt has its result, no result lacks its attempt
    assert scalar(target, "SELECT count(*) FROM attempts WHERE state = 'submitted'") == \
        scalar(target, "SELECT count(*) FROM attempt_results")
    assert scalar(target, "SELECT count(*) FROM attempt_results r LEFT JOIN attempts a "
                          "ON a.id = r.attempt_id WHERE a.id IS NULL") == 0
    assert copy["attempt_results"] >= before["attempt_results"] + 6

    # once the writers are done, a second backup restores to exactly the same counts
    final = run_cli(monkeypatch, tmp_path, database_url, "backup", str(tmp_path / "quiet.bak"))
    assert final.exit_code == 0, final.output
    second = new_database()
    again = run_cli(monkeypatch, tmp_path, second, "restore", str(tmp_path / "quiet.bak"))
    assert again.exit_code == 0, again.output
    assert counts(second) == after
    assert backups.integrity_problems(create_engine(second)) == []


def test_restore_refuses_a_database_with_data_unless_forced(
        backup_tools, app, database_url, learning_data, new_database, tmp_path, monkeypatch):
    learning_data.quiz(learning_data.learner(NOW), NOW)
    assert run_cli(monkeypatch, tmp_path, database_url, "backup", str(tmp_path / "a.bak")).exit_code == 0
    learning_data.learner(NOW)  # one more user after the backup
    users_now = counts(database_url)["users"]

    refused = run_cli(monkeypatch, tmp_path, database_url, "restore", str(tmp_path / "a.bak"))
    assert refused.exit_code == 1
    assert "holds data" in refused.output and "--force" in refused.output
    assert "Traceback" not in refused.output
    assert counts(database_url)["users"] == users_now

    forced = run_cli(monkeypatch, tmp_path, database_url, "restore", "--force", str(tmp_path / "a.bak"))
    assert forced.exit_code == 0, forced.output
    assert counts(database_url)["users"] == users_now - 1


def test_backup_refuses_to_overwrite_and_restore_rejects_foreign_files(
        backup_tools, app, database_url, tmp_path, monkeypatch):
    existing = tmp_path / "exists.bak"
    existing.write_text("keep me")
    result = run_cli(monkeypatch, tmp_path, database_url, "backup", str(existing))
    assert result.exit_code == 1 and "exists" in result.output
    assert existing.read_text() == "keep me"

    missing_folder = run_cli(monkeypatch, tmp_path, database_url, "backup", str(tmp_path / "no" / "x.bak"))
    assert missing_folder.exit_code == 1 and "does not exist" in missing_folder.output

    junk = run_cli(monkeypatch, tmp_path, database_url, "restore", str(existing))
    assert junk.exit_code == 1
    assert "neither a SQLite backup nor a pg_dump" in junk.output

    absent = run_cli(monkeypatch, tmp_path, database_url, "restore", str(tmp_path / "absent.bak"))
    assert absent.exit_code == 1 and "no backup file" in absent.output
    for outcome in (result, missing_folder, junk, absent):
        assert "Traceback" not in outcome.output


def test_a_backup_of_one_backend_is_not_restored_into_the_other(backend, tmp_path, monkeypatch):
    sqlite_file = tmp_path / "x.sqlite"
    engine = create_engine(f"sqlite:///{sqlite_file}")
    migrate.upgrade(engine)
    engine.dispose()
    with pytest.raises(backups.BackupError, match="is a sqlite backup; the database is postgresql"):
        backups.restore("postgresql+psycopg://nobody@127.0.0.1:1/none", sqlite_file)
