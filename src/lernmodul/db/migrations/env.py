"""Alembic environment: runs on the connection handed in by lernmodul.db.migrate."""

from __future__ import annotations

from typing import Any, Literal

from alembic import context
from sqlalchemy import Connection

from lernmodul.db.models import Base, UTCDateTime

config = context.config
target_metadata = Base.metadata


def _render_item(type_: str, obj: Any, autogen_context: Any) -> str | Literal[False]:
    # Migrations must not import the models: render our UTC type as its plain impl.
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _raw_execute(connection: Connection, sql: str) -> None:
    driver_connection = connection.connection.driver_connection
    assert driver_connection is not None
    driver_connection.execute(sql)


def _run(connection: Connection) -> None:
    is_sqlite = connection.dialect.name == "sqlite"
    if is_sqlite:
        # PRAGMA foreign_keys is a no-op inside a transaction: set it on the raw
        # (autocommit) DBAPI connection, before Alembic's BEGIN.
        if connection.in_transaction():
            connection.commit()
        _raw_execute(connection, "PRAGMA foreign_keys=OFF")
    try:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=is_sqlite,
            compare_type=True,
            render_item=_render_item,
        )
        with context.begin_transaction():
            context.run_migrations()
            if is_sqlite:
                problems = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if problems:
                    raise RuntimeError(f"foreign key violations after migration: {problems!r}")
    finally:
        if is_sqlite:
            if connection.in_transaction():
                connection.commit()
            _raw_execute(connection, "PRAGMA foreign_keys=ON")


connection = config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through lernmodul.db.migrate (lernmodul db upgrade)")
_run(connection)
