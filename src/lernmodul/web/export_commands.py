"""The `export` and `import` command groups; the formats add their commands to them."""

from __future__ import annotations

import click


@click.group("export")
def export() -> None:
    """Export a course: question banks (GIFT, QTI) and learning packages (SCORM, cmi5)."""


@click.group("import")
def import_() -> None:
    """Import question banks into the course format."""
