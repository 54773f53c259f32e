"""Package tests: the sample course exported as packages, served on 127.0.0.1 beside the
scorm-again runtime (node/), played in the session's Chromium by a scripted learner."""

from __future__ import annotations

import functools
import http.server
import io
import threading
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from package_paths import HERE, SAMPLE_COURSE, node_package

from lernmodul.content import load_course
from lernmodul.core.model import Course
from lernmodul.packages import PackageOptions, build_package


@pytest.fixture(scope="session")
def sample_course() -> Course:
    result = load_course(SAMPLE_COURSE)
    assert result.course is not None and result.ok
    return result.course


@pytest.fixture(scope="session")
def sample_media(sample_course: Course) -> dict[str, bytes]:
    return {m: (SAMPLE_COURSE / m).read_bytes() for u in sample_course.units for m in u.media}


@pytest.fixture(scope="session")
def export(sample_course: Course, sample_media: dict[str, bytes]) -> Callable[..., bytes]:
    def run(package_format: str, **options: Any) -> bytes:
        return build_package(sample_course, sample_media, package_format,
                             PackageOptions(**options))
    return run


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def package_site(tmp_path: Path) -> Iterator[Callable[[bytes], str]]:
    """serve(zip bytes) -> base URL: the package unpacked under /pkg/, the harness at
    /harness.html and scorm-again at /runtime/, on a free loopback port."""
    root = tmp_path / "site"
    (root / "runtime").mkdir(parents=True)
    runtime = node_package("scorm-again") / "dist" / "scorm-again.min.js"
    (root / "runtime" / "scorm-again.min.js").write_bytes(runtime.read_bytes())
    (root / "harness.html").write_bytes((HERE / "harness.html").read_bytes())
    handler = functools.partial(_Quiet, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    def serve(data: bytes) -> str:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            archive.extractall(root / "pkg")
        return f"http://127.0.0.1:{server.server_port}"

    try:
        yield serve
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
