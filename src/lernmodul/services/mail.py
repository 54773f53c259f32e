"""Handing e-mails over: to an SMTP server (STARTTLS, implicit TLS or plain on a trusted
host), or, on a developer's machine, as one .eml file per message in an outbox folder."""

from __future__ import annotations

import contextlib
import os
import secrets
import smtplib
import ssl
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from types import TracebackType
from typing import Protocol

STARTTLS = "starttls"
SSL = "ssl"
PLAIN = "plain"


class MailError(Exception):
    """A message was not handed over. `fatal`: the server cannot be used at all (unreachable,
    TLS or login failed, connection lost), so the remaining messages need not be tried."""

    def __init__(self, message: str, *, fatal: bool) -> None:
        super().__init__(message)
        self.fatal = fatal


class Transport(Protocol):
    def open(self) -> None: ...

    def send(self, message: EmailMessage) -> None: ...

    def close(self) -> None: ...


@dataclass(frozen=True, slots=True)
class SmtpSettings:
    host: str
    port: int
    security: str = STARTTLS  # starttls | ssl | plain
    username: str | None = None
    password: str | None = None
    timeout: float = 30.0


class SmtpTransport:
    """One connection for many messages, opened at the first message."""

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings
        self._client: smtplib.SMTP | None = None

    def __enter__(self) -> SmtpTransport:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()

    @property
    def where(self) -> str:
        return f"{self.settings.host}:{self.settings.port}"

    def _connect(self) -> smtplib.SMTP:
        settings = self.settings
        context = ssl.create_default_context()
        try:
            client: smtplib.SMTP
            if settings.security == SSL:
                client = smtplib.SMTP_SSL(settings.host, settings.port, timeout=settings.timeout,
                                          context=context)
            else:
                client = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
                if settings.security == STARTTLS:
                    client.starttls(context=context)
            if settings.username:
                client.login(settings.username, settings.password or "")
        except smtplib.SMTPAuthenticationError as error:
            raise MailError(f"the SMTP server {self.where} refused the login "
                            f"({error.smtp_code} {_text(error.smtp_error)})", fatal=True) from None
        except smtplib.SMTPNotSupportedError as error:
            raise MailError(f"the SMTP server {self.where} does not support {error}",
                            fatal=True) from None
        except (OSError, smtplib.SMTPException) as error:
            raise MailError(f"the SMTP server {self.where} cannot be reached: {_describe(error)}",
                            fatal=True) from None
        return client

    def open(self) -> None:
        """Connects (and logs in) now, so that a server that cannot be used is known before
        any message is claimed; `send` connects again after a lost connection."""
        if self._client is None:
            self._client = self._connect()

    def send(self, message: EmailMessage) -> None:
        self.open()
        assert self._client is not None
        try:
            refused = self._client.send_message(message)
        except smtplib.SMTPRecipientsRefused as error:
            codes = ", ".join(f"{code} {_text(text)}" for code, text in error.recipients.values())
            raise MailError(f"the SMTP server {self.where} refused the recipient ({codes})",
                            fatal=False) from None
        except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as error:
            raise MailError(f"the SMTP server {self.where} refused the message "
                            f"({error.smtp_code} {_text(error.smtp_error)})", fatal=False) from None
        except (OSError, smtplib.SMTPException) as error:
            self._drop()
            raise MailError(f"the connection to the SMTP server {self.where} failed: "
                            f"{_describe(error)}", fatal=True) from None
        if refused:  # pragma: no cover - one recipient per message: refusal raises above
            raise MailError(f"the SMTP server {self.where} refused {sorted(refused)}", fatal=False)

    def _drop(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            with contextlib.suppress(OSError):  # closing a broken socket
                client.close()

    def close(self) -> None:
        client, self._client = self._client, None
        if client is None:
            return
        try:
            client.quit()
        except (OSError, smtplib.SMTPException):
            client.close()


class OutboxTransport:
    """Writes each message as `<UTC time>-<random>.eml` into `directory` (development)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def open(self) -> None:
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise MailError(f"the outbox {self.directory} cannot be created: {_describe(error)}",
                            fatal=True) from None

    def send(self, message: EmailMessage) -> None:
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
            path = self.directory / f"{stamp}-{secrets.token_hex(4)}.eml"
            # written under a temporary name and renamed: a reader never sees half a message
            fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".", suffix=".eml")
            with os.fdopen(fd, "wb") as handle:
                handle.write(message.as_bytes())
            os.replace(tmp, path)
        except OSError as error:
            raise MailError(f"the outbox {self.directory} cannot be written: {_describe(error)}",
                            fatal=True) from None

    def close(self) -> None:
        return None


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


def _describe(error: BaseException) -> str:
    return str(error) or type(error).__name__
