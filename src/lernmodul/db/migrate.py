"""Alembic driven from code: upgrade, downgrade, current revision, new revisions."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

SCRIPT_LOCATION = "lernmodul.db:migrations"


def make_config() -> Config:
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    config.set_main_option("path_separator", "os")
    return config


@contextmanager
def _configured(engine: Engine) -> Iterator[Config]:
    config = make_config()
    with engine.connect() as connection:
        config.attributes["connection"] = connection
        yield config
        if connection.in_transaction():
            connection.commit()


def upgrade(engine: Engine, revision: str = "head") -> None:
    with _configured(engine) as config:
        command.upgrade(config, revision)


def downgrade(engine: Engine, revision: str = "-1") -> None:
    with _configured(engine) as config:
        command.downgrade(config, revision)


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str | None:
    return ScriptDirectory.from_config(make_config()).get_current_head()


def revision(engine: Engine, message: str) -> None:
    """Autogenerates a new revision (the database must be at head)."""
    with _configured(engine) as config:
        command.revision(config, message=message, autogenerate=True)


if __name__ == "__main__":  # developer entry: python -m lernmodul.db.migrate revision -m MSG
    import argparse
    import os

    from lernmodul.db.engine import make_engine

    parser = argparse.ArgumentParser(prog="python -m lernmodul.db.migrate")
    parser.add_argument("action", choices=["revision"])
    parser.add_argument("-m", "--message", required=True)
    parser.add_argument(
        "--url",
        default=os.environ.get("LERNMODUL_DATABASE_URL", "sqlite:///instance/lernmodul.sqlite"),
    )
    args = parser.parse_args()
    revision(make_engine(args.url), args.message)
    sys.exit(0)
