"""SQL statements per learner page: at most 6 (an attempt page 2), and the same for a small and a large course
and for few or many other learners (no N+1)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from sqlalchemy import event

REPO = Path(__file__).parents[2]
SAMPLE = REPO / "tests" / "core" / "fixtures" / "sample-course"
REAL = REPO / "courses" / "bedrohungsmanagement"
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
MAX_STATEMENTS = 6


class Counter:
    def __init__(self, engine: Any) -> None:
        self.statements: list[str] = []
        event.listen(engine, "before_cursor_execute", self._record)

    def _record(self, _conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if not statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK")):
            self.statements.append(statement)

    def count(self, client: Any, url: str) -> int:
        self.statements.clear()
        response = client.get(url)
        assert response.status_code == 200, url
        return len(self.statements)


def walk(
    app: Any, client: Any, course_id: str, other_learners: int, make_user: Any, login: Any
) -> dict[str, int]:
    """Statements per page for one learner who has started the course and one quiz, with
    `other_learners` more learners doing the same."""
    from lernmodul.web.database import get_database

    def token(c: Any) -> str:
        return CSRF.search(c.get("/").get_data(as_text=True)).group(1)

    def start(c: Any) -> str:
        course = f"/courses/{course_id}"
        c.post(f"{course}/start", data={"csrf_token": token(c)})
        first_unit = re.search(rf'href="{course}/units/([^"]+)"', c.get(course).get_data(as_text=True)).group(
            1
        )
        c.post(f"{course}/units/{first_unit}/read", data={"csrf_token": token(c)})
        quiz = c.post(f"{course}/units/{first_unit}/quiz", data={"csrf_token": token(c)})
        return first_unit, quiz.headers["Location"]

    for n in range(other_learners):
        other = app.test_client()
        make_user(("learner",), email=f"other{n}-{course_id}@example.org")
        login(other, f"other{n}-{course_id}@example.org")
        start(other)
    unit, attempt_url = start(client)
    counter = Counter(get_database(app).engine)
    counts = {
        "dashboard": counter.count(client, "/"),
        "course": counter.count(client, f"/courses/{course_id}"),
        "unit": counter.count(client, f"/courses/{course_id}/units/{unit}"),
        "attempt": counter.count(client, attempt_url),
    }
    page = client.get(attempt_url).get_data(as_text=True)
    client.post(
        attempt_url,
        data={
            "csrf_token": CSRF.search(page).group(1),
            "revision": "0",
            "action": "submit",
            "confirm_incomplete": "1",
        },
    )
    counts["result"] = counter.count(client, attempt_url + "/result")
    return counts


def test_learner_pages_need_few_statements_whatever_the_size(
    app: Any, client: Any, make_user: Any, login: Any, import_course: Any
) -> None:
    make_user(("learner",), email="counted@example.org")
    login(client, "counted@example.org")
    # 2 units and no one else, against 9 units and 12 other learners with progress and attempts
    small = walk(app, client, import_course(SAMPLE).course_id, 0, make_user, login)
    large = walk(app, client, import_course(REAL).course_id, 12, make_user, login)
    assert small == large, (small, large)
    assert max(small.values()) <= MAX_STATEMENTS, small
    # the signed-in user with roles, then the attempt with its version in one statement
    assert small["attempt"] == 2, small
    # and the result and the enrolment (for the review rule)
    assert small["result"] == 4, small

