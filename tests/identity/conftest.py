"""A real OpenLDAP slapd per test with the directory of a fictional city administration.

slapd is started on 127.0.0.1 on a free port with its own configuration in the test's temp
folder, and stopped afterwards. Without slapd the tests skip locally; under CI (which installs
it, see .ci/run) its absence fails them."""

from __future__ import annotations

import datetime
import ipaddress
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from .slapd import ADMIN_PASSWORD, MISSING, Slapd, is_installed

BASE = "dc=lindenau,dc=example"
SERVICE_DN = f"cn=lernmodul-sync,ou=Dienstkonten,{BASE}"
SERVICE_PASSWORD = "sync-konto-geheim"
PASSWORD = "Sommer-Wind-2025"  # every person's directory password
DISABLED_FILTER = "(employeeType=gesperrt)"


def person(uid: str, ous: str, cn: str, sn: str, *, mail: str | None, number: str | None,
           display: str | None = None, extra: str = "") -> str:
    lines = [f"dn: uid={uid},{ous},{BASE}", "objectClass: inetOrgPerson", f"uid: {uid}",
             f"cn: {cn}", f"sn: {sn}", f"userPassword: {PASSWORD}"]
    if mail:
        lines.append(f"mail: {mail}")
    if number:
        lines.append(f"employeeNumber: {number}")
    if display:
        lines.append(f"displayName: {display}")
    return "\n".join(lines) + ("\n" + extra if extra else "") + "\n\n"


def ou(path: str) -> str:
    name = path.split(",", 1)[0].split("=", 1)[1]
    return f"dn: {path},{BASE}\nobjectClass: organizationalUnit\nou: {name}\n\n"


BUERGERAMT = "ou=Bürgeramt,ou=Dezernat II,ou=Stadtverwaltung"
KAEMMEREI = "ou=Kämmerei,ou=Dezernat I,ou=Stadtverwaltung"
TREE = (
    f"dn: {BASE}\nobjectClass: dcObject\nobjectClass: organization\no: Stadt Lindenau\ndc: lindenau\n\n"
    + ou("ou=Dienstkonten")
    + f"dn: {SERVICE_DN}\nobjectClass: organizationalRole\nobjectClass: simpleSecurityObject\n"
      f"cn: lernmodul-sync\nuserPassword: {SERVICE_PASSWORD}\n\n"
    + ou("ou=Gruppen") + ou("ou=Stadtverwaltung") + ou("ou=Dezernat I,ou=Stadtverwaltung")
    + ou("ou=Dezernat II,ou=Stadtverwaltung") + ou(BUERGERAMT) + ou(KAEMMEREI)
    + person("jweiss", BUERGERAMT, "Juergen Weiss", "Weiß", mail="j.weiss@lindenau.example",
             number="4711", display="Jürgen Weiß")
    + person("aoezdemir", BUERGERAMT, "Ayşe Özdemir", "Özdemir", mail="a.oezdemir@lindenau.example",
             number="4712")
    + person("mmueller", KAEMMEREI, "Marie Müller", "Müller", mail="m.mueller@lindenau.example",
             number="4713")
    + person("lschaefer", KAEMMEREI, "Lukas Schäfer", "Schäfer", mail="l.schaefer@lindenau.example",
             number=None)  # an intern: no personnel number
    + person("gbaer", BUERGERAMT, "Grit Bär", "Bär", mail=None, number="4715")  # no e-mail: bad entry
    + person("kbraun", BUERGERAMT, "Klaus Braun", "Braun", mail="k.braun@lindenau.example",
             number="4716", extra="employeeType: gesperrt")  # disabled
)
GROUPS = (
    f"dn: cn=lm-hr,ou=Gruppen,{BASE}\nobjectClass: groupOfNames\ncn: lm-hr\n"
    f"member: uid=mmueller,{KAEMMEREI},{BASE}\n\n"
    f"dn: cn=lm-trainer,ou=Gruppen,{BASE}\nobjectClass: groupOfNames\ncn: lm-trainer\n"
    f"member: uid=jweiss,{BUERGERAMT},{BASE}\n\n"
)


def require_slapd() -> None:
    if not is_installed():
        if os.environ.get("CI"):  # .ci/run installs it: there, its absence is a failure
            pytest.fail(MISSING)
        pytest.skip(MISSING)


@dataclass(frozen=True)
class TestCA:
    ca: Path
    cert: Path
    key: Path


def make_ca(folder: Path, name: str = "Test-CA Lindenau", *, address: str = "127.0.0.1") -> TestCA:
    """A CA and a server certificate for `address` (127.0.0.1) and localhost signed by it."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    folder.mkdir(parents=True, exist_ok=True)
    now = datetime.datetime.now(datetime.UTC)
    day = datetime.timedelta(days=1)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now - day).not_valid_after(now + 2 * day)
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                       content_commitment=False, key_encipherment=False,
                                       data_encipherment=False, key_agreement=False,
                                       encipher_only=False, decipher_only=False), critical=True)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, address)]))
            .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - day).not_valid_after(now + 2 * day)
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(address)),
                                                        x509.DNSName("localhost")]), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .sign(ca_key, hashes.SHA256()))
    paths = TestCA(folder / "ca.pem", folder / "server.pem", folder / "server.key")
    paths.ca.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths.key.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                            serialization.NoEncryption()))
    return paths


@pytest.fixture(scope="session")
def test_ca(tmp_path_factory: pytest.TempPathFactory) -> TestCA:
    return make_ca(tmp_path_factory.mktemp("ldap-ca"))


@pytest.fixture
def slapd(tmp_path: Path, test_ca: TestCA) -> Iterator[Slapd]:
    """The city's directory on a free port, StartTLS offered (certificate of `test_ca`)."""
    require_slapd()
    server = Slapd.configure(tmp_path / "slapd", BASE, tls=(test_ca.cert, test_ca.key))
    server.slapadd(TREE)
    server.start()
    try:
        server.add(GROUPS)  # while running, so that the memberof overlay sets memberOf
        yield server
    finally:
        server.stop()


def ldap_config(server: Slapd, **overrides: object) -> dict[str, object]:
    """LDAP_* settings for `server` (plain LDAP), groups from memberOf."""
    return {"LDAP_URL": server.url, "LDAP_BASE_DN": BASE, "LDAP_BIND_DN": SERVICE_DN,
            "LDAP_BIND_PASSWORD": SERVICE_PASSWORD, "LDAP_DISABLED_FILTER": DISABLED_FILTER,
            "LDAP_GROUP_ROLES": {"lm-hr": "hr", "lm-trainer": "trainer"}, **overrides}


__all__ = ["ADMIN_PASSWORD", "BASE", "PASSWORD", "ldap_config"]
