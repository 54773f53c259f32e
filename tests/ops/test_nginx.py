"""The documented nginx configuration (docs/nginx/lernmodul.conf), run for real in front of a
recording backend: only the configured host name reaches the app; an unknown Host header or
TLS name is refused. docs/operations.md shows that file verbatim."""

from __future__ import annotations

import datetime
import http.server
import os
import shutil
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

DOCS = Path(__file__).parents[2] / "docs"
CONF = DOCS / "nginx" / "lernmodul.conf"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
NAME = "lernen.example.de"
FORGED = "evil.example"


def test_the_operations_guide_shows_the_shipped_configuration() -> None:
    guide = (DOCS / "operations.md").read_text("utf-8")
    assert f"```nginx\n{CONF.read_text('utf-8')}```" in guide


def free_ports(count: int) -> list[int]:
    """Free ports from 8300-8399."""
    ports = []
    for port in range(8300, 8400):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
        ports.append(port)
        if len(ports) == count:
            return ports
    pytest.skip("no free ports in 8300-8399")


def self_signed(folder: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, NAME)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(NAME)]), critical=False)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = folder / "site.crt", folder / "site.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


@dataclass
class Backend:
    port: int
    hosts: list[str] = field(default_factory=list)


@pytest.fixture
def backend() -> Iterator[Backend]:
    (port,) = free_ports(1)
    seen = Backend(port)

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.hosts.append(self.headers.get("Host", ""))
            body = b"from the app"
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield seen
    finally:
        server.shutdown()
        server.server_close()


@dataclass(frozen=True)
class Proxy:
    http_port: int
    https_port: int
    cert: Path


def site_config(backend_port: int, http_port: int, https_port: int, cert: Path, key: Path) -> str:
    """The shipped file with test addresses; each replacement must hit, so the two cannot drift."""
    text = CONF.read_text("utf-8")
    for old, new in [
        ("listen 80 default_server;", f"listen 127.0.0.1:{http_port} default_server;"),
        ("listen 443 ssl default_server;", f"listen 127.0.0.1:{https_port} ssl default_server;"),
        ("listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;"),
        ("listen 80;", f"listen 127.0.0.1:{http_port};"),
        ("/etc/ssl/lernen.example.de.crt", str(cert)),
        ("/etc/ssl/private/lernen.example.de.key", str(key)),
        ("proxy_pass http://127.0.0.1:8000;", f"proxy_pass http://127.0.0.1:{backend_port};"),
    ]:
        assert text.count(old) == 1, f"{CONF.name} no longer has {old!r}"
        text = text.replace(old, new)
    return text


@pytest.fixture
def proxy(backend: Backend, tmp_path: Path) -> Iterator[Proxy]:
    if not Path(NGINX).is_file():
        message = "nginx is not installed (Debian: apt-get install nginx)"
        if os.environ.get("CI"):  # .ci/run installs it: there, its absence is a failure
            pytest.fail(message)
        pytest.skip(message)
    http_port, https_port = free_ports(2)
    folder = tmp_path / "nginx"
    folder.mkdir()
    cert, key = self_signed(folder)
    (folder / "site.conf").write_text(site_config(backend.port, http_port, https_port, cert, key))
    temp = "".join(f"    {kind}_temp_path {folder / kind};\n"
                   for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    (folder / "nginx.conf").write_text(
        f"daemon off;\nmaster_process off;\npid {folder / 'nginx.pid'};\n"
        f"error_log {folder / 'error.log'} warn;\nevents {{}}\n"
        f"http {{\n    access_log off;\n{temp}    include {folder / 'site.conf'};\n}}\n")
    server = subprocess.Popen([NGINX, "-p", str(folder), "-e", str(folder / "error.log"),
                               "-c", str(folder / "nginx.conf")],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 20
        for port in (http_port, https_port):
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    assert server.poll() is None, server.stderr.read().decode() if server.stderr else ""
                    assert time.monotonic() < deadline, "nginx did not start"
                    time.sleep(0.05)
        yield Proxy(http_port, https_port, cert)
    finally:
        server.terminate()
        server.wait(timeout=20)


def exchange(sock: socket.socket, host: str | None) -> int | None:
    """Sends GET / with `host` (None: an HTTP/1.0 request without Host); the status, or None
    when the server closed the connection without an answer (nginx's 444)."""
    request = ("GET / HTTP/1.0\r\n\r\n" if host is None
               else f"GET / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n")
    sock.sendall(request.encode())
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    return int(data.split(b" ", 2)[1]) if data else None


def plain(proxy: Proxy, host: str | None) -> int | None:
    with socket.create_connection(("127.0.0.1", proxy.http_port), timeout=10) as sock:
        return exchange(sock, host)


def tls(proxy: Proxy, server_name: str | None, host: str | None) -> int | str | None:
    """The status over TLS with SNI `server_name`; "refused" when the handshake fails."""
    context = ssl.create_default_context(cafile=str(proxy.cert))
    context.check_hostname = False  # SNI other than the certificate's name must still be sent
    with socket.create_connection(("127.0.0.1", proxy.https_port), timeout=10) as raw:
        try:
            sock = context.wrap_socket(raw, server_hostname=server_name)
        except ssl.SSLError:
            return "refused"
        with sock:
            return exchange(sock, host)


def test_the_configured_name_reaches_the_app(proxy: Proxy, backend: Backend) -> None:
    assert tls(proxy, NAME, NAME) == 200
    assert plain(proxy, NAME) == 301  # to https
    assert backend.hosts == [NAME]


def test_an_unknown_host_never_reaches_the_app(proxy: Proxy, backend: Backend) -> None:
    assert plain(proxy, FORGED) is None  # 444: closed without an answer
    assert plain(proxy, None) is None
    assert plain(proxy, "127.0.0.1") is None
    assert tls(proxy, FORGED, FORGED) == "refused"
    assert tls(proxy, None, NAME) == "refused"  # no SNI: no certificate
    # the right TLS name with a forged Host goes to the default server (444; newer nginx: 421)
    assert tls(proxy, NAME, FORGED) in (None, 421)
    assert backend.hosts == []
