"""The editor page stays cheap: a handful of SQL statements however many units and images a
draft has, and the flagship course (nine units) compiles and renders well within a second."""

from __future__ import annotations

import io
import re
import time
from typing import Any

from sqlalchemy import event

from lernmodul.web.database import get_database

from .conftest import COURSES, PNG

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
MAX_STATEMENTS = 8


def statements_for(app: Any, client: Any, url: str) -> int:
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if not statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK")):
            seen.append(statement)

    engine = get_database(app).engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        assert client.get(url).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return len(seen)


def test_the_editor_needs_few_statements_and_little_time(app, trainer, import_course):
    import_course(COURSES / "bedrohungsmanagement")
    page = trainer.get("/trainer/courses/bedrohungsmanagement")
    response = trainer.post("/trainer/courses/bedrohungsmanagement/draft",
                            data={"csrf_token": CSRF.search(page.get_data(as_text=True)).group(1)})
    url = response.headers["Location"]
    few = statements_for(app, trainer, url + "?file=03-erkennen-einschaetzen-entschaerfen.md")
    # more images in the draft do not add statements
    html = trainer.get(url).get_data(as_text=True)
    for n in range(5):
        revision = re.search(r'name="revision" value="(\d+)"', html).group(1)
        trainer.post(url + "/media", data={
            "csrf_token": CSRF.search(html).group(1), "revision": revision,
            "image": (io.BytesIO(PNG + bytes([n])), f"bild{n}.png")},
            content_type="multipart/form-data")
        html = trainer.get(url).get_data(as_text=True)
    assert html.count('class="media-thumb"') == 5
    many = statements_for(app, trainer, url + "?file=03-erkennen-einschaetzen-entschaerfen.md")
    print(f"editor statements: {few} -> {many}")
    assert few == many <= MAX_STATEMENTS, (few, many)
    started = time.perf_counter()
    for _ in range(5):
        trainer.get(url + "?file=03-erkennen-einschaetzen-entschaerfen.md")
    print(f"editor page: {(time.perf_counter() - started) / 5 * 1000:.0f} ms")
    assert (time.perf_counter() - started) / 5 < 1.0
    assert statements_for(app, trainer, "/trainer/") <= MAX_STATEMENTS
