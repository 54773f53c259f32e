"""Shared fixtures: `app`, `client`, `db_session` on SQLite and (when configured) PostgreSQL.

Every app test runs once per backend. SQLite always (a migrated template file copied per
test); PostgreSQL when LERNMODUL_TEST_POSTGRES names a server URL, e.g.
postgresql+psycopg://postgres@127.0.0.1:5432/test: a fresh database is created for the
test session (migrated once, tables emptied after each test) and dropped at the end.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

POSTGRES_ENV = "LERNMODUL_TEST_POSTGRES"
SAMPLE_COURSE = Path(__file__).parent / "core" / "fixtures" / "sample-course"
TEST_PASSWORD = "correct-horse-battery"
CHEAP_HASHING = {
    "PASSWORD_HASH_TIME_COST": 1,
    "PASSWORD_HASH_MEMORY_COST": 8,
    "PASSWORD_HASH_PARALLELISM": 1,
}


@dataclass
class Backend:
    name: str
    url: str | None = None  # PostgreSQL: the session's database
    template: Path | None = None  # SQLite: a migrated file to copy


def _postgres_base_url() -> str | None:
    return os.environ.get(POSTGRES_ENV) or None


def create_postgres_database(base_url: str) -> tuple[str, Callable[[], None]]:
    """A new empty database on the server of `base_url`; returns its URL and a dropper."""
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    name = f"lernmodul_test_{os.getpid()}_{secrets.token_hex(4)}"
    admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = make_url(base_url).set(database=name).render_as_string(hide_password=False)

    def drop() -> None:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()

    return url, drop


def _migrate(url: str) -> None:
    from lernmodul.db import migrate
    from lernmodul.db.engine import make_engine

    engine = make_engine(url)
    try:
        migrate.upgrade(engine)
    finally:
        engine.dispose()


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Backend]:
    if request.param == "sqlite":
        template = tmp_path_factory.mktemp("sqlite-template") / "template.sqlite"
        _migrate(f"sqlite:///{template}")
        yield Backend("sqlite", template=template)
        return
    base_url = _postgres_base_url()
    if base_url is None:
        pytest.skip(f"PostgreSQL variant skipped: {POSTGRES_ENV} is not set")
    url, drop = create_postgres_database(base_url)
    try:
        _migrate(url)
        yield Backend("postgresql", url=url)
    finally:
        drop()


def _empty_postgres_tables(url: str) -> None:
    from sqlalchemy import create_engine

    from lernmodul.db.models import Base

    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
            connection.exec_driver_sql(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
    finally:
        engine.dispose()


@pytest.fixture
def database_url(backend: Backend, tmp_path: Path) -> Iterator[str]:
    """A migrated, empty database for this test."""
    if backend.name == "sqlite":
        assert backend.template is not None
        path = tmp_path / "lernmodul.sqlite"
        shutil.copyfile(backend.template, path)
        yield f"sqlite:///{path}"
        return
    assert backend.url is not None
    try:
        yield backend.url
    finally:
        _empty_postgres_tables(backend.url)


@pytest.fixture
def empty_database_url(backend: Backend, tmp_path: Path) -> Iterator[str]:
    """A database without any table (for migration tests)."""
    if backend.name == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.sqlite'}"
        return
    base_url = _postgres_base_url()
    assert base_url is not None
    url, drop = create_postgres_database(base_url)
    try:
        yield url
    finally:
        drop()


@pytest.fixture
def app_config(database_url: str, tmp_path: Path) -> dict[str, Any]:
    """The test configuration; tests may change it before they first use `app`."""
    return {
        "TESTING": True,
        "ENV": "production",
        "INSTANCE_PATH": str(tmp_path / "instance"),
        "DATABASE_URL": database_url,
        "SECRET_KEY": "test-secret-key-not-for-production",
        "SESSION_COOKIE_SECURE": False,
        "PUBLIC_BASE_URL": "https://lernen.example.de",  # production issues no certificates without
        **CHEAP_HASHING,
    }


@pytest.fixture
def make_app(app_config: dict[str, Any]) -> Iterator[Callable[..., Any]]:
    """Builds further app instances on the same database (like more workers)."""
    from lernmodul.web import create_app
    from lernmodul.web.database import get_database

    made = []

    def factory(**overrides: Any) -> Any:
        application = create_app({**app_config, **overrides})
        made.append(application)
        return application

    yield factory
    for application in made:
        get_database(application).engine.dispose()


@pytest.fixture
def app(make_app: Callable[..., Any]) -> Any:
    return make_app()


@pytest.fixture
def client(app: Any) -> Any:
    return app.test_client()


@pytest.fixture
def db_session(app: Any) -> Iterator[Any]:
    """A session outside any request, for arranging and checking data (commit yourself).

    Its SQLite transactions begin DEFERRED, so reading here does not lock out the app.
    """
    from lernmodul.web.database import get_database

    session = get_database(app).read_sessions()
    try:
        yield session
    finally:
        session.rollback()
        session.close()


@pytest.fixture
def sessions(app: Any) -> Callable[[], Any]:
    """A factory of write sessions on the test database (each its own connection)."""
    from lernmodul.web.database import get_database

    return get_database(app).sessions


@pytest.fixture
def request_sessions(app: Any) -> Callable[[], Any]:
    """A factory of sessions like a write request's: a read phase without locks, then the
    write transaction from the first write on (`lernmodul.db.engine.phased_engine`)."""
    from lernmodul.web.database import get_database

    database = get_database(app)
    return lambda: database.sessions(bind=database.request_engine)


@pytest.fixture
def session(sessions: Callable[[], Any]) -> Iterator[Any]:
    s = sessions()
    try:
        yield s
    finally:
        s.rollback()
        s.close()


@pytest.fixture
def import_course(app: Any) -> Callable[..., Any]:
    """import_course(folder=the sample course): imports a course folder into the app's
    database in its own committed transaction; returns the ImportOutcome."""
    from lernmodul.services.courses import import_course_folder
    from lernmodul.web.database import get_database

    def run(folder: Path = SAMPLE_COURSE) -> Any:
        session = get_database(app).sessions()
        try:
            outcome = import_course_folder(session, folder)
            session.commit()
            return outcome
        finally:
            session.close()

    return run


@pytest.fixture
def sample_version(import_course: Callable[..., Any]) -> Any:
    """The sample course imported and committed; returns its CourseVersion id."""
    return import_course().version_id


@pytest.fixture
def make_user(app: Any) -> Callable[..., Any]:
    """Creates and commits a user: make_user(roles=("learner",), email=..., password=...)."""
    from lernmodul.db.models import utcnow
    from lernmodul.services import accounts
    from lernmodul.web.auth import auth_settings
    from lernmodul.web.database import get_database

    counter = iter(range(1, 10_000))

    def factory(
        roles: tuple[str | tuple[str, int | None], ...] = ("learner",),
        *,
        email: str | None = None,
        name: str | None = None,
        password: str = TEST_PASSWORD,
        **fields: Any,
    ) -> Any:
        number = next(counter)
        role_pairs = [r if isinstance(r, tuple) else (r, None) for r in roles]
        session = get_database(app).sessions()
        try:
            user = accounts.create_user(
                session,
                hasher=auth_settings(app).hasher,
                email=email or f"user{number}@example.org",
                name=name or f"Test User {number}",
                password=password,
                roles=role_pairs,
                now=utcnow(),
                **fields,
            )
            session.commit()
            return user
        finally:
            session.close()

    return factory


CSRF_PATTERN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token_from(html: str) -> str:
    match = CSRF_PATTERN.search(html)
    assert match, "no CSRF token in page"
    return match.group(1)


@pytest.fixture
def login() -> Callable[..., Any]:
    """login(client, email, password=TEST_PASSWORD, next=None) -> the POST response."""

    def do_login(
        client: Any, email: str, password: str = TEST_PASSWORD, next: str | None = None
    ) -> Any:
        url = "/login" if next is None else f"/login?next={next}"
        page = client.get(url)
        token = csrf_token_from(page.get_data(as_text=True))
        return client.post(url, data={"csrf_token": token, "login": email, "password": password})

    return do_login


@pytest.fixture
def post_form() -> Callable[..., Any]:
    """post_form(client, form_page_url, data, action=None): GET the page, POST with its token."""

    def do_post(client: Any, page_url: str, data: dict[str, Any], action: str | None = None) -> Any:
        page = client.get(page_url)
        token = csrf_token_from(page.get_data(as_text=True))
        return client.post(action or page_url, data={"csrf_token": token, **data})

    return do_post


@pytest.fixture
def csrf_token() -> Callable[..., str]:
    """csrf_token(client, page="/accessibility"): a valid token for this client's session."""

    def fetch(client: Any, page: str = "/accessibility") -> str:
        return csrf_token_from(client.get(page).get_data(as_text=True))

    return fetch


@pytest.fixture(scope="session")
def built_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project's wheel, built once per test session (no dependencies, no isolation)."""
    import subprocess
    import sys

    out = tmp_path_factory.mktemp("wheel")
    repo = Path(__file__).resolve().parents[1]
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
                    "--no-build-isolation", "-w", str(out), str(repo)], check=True, timeout=300)
    (found,) = out.glob("lernmodul-*.whl")
    return found


# a real Learning Record Store (ralph, tests/lrs.py) for the xAPI and cmi5 tests, and
# the live app with a real OpenID provider beside it (tests/oidc_site.py)
from lrs import lrs  # noqa: E402, F401
from oidc_site import oidc_site  # noqa: E402, F401

# --- Debian's Chromium via Playwright: one session-wide browser for every browser test -------
# (a second sync_playwright() beside a running one fails: "Sync API inside the asyncio loop")

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def find_chromium() -> str | None:
    for candidate in CHROMIUM_CANDIDATES:
        if Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    return shutil.which("chromium")


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = find_chromium()
    if path is None:
        if os.environ.get("LERNMODUL_REQUIRE_BROWSER"):
            pytest.fail("LERNMODUL_REQUIRE_BROWSER is set but no Chromium was found")
        pytest.skip("no Chromium found (apt-get install chromium); browser tests skipped")
    return path


@pytest.fixture(scope="session")
def browser(chromium_path: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture(scope="session")
def axe_runner() -> Any:
    from axe_playwright_python.sync_playwright import Axe

    return Axe()


@pytest.fixture
def assert_accessible(axe_runner: Any) -> Any:
    """assert_accessible(page): axe-core finds no WCAG 2.1 A/AA violation on the page."""

    def check(page: Any) -> None:
        results = axe_runner.run(
            page,
            options={"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]},
        )
        assert results.violations_count == 0, f"{page.url}\n{results.generate_report()}"

    return check
