"""`lernmodul export gift|qti` and `lernmodul import qti`: question banks to and from Moodle,
ILIAS and OpenOLAT (the conversions live in lernmodul.interchange)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from lernmodul.core.model import Course
from lernmodul.interchange import Note, export_gift, export_qti, import_qti
from lernmodul.interchange.qti_import import MAX_FILES, MAX_XML_BYTES, PackageError
from lernmodul.web.export_commands import export, import_

MAX_MEDIA_BYTES = 20 * 1024 * 1024


def _load(course: str) -> tuple[Course, dict[str, bytes]]:
    """A course folder (compiled from disk) or a course id (its newest version in the
    database), with its images by path."""
    folder = Path(course)
    if folder.is_dir():
        from lernmodul.content import load_course

        result = load_course(folder)
        if result.course is None or result.errors:
            for diagnostic in result.errors:
                click.echo(diagnostic.format(), err=True)
            raise click.ClickException(f"{course} has errors; see 'lernmodul check {course}'")
        media = {}
        for path in sorted((folder / "media").rglob("*")) if (folder / "media").is_dir() else []:
            if path.is_file() and path.stat().st_size <= MAX_MEDIA_BYTES:
                media[path.relative_to(folder).as_posix()] = path.read_bytes()
        return result.course, media
    from lernmodul.db.engine import session_scope
    from lernmodul.services.courses import compile_version, find_latest_version, list_media
    from lernmodul.web import create_app
    from lernmodul.web.database import get_database

    app = create_app()
    with session_scope(get_database(app).sessions) as session:
        version = find_latest_version(session, course)
        if version is None:
            raise click.ClickException(f"{course}: no such course folder or course id")
        compiled = compile_version(version, "media/")
        media = list_media(session, version.id)
    if compiled.course is None:
        raise click.ClickException(f"course {course} does not compile")
    return compiled.course, media


def _notes(notes: tuple[Note, ...]) -> None:
    for note in notes:
        click.echo(note.format(), err=True)


@export.command("gift")
@click.argument("course")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="File to write (default: standard output).")
def export_gift_command(course: str, output: Path | None) -> None:
    """Write every question of COURSE (a folder or a course id) as Moodle GIFT.

    Each unit becomes a $CATEGORY; what GIFT cannot hold is reported on standard error."""
    compiled, _ = _load(course)
    result = export_gift(compiled)
    _notes(result.notes)
    if output is None:
        click.echo(result.text, nl=False)
    else:
        output.write_text(result.text, encoding="utf-8")
    click.echo(f"{result.questions} question(s) exported as GIFT"
               + (f" to {output}" if output else "") + f"; {len(result.notes)} note(s)", err=True)


@export.command("qti")
@click.argument("course")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The content package to write (.zip).")
def export_qti_command(course: str, output: Path) -> None:
    """Write the questions of COURSE (a folder or a course id) as a QTI 2.1 content package
    for ILIAS and OpenOLAT: an item per question, a test per unit and for the exam."""
    compiled, media = _load(course)
    result = export_qti(compiled, media)
    _notes(result.notes)
    output.write_bytes(result.data)
    click.echo(f"{result.items} item(s) written to {output}; {len(result.notes)} note(s)",
               err=True)


def _read_source(source: Path) -> bytes | dict[str, bytes]:
    if source.is_dir():
        files: dict[str, bytes] = {}
        for path in sorted(source.rglob("*.xml")):
            if len(files) >= MAX_FILES:
                raise click.ClickException(f"{source}: more than {MAX_FILES} XML files")
            if path.is_file():
                if path.stat().st_size > MAX_XML_BYTES:
                    raise click.ClickException(f"{path}: larger than "
                                               f"{MAX_XML_BYTES // (1024 * 1024)} MB")
                files[path.relative_to(source).as_posix()] = path.read_bytes()
        return files
    if source.stat().st_size > 500 * 1024 * 1024:
        raise click.ClickException(f"{source}: larger than 500 MB")
    return source.read_bytes()


@import_.command("qti")
@click.argument("source", type=click.Path(exists=True, path_type=Path))
@click.option("-o", "--output", type=click.Path(file_okay=False, path_type=Path),
              help="Course folder to write the unit files to (created if missing; existing "
                   "files are never changed). Default: print the files.")
@click.option("--title", help="Title of the unit for items outside any test, and of a new course.")
def import_qti_command(source: Path, output: Path | None, title: str | None) -> None:
    """Convert the QTI 2.1 items of SOURCE (a content package .zip or its unpacked folder)
    into unit files in the course format.

    Items that cannot be converted are reported as FILE:LINE messages and left out. Exit
    status: 0 when every item was converted, 1 otherwise, 2 on usage errors."""
    import re

    from lernmodul.content import load_course
    from lernmodul.core.gift import minimal_course_md, slugify

    existing = None
    numbers: list[int] = []
    if output is not None and (output / "course.md").is_file():
        existing = load_course(output).course
        if existing is None:
            raise click.UsageError(f"{output / 'course.md'} has errors; see "
                                   f"'lernmodul check {output}'")
        numbers = [int(m.group()) for p in output.glob("*.md") if (m := re.match(r"\d+", p.name))]
    try:
        result = import_qti(
            _read_source(source), name=source.name, title=title or "",
            number_from=max(numbers, default=0) + 1,
            reserved_ids=set(existing.questions()) if existing else (),
            reserved_units={u.id for u in existing.units} if existing else ())
    except PackageError as error:
        click.echo(f"{source}: error: {error}", err=True)
        sys.exit(1)
    _notes(result.notes)
    files = dict(result.files)
    if output is None:
        for name, text in files.items():
            click.echo(f"<!-- {name} -->\n{text}")
    elif files:
        output.mkdir(parents=True, exist_ok=True)
        if not (output / "course.md").exists():
            course_id = slugify(title or source.stem) or "qti"
            files["course.md"] = minimal_course_md(course_id, title or source.stem)
        clashes = [name for name in files if (output / name).exists()]
        if clashes:
            raise click.ClickException(f"{output}: would overwrite {', '.join(clashes)}")
        for name, text in files.items():
            (output / name).write_text(text, encoding="utf-8")
    errors = len(result.errors)
    click.echo(f"{result.questions} question(s) converted into {len(result.files)} file(s)"
               + (f" in {output}" if output and files else "")
               + f"; {errors} error(s), {len(result.notes) - errors} warning(s)", err=True)
    sys.exit(1 if errors else 0)


def register(group: click.Group) -> None:
    """Adds the export and import groups (once) with the GIFT and QTI commands."""
    for command in (export, import_):
        if command.name not in group.commands:
            group.add_command(command)
