"""`lernmodul directory sync [--dry-run]`: the LDAP/AD directory's people into accounts."""

from __future__ import annotations

import sys

import click
from flask import Flask

from lernmodul.db.engine import session_scope
from lernmodul.db.models import utcnow
from lernmodul.identity.ldap import DirectoryConfigError, DirectoryError, DirectorySettings
from lernmodul.identity.ldap.sync import EmptyDirectory, apply_snapshot, read_directory, report_lines
from lernmodul.web.database import get_database


def _make_app() -> Flask:
    from lernmodul.web import create_app

    return create_app()


@click.group()
def directory() -> None:
    """The LDAP/Active Directory directory (settings LDAP_*)."""


@directory.command("sync")
@click.option("--dry-run", is_flag=True, help="print what would change; write nothing")
def directory_sync(dry_run: bool) -> None:
    """Creates, updates and deactivates accounts to match the directory, in one transaction.

    Entries that cannot become an account (no e-mail address, an address or personnel number
    of another account) are listed with their DN and skipped. Exits 1 when the directory
    cannot be read (nothing changed then)."""
    app = _make_app()
    try:
        settings = DirectorySettings.from_config(app.config)
    except DirectoryConfigError as error:
        raise click.ClickException(str(error)) from None
    try:
        snapshot = read_directory(settings)  # before the transaction: no lock while reading
        with session_scope(get_database(app).sessions) as session:
            result = apply_snapshot(session, settings, snapshot, now=utcnow())
            if dry_run:
                session.rollback()
    except (DirectoryError, EmptyDirectory) as error:
        click.echo(f"nothing changed: {error}", err=True)
        sys.exit(1)
    for line in report_lines(result, dry_run=dry_run):
        click.echo(line)
