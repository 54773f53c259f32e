"""`lernmodul export scorm12|scorm2004|cmi5 COURSE -o FILE.zip`: e-learning packages.

COURSE is a course folder (with course.md) or the id of a published course (its newest
version, or --version); only the latter needs the database."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from lernmodul.packages import FORMATS, PackageOptions
from lernmodul.services.courses import CourseError
from lernmodul.services.packages import FORMAT_NAMES, find_version, package_folder, package_version


def _make_command(package_format: str) -> click.Command:
    @click.command(package_format, help=(
        f"Export COURSE as a {FORMAT_NAMES[package_format]} package (a zip for an LMS).\n\n"
        "COURSE is a course folder or the id of a published course. Packages grade in the "
        "browser: for practice and low-stakes use; exams that count belong in lernmodul "
        "or its LTI tool."))
    @click.argument("course")
    @click.option("-o", "--output", required=True,
                  type=click.Path(dir_okay=False, writable=True, path_type=Path),
                  help="The zip file to write.")
    @click.option("--version", "version", help="The published version (default: the newest).")
    @click.option("--sco-per-unit", is_flag=True,
                  help="One SCO per unit and one for the exam instead of one for the course "
                       "(SCORM only).")
    @click.option("--interactions", is_flag=True,
                  help="Report every exam answer as a SCORM interaction (off by default).")
    def command(course: str, output: Path, version: str | None, sco_per_unit: bool,
                interactions: bool) -> None:
        options = PackageOptions(sco_per_unit=sco_per_unit, interactions=interactions)
        folder = Path(course)
        try:
            if folder.is_dir():
                data = package_folder(folder, package_format, options)
            else:
                data = _from_database(course, version, package_format, options)
        except CourseError as error:
            for diagnostic in error.diagnostics:
                click.echo(diagnostic.format(), err=True)
            click.echo("error: the course has errors (see above); no package written", err=True)
            sys.exit(1)
        output.write_bytes(data)
        click.echo(f"{output}: {FORMAT_NAMES[package_format]}, {len(data)} bytes")

    return command


def _from_database(course_id: str, version: str | None, package_format: str,
                   options: PackageOptions) -> bytes:
    from sqlalchemy.exc import SQLAlchemyError

    from lernmodul.db.engine import session_scope
    from lernmodul.web import create_app
    from lernmodul.web.database import get_database

    app = create_app(default_env="production")
    with session_scope(get_database(app).sessions) as session:
        try:
            found = find_version(session, course_id, version)
        except SQLAlchemyError:
            raise click.ClickException(
                f"no course folder “{course_id}”, and the database cannot be read "
                "(is it set up? lernmodul db upgrade)") from None
        if found is None:
            raise click.ClickException(
                f"no course folder and no published course “{course_id}”"
                + (f" in version {version}" if version else ""))
        return package_version(session, found, package_format, options)


def register(group: click.Group) -> None:
    """Adds one command per package format to `group` (the `export` group)."""
    for package_format in FORMATS:
        group.add_command(_make_command(package_format))
