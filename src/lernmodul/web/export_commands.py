"""`lernmodul export`: the command group that course exports hang their commands on."""

from __future__ import annotations

import click


@click.group("export")
def export() -> None:
    """Export a course (a folder or a published version) to other formats."""
