"""The `lernmodul` command line: course checking, and the app's commands (database, users, serving)."""

from __future__ import annotations

import click


@click.group()
@click.version_option(package_name="lernmodul")
def main() -> None:
    """lernmodul: e-learning modules and a quiz engine."""


def _register_app_commands() -> None:
    """Adds the web app's commands (db, run-dev, users …) defined in lernmodul.web.commands."""
    try:
        from lernmodul.web import commands
    except ImportError:  # the web layer is not there yet in a core-only checkout
        return
    commands.register(main)


_register_app_commands()
