"""Short write transactions: a write request reads, compiles and grades before it takes the
write lock (SQLite: BEGIN IMMEDIATE; PostgreSQL: the row locks of its first write), and only
its writes run inside. A request holding the lock does not hold up another's read phase."""

from __future__ import annotations

import re
import threading
from pathlib import Path
from typing import Any

from sqlalchemy import event, func, select

from lernmodul.db.learning import Attempt, AttemptResult
from lernmodul.services import accounts, learning
from lernmodul.services import courses as course_service
from lernmodul.web.database import get_database
from lernmodul.web.learner import views as learner_views

SAMPLE = Path(__file__).parents[1] / "core" / "fixtures" / "sample-course"
COURSE = "/courses/beispielkurs"
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
REVISION = re.compile(r'name="revision" value="(\d+)"')
# a write, also one whose WITH clause starts with a data-modifying statement
WRITE = re.compile(r"\s*(WITH\s+\w+\s+AS\s*\(\s*)?(INSERT|UPDATE|DELETE)\b", re.IGNORECASE)
# the tables a graded quiz submission writes or re-reads in its write transaction
WRITE_TABLES = {"attempts", "attempt_results", "unit_progress", "enrolments"}
GUARD_SECONDS = 20  # only against a hang: the tests wait on events, they time nothing


def _signed_in(app: Any, make_user: Any, login: Any, email: str) -> Any:
    make_user(("learner",), email=email)
    client = app.test_client()
    assert login(client, email).status_code == 302
    return client


def _post(client: Any, url: str, page: str = COURSE) -> Any:
    token = CSRF.search(client.get(page).get_data(as_text=True)).group(1)
    return client.post(url, data={"csrf_token": token})


def _open_quiz(client: Any) -> tuple[str, dict[str, str]]:
    """Starts the course and the first quiz; returns the attempt's URL and a submit form
    (no answers, confirmed: graded all the same)."""
    assert _post(client, f"{COURSE}/start").status_code == 303
    started = _post(client, f"{COURSE}/units/grundlagen/quiz")
    assert started.status_code == 303
    url = str(started.headers["Location"])
    page = client.get(url).get_data(as_text=True)
    return url, {"csrf_token": CSRF.search(page).group(1), "action": "submit",
                 "revision": REVISION.search(page).group(1), "confirm_incomplete": "1"}


class Recorder:
    """The statements this thread runs on the engine, the commits, and marks of the work
    between them (("sql", text), ("commit", ""), (mark, ""))."""

    def __init__(self, engine: Any) -> None:
        self.engine, self.log, self.me = engine, [], threading.get_ident()

    def mark(self, name: str, work: Any) -> Any:
        def marked(*args: Any, **kwargs: Any) -> Any:
            self.log.append((name, ""))
            return work(*args, **kwargs)
        return marked

    def _statement(self, _conn: Any, _cursor: Any, sql: str, *_args: Any) -> None:
        if threading.get_ident() == self.me:
            self.log.append(("sql", " ".join(sql.split())))

    def _commit(self, _conn: Any) -> None:
        if threading.get_ident() == self.me:
            self.log.append(("commit", ""))

    def __enter__(self) -> Recorder:
        event.listen(self.engine, "before_cursor_execute", self._statement)
        event.listen(self.engine, "commit", self._commit)
        return self

    def __exit__(self, *_exc: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self._statement)
        event.remove(self.engine, "commit", self._commit)

    def write_start(self) -> int:
        """Where the write transaction begins: BEGIN IMMEDIATE on SQLite, else the first
        write statement (PostgreSQL's row locks)."""
        sqls = [sql for _kind, sql in self.log]
        if self.engine.dialect.name == "sqlite":
            assert sqls[0] == "BEGIN DEFERRED"  # the read phase takes no lock
            assert sqls.count("BEGIN IMMEDIATE") == 1
            start = sqls.index("BEGIN IMMEDIATE")
            assert not any(WRITE.match(sql) for sql in sqls[:start])
            assert WRITE.match(sqls[start + 1])  # the lock is taken for the write, not before
            return start
        return next(n for n, sql in enumerate(sqls) if WRITE.match(sql))


def _tables(statement: str) -> set[str]:
    return {name.lower() for name in re.findall(
        r"\b(?:FROM|JOIN|INTO|UPDATE)\s+\"?(\w+)", statement, re.IGNORECASE)} - {"set"}


def test_a_graded_submission_reads_compiles_and_grades_before_its_write_transaction(
    app: Any, import_course: Any, make_user: Any, login: Any, monkeypatch: Any
) -> None:
    import_course(SAMPLE)
    client = _signed_in(app, make_user, login, "lea@example.org")
    url, form = _open_quiz(client)
    sqlite = get_database(app).engine.dialect.name == "sqlite"
    with Recorder(get_database(app).engine) as recorder:
        monkeypatch.setattr(learning, "grade_attempt",
                            recorder.mark("grade", learning.grade_attempt))
        monkeypatch.setattr(course_service, "compile_version",
                            recorder.mark("compile", course_service.compile_version))
        # a fresh cache: this worker has not compiled the course yet
        monkeypatch.setattr(learner_views, "COMPILED", course_service.CompiledCourses())
        response = client.post(url, data=form)
    assert response.status_code == 303 and "/result" in response.headers["Location"]

    log = recorder.log
    start = recorder.write_start()
    kinds = [kind for kind, _sql in log]
    read, write = log[:start], log[start:]
    assert ("compile", "") in read and ("grade", "") in read
    assert any("users" in _tables(sql) for kind, sql in read if kind == "sql")  # session
    assert any("attempts" in _tables(sql) for kind, sql in read if kind == "sql")
    assert kinds.count("commit") == 1 and kinds[-1] == "commit"  # the write ends the request
    inside = [sql for kind, sql in write[1 if sqlite else 0:-1] if kind == "sql"]
    assert len(inside) == len(write) - (2 if sqlite else 1)  # no work but statements inside
    # the conditional UPDATE comes first (on PostgreSQL in one statement with the result's
    # INSERT, which takes the attempt id from the UPDATE's row)
    assert re.match(r"(WITH submitted AS\s*\(\s*)?UPDATE attempts", inside[0]), inside[0]
    assert any(re.search(r"^(WITH .*\))?\s*INSERT INTO attempt_results", sql, re.DOTALL)
               for sql in inside)
    for sql in inside:
        assert _tables(sql) - {"submitted"} <= WRITE_TABLES or sql.startswith(
            ("SAVEPOINT", "RELEASE")), sql
    # a failed quiz: the attempt, its result and the unit's score, nothing read back
    expected = ([{"attempts"}, {"attempt_results"}, {"unit_progress"}] if sqlite else
                [{"attempts", "attempt_results", "submitted"}, {"unit_progress"}])
    assert [_tables(sql) for sql in inside] == expected, inside


def test_a_sign_in_checks_the_password_before_it_locks_the_throttle_counters(
    app: Any, make_user: Any, monkeypatch: Any
) -> None:
    make_user(("learner",), email="lea@example.org")
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    form = {"csrf_token": CSRF.search(page).group(1), "login": "lea@example.org",
            "password": "not the password"}
    with Recorder(get_database(app).engine) as recorder:
        monkeypatch.setattr(accounts, "verify_password",
                            recorder.mark("verify", accounts.verify_password))
        assert client.post("/login", data=form).status_code == 200  # refused: wrong password
    start = recorder.write_start()
    read, write = recorder.log[:start], recorder.log[start:]
    assert ("verify", "") in read
    assert any("login_throttles" in _tables(sql) for kind, sql in read if kind == "sql")
    kinds = [kind for kind, _sql in write]
    assert "verify" not in kinds and kinds[-1] == "commit"  # the failure is counted
    inside = [sql for kind, sql in write if kind == "sql" and not sql.startswith("BEGIN")]
    assert inside[0].startswith("INSERT INTO login_throttles")  # the counters, then locked
    assert "login_throttles" in _tables(inside[1])


def test_a_request_holding_the_write_lock_does_not_hold_up_another_requests_read_phase(
    app: Any, import_course: Any, make_user: Any, login: Any, db_session: Any,
    monkeypatch: Any
) -> None:
    import_course(SAMPLE)
    first = _signed_in(app, make_user, login, "a@example.org")
    second = _signed_in(app, make_user, login, "b@example.org")
    first_url, first_form = _open_quiz(first)
    second_url, second_form = _open_quiz(second)
    engine = get_database(app).engine
    holding = threading.Event()  # the first request has written: it holds the lock
    graded = threading.Event()  # the second request has read and graded
    waited: list[bool] = []
    threads: dict[str, int] = {}
    responses: dict[str, Any] = {}

    def after_statement(_conn: Any, _cursor: Any, sql: str, *_args: Any) -> None:
        if threading.get_ident() == threads.get("first") and re.match(
                r"(WITH submitted AS\s*\(\s*)?UPDATE attempts", sql) and not holding.is_set():
            holding.set()
            waited.append(graded.wait(GUARD_SECONDS))  # keeps the lock until B has graded

    grade = learning.grade_attempt

    def grading(*args: Any, **kwargs: Any) -> Any:
        result = grade(*args, **kwargs)
        if threading.get_ident() == threads.get("second"):
            graded.set()
        return result

    monkeypatch.setattr(learning, "grade_attempt", grading)

    def submit_first() -> None:
        threads["first"] = threading.get_ident()
        responses["first"] = first.post(first_url, data=first_form)

    def submit_second() -> None:
        threads["second"] = threading.get_ident()
        if holding.wait(GUARD_SECONDS):
            responses["second"] = second.post(second_url, data=second_form)

    event.listen(engine, "after_cursor_execute", after_statement)
    try:
        workers = [threading.Thread(target=submit_first), threading.Thread(target=submit_second)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
    finally:
        event.remove(engine, "after_cursor_execute", after_statement)
    assert waited == [True]  # B read the session, user and attempt and graded meanwhile
    assert responses["first"].status_code == 303
    assert responses["second"].status_code == 303  # then it waited for the lock and wrote
    db_session.rollback()
    assert db_session.scalar(select(func.count()).select_from(AttemptResult)) == 2
    states = set(db_session.scalars(select(Attempt.state)))
    assert states == {"submitted"}
