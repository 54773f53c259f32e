"""A real SAML IdP for the tests: Debian's SimpleSAMLphp on PHP's built-in server.

`start_idp(folder, sps)` writes a private configuration (exampleauth:UserPass with test users,
a generated IdP key pair, the SPs' metadata) and serves SimpleSAMLphp on a free loopback port,
with SIMPLESAMLPHP_CONFIG_DIR pointing at it. Attributes go out by URI (urn:oid:…), as
Shibboleth and ADFS send them.
"""

from __future__ import annotations

import datetime
import html
import http.cookiejar
import os
import re
import secrets
import shutil
import socket
import subprocess
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

SIMPLESAMLPHP = Path("/usr/share/simplesamlphp")
OTHER_ENTITY = "https://andere.example.de/saml/metadata"  # another SP of the same IdP
PERSISTENT = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"
OID = {
    "uid": "urn:oid:0.9.2342.19200300.100.1.1",
    "mail": "urn:oid:0.9.2342.19200300.100.1.3",
    "displayName": "urn:oid:2.16.840.1.113730.3.1.241",
    "employeeNumber": "urn:oid:2.16.840.1.113730.3.1.3",
    "ou": "urn:oid:2.5.4.11",
    "isMemberOf": "urn:oid:1.3.6.1.4.1.5923.1.5.1.1",
}
USERS = {
    "jweiss": {"password": "Gänseblümchen-7", "uid": ["jweiss"], "mail": ["J.Weiss@Lindenau.example"],
               "displayName": ["Jürgen Weiß"], "employeeNumber": ["4711"],
               "ou": ["Stadt Lindenau/Dezernat II/Bürgeramt"], "isMemberOf": ["lm-hr", "staff"]},
    "aoezdemir": {"password": "Straßenbahn-42", "uid": ["aoezdemir"],
                  "mail": ["a.oezdemir@lindenau.example"], "displayName": ["Ayşe Özdemir"],
                  "employeeNumber": ["0815"], "ou": ["Stadt Lindenau/Kämmerei"], "isMemberOf": ["staff"]},
}


def available() -> bool:
    return shutil.which("php") is not None and (SIMPLESAMLPHP / "www" / "index.php").is_file()


@dataclass(frozen=True)
class ServiceProviderEntry:
    """An SP as the IdP knows it: entity id, where responses go, its certificate (PEM)."""

    entity_id: str
    acs_url: str
    logout_url: str
    cert_pem: str


@dataclass
class IdP:
    base_url: str
    folder: Path
    process: subprocess.Popen[bytes]

    @property
    def metadata_url(self) -> str:
        return f"{self.base_url}/saml2/idp/metadata.php"

    @property
    def entity_id(self) -> str:
        return self.metadata_url

    def log(self) -> str:
        path = self.folder / "log" / "simplesamlphp.log"
        return path.read_text("utf-8", "replace") if path.exists() else ""

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def key_pair(common_name: str) -> tuple[str, str]:
    """An RSA key and self-signed certificate, both PEM."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=30)).sign(key, hashes.SHA256()))
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                serialization.NoEncryption()).decode()
    return key_pem, cert.public_bytes(serialization.Encoding.PEM).decode()


def _php(value: object) -> str:
    """A Python value as a PHP literal (strings, lists, dicts, bools, ints)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
    if isinstance(value, list):
        return "[" + ", ".join(_php(v) for v in value) + "]"
    if isinstance(value, dict):
        return "[" + ", ".join(f"{_php(k)} => {_php(v)}" for k, v in value.items()) + "]"
    raise TypeError(type(value))


def _cert_body(pem: str) -> str:
    return "".join(line for line in pem.splitlines() if "-----" not in line)


def write_config(folder: Path, base_url: str, sps: list[ServiceProviderEntry]) -> None:
    config, metadata, cert = folder / "config", folder / "metadata", folder / "cert"
    for sub in ("config", "metadata", "cert", "log", "data", "tmp", "sessions"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    key_pem, cert_pem = key_pair("idp.test")
    (cert / "idp.key").write_text(key_pem)
    (cert / "idp.crt").write_text(cert_pem)
    settings = {
        "baseurlpath": base_url + "/",
        "certdir": str(cert) + "/", "loggingdir": str(folder / "log") + "/",
        "datadir": str(folder / "data") + "/", "tempdir": str(folder / "tmp"),
        "metadatadir": str(metadata) + "/",
        "secretsalt": secrets.token_hex(16), "auth.adminpassword": secrets.token_hex(16),
        "technicalcontact_name": "Test", "technicalcontact_email": "idp@example.org",
        "timezone": "UTC", "logging.level": 7, "logging.handler": "file",
        "logging.logfile": "simplesamlphp.log",
        "enable.saml20-idp": True, "enable.shib13-idp": False,
        "module.enable": {"exampleauth": True, "core": True, "saml": True, "admin": True},
        "store.type": "phpsession", "session.phpsession.savepath": str(folder / "sessions"),
        "session.cookie.secure": False, "session.cookie.samesite": "Lax",
        "language.default": "en", "showerrors": True, "errorreporting": False,
        "metadata.sources": [{"type": "flatfile"}],
    }
    (config / "config.php").write_text(f"<?php\n$config = {_php(settings)};\n")
    users = {f"{name}:{data['password']}": {k: v for k, v in data.items() if k != "password"}
             for name, data in USERS.items()}
    sources = {"admin": ["core:AdminPassword"], "example-userpass": ["exampleauth:UserPass", users]}
    # _php turns ["exampleauth:UserPass", {...}] into a list; UserPass wants its options as keys
    user_php = ", ".join(f"{_php(k)} => {_php(v)}" for k, v in users.items())
    (config / "authsources.php").write_text(
        "<?php\n$config = ['admin' => ['core:AdminPassword'], "
        f"'example-userpass' => ['exampleauth:UserPass', {user_php}]];\n")
    del sources
    idp = {"host": "__DEFAULT__", "privatekey": "idp.key", "certificate": "idp.crt",
           "auth": "example-userpass", "sign.logout": True, "saml20.sign.assertion": True}
    (metadata / "saml20-idp-hosted.php").write_text(
        f"<?php\n$metadata['__DYNAMIC:1__'] = {_php(idp)};\n")
    entries = []
    for sp in sps:
        entry = {
            "AssertionConsumerService": [{"Binding": "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST",
                                          "Location": sp.acs_url}],
            "SingleLogoutService": [{"Binding": "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect",
                                     "Location": sp.logout_url}],
            "certData": _cert_body(sp.cert_pem),
            "NameIDFormat": PERSISTENT,
            "validate.authnrequest": True, "validate.logout": True,
            "saml20.sign.assertion": True, "sign.logout": True,
            "attributes.NameFormat": "urn:oasis:names:tc:SAML:2.0:attrname-format:uri",
        }
        authproc = ("[10 => ['class' => 'saml:AttributeNameID', 'attribute' => 'uid', "
                    f"'Format' => {_php(PERSISTENT)}], 20 => {_php({'class': 'core:AttributeMap', **OID})}]")
        entries.append(f"$metadata[{_php(sp.entity_id)}] = {_php(entry)[:-1]}, 'authproc' => {authproc}];")
    (metadata / "saml20-sp-remote.php").write_text("<?php\n" + "\n".join(entries) + "\n")


def start_idp(folder: Path, sps: list[ServiceProviderEntry]) -> IdP:
    """SimpleSAMLphp serving on a free loopback port until `stop()`."""
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    write_config(folder, base_url, sps)
    env = {**os.environ, "SIMPLESAMLPHP_CONFIG_DIR": str(folder / "config")}
    process = subprocess.Popen(
        ["php", "-S", f"127.0.0.1:{port}", "-t", str(SIMPLESAMLPHP / "www")],
        env=env, stdout=(folder / "log" / "php.out").open("wb"), stderr=subprocess.STDOUT)
    idp = IdP(base_url, folder, process)
    deadline = time.monotonic() + 20
    while True:
        try:
            with urllib.request.urlopen(idp.metadata_url, timeout=5) as answer:
                if b"IDPSSODescriptor" in answer.read():
                    return idp
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            idp.stop()
            out = (folder / "log" / "php.out").read_text("utf-8", "replace")
            raise RuntimeError(f"SimpleSAMLphp did not start:\n{out}\n{idp.log()}")
        time.sleep(0.2)


@dataclass(frozen=True)
class Posted:
    """What the IdP's auto-submitting form would post: where, and the fields."""

    action: str
    fields: dict[str, str]


def _form(page: str) -> tuple[str, dict[str, str]]:
    action = re.search(r'<form[^>]*action="([^"]*)"', page)
    assert action, page[:2000]
    fields = {html.unescape(name): html.unescape(value) for name, value in re.findall(
        r'<input[^>]*type="hidden"[^>]*name="([^"]+)"[^>]*value="([^"]*)"', page)}
    return html.unescape(action.group(1)), fields


def idp_sign_in(location: str, username: str, password: str,
                opener: urllib.request.OpenerDirector | None = None) -> Posted:
    """Follows an AuthnRequest redirect at the IdP, signs in, returns the form it answers with."""
    opener = opener or urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    with opener.open(location, timeout=20) as answer:
        page, url = answer.read().decode("utf-8"), answer.geturl()
    if "SAMLResponse" not in page:  # the login form
        action, fields = _form(page)
        fields.update({"username": username, "password": password})
        data = urllib.parse.urlencode(fields).encode()
        with opener.open(urllib.parse.urljoin(url, action), data=data, timeout=20) as answer:
            page = answer.read().decode("utf-8")
    action, fields = _form(page)
    assert "SAMLResponse" in fields, page[:2000]
    return Posted(action, fields)


