"""`lernmodul reminders send`: e-mails to learners (due soon, overdue, certificate expiring)
and the weekly HR digest, each event once, however often and however many at a time it runs.

Each message is its own transaction: claim the event (insert its row), hand the message to
the transport, commit. A failed hand-over rolls the claim back, so the next run tries again;
a second run at the same moment finds the claim and skips the message."""

from __future__ import annotations

import contextlib
import logging
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from email.errors import HeaderParseError
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import click
from flask import Flask, render_template, url_for
from flask_babel import force_locale, format_date
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import SQLAlchemyError

from lernmodul.db.models import utcnow
from lernmodul.services import hr, mail
from lernmodul.services import reminders as service
from lernmodul.services.certificates import DEFAULT_RENEWAL_DAYS
from lernmodul.web.config import public_base_url
from lernmodul.web.database import get_database

logger = logging.getLogger("lernmodul.reminders")

CONFIG_DEFAULTS: dict[str, Any] = {
    # SMTP server; None: in development the messages go to OUTBOX_PATH, in production
    # `reminders send` refuses to run.
    "MAIL_SERVER": None,
    "MAIL_PORT": None,  # default: 465 with MAIL_USE_SSL, else 587 (STARTTLS) or 25 (plain)
    "MAIL_USE_TLS": True,  # STARTTLS after connecting
    "MAIL_USE_SSL": False,  # TLS from the start (port 465); excludes MAIL_USE_TLS
    "MAIL_USERNAME": None,
    "MAIL_PASSWORD": None,  # set it in the environment (LERNMODUL_MAIL_PASSWORD)  # nosec B105
    "MAIL_DEFAULT_SENDER": None,  # "lernmodul@behoerde.example" or "Lernplattform <…>"
    "MAIL_TIMEOUT": 30,  # seconds per SMTP operation
    "MAIL_OUTBOX_PATH": None,  # development: default instance/outbox
    "REMINDER_DUE_SOON_DAYS": service.DEFAULT_DUE_SOON_DAYS,
    "REMINDER_DIGEST_ROWS": service.DEFAULT_DIGEST_ROWS,
}
DEV_SENDER = "lernmodul@localhost"

SUBJECTS = {
    service.DUE_SOON: _l("Reminder: “%(course)s” is due on %(date)s"),
    service.OVERDUE: _l("Overdue: “%(course)s” was due on %(date)s"),
    service.EXPIRING: _l("Your certificate for “%(course)s” expires on %(date)s"),
    service.REVOKED: _l("Please take “%(course)s” again: your certificate was revoked"),
    service.HR_DIGEST: _l("Mandatory training: %(overdue)s overdue, %(expiring)s expiring soon"),
}


class ReminderError(click.ClickException):
    """A setting that makes sending impossible; printed as one line, exit code 1."""


class BadAddress(Exception):
    """A recipient address no message can be addressed to (that message fails, not the run)."""


@dataclass(frozen=True, slots=True)
class MailSetup:
    sender: str
    sender_domain: str  # for the Message-ID
    base_url: str
    smtp: mail.SmtpSettings | None  # None: the outbox
    outbox: Path


@dataclass
class Report:
    sent: Counter[str] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)
    failed: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)

    def lines(self, dry_run: bool) -> list[str]:
        done = "would send" if dry_run else "sent"
        return [f"{kind}: {done}={self.sent[kind]} skipped={self.skipped[kind]} "
                f"failed={self.failed[kind]}" for kind in service.KINDS]


def _whole(app: Flask, name: str, minimum: int) -> int:
    value = app.config[name]
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ReminderError(f"{name} must be a whole number of at least {minimum}, not {value!r}")
    return value


def mail_setup(app: Flask, *, sending: bool = True) -> MailSetup:
    """The transport settings, checked: a bad or missing setting is a ReminderError. Without
    `sending` (a dry run) only what the messages themselves need is required."""
    config = app.config
    for key, value in CONFIG_DEFAULTS.items():
        config.setdefault(key, value)
    development = config["ENV"] == "development"
    base = public_base_url(config)
    if not base:
        raise ReminderError("PUBLIC_BASE_URL is not set: reminder e-mails need it for their "
                            "links (e.g. https://lernen.example.de)")
    outbox = Path(config["MAIL_OUTBOX_PATH"] or Path(app.instance_path) / "outbox")
    host = config["MAIL_SERVER"]
    sender = config["MAIL_DEFAULT_SENDER"] or \
        (DEV_SENDER if (development and not host) or not sending else None)
    if not sender:
        raise ReminderError("MAIL_DEFAULT_SENDER is not set (the From address of reminders)")
    sender_domain = _address_domain(str(sender))
    if not host:
        if not development and sending:
            raise ReminderError("MAIL_SERVER is not set: reminders cannot be sent (only in "
                                "development do they go to files in the outbox folder)")
        return MailSetup(sender=sender, sender_domain=sender_domain, base_url=base.rstrip("/"),
                         smtp=None, outbox=outbox)
    for name in ("MAIL_USE_SSL", "MAIL_USE_TLS"):
        if not isinstance(config[name], bool):
            raise ReminderError(f"{name} must be true or false, not {config[name]!r}")
    use_ssl, use_tls = config["MAIL_USE_SSL"], config["MAIL_USE_TLS"]
    security = mail.SSL if use_ssl else mail.STARTTLS if use_tls else mail.PLAIN
    port = config["MAIL_PORT"]
    if port is None:
        port = {mail.SSL: 465, mail.STARTTLS: 587, mail.PLAIN: 25}[security]
    if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
        raise ReminderError(f"MAIL_PORT must be a port number, not {port!r}")
    smtp = mail.SmtpSettings(host=str(host), port=port, security=security,
                             username=config["MAIL_USERNAME"] or None,
                             password=config["MAIL_PASSWORD"] or None,
                             timeout=float(_whole(app, "MAIL_TIMEOUT", 1)))
    return MailSetup(sender=sender, sender_domain=sender_domain, base_url=base.rstrip("/"),
                     smtp=smtp, outbox=outbox)


def _address_domain(sender: str) -> str:
    """The domain of MAIL_DEFAULT_SENDER ("Name <user@domain>" or "user@domain"), checked."""
    probe = EmailMessage()
    try:
        probe["From"] = sender
        addresses = probe["From"].addresses
    except (ValueError, HeaderParseError, IndexError):
        addresses = ()
    if len(addresses) != 1 or not addresses[0].username or not addresses[0].domain \
            or probe["From"].defects:
        raise ReminderError(f"MAIL_DEFAULT_SENDER is not one e-mail address: {sender!r}")
    domain: str = addresses[0].domain
    return domain


def make_transport(setup: MailSetup) -> mail.SmtpTransport | mail.OutboxTransport:
    if setup.smtp is None:
        return mail.OutboxTransport(setup.outbox)
    return mail.SmtpTransport(setup.smtp)


def rules(app: Flask, today: date | None) -> service.Rules:
    """The moment and rules of a run; `today` runs as at the start of that day."""
    zone = ZoneInfo(app.config["BABEL_DEFAULT_TIMEZONE"])
    now = utcnow() if today is None else datetime.combine(today, time(0), zone).astimezone(UTC)
    clock = hr.Clock(now=now, timezone=zone,
                     expiring_days=int(app.config.get("HR_EXPIRING_DAYS",
                                                      hr.DEFAULT_EXPIRING_DAYS)))
    return service.Rules(
        clock=clock,
        due_soon_days=_whole(app, "REMINDER_DUE_SOON_DAYS", 0),
        renewal_days=int(app.config.get("CERTIFICATE_RENEWAL_DAYS", DEFAULT_RENEWAL_DAYS)),
        languages=tuple(app.config["LANGUAGES"]),
        default_locale=app.config["BABEL_DEFAULT_LOCALE"],
        digest_rows=_whole(app, "REMINDER_DIGEST_ROWS", 1))


# --- the message ---------------------------------------------------------------------------


def _one_line(text: str) -> str:
    return re.sub(r"[\r\n\t]+", " ", text).strip()


def _tidy(body: str) -> str:
    """Plain text as written: no trailing blanks, at most one empty line in a row."""
    # "-- " (with its space) is the signature separator mail programs recognise
    lines = [line if line == "-- " else line.rstrip() for line in body.strip().splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)) + "\n"


def _subject(reminder: service.Reminder) -> str:
    if reminder.digest is not None:
        return str(SUBJECTS[service.HR_DIGEST] % {"overdue": reminder.digest.overdue_total,
                                                  "expiring": reminder.digest.expiring_total})
    day = reminder.due if reminder.kind != service.EXPIRING else reminder.expires
    return str(SUBJECTS[reminder.kind] % {"course": reminder.course or "",
                                          "date": format_date(day, "medium") if day else ""})


def _link(reminder: service.Reminder) -> dict[str, str]:
    if reminder.kind == service.HR_DIGEST:
        return {"overdue_link": url_for("hr.people", status=hr.OVERDUE, _external=True),
                "revoked_link": url_for("hr.people", status=hr.REVOKED, _external=True),
                "expiring_link": url_for("hr.people", status=hr.EXPIRING, _external=True)}
    if reminder.kind == service.EXPIRING:
        return {"link": url_for("certificates.index", _external=True)}
    return {"link": url_for("learner.course_page", course_id=reminder.course_id, _external=True)}


def render_message(app: Flask, setup: MailSetup, reminder: service.Reminder,
                   today: date) -> EmailMessage:
    """The e-mail in the recipient's language, with links to the app (PUBLIC_BASE_URL)."""
    # A fresh app context per message: translations are looked up once per context.
    with app.app_context(), app.test_request_context("/", base_url=setup.base_url), \
            force_locale(reminder.recipient.locale):
        subject = _one_line(_subject(reminder))
        body = render_template(f"email/{reminder.kind}.txt", reminder=reminder,
                               recipient=reminder.recipient, digest=reminder.digest,
                               today=today, **_link(reminder))
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = setup.sender
    try:
        message["To"] = Address(_one_line(reminder.recipient.name),
                                addr_spec=reminder.recipient.email)
    except (ValueError, HeaderParseError) as error:  # InvalidHeaderDefect is a ValueError
        raise BadAddress(f"user {reminder.recipient.user_id} has an e-mail address that cannot "
                         f"be used ({error}); correct it on the user's admin page") from None
    message["Date"] = format_datetime(datetime.now(UTC))
    message["Message-ID"] = make_msgid(domain=setup.sender_domain)
    # RFC 3834, and Exchange's variant: out-of-office replies are not sent back to us.
    message["Auto-Submitted"] = "auto-generated"
    message["X-Auto-Response-Suppress"] = "All"
    message.set_content(_tidy(body))
    message["Content-Language"] = reminder.recipient.locale  # after set_content, which clears it
    return message


# --- the run -------------------------------------------------------------------------------


def send_reminders(app: Flask, *, today: date | None = None, dry_run: bool = False,
                   echo: Callable[[str], None] = click.echo) -> Report:
    """Sends every due reminder once; returns the counts and the errors (nothing raised for a
    message that could not be sent: it stays unclaimed and the next run tries again)."""
    setup = mail_setup(app, sending=not dry_run)
    run = rules(app, today)
    database = get_database(app)
    reader = database.read_sessions()
    try:
        plan = service.plan_reminders(reader, run)
    finally:
        reader.rollback()
        reader.close()
    report = Report(skipped=Counter(plan.already_sent))
    if dry_run:
        for reminder in plan.reminders:
            try:
                subject = str(render_message(app, setup, reminder, run.clock.today)["Subject"])
            except BadAddress as error:
                subject = f"(cannot be sent: {error})"
            echo(f"{reminder.kind} to user {reminder.recipient.user_id} "
                 f"<{reminder.recipient.email}> ({reminder.recipient.locale}): {subject}")
            report.sent[reminder.kind] += 1
        return report
    if not plan.reminders:
        return report

    def fail(reminder: service.Reminder, error: str) -> None:
        report.failed[reminder.kind] += 1
        logger.warning("reminder not sent: %s to user %s: %s", reminder.kind,
                       reminder.recipient.user_id, error)
        if error not in report.errors:
            report.errors.append(error)

    with contextlib.closing(make_transport(setup)) as transport:
        try:
            # connect before the first claim: an unusable server stops the run with nothing
            # claimed, and no transaction waits for a connection
            transport.open()
        except mail.MailError as error:
            for reminder in plan.reminders:
                fail(reminder, str(error))
            return report
        fatal = False
        for reminder in plan.reminders:
            if fatal:
                report.failed[reminder.kind] += 1
                continue
            try:
                message = render_message(app, setup, reminder, run.clock.today)
            except BadAddress as error:
                fail(reminder, str(error))
                continue
            outcome, error, fatal = _send_one(database.sessions, transport, reminder, message)
            if outcome == "sent":
                report.sent[reminder.kind] += 1
                logger.info("reminder sent: %s to user %s (%s)", reminder.kind,
                            reminder.recipient.user_id, reminder.event_key)
            elif outcome == "skipped":
                report.skipped[reminder.kind] += 1
            else:
                fail(reminder, error)
    return report


def _send_one(sessions: Callable[[], Any], transport: mail.Transport, reminder: service.Reminder,
              message: EmailMessage) -> tuple[str, str, bool]:
    """Claim, send, commit. Returns "sent", "skipped" or "failed", the error, and whether the
    error rules out further messages."""
    session = sessions()
    try:
        if not service.claim_reminder(session, reminder, utcnow()):
            session.rollback()
            return "skipped", "", False
        try:
            transport.send(message)
        except mail.MailError as error:
            session.rollback()
            return "failed", str(error), error.fatal
        try:
            session.commit()
        except SQLAlchemyError as error:
            session.rollback()
            return "failed", (f"a message was sent but could not be recorded "
                              f"({type(error).__name__}); it may be sent again on the next run"), True
        return "sent", "", False
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


# --- the command ---------------------------------------------------------------------------


@click.group()
def reminders() -> None:
    """Reminder e-mails to learners and the weekly digest for HR."""


@reminders.command("send")
@click.option("--dry-run", is_flag=True, help="List what would be sent; send and record nothing.")
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Run as at the start of this day (YYYY-MM-DD) instead of now.")
def reminders_send(dry_run: bool, today: datetime | None) -> None:
    """Sends the reminders that are due, each event once (safe to run again, or twice at once).

    Learners: a mandatory course due within REMINDER_DUE_SOON_DAYS, one past its due date, a
    certificate in its renewal window. HR: once per ISO week, who is overdue or expiring in
    their units. Exit code 1 when a message could not be sent (it is tried again next run)."""
    from lernmodul.web.ops_commands import make_app

    app = make_app()
    report = send_reminders(app, today=today.date() if today else None, dry_run=dry_run)
    for line in report.lines(dry_run):
        click.echo(line)
    if report.failed:
        for error in report.errors:
            click.echo(f"error: {error}", err=True)
        total = sum(report.failed.values())
        raise ReminderError(f"{total} reminder(s) not sent; they will be tried again on the "
                            "next run")
