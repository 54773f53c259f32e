"""The password reset e-mail: rendered during the request, handed over after the response.

The mail settings and transports are those of the reminders (SMTP, or in development the
outbox folder). Sending happens when the response has gone out (`call_on_close`), so the
answer takes the same time whether or not a message is sent. A message that cannot be
sent is logged (without its link) and the answer stays the same.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from email.errors import HeaderParseError
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from flask import Flask, render_template, url_for
from flask_babel import force_locale
from flask_babel import gettext as _

from lernmodul.services import mail
from lernmodul.web.reminder_commands import MailSetup, ReminderError, mail_setup, make_transport

logger = logging.getLogger("lernmodul.mail")

PLACEHOLDER_ADDRESS = "nobody@example.invalid"


def find_mail_setup(app: Flask) -> MailSetup | None:
    """The checked mail settings, or None (logged) when e-mails cannot be sent."""
    try:
        return mail_setup(app)
    except ReminderError as error:
        logger.error("password reset e-mails cannot be sent: %s", error.message)
        return None


def render_reset_mail(app: Flask, setup: MailSetup, *, name: str, address: str, token: str,
                      locale: str, minutes: int) -> EmailMessage | None:
    """The message in `locale`, its link built on PUBLIC_BASE_URL (never the Host header).
    None when the address cannot be written into a header."""
    # a fresh app context: translations are cached per context, and the link needs the
    # public base URL as its host
    with app.app_context(), app.test_request_context("/", base_url=setup.base_url), \
            force_locale(locale):
        link = url_for("password_reset.reset_password", token=token, _external=True)
        subject = _("Reset your password for the learning platform")
        body = render_template("email/password_reset.txt", name=name, link=link,
                               minutes=minutes)
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = setup.sender
    try:
        message["To"] = Address(" ".join(name.split()), addr_spec=address)
    except (ValueError, HeaderParseError):
        return None
    message["Date"] = format_datetime(datetime.now(UTC))
    message["Message-ID"] = make_msgid(domain=setup.sender_domain)
    message["Auto-Submitted"] = "auto-generated"
    message["X-Auto-Response-Suppress"] = "All"
    lines = [line.rstrip() if line != "-- " else line for line in body.strip().splitlines()]
    message.set_content("\n".join(lines) + "\n")
    message["Content-Language"] = locale
    return message


def sender_of(setup: MailSetup, message: EmailMessage, user_id: int) -> Callable[[], None]:
    """A function that hands `message` over (for after the response); it never raises."""

    def deliver() -> None:
        transport = make_transport(setup)
        try:
            transport.open()
            transport.send(message)
        except mail.MailError as error:
            logger.error("password reset e-mail to user %s not sent: %s", user_id, error)
        except Exception:  # after the response nobody could be told; the log must know
            logger.exception("password reset e-mail to user %s not sent", user_id)
        else:
            logger.info("password reset e-mail sent to user %s", user_id)
        finally:
            transport.close()

    return deliver
