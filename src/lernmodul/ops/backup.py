"""Backups and restores of the whole database: SQLite's backup API, PostgreSQL's pg_dump -Fc.

A plain file copy of a live SQLite database can miss what sits in the WAL file; the
backup API copies a consistent snapshot while the app keeps writing. pg_dump reads one
snapshot too. Both write to a temporary name first and move the finished file into place,
so an interrupted backup never leaves a half-written file under the real name.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess  # fixed pg_dump/pg_restore argument lists, no shell  # nosec B404
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, create_engine, func, inspect, select, table
from sqlalchemy.engine import URL, make_url

SQLITE_HEADER = b"SQLite format 3\x00"
PG_CUSTOM_HEADER = b"PGDMP"
SCHEMA_TABLE = "alembic_version"


class BackupError(Exception):
    """A backup or restore that could not be done; the message says why, for the operator."""


@dataclass(frozen=True, slots=True)
class Report:
    path: Path
    tables: dict[str, int]  # table name -> rows (empty for a pg_dump: see pg_restore --list)


def backend_of(url: str) -> str:
    name = make_url(url).get_backend_name()
    if name not in {"sqlite", "postgresql"}:
        raise BackupError(f"backups support SQLite and PostgreSQL, not {name}")
    return name


# --- inspection ----------------------------------------------------------------------------


def table_counts(engine: Engine) -> dict[str, int]:
    """Rows per table (every table, the schema version included); a query of each table."""
    names = sorted(inspect(engine).get_table_names())
    with engine.connect() as connection:
        return {
            name: int(connection.execute(select(func.count()).select_from(table(name))).scalar_one())
            for name in names
        }


def integrity_problems(engine: Engine) -> list[str]:
    """SQLite: integrity_check and foreign_key_check; PostgreSQL: every table can be read."""
    problems: list[str] = []
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            rows = connection.exec_driver_sql("PRAGMA integrity_check").scalars().all()
            problems += [str(r) for r in rows if r != "ok"]
            problems += [
                f"foreign key: {tuple(r)}"
                for r in connection.exec_driver_sql("PRAGMA foreign_key_check").all()
            ]
    table_counts(engine)  # raises if a table cannot be read
    return problems


def holds_data(engine: Engine) -> bool:
    """Whether any table other than the schema version has a row."""
    return any(rows for name, rows in table_counts(engine).items() if name != SCHEMA_TABLE)


def _partial(path: Path) -> Path:
    return path.with_name(f".{path.name}.partial")


def _check_destination(dest: Path, force: bool) -> None:
    if dest.is_dir():
        raise BackupError(f"{dest} is a folder; give a file name")
    if dest.exists() and not force:
        raise BackupError(f"{dest} exists; choose another name or use --force to replace it")
    if not dest.parent.is_dir():
        raise BackupError(f"folder {dest.parent} does not exist")


# --- backup --------------------------------------------------------------------------------


def backup(url: str, dest: Path, *, force: bool = False) -> Report:
    """Writes a backup of the database at `url` to `dest` and returns what it holds."""
    backend = backend_of(url)
    _check_destination(dest, force)
    partial = _partial(dest)
    try:
        if backend == "sqlite":
            _sqlite_backup(_sqlite_path(url, must_exist=True), partial)
            tables = _verified_sqlite_counts(partial)
        else:
            _pg_dump(url, partial)
            tables = {}
        os.replace(partial, dest)
    finally:
        partial.unlink(missing_ok=True)
    return Report(dest, tables)


def _sqlite_path(url: str, *, must_exist: bool) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError("the database is in memory; there is nothing to back up or restore")
    path = Path(database)
    if must_exist and not path.is_file():
        raise BackupError(f"no database file at {path}")
    return path


def _sqlite_backup(source: Path, target: Path) -> None:
    src = sqlite3.connect(source, timeout=30)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)  # one step: a consistent snapshot even while the app writes
        dst.execute("PRAGMA journal_mode=DELETE")  # a single self-contained file
    except sqlite3.Error as error:
        raise BackupError(f"SQLite backup failed: {error}") from None
    finally:
        dst.close()
        src.close()


def _verified_sqlite_counts(path: Path) -> dict[str, int]:
    engine = create_engine(f"sqlite:///{path}")
    try:
        problems = integrity_problems(engine)
        if problems:
            raise BackupError(f"the copy failed its integrity check: {problems[:5]}")
        return table_counts(engine)
    finally:
        engine.dispose()


def _libpq(url: str) -> tuple[str, dict[str, str]]:
    """A libpq connection URI without the password, and the environment carrying it
    (a password in the command line would be visible to every user in `ps`)."""
    parsed: URL = make_url(url)
    env = dict(os.environ)
    if parsed.password is not None:
        env["PGPASSWORD"] = str(parsed.password)
    plain = parsed.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            f"{name} not found; install the PostgreSQL client tools "
            "(Debian: postgresql-client, the server's major version or newer)")
    return found


def _run(command: list[str], env: dict[str, str], what: str) -> None:
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603  # nosec B603
    if done.returncode != 0:
        detail = done.stderr.strip().splitlines()
        raise BackupError(f"{what} failed: " + (" / ".join(detail[-3:]) or f"exit {done.returncode}"))


def _pg_dump(url: str, target: Path) -> None:
    uri, env = _libpq(url)
    _run([_tool("pg_dump"), "--format=custom", f"--file={target}", f"--dbname={uri}"], env,
         "pg_dump")


# --- restore -------------------------------------------------------------------------------


def backup_kind(path: Path) -> str:
    """sqlite | postgresql, from the file's first bytes."""
    if not path.is_file():
        raise BackupError(f"no backup file at {path}")
    with path.open("rb") as handle:
        head = handle.read(len(SQLITE_HEADER))
    if head.startswith(SQLITE_HEADER):
        return "sqlite"
    if head.startswith(PG_CUSTOM_HEADER):
        return "postgresql"
    raise BackupError(f"{path} is neither a SQLite backup nor a pg_dump custom-format file")


def restore(url: str, source: Path, *, force: bool = False) -> Report:
    """Replaces the database at `url` with the backup `source`.

    Refuses when the database holds data, unless `force`. Stop the app before restoring."""
    backend = backend_of(url)
    kind = backup_kind(source)
    if kind != backend:
        raise BackupError(f"{source} is a {kind} backup; the database is {backend}")
    engine = create_engine(url)
    try:
        try:
            occupied = holds_data(engine)
        except Exception as error:  # unreachable server, unreadable file
            raise BackupError(f"cannot open the database: {type(error).__name__}") from None
        if occupied and not force:
            raise BackupError("the database holds data; restore into an empty database or "
                              "use --force to replace everything in it")
        engine.dispose()
        if backend == "sqlite":
            _sqlite_restore(source, _sqlite_path(url, must_exist=False))
        else:
            uri, env = _libpq(url)
            _run([_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--no-privileges",
                  "--single-transaction", "--exit-on-error", f"--dbname={uri}", str(source)],
                 env, "pg_restore")
        problems = integrity_problems(engine)
        if problems:
            raise BackupError(f"the restored database failed its integrity check: {problems[:5]}")
        return Report(source, table_counts(engine))
    finally:
        engine.dispose()


def _sqlite_restore(source: Path, target: Path) -> None:
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dst = sqlite3.connect(target, timeout=30)
    try:
        src.backup(dst)
    except sqlite3.Error as error:
        raise BackupError(f"SQLite restore failed: {error}") from None
    finally:
        dst.close()
        src.close()
