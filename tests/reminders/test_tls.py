"""SMTP over TLS: STARTTLS and implicit TLS with a certificate the client trusts, and a
refusal (nothing claimed) when the server's certificate is not trusted."""

from __future__ import annotations

import ipaddress
import ssl
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from sqlalchemy import func, select

from lernmodul.db.reminders import SentReminder

from .conftest import TODAY, Collector, free_port, mail_settings


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (certificate file, key file)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(hours=1)).not_valid_after(now + timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    folder = tmp_path_factory.mktemp("tls")
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_file, key_file


def server_context(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*certificate)
    return context


def tls_settings(port: int, **extra: object) -> dict[str, object]:
    return {**mail_settings(port), "MAIL_USE_TLS": True, **extra}


def count_sent(db_session) -> int:
    db_session.rollback()
    return db_session.scalar(select(func.count()).select_from(SentReminder))


def test_starttls_with_a_trusted_certificate(command, scene, certificate, monkeypatch) -> None:
    handler, port = Collector(), free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port,
                            tls_context=server_context(certificate), require_starttls=True)
    controller.start()
    try:
        monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))  # the client trusts it
        result = command("send", "--today", TODAY.isoformat(), **tls_settings(port))
    finally:
        controller.stop()
    assert result.exit_code == 0, result.output
    assert len(handler.messages) == 8


def test_implicit_tls_with_a_trusted_certificate(command, scene, certificate, monkeypatch) -> None:
    handler, port = Collector(), free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port,
                            ssl_context=server_context(certificate))
    controller.start()
    try:
        monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))
        result = command("send", "--today", TODAY.isoformat(),
                         **tls_settings(port, MAIL_USE_SSL=True))
    finally:
        controller.stop()
    assert result.exit_code == 0, result.output
    assert len(handler.messages) == 8


def test_an_untrusted_certificate_is_refused_and_nothing_claimed(command, scene, certificate,
                                                                 db_session) -> None:
    handler, port = Collector(), free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port,
                            tls_context=server_context(certificate), require_starttls=True)
    controller.start()
    try:
        result = command("send", "--today", TODAY.isoformat(), **tls_settings(port))
    finally:
        controller.stop()
    assert result.exit_code == 1
    assert "CERTIFICATE_VERIFY_FAILED" in result.output and "Traceback" not in result.output
    assert handler.messages == [] and count_sent(db_session) == 0
