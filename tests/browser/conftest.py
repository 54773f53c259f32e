"""Browser fixtures: the app on a live server in a thread, Debian's Chromium via Playwright, axe.

The tests skip (with a visible reason) only when no Chromium exists and
LERNMODUL_REQUIRE_BROWSER is unset; CI sets it, so there they fail instead.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from learner_pages import LEARNER_EMAIL, sign_in


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
