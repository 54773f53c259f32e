"""Browser fixtures: the app on a live server in a thread, Debian's Chromium via Playwright, axe.

The tests skip (with a visible reason) only when no Chromium exists and
LERNMODUL_REQUIRE_BROWSER is unset; CI sets it, so there they fail instead.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from learner_pages import LEARNER_EMAIL, sign_in

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


@pytest.fixture
def live_server(app: Any) -> Iterator[str]:
    """Serves `app` on a free loopback port; yields the base URL."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context()
    context.set_default_timeout(10_000)
    try:
        yield context.new_page()
    finally:
        context.close()


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


# --- the learner journey: a course on the live server, a signed-in learner -----------------

SAMPLE_COURSE = Path(__file__).parents[1] / "core" / "fixtures" / "sample-course"


@pytest.fixture(scope="session")
def sample_course() -> Any:
    """The compiled sample course: the answer key a test reads the pages with."""
    from lernmodul.content import load_course

    return load_course(SAMPLE_COURSE).course


@pytest.fixture
def course_imported(import_course: Any) -> int:
    """The sample course imported (and committed) into the live server's database."""
    return import_course(SAMPLE_COURSE).version_id


@pytest.fixture
def learner(make_user: Any, course_imported: int) -> Any:
    return make_user(("learner",), email=LEARNER_EMAIL, name="Lea Lernende")


@pytest.fixture
def signed_in_page(live_server: str, page: Any, learner: Any) -> Any:
    """A page whose context is signed in as the learner."""
    sign_in(page, live_server)
    return page
