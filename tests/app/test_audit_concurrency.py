"""Audited reads under concurrency: HR views and exports, data copies and downloads while
learners save answers. On SQLite a read transaction could not take the audit row's write
(it failed at once with "database is locked"); the row is now written in a short write
transaction of its own. Every request succeeds and every audit row is there."""

from __future__ import annotations

import re
import threading
from collections import Counter
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from lernmodul.db.models import AuditLog, CourseVersion, Enrolment, OrgUnit, utcnow

SAMPLE = Path(__file__).parents[1] / "core" / "fixtures" / "sample-course"
COURSE = "/courses/beispielkurs"
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
REVISION = re.compile(r'name="revision" value="(\d+)"')
ROUNDS = 12


def _signed_in(app: Any, login: Any, email: str) -> Any:
    client = app.test_client()
    assert login(client, email).status_code == 302
    return client


def _post(client: Any, url: str, data: dict[str, Any] | None = None, page: str = COURSE) -> Any:
    token = CSRF.search(client.get(page).get_data(as_text=True)).group(1)
    return client.post(url, data={"csrf_token": token, **(data or {})})


def _open_quiz(client: Any) -> str:
    assert _post(client, f"{COURSE}/start").status_code == 303
    quiz = _post(client, f"{COURSE}/units/grundlagen/quiz")
    assert quiz.status_code == 303
    return str(quiz.headers["Location"])


def test_audited_reads_and_submits_on_one_database_all_succeed_with_every_audit_row(
    app: Any, import_course: Any, make_user: Any, login: Any, db_session: Any
) -> None:
    import_course(SAMPLE)
    unit = OrgUnit(name="Amt A")
    db_session.add(unit)
    db_session.commit()
    learners = [make_user(("learner",), email=f"l{n}@example.org", org_unit_id=unit.id)
                for n in range(6)]
    now = utcnow()
    for learner in learners:
        db_session.add(Enrolment(user_id=learner.id, course_id="beispielkurs",
                                 is_mandatory=True, due_at=now, assigned_at=now))
    db_session.commit()
    make_user(("hr",), email="hr@example.org")
    make_user(("trainer",), email="trainer@example.org")
    version_id = db_session.scalar(select(CourseVersion.id))
    db_session.rollback()

    hr_clients = [_signed_in(app, login, "hr@example.org") for _ in range(4)]
    trainer = _signed_in(app, login, "trainer@example.org")
    writers = []
    for learner in learners[:3]:
        client = _signed_in(app, login, learner.email)
        writers.append((client, _open_quiz(client)))
    copier = _signed_in(app, login, learners[3].email)

    outcomes: Counter[str] = Counter()
    failures: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(4 + 1 + 1 + len(writers))

    def note(kind: str, response: Any, ok: int) -> None:
        with lock:
            if response.status_code == ok:
                outcomes[kind] += 1
            else:
                failures.append(f"{kind}: {response.status_code}")

    def hr_reader(client: Any, n: int) -> None:
        start.wait()
        for i in range(ROUNDS):
            if (i + n) % 2:
                note("hr.view_people", client.get("/hr/people"), 200)
            else:
                response = client.get("/hr/people/export?format=csv")
                response.get_data()
                note("hr.export", response, 200)

    def data_copier() -> None:
        start.wait()
        for _ in range(ROUNDS):
            note("learner.data_copy", copier.get("/me/data.json"), 200)

    def downloader() -> None:
        start.wait()
        for _ in range(ROUNDS):
            note("course.download", trainer.get(f"/trainer/versions/{version_id}/download"), 200)

    def writer(client: Any, attempt_url: str) -> None:
        start.wait()
        for _ in range(ROUNDS):
            page = client.get(attempt_url).get_data(as_text=True)
            response = client.post(attempt_url, data={
                "csrf_token": CSRF.search(page).group(1), "action": "save",
                "revision": REVISION.search(page).group(1)})
            note("save", response, 303)

    threads = [threading.Thread(target=hr_reader, args=(c, n)) for n, c in enumerate(hr_clients)]
    threads += [threading.Thread(target=data_copier), threading.Thread(target=downloader)]
    threads += [threading.Thread(target=writer, args=w) for w in writers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failures == []
    assert outcomes["save"] == ROUNDS * len(writers)
    db_session.rollback()
    recorded = dict(db_session.execute(
        select(AuditLog.action, func.count()).group_by(AuditLog.action)).all())
    for action in ("hr.view_people", "hr.export", "learner.data_copy", "course.download"):
        assert outcomes[action] > 0
        assert recorded.get(action, 0) == outcomes[action], action
