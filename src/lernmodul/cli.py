"""The `lernmodul` command line: course checking, and the app's commands (database, users, serving).

`check`, `import-gift` and `certificate` need only the library; the web app's commands are
loaded from lernmodul.web.commands on first use, so that `lernmodul check` works without
the `server` extra (and without importing Flask)."""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path

import click

#: The commands lernmodul.web.commands adds (tests/api keeps this list in step with it).
SERVER_COMMANDS = ("assignments", "backup", "courses", "db", "directory", "export", "import", "reminders",
                   "outbox", "restore", "retention", "run-dev", "serve", "users")
SERVER_EXTRA_HINT = "pip install 'lernmodul[server]'"


def is_missing_dependency(error: ImportError) -> bool:
    """True when `error` says a third-party package is not installed (an extra is missing)."""
    return (isinstance(error, ModuleNotFoundError) and bool(error.name)
            and not str(error.name).startswith("lernmodul"))


def _missing_server(name: str, error: ImportError) -> click.Command:
    """A stand-in for a server command when the web app's dependencies are not installed."""

    def explain() -> None:
        click.echo(f"error: 'lernmodul {name}' needs the web app's dependencies "
                   f"({error.name or error}): {SERVER_EXTRA_HINT}", err=True)
        sys.exit(2)

    return click.Command(name, callback=explain, add_help_option=False,
                         context_settings={"ignore_unknown_options": True,
                                           "allow_extra_args": True},
                         help=f"(needs the server extra: {SERVER_EXTRA_HINT})")


class _Commands(click.Group):
    """Loads the app's commands on first use and turns a configuration error into a one-line
    message (exit status 2), not a traceback."""

    _server_loaded = False
    _server_missing: ImportError | None = None

    def _load_server(self) -> None:
        if self._server_loaded:
            return
        self._server_loaded = True
        try:
            # by name: the web layer is no part of the typed library surface
            commands = importlib.import_module("lernmodul.web.commands")
        except ImportError as error:
            if not is_missing_dependency(error):
                raise  # a fault in the app, not a missing extra
            self._server_missing = error  # installed without the `server` extra
            return
        commands.register(self)

    def list_commands(self, ctx: click.Context) -> list[str]:
        self._load_server()
        names = set(super().list_commands(ctx))
        if self._server_missing is not None:
            names.update(SERVER_COMMANDS)
        return sorted(names)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        found = super().get_command(ctx, cmd_name)
        if found is not None:
            return found
        self._load_server()
        found = super().get_command(ctx, cmd_name)
        if found is None and self._server_missing is not None and cmd_name in SERVER_COMMANDS:
            return _missing_server(cmd_name, self._server_missing)
        return found

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except RuntimeError as error:
            config = sys.modules.get("lernmodul.web.config")  # loaded if a setting was read
            if config is not None and isinstance(error, config.ConfigError):
                click.echo(f"error: {error}", err=True)
                ctx.exit(2)
            raise


@click.group(cls=_Commands)
@click.version_option(package_name="lernmodul")
def main() -> None:
    """lernmodul: e-learning modules and a quiz engine."""


@main.command()
@click.argument("paths", nargs=-1, required=True,
                type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
@click.option("--json", "as_json", is_flag=True,
              help="Print one JSON object instead of text: every compiled course in full "
                   "(schema lernmodul/schema/check-1.json) and every diagnostic.")
@click.option("--with-keys", is_flag=True,
              help="With --json: include answer keys, feedback and explanations.")
@click.option("--lang", type=click.Choice(["en", "de"]), default="en", show_default=True,
              help="Language of the messages.")
def check(paths: tuple[Path, ...], strict: bool, as_json: bool, with_keys: bool, lang: str) -> None:
    """Compile the courses under PATHS and report every problem.

    PATH is a course folder (with course.md) or a folder of course folders. Exit status:
    0 without errors, 1 with errors (or warnings with --strict), 2 on usage errors."""
    from lernmodul._course_json import CHECK_SCHEMA_ID, course_to_dict, diagnostic_to_dict
    from lernmodul.content import load_courses

    if with_keys and not as_json:
        raise click.UsageError("--with-keys goes with --json")
    results = [result for path in paths for result in load_courses(path)]
    diagnostics = [d for r in results for d in r.diagnostics]
    errors = sum(1 for d in diagnostics if d.is_error)
    warnings = len(diagnostics) - errors
    failed = errors > 0 or (strict and warnings > 0)
    if as_json:
        click.echo(json.dumps({
            "schema": CHECK_SCHEMA_ID,
            "courses": [course_to_dict(r.course, with_keys=with_keys)
                        for r in results if r.course is not None],
            "diagnostics": [diagnostic_to_dict(d, lang) for d in diagnostics],
        }, ensure_ascii=False, indent=2))
    else:
        for diagnostic in diagnostics:
            click.echo(diagnostic.format(lang, strict=strict))
        courses = [r.course for r in results if r.course is not None]
        units = sum(len(c.units) for c in courses)
        questions = sum(len(c.questions()) for c in courses)
        click.echo(f"{len(courses)} course(s), {units} unit(s), {questions} question(s): "
                   f"{errors} error(s), {warnings} warning(s)"
                   + (" (strict: warnings are errors)" if strict and warnings else ""),
                   err=failed)
    sys.exit(1 if failed else 0)


@main.group("certificate")
def certificate() -> None:
    """Certificates: offline checks of certificate PDFs and credentials."""


@certificate.command("verify")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--key", "key_files", multiple=True, type=click.Path(dir_okay=False, path_type=Path),
              help="A trusted Ed25519 public key (PEM). Repeatable.")
@click.option("--instance", "instance_path", type=click.Path(file_okay=False, path_type=Path),
              help="Trust the signing key in this instance folder (default without --key: "
                   "$LERNMODUL_INSTANCE_PATH or ./instance).")
@click.option("--layout", "layout_file", type=click.Path(dir_okay=False, path_type=Path),
              help="The certificate layout (layout.toml) of the issuing site, if it has its own "
                   "(default: the shipped one).")
def certificate_verify(file: Path, key_files: tuple[Path, ...], instance_path: Path | None,
                       layout_file: Path | None) -> None:
    """Check a certificate PDF or credential JSON FILE offline.

    Prints the verdict: "valid", "signature valid, key does not belong to the issuer",
    "unknown key" or "tampered"; for a valid PDF then whether its printed page matches the
    signed data, or each difference (claim, signed value, what the page shows). Exit status:
    0 valid (and, for a PDF, the page matches), 1 any other verdict or a page that differs,
    2 usage error or unreadable file."""
    import os

    try:
        from lernmodul.certificates import (
            VERDICT_TEXTS,
            KeyFileError,
            LayoutError,
            credential_claims,
            load_layout,
            load_public_key,
            page_differences,
            verify_file,
        )
        from lernmodul.certificates.keys import signing_key_path
    except ImportError as error:
        if not is_missing_dependency(error):
            raise
        # installed without the `certificates` extra
        click.echo(f"error: 'lernmodul certificate verify' needs the certificate dependencies "
                   f"({error.name or error}): pip install 'lernmodul[certificates]'", err=True)
        sys.exit(2)

    if instance_path is None and not key_files:
        instance_path = Path(os.environ.get("LERNMODUL_INSTANCE_PATH") or "instance")
    paths = [*key_files, *([signing_key_path(instance_path)] if instance_path is not None else [])]
    try:
        keys = [load_public_key(path.read_bytes(), str(path)) for path in paths]
        layout = load_layout(layout_file) if layout_file is not None else None
        raw = file.read_bytes()
        verdict, credential = verify_file(raw, keys)
        differences = page_differences(raw, credential, layout) if verdict == "valid" else None
    except (OSError, KeyFileError, LayoutError, ValueError) as error:
        message = f"{error.filename}: {error.strerror}" if isinstance(error, OSError) else str(error)
        click.echo(f"error: {message}", err=True)
        sys.exit(2)
    click.echo(VERDICT_TEXTS[verdict])
    if verdict == "valid":
        for label, value in credential_claims(credential).items():
            click.echo(f"  {label}: {value}")
    if differences == []:
        click.echo("page matches the signed data")
    elif differences:
        click.echo("page differs from the signed data:")
        for difference in differences:
            signed = f'"{difference.signed}"' if difference.signed else "nothing"
            shown = f'"{difference.page}"' if difference.page else "nothing"
            click.echo(f"  {difference.claim}: signed {signed}, page shows {shown}")
    sys.exit(0 if verdict == "valid" and not differences else 1)


@main.command("import-gift")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--out", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Course folder to add the unit file(s) to (created if missing).")
@click.option("--unit-id", help="Id of the unit for questions outside categories "
              "(default: from the file name).")
@click.option("--title", help="Title of that unit and of a new course (default: file name).")
@click.option("--language", type=click.Choice(["de", "en"]), default="de", show_default=True,
              help="Language of a new course (labels of true/false answers).")
@click.option("--lang", type=click.Choice(["en", "de"]), default="en", show_default=True,
              help="Language of the messages.")
def import_gift(file: Path, out: Path, unit_id: str | None, title: str | None, language: str,
                lang: str) -> None:
    """Convert the Moodle GIFT questions in FILE into unit files in the course folder --out.

    Each $CATEGORY becomes a unit; a new folder also gets a course.md. Existing files are never
    changed. Questions that cannot be converted are reported and left out, the others are
    written. Exit status: 0 when every question was converted, 1 otherwise, 2 on usage errors."""
    import re

    from lernmodul.content import load_course
    from lernmodul.core.compiler.parser import decode_source
    from lernmodul.core.diagnostics import DiagCode, Diagnostic
    from lernmodul.core.gift import convert_gift, minimal_course_md, slugify

    text, bad = decode_source(file.read_bytes())
    if bad is not None:
        click.echo(Diagnostic.make(DiagCode.NOT_UTF8, str(file), bad[0], bad[1],
                                   byte=f"{bad[2]:02x}").format(lang))
        sys.exit(1)
    unit_id = unit_id or slugify(file.stem) or "gift"
    if not re.fullmatch(r"[a-z0-9][a-z0-9_-]*", unit_id):
        raise click.BadParameter("only a-z, 0-9, '-' and '_'", param_hint="--unit-id")
    course = None
    if (out / "course.md").is_file():
        course = load_course(out).course
        if course is None:
            raise click.UsageError(f"{out / 'course.md'} has errors; see 'lernmodul check {out}'")
    numbers = [int(m.group()) for p in out.glob("*.md") if (m := re.match(r"\d+", p.name))]
    result = convert_gift(text, unit_id=unit_id, title=title or file.stem, path=str(file),
                          language=course.language if course else language,
                          reserved_ids=set(course.questions()) if course else (),
                          reserved_units={u.id for u in course.units} if course else (),
                          number_from=max(numbers, default=0) + 1)
    diagnostics = list(result.diagnostics)
    if result.files:
        out.mkdir(parents=True, exist_ok=True)
        written = dict(result.files)
        if course is None:
            written["course.md"] = minimal_course_md(unit_id, title or file.stem,
                                                     language=language, source=file.name)
        for name, content in written.items():
            (out / name).write_text(content, encoding="utf-8")
        # the compiler has the last word on the written files
        diagnostics += [d for d in load_course(out).diagnostics
                        if Path(d.path).name in written]
    for diagnostic in diagnostics:
        click.echo(diagnostic.format(lang))
    errors = sum(1 for d in diagnostics if d.is_error)
    click.echo(f"{result.questions} question(s) converted into {len(result.files)} unit file(s)"
               + (f" in {out}: " + ", ".join(result.files) if result.files else "")
               + f"; {errors} error(s), {len(diagnostics) - errors} warning(s)", err=errors > 0)
    sys.exit(1 if errors else 0)
