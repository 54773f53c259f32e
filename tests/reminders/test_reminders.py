"""`lernmodul reminders send` against a real SMTP server, on SQLite and PostgreSQL.

The scene (conftest.py) as at TODAY (2026-11-27): Anna (en) and Tom are due within 7 days,
Berta, Yann and Olga (en, unit B) are overdue, Cem's certificate expires in 30 days; Dora is
due in 20 days, Lena's certificate in 200 days, Rita's expiring certificate is revoked, Finn
is deactivated and Vera's overdue course is voluntary: they get nothing. HR Hanna (unit A,
German) and Bob (unit B, English) get a digest, Carla (unit C, nothing to report) none."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from lernmodul.db.models import AuditLog, Enrolment
from lernmodul.db.reminders import SentReminder

from .conftest import BASE_URL, SENDER, TODAY, due, mail_settings

ALL_SENT = ["due_soon: sent=2 skipped=0 failed=0", "overdue: sent=3 skipped=0 failed=0",
            "expiring: sent=1 skipped=0 failed=0", "revoked: sent=0 skipped=0 failed=0",
            "hr_digest: sent=2 skipped=0 failed=0"]
RERUN = ["due_soon: sent=0 skipped=2 failed=0", "overdue: sent=0 skipped=3 failed=0",
         "expiring: sent=0 skipped=1 failed=0", "revoked: sent=0 skipped=0 failed=0",
         "hr_digest: sent=0 skipped=2 failed=0"]
TODAY_ARG = ("--today", TODAY.isoformat())


def output_lines(result) -> list[str]:
    return [line for line in result.output.splitlines() if re.match(r"\w+: ", line)]


def sent_rows(db_session) -> list[tuple[str, int, str]]:
    db_session.rollback()
    return sorted(db_session.execute(
        select(SentReminder.kind, SentReminder.user_id, SentReminder.event_key)).all())


def test_each_reminder_goes_to_the_right_people_once(command, smtp, scene, db_session) -> None:
    first = command("send", *TODAY_ARG, **mail_settings(smtp.port))
    assert first.exit_code == 0, first.output
    assert output_lines(first) == ALL_SENT
    by_recipient = {m.rcpt_tos[0]: m for m in smtp.handler.messages}
    assert sorted(by_recipient) == sorted(scene.email(k) for k in (
        "anna", "tom", "berta", "yann", "olga", "cem", "hanna", "bob"))
    assert len(smtp.handler.messages) == 8
    for received in smtp.handler.messages:
        assert received.mail_from == SENDER
        assert received.message["From"] == SENDER
        assert received.message["Auto-Submitted"] == "auto-generated"
    assert by_recipient[scene.email("anna")].message["To"] == "Anna Albers <anna@example.org>"
    users = scene.users
    assert {(kind, uid) for kind, uid, _key in sent_rows(db_session)} == {
        ("due_soon", users["anna"].id), ("due_soon", users["tom"].id),
        ("overdue", users["berta"].id), ("overdue", users["yann"].id),
        ("overdue", users["olga"].id), ("expiring", users["cem"].id),
        ("hr_digest", users["hanna"].id), ("hr_digest", users["bob"].id)}

    rerun = command("send", *TODAY_ARG, **mail_settings(smtp.port))
    assert rerun.exit_code == 0, rerun.output
    assert output_lines(rerun) == RERUN
    assert len(smtp.handler.messages) == 8


def test_german_and_english_subjects_bodies_and_links(command, smtp, scene) -> None:
    result = command("send", *TODAY_ARG, **mail_settings(smtp.port))
    assert result.exit_code == 0, result.output
    anna = smtp.handler.to(scene.email("anna"))[0]  # English, due soon
    assert anna.message["Subject"] == "Reminder: “Datenschutz im Amt” is due on Nov 30, 2026"
    assert anna.message["Content-Language"] == "en"
    assert anna.body.startswith("Hello Anna Albers,\n\n")
    assert "is due on November 30, 2026" in anna.body
    assert f"{BASE_URL}/courses/datenschutz" in anna.body
    assert "\n-- \nThis message was sent automatically" in anna.body

    tom = smtp.handler.to(scene.email("tom"))[0]  # German, due at the end of today
    assert tom.message["Subject"] == "Erinnerung: „Datenschutz im Amt“ ist am 27.11.2026 fällig"
    assert tom.body.startswith("Hallo Tom Today,\n\n")
    assert "27. November 2026" in tom.body and f"{BASE_URL}/courses/datenschutz" in tom.body

    berta = smtp.handler.to(scene.email("berta"))[0]  # German, overdue
    assert berta.message["Subject"] == "Überfällig: „Datenschutz im Amt“ war am 25.11.2026 fällig"
    assert "25. November 2026" in berta.body
    yann = smtp.handler.to(scene.email("yann"))[0]  # no locale: German
    assert yann.message["Content-Language"] == "de" and "Hallo Yann Yesterday" in yann.body
    olga = smtp.handler.to(scene.email("olga"))[0]  # English, overdue
    assert olga.message["Subject"] == "Overdue: “Datenschutz im Amt” was due on Nov 22, 2026"

    cem = smtp.handler.to(scene.email("cem"))[0]  # German, certificate expiring
    assert cem.message["Subject"] == "Ihr Zertifikat für „Informationssicherheit“ läuft am 27.12.2026 ab"
    assert "27. Dezember 2026" in cem.body and f"{BASE_URL}/certificates" in cem.body
    for received in smtp.handler.messages:
        assert "%(" not in received.body and "{{" not in received.body


def test_hr_digest_lists_own_units_with_allowlisted_fields_only(command, smtp, scene,
                                                                db_session) -> None:
    result = command("send", *TODAY_ARG, **mail_settings(smtp.port))
    assert result.exit_code == 0, result.output
    hanna = smtp.handler.to(scene.email("hanna"))[0]
    assert hanna.message["Subject"] == "Pflichtkurse: 2 überfällig, 1 bald ablaufend"
    people = [line for line in hanna.body.splitlines() if line.startswith("- ")]
    assert people == [
        "- Berta Berger (Amt A): Datenschutz im Amt, fällig 25.11.2026",
        "- Yann Yesterday (Amt A): Datenschutz im Amt, fällig 26.11.2026",
        "- Cem Certified (Amt A): Informationssicherheit, abgeschlossen 20.11.2025, "
        "läuft ab 27.12.2026",
    ]
    assert f"{BASE_URL}/hr/people?status=overdue" in hanna.body
    assert f"{BASE_URL}/hr/people?status=expiring" in hanna.body
    for absent in ("Olga", "Finn", "Vera", "Anna", "Dora", "Lena", "Rita", "%"):
        assert absent not in hanna.body

    bob = smtp.handler.to(scene.email("bob"))[0]
    assert bob.message["Subject"] == "Mandatory training: 1 overdue, 0 expiring soon"
    assert [line for line in bob.body.splitlines() if line.startswith("- ")] == [
        "- Olga Other (Amt B): Datenschutz im Amt, due Nov 22, 2026"]
    assert "Berta" not in bob.body and "Certificate expires soon: 0" in bob.body
    assert not smtp.handler.to(scene.email("carla"))  # nothing to report, no mail

    db_session.rollback()
    audits = {a.target: a.detail for a in db_session.scalars(
        select(AuditLog).where(AuditLog.action == "reminder.hr_digest"))}
    users = scene.users
    assert audits[f"user:{users['hanna'].id}"] == {
        "week": "2026-W48", "overdue": 2, "expiring": 1, "revoked": 0,
        "user_ids": sorted([users["berta"].id, users["yann"].id, users["cem"].id])}
    assert audits[f"user:{users['bob'].id}"]["user_ids"] == [users["olga"].id]


def test_hr_digest_once_per_iso_week(command, smtp, scene) -> None:
    settings = mail_settings(smtp.port)
    assert command("send", *TODAY_ARG, **settings).exit_code == 0  # Friday of week 48
    sunday = command("send", "--today", (TODAY + timedelta(days=2)).isoformat(), **settings)
    assert "hr_digest: sent=0 skipped=2 failed=0" in sunday.output
    monday = command("send", "--today", (TODAY + timedelta(days=3)).isoformat(), **settings)
    assert "hr_digest: sent=2 skipped=0 failed=0" in monday.output, monday.output
    assert len(smtp.handler.to(scene.email("hanna"))) == 2


def test_a_moved_due_date_is_a_new_event(command, smtp, scene, db_session) -> None:
    settings = mail_settings(smtp.port)
    assert command("send", *TODAY_ARG, **settings).exit_code == 0
    anna = scene.users["anna"]
    enrolment = db_session.scalars(select(Enrolment).where(Enrolment.user_id == anna.id)).one()
    enrolment.due_at = due(TODAY + timedelta(days=5))
    db_session.commit()
    again = command("send", *TODAY_ARG, **settings)
    assert "due_soon: sent=1 skipped=1 failed=0" in again.output, again.output
    mails = smtp.handler.to(anna.email)
    assert len(mails) == 2 and "December 2, 2026" in mails[1].body
    # the day after the new due date the same enrolment is overdue: one more e-mail, once
    for _ in range(2):
        late = command("send", "--today", (TODAY + timedelta(days=6)).isoformat(), **settings)
        assert late.exit_code == 0, late.output
    assert [m.message["Subject"].split(":")[0] for m in smtp.handler.to(anna.email)] == [
        "Reminder", "Reminder", "Overdue"]


def test_due_soon_window_is_configurable(command, smtp, scene) -> None:
    result = command("send", *TODAY_ARG, REMINDER_DUE_SOON_DAYS=30, **mail_settings(smtp.port))
    assert "due_soon: sent=3 skipped=0 failed=0" in result.output  # Dora (20 days) too
    assert smtp.handler.to(scene.email("dora"))


def test_dry_run_lists_and_writes_nothing(command, smtp, scene, db_session) -> None:
    result = command("send", "--dry-run", *TODAY_ARG, **mail_settings(smtp.port))
    assert result.exit_code == 0, result.output
    assert "due_soon: would send=2 skipped=0 failed=0" in result.output
    assert "hr_digest: would send=2 skipped=0 failed=0" in result.output
    assert (f"overdue to user {scene.users['berta'].id} <berta@example.org> (de): "
            "Überfällig: „Datenschutz im Amt“ war am 25.11.2026 fällig") in result.output
    assert smtp.handler.messages == []
    assert sent_rows(db_session) == []
    assert db_session.scalar(select(func.count()).select_from(AuditLog)) == 0


def test_smtp_down_fails_with_exit_1_and_marks_nothing(command, smtp, scene, db_session) -> None:
    from .conftest import free_port

    down = command("send", *TODAY_ARG, **mail_settings(free_port()))
    assert down.exit_code == 1
    assert "cannot be reached" in down.output and "127.0.0.1" in down.output
    assert "8 reminder(s) not sent; they will be tried again on the next run" in down.output
    assert "due_soon: sent=0 skipped=0 failed=2" in down.output
    assert "Traceback" not in down.output
    assert isinstance(down.exception, SystemExit)  # a clean exit, not an uncaught error
    assert sent_rows(db_session) == []
    assert db_session.scalar(select(func.count()).select_from(AuditLog)) == 0

    up = command("send", *TODAY_ARG, **mail_settings(smtp.port))
    assert up.exit_code == 0 and output_lines(up) == ALL_SENT
    assert len(smtp.handler.messages) == 8


def test_a_refused_recipient_is_retried_the_others_are_sent(command, smtp, scene,
                                                            db_session) -> None:
    smtp.handler.refuse.add(scene.email("berta"))
    first = command("send", *TODAY_ARG, **mail_settings(smtp.port))
    assert first.exit_code == 1
    assert "overdue: sent=2 skipped=0 failed=1" in first.output
    assert "refused the recipient (550" in first.output
    assert len(smtp.handler.messages) == 7
    assert scene.users["berta"].id not in {uid for _k, uid, _e in sent_rows(db_session)}

    smtp.handler.refuse.clear()
    second = command("send", *TODAY_ARG, **mail_settings(smtp.port))
    assert second.exit_code == 0, second.output
    assert "overdue: sent=1 skipped=2 failed=0" in second.output
    assert len(smtp.handler.to(scene.email("berta"))) == 1


def test_production_without_smtp_server_fails_clearly(command, scene, db_session) -> None:
    result = command("send", *TODAY_ARG, MAIL_SERVER=None, PUBLIC_BASE_URL=BASE_URL,
                     MAIL_DEFAULT_SENDER=SENDER)
    assert result.exit_code == 1
    assert "MAIL_SERVER is not set" in result.output and "Traceback" not in result.output
    assert sent_rows(db_session) == []
    missing_url = command("send", *TODAY_ARG, MAIL_SERVER="127.0.0.1", MAIL_DEFAULT_SENDER=SENDER)
    assert missing_url.exit_code == 1 and "PUBLIC_BASE_URL is not set" in missing_url.output
    bad_days = command("send", *TODAY_ARG, REMINDER_DUE_SOON_DAYS="-1",
                       **mail_settings(2525))
    assert bad_days.exit_code == 1 and "REMINDER_DUE_SOON_DAYS must be" in bad_days.output
    bad_date = command("send", "--today", "27.11.2026", **mail_settings(2525))
    assert bad_date.exit_code == 2 and "Invalid value for '--today'" in bad_date.output


def test_dry_run_needs_no_smtp_server(command, scene, db_session) -> None:
    result = command("send", "--dry-run", *TODAY_ARG, MAIL_SERVER=None, PUBLIC_BASE_URL=BASE_URL)
    assert result.exit_code == 0, result.output
    assert "overdue: would send=3 skipped=0 failed=0" in result.output
    assert sent_rows(db_session) == []


def test_an_unusable_address_fails_that_message_only(command, smtp, world, db_session) -> None:
    broken = world.person("Bea Broken", "A", email="bea@amt@example.org")
    fine = world.person("Fritz Fine", "A")
    for user in (broken, fine):
        world.enrol(user, due_on=TODAY)
    db_session.commit()
    result = command("send", *TODAY_ARG, **mail_settings(smtp.port))
    assert result.exit_code == 1
    assert "due_soon: sent=1 skipped=0 failed=1" in result.output
    assert f"user {broken.id} has an e-mail address that cannot be used" in result.output
    assert "Traceback" not in result.output
    assert [m.rcpt_tos for m in smtp.handler.messages] == [[fine.email]]
    assert [uid for _kind, uid, _key in sent_rows(db_session)] == [fine.id]


@pytest.mark.parametrize(("setting", "value", "message"), [
    ("MAIL_DEFAULT_SENDER", "lernmodul@", "MAIL_DEFAULT_SENDER is not one e-mail address"),
    ("MAIL_DEFAULT_SENDER", "a@example.org, b@example.org", "is not one e-mail address"),
    ("MAIL_USE_TLS", "yes", "MAIL_USE_TLS must be true or false, not 'yes'"),
    ("MAIL_PORT", "70000", "MAIL_PORT must be a port number"),
    ("MAIL_TIMEOUT", "0", "MAIL_TIMEOUT must be a whole number of at least 1"),
])
def test_bad_settings_stop_the_run_with_one_line(command, smtp, scene, db_session, setting, value,
                                                 message) -> None:
    result = command("send", *TODAY_ARG, **{**mail_settings(smtp.port), setting: value})
    assert result.exit_code == 1 and message in result.output, result.output
    assert "Traceback" not in result.output
    assert smtp.handler.messages == [] and sent_rows(db_session) == []


def test_a_revoked_certificate_reminds_the_learner_and_shows_in_the_digest(
        command, smtp, scene, world, db_session) -> None:
    from lernmodul.services.certificates import revoke_certificate

    rex = world.person("Rex Revoked", "A", locale="de")
    done = world.enrol(rex, due_on=TODAY + timedelta(days=40), course_id="infosec",
                       completed_on=date(2026, 3, 2))
    certificate = world.certify(done, rex, valid_until=date(2028, 3, 2))
    revoke_certificate(db_session, certificate, reason="Täuschung", actor_id=scene.users["hanna"].id,
                       now=due(TODAY - timedelta(days=1)))
    db_session.commit()
    result = command("send", *TODAY_ARG, **mail_settings(smtp.port))
    assert result.exit_code == 0, result.output
    assert "revoked: sent=1 skipped=0 failed=0" in output_lines(result)
    mail = smtp.handler.to(rex.email)
    assert len(mail) == 1
    assert mail[0].message["Subject"] == \
        "Bitte absolvieren Sie „Informationssicherheit“ erneut: Ihr Zertifikat wurde widerrufen"
    assert "wurde widerrufen" in mail[0].body and "6. Januar 2027" in mail[0].body
    assert f"{BASE_URL}/courses/infosec" in mail[0].body
    hanna = smtp.handler.to(scene.email("hanna"))[0]
    assert "Widerrufen – erneut zu absolvieren: 1" in hanna.body
    assert "- Rex Revoked (Amt A): Informationssicherheit, fällig 06.01.2027" in hanna.body
    assert f"{BASE_URL}/hr/people?status=revoked" in hanna.body
    again = command("send", *TODAY_ARG, **mail_settings(smtp.port))
    assert "revoked: sent=0 skipped=1 failed=0" in output_lines(again)
