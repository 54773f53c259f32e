"""Delivery: the development outbox, SMTP login, concurrent runs and the claim itself."""

from __future__ import annotations

import email
import subprocess
import sys
import threading
from datetime import UTC, datetime
from email import policy
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from freezegun import freeze_time
from sqlalchemy import func, select

from lernmodul.db.reminders import SentReminder
from lernmodul.services import reminders as service
from lernmodul.web.database import get_database
from lernmodul.web.reminder_commands import send_reminders

from .conftest import BASE_URL, SENDER, TODAY, Collector, free_port, mail_settings
from .test_reminders import output_lines


def count_sent(db_session) -> int:
    db_session.rollback()
    return db_session.scalar(select(func.count()).select_from(SentReminder))


def test_development_writes_eml_files_into_the_outbox(command, scene, app, db_session) -> None:
    result = command("send", "--today", TODAY.isoformat(), ENV="development", MAIL_SERVER=None)
    assert result.exit_code == 0, result.output
    assert "due_soon: sent=2 skipped=0 failed=0" in result.output
    outbox = Path(app.instance_path) / "outbox"
    files = sorted(outbox.glob("*.eml"))
    assert len(files) == 8 and not list(outbox.glob(".*"))  # no temporary file left
    messages = [email.message_from_bytes(f.read_bytes(), policy=policy.default) for f in files]
    anna = next(m for m in messages if m["To"].addresses[0].addr_spec == scene.email("anna"))
    assert anna["From"] == "lernmodul@localhost"
    body = anna.get_body(("plain",)).get_content()
    assert "http://127.0.0.1:5000/courses/datenschutz" in body  # the development address
    assert count_sent(db_session) == 8
    again = command("send", "--today", TODAY.isoformat(), ENV="development", MAIL_SERVER=None)
    assert "due_soon: sent=0 skipped=2 failed=0" in again.output
    assert len(list(outbox.glob("*.eml"))) == 8


def test_the_clock_decides_without_today(command, scene) -> None:
    """Without --today the run uses the current time. Sunday 2026-11-22, 07:00 in Berlin:
    Olga's course is due that day (23:59:59), Berta, Yann and Tom within 7 days, Anna (due
    2026-11-30) not yet; Cem's certificate is in its renewal window. Monday 2026-11-23: Anna
    is due within 7 days, Olga is overdue, and a new ISO week has begun for the HR digests."""
    settings = {"ENV": "development", "MAIL_SERVER": None}
    with freeze_time(datetime(2026, 11, 22, 6, 0, tzinfo=UTC)):
        sunday = command("send", **settings)
    assert output_lines(sunday) == [
        "due_soon: sent=4 skipped=0 failed=0", "overdue: sent=0 skipped=0 failed=0",
        "expiring: sent=1 skipped=0 failed=0", "revoked: sent=0 skipped=0 failed=0",
        "hr_digest: sent=1 skipped=0 failed=0"]
    with freeze_time(datetime(2026, 11, 23, 6, 0, tzinfo=UTC)):
        monday = command("send", **settings)
    assert output_lines(monday) == [
        "due_soon: sent=1 skipped=3 failed=0", "overdue: sent=1 skipped=0 failed=0",
        "expiring: sent=0 skipped=1 failed=0", "revoked: sent=0 skipped=0 failed=0",
        "hr_digest: sent=2 skipped=0 failed=0"]


def test_smtp_login_is_used(command, scene) -> None:
    handler = Collector()
    logins: list[tuple[bytes, bytes]] = []

    def authenticate(server, session, envelope, mechanism, data):
        assert isinstance(data, LoginPassword)
        logins.append((data.login, data.password))
        if data.password == b"geheim-123":
            return AuthResult(success=True)
        # aiosmtpd 1.4 answers nothing to a failed AUTH unless the result carries the reply
        return AuthResult(success=False, handled=False,
                          message="535 5.7.8 Authentication credentials invalid")

    port = free_port()
    # Without TLS only because the test server has no certificate (MAIL_USE_TLS=false).
    controller = Controller(handler, hostname="127.0.0.1", port=port, authenticator=authenticate,
                            auth_require_tls=False)
    controller.start()
    try:
        wrong = command("send", "--today", TODAY.isoformat(), MAIL_USERNAME="lernmodul",
                        MAIL_PASSWORD="falsch", **mail_settings(port))
        assert wrong.exit_code == 1 and "refused the login" in wrong.output, wrong.output
        assert "Traceback" not in wrong.output and handler.messages == []
        right = command("send", "--today", TODAY.isoformat(), MAIL_USERNAME="lernmodul",
                        MAIL_PASSWORD="geheim-123", **mail_settings(port))
        assert right.exit_code == 0, right.output
    finally:
        controller.stop()
    assert logins[-1] == (b"lernmodul", b"geheim-123")
    assert len(handler.messages) == 8


@pytest.mark.parametrize("runs", [2, 4])
def test_concurrent_runs_send_each_message_once(make_app, smtp, scene, db_session, runs) -> None:
    """Several runs at the same moment, each with its own app and connections; the SMTP server
    is slow, so the runs overlap while messages are in flight."""
    smtp.handler.delay = 0.05
    apps = [make_app(**mail_settings(smtp.port)) for _ in range(runs)]
    barrier = threading.Barrier(runs)
    reports, errors = [], []

    def run(index: int) -> None:
        try:
            barrier.wait(timeout=10)
            reports.append(send_reminders(apps[index], today=TODAY, echo=lambda _line: None))
        except Exception as error:  # collected for the assertion below
            errors.append(error)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(runs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    recipients = [m.rcpt_tos[0] for m in smtp.handler.messages]
    assert sorted(recipients) == sorted(set(recipients)) and len(recipients) == 8
    assert sum(sum(r.sent.values()) for r in reports) == 8
    assert all(not r.failed for r in reports)
    assert count_sent(db_session) == 8


def test_two_processes_send_each_message_once(app, smtp, scene, db_session, tmp_path) -> None:
    """Two `lernmodul reminders send` processes started together (cron twice)."""
    smtp.handler.delay = 0.05
    env = {"PATH": "/usr/bin:/bin", "LERNMODUL_DATABASE_URL": app.config["DATABASE_URL"],
           "LERNMODUL_INSTANCE_PATH": str(tmp_path / "cli"), "LERNMODUL_SECRET_KEY": "x" * 32,
           **{f"LERNMODUL_{k}": str(v).lower() if isinstance(v, bool) else str(v)
              for k, v in mail_settings(smtp.port).items()}}
    command = [sys.executable, "-m", "lernmodul", "reminders", "send", "--today", TODAY.isoformat()]
    processes = [subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  text=True) for _ in range(2)]
    outputs = [p.communicate(timeout=120) for p in processes]
    assert [p.returncode for p in processes] == [0, 0], outputs
    recipients = [m.rcpt_tos[0] for m in smtp.handler.messages]
    assert len(recipients) == 8 and len(set(recipients)) == 8
    assert count_sent(db_session) == 8
    totals = {kind: 0 for kind in service.KINDS}
    for out, _err in outputs:
        for line in out.splitlines():
            kind, _, rest = line.partition(": ")
            totals[kind] += int(rest.split()[0].split("=")[1])
    assert totals == {"due_soon": 2, "overdue": 3, "expiring": 1, "revoked": 0, "hr_digest": 2}


def test_a_claim_waits_for_a_concurrent_claim_and_skips_after_its_commit(app, scene) -> None:
    database = get_database(app)
    reminder = service.Reminder(
        kind=service.OVERDUE, event_key="enrolment:1:2026-11-25",
        recipient=service.Recipient(scene.users["berta"].id, "Berta", "berta@example.org", "de"))
    now = datetime(2026, 11, 27, 6, tzinfo=UTC)
    first, second = database.sessions(), database.sessions()
    outcome: list[bool] = []
    try:
        assert service.claim_reminder(first, reminder, now) is True
        racer = threading.Thread(target=lambda: outcome.append(
            service.claim_reminder(second, reminder, now)))
        racer.start()
        racer.join(timeout=0.5)
        assert racer.is_alive() and outcome == []  # waits for the first claim's transaction
        first.commit()
        racer.join(timeout=15)
        assert outcome == [False]
        second.rollback()
        # a claim whose transaction rolls back (the send failed) leaves the event open
        third = database.sessions()
        try:
            other = service.Reminder(kind=service.DUE_SOON, event_key="enrolment:9:2026-12-01",
                                     recipient=reminder.recipient)
            assert service.claim_reminder(third, other, now) is True
            third.rollback()
            assert service.claim_reminder(second, other, now) is True
            second.commit()
        finally:
            third.close()
    finally:
        first.close()
        second.close()


def test_users_without_address_or_with_unknown_language(command, smtp, world, db_session) -> None:
    nobody = world.person("Nora Nomail", "A", email="")
    french = world.person("Fleur French", "A", locale="fr")
    for user in (nobody, french):
        world.enrol(user, due_on=TODAY)
    db_session.commit()
    result = command("send", "--today", TODAY.isoformat(), **mail_settings(smtp.port))
    assert "due_soon: sent=1 skipped=0 failed=0" in result.output, result.output
    (only,) = smtp.handler.messages
    assert only.rcpt_tos == [french.email] and only.message["Content-Language"] == "de"
    assert only.message["From"] == SENDER and BASE_URL in only.body
