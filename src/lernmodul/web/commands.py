"""The app's commands on `lernmodul`: db upgrade/downgrade, run-dev, users create/unblock."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import Flask

from lernmodul.db import migrate
from lernmodul.db.engine import session_scope
from lernmodul.db.models import Role, utcnow
from lernmodul.services import accounts
from lernmodul.services.courses import CourseError, ImportOutcome, import_courses
from lernmodul.web.auth import auth_settings
from lernmodul.web.database import get_database

DEV_HOST = "127.0.0.1"
DEV_PORT = 5000


def register(group: click.Group) -> None:
    group.add_command(db)
    group.add_command(run_dev)
    group.add_command(users)
    group.add_command(courses)
    from lernmodul.web import ops_commands  # serve, backup, restore, retention, db check

    ops_commands.register(group, db)
    from lernmodul.web.hr.commands import make_assignments_group

    group.add_command(make_assignments_group(_make_app))
    from lernmodul.web.reminder_commands import reminders

    group.add_command(reminders)
    from lernmodul.web.directory_commands import directory

    group.add_command(directory)
    from lernmodul.web.outbox_commands import outbox

    group.add_command(outbox)


def _make_app(default_env: str = "production") -> Flask:
    from lernmodul.web import create_app

    return create_app(default_env=default_env)


@click.group()
def db() -> None:
    """Database schema (Alembic migrations shipped with the package)."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True)
def db_upgrade(revision: str) -> None:
    """Migrates the database to REVISION (default: the newest)."""
    app = _make_app()
    engine = get_database(app).engine
    migrate.upgrade(engine, revision)
    click.echo(f"database at revision {migrate.current_revision(engine)}")


@db.command("downgrade")
@click.option("--revision", default="-1", show_default=True, help="target, e.g. -1 or base")
def db_downgrade(revision: str) -> None:
    """Migrates the database back to REVISION (default: one step)."""
    app = _make_app()
    engine = get_database(app).engine
    migrate.downgrade(engine, revision)
    click.echo(f"database at revision {migrate.current_revision(engine)}")


@db.command("current")
def db_current() -> None:
    """Prints the database's revision and the newest one shipped."""
    engine = get_database(_make_app()).engine
    click.echo(f"current: {migrate.current_revision(engine)}  head: {migrate.head_revision()}")


@click.group()
def users() -> None:
    """User accounts."""


@users.command("create")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option(
    "--role",
    "roles",
    multiple=True,
    type=click.Choice([r.value for r in Role]),
    default=[Role.ADMIN.value],
    show_default=True,
)
@click.option("--personnel-number", default=None)
@click.password_option(help="prompted (hidden, twice) when not given")
def users_create(
    email: str, name: str, roles: tuple[str, ...], personnel_number: str | None, password: str
) -> None:
    """Creates an account, by default an administrator (a fresh installation has none)."""
    app = _make_app()
    database = get_database(app)
    try:
        with session_scope(database.sessions) as session:
            user = accounts.create_user(
                session,
                hasher=auth_settings(app).hasher,
                email=email,
                name=name,
                password=password,
                roles=[(role, None) for role in roles],
                personnel_number=personnel_number,
                now=utcnow(),
            )
            user_id = user.id
    except accounts.AccountError as error:
        raise click.ClickException(_account_error_text(error)) from None
    click.echo(
        f"created user {user_id} <{accounts.normalise_email(email)}> roles: {', '.join(roles)}"
    )


@users.command("unblock")
@click.argument("login")
def users_unblock(login: str) -> None:
    """Lifts the sign-in block of the account with this e-mail address or personnel number
    (its failed attempts from every address count from zero again)."""
    from lernmodul.services import user_admin

    app = _make_app()
    with session_scope(get_database(app).sessions) as session:
        user = accounts.find_user_by_login(session, login)
        if user is None:
            raise click.ClickException("no account has this e-mail address or personnel number")
        user_id = user.id
        lifted = user_admin.lift_login_block(session, user, now=utcnow(), actor_id=None)
    if lifted:
        click.echo(f"sign-in block of user {user_id} lifted")
    else:
        click.echo(f"user {user_id} had no failed sign-ins to clear")


def _account_error_text(error: accounts.AccountError) -> str:
    texts = {
        "email_taken": "an account with this e-mail address exists already",
        "personnel_number_taken": "an account with this personnel number exists already",
        "bad_role": "unknown role",
    }
    if error.code == "weak_password":
        reasons = {
            "too_short": "at least 12 characters",
            "too_long": "at most 128 characters",
            "common": "not a common or easily guessed password",
            "personal": "not containing the name or e-mail address",
        }
        return "password rejected; it must be " + "; ".join(
            reasons[p.value] for p in error.problems
        )
    return texts.get(error.code, error.code)


@users.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="report what would change; write nothing")
@click.option("--deactivate-missing", is_flag=True,
              help="deactivate users with a personnel number that is not in the file")
@click.option("--hr-scope", default="", metavar="SCOPE",
              help="HR scope for HR roles whose row has no HR-Bereich: unit paths separated "
                   "by '|', or '*' for all units (default: the person's own unit)")
def users_import(file: Path, dry_run: bool, deactivate_missing: bool, hr_scope: str) -> None:
    """Creates or updates users from a CSV file (personnel number is the key)."""
    from lernmodul.services import user_import
    from lernmodul.services.user_import_scope import ScopeValueError, parse_scope

    try:
        parse_scope(hr_scope)
    except ScopeValueError:
        raise click.BadParameter("unit paths separated by '|', or '*' for all units",
                                 param_hint="--hr-scope") from None
    app = _make_app()
    try:
        with session_scope(get_database(app).sessions) as session:
            report = user_import.import_users(
                session, file.read_bytes(), dry_run=dry_run, now=utcnow(),
                deactivate_missing=deactivate_missing, hr_scope_default=hr_scope)
            if dry_run or not report.is_ok:
                session.rollback()
    except user_import.ImportFileError as error:
        raise click.ClickException(user_import.FILE_ERROR_TEXTS[error.code]) from None
    for line in user_import.report_lines(report):
        click.echo(line, err=not report.is_ok)
    if not report.is_ok:
        sys.exit(1)


@users.command("list")
@click.option("--json", "as_json", is_flag=True, help="a JSON list of objects instead of a table")
def users_list(as_json: bool) -> None:
    """Lists every account: personnel number, name, e-mail, org unit, roles, active, source."""
    import json

    from lernmodul.services.account_list import account_rows

    app = _make_app()
    with session_scope(get_database(app).sessions) as session:
        rows = account_rows(session)
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for row in rows:
        click.echo("\t".join([row["personnel_number"] or "-", row["name"], row["email"],
                              row["org_unit"] or "-", ",".join(row["roles"]) or "-",
                              "active" if row["is_active"] else "inactive", row["source"]]))


def load_courses(app: Flask, path: Path | None = None) -> list[ImportOutcome]:
    """Imports the courses under `path` (default COURSES_PATH) as versions, in one transaction."""
    folder = path or Path(app.config["COURSES_PATH"])
    with session_scope(get_database(app).sessions) as session:
        return import_courses(session, folder)


@click.group()
def courses() -> None:
    """Courses in the database."""


@courses.command("import")
@click.argument("path", type=click.Path(exists=True, file_okay=False, path_type=Path))
def courses_import(path: Path) -> None:
    """Imports every course under PATH as a new version (unchanged versions are skipped)."""
    app = _make_app()
    try:
        outcomes = load_courses(app, path)
    except CourseError as error:
        for diagnostic in error.diagnostics:
            click.echo(diagnostic.format(), err=True)
        messages = {"invalid": "the course has errors (see above); nothing was imported",
                    "version_exists": "this version exists with other content; raise 'version'",
                    "media_too_large": "an image is larger than 5 MB; nothing was imported"}
        raise click.ClickException(messages.get(error.code, error.code)) from None
    for outcome in outcomes:
        click.echo(f"{outcome.course_id} {outcome.version}: {outcome.status}")


def prepare_dev(app: Flask) -> tuple[accounts.DemoAccount, ...]:
    """Migrates, loads courses and (in development only) ensures the demo accounts and the
    demo city administration with its people and their progress (one transaction)."""
    database = get_database(app)
    migrate.upgrade(database.engine)
    for outcome in load_courses(app):
        click.echo(f"course {outcome.course_id} {outcome.version}: {outcome.status}")
    if app.config["ENV"] != "development":
        return ()
    from lernmodul.services import demo_seed
    from lernmodul.web.certificates.edge import issuer

    # a request context: certificates name the verify page's address (DEV_BASE_URL)
    with app.test_request_context(), session_scope(database.sessions) as session:
        demo, seeded = demo_seed.seed_demo_authority(
            session, hasher=auth_settings(app).hasher, issuer=issuer(), now=utcnow())
    texts = {"created": f"{seeded.people} people with progress created",
             "present": "present", "no_course": f"no people (course {demo_seed.COURSE_ID} "
                                                "is not loaded)"}
    click.echo(f"demo city {demo_seed.ROOT}: {texts[seeded.status]}")
    return demo


@click.command("run-dev")
@click.option("--host", default=DEV_HOST, show_default=True)
@click.option("--port", default=DEV_PORT, show_default=True, type=int)
def run_dev(host: str, port: int) -> None:
    """Development server: migrate, demo accounts, serve on http://127.0.0.1:5000."""
    app = _make_app(default_env="development")
    # links and certificates point here unless PUBLIC_BASE_URL says otherwise
    app.config["DEV_BASE_URL"] = f"http://{host}:{port}"
    demo = prepare_dev(app)
    if demo:
        click.echo("Demo accounts (development only):")
        for account in demo:
            click.echo(f"  {account.role.value:8} {account.email:24} password: {account.password}")
    else:
        click.echo("Production configuration: no demo accounts. Create an administrator with")
        click.echo("  lernmodul users create --email ... --name ...")
    click.echo(f"Serving on http://{host}:{port}/  (Ctrl+C to stop)")
    sys.stdout.flush()
    from werkzeug.serving import run_simple

    run_simple(host, port, app, threaded=True, use_reloader=False, use_debugger=False)
