"""Operations commands on `lernmodul`: serve, backup, restore, retention run, db check."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask

from lernmodul.ops import backup as backups


def register(group: click.Group, db_group: click.Group) -> None:
    group.add_command(backup)
    group.add_command(restore)


def make_app() -> Flask:
    """The production app from the instance configuration; a bad setting is a clear error."""
    from lernmodul.web import create_app

    try:
        return create_app()
    except RuntimeError as error:
        raise click.ClickException(str(error)) from None


def _print_tables(tables: dict[str, int]) -> None:
    for name, rows in tables.items():
        click.echo(f"  {name:28} {rows:>9} rows")


@click.command()
@click.argument("dest", type=click.Path(path_type=Path))
@click.option("--force", is_flag=True, help="Replace DEST if it exists.")
def backup(dest: Path, force: bool) -> None:
    """Writes a backup of the database to DEST while the app keeps running.

    SQLite: a copy made with SQLite's backup API (checked with integrity_check).
    PostgreSQL: pg_dump in its custom format (restore with `lernmodul restore`)."""
    url = make_app().config["DATABASE_URL"]
    try:
        report = backups.backup(url, dest, force=force)
    except backups.BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"backup written to {report.path}")
    _print_tables(report.tables)


@click.command()
@click.argument("src", type=click.Path(path_type=Path))
@click.option("--force", is_flag=True, help="Replace a database that holds data.")
def restore(src: Path, force: bool) -> None:
    """Restores the backup SRC into the configured database (stop the app first).

    Refuses to overwrite a database that holds data unless --force is given."""
    url = make_app().config["DATABASE_URL"]
    try:
        report = backups.restore(url, src, force=force)
    except backups.BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"restored {report.path}; integrity check passed")
    _print_tables(report.tables)
