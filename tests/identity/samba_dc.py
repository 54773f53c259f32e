"""A throw-away Samba Active Directory domain controller for the tests of the AD preset.

`samba-tool domain provision` writes a new domain into a temporary folder (a few seconds), then
`samba` serves only its LDAP task from there, in the foreground, in its own process group. Samba's
LDAP listens on the fixed ports 389 and 636, so each server gets a loopback address of its own
(127.0.0.0/8 is all loopback on Linux) on which those ports are free, and `bind interfaces only`
keeps it there; never the system's Samba. LDAPS uses the certificate given to `provision` (the
tests' CA, with the server's address as subject alternative name). Entries are added while it
runs, over LDAPS as the domain's Administrator (AD sets a password only over an encrypted
connection). Samba runs as root (its DC refuses otherwise); CI runs as root.

Self-contained (no imports from the test package)."""

from __future__ import annotations

import os
import random
import shutil
import signal
import socket
import ssl
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from ldap3 import MODIFY_REPLACE, SIMPLE, Connection, Server, Tls

SAMBA = shutil.which("samba") or "/usr/sbin/samba"
SAMBA_TOOL = shutil.which("samba-tool") or "/usr/bin/samba-tool"
ADMIN_PASSWORD = "Verwaltung-Admin-2025!"  # nosec B105 - a throw-away test domain
MISSING = ("Samba's AD DC is not installed (Debian: apt-get install samba samba-ad-provision "
           "samba-dsdb-modules)")
NORMAL_ACCOUNT = 0x200  # userAccountControl
ACCOUNTDISABLE = 0x2


def is_installed() -> bool:
    return Path(SAMBA).is_file() and Path(SAMBA_TOOL).is_file() and Path("/usr/share/samba/setup").is_dir()


def is_root() -> bool:
    return os.geteuid() == 0


def _port_free(address: str, port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((address, port))
        except OSError:
            return False
    return True


def free_address() -> str:
    """A loopback address other than 127.0.0.1 on which Samba's fixed ports are free."""
    for _attempt in range(50):
        address = f"127.{random.randint(1, 254)}.{random.randint(1, 254)}.{random.randint(2, 254)}"  # nosec B311
        if all(_port_free(address, port) for port in (389, 636, 3268, 3269)):
            return address
    raise RuntimeError("no loopback address with free ports 389 and 636")


def unicode_pwd(password: str) -> bytes:
    """AD's unicodePwd: the password in double quotes, UTF-16-LE."""
    return f'"{password}"'.encode("utf-16-le")


@dataclass
class SambaDC:
    folder: Path
    address: str
    realm: str
    domain: str
    ca_file: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def base_dn(self) -> str:
        return ",".join(f"DC={part}" for part in self.realm.lower().split("."))

    @property
    def ldaps_url(self) -> str:
        return f"ldaps://{self.address}"

    @property
    def ldap_url(self) -> str:
        return f"ldap://{self.address}"

    @property
    def admin_dn(self) -> str:
        return f"CN=Administrator,CN=Users,{self.base_dn}"

    @property
    def conf(self) -> Path:
        return self.folder / "etc" / "smb.conf"

    @classmethod
    def provision(cls, folder: Path, *, realm: str, domain: str, tls: tuple[Path, Path, Path],
                  address: str | None = None) -> SambaDC:
        """A new domain in `folder` (empty or missing), serving LDAP only, on `address`."""
        address = address or free_address()
        cert, given_key, ca = tls
        folder.mkdir(parents=True, exist_ok=True)
        key = folder / "tls-key.pem"  # Samba refuses a key others may read (CVE-2013-4476)
        key.write_bytes(given_key.read_bytes())
        key.chmod(0o600)
        options = {
            # an address of lo's 127.0.0.0/8 network: the mask lets Samba take one not configured
            "interfaces": f"{address}/8", "bind interfaces only": "yes",
            "server services": "ldap", "log file": str(folder / "log.%m"), "log level": "1",
            "pid directory": str(folder / "run"), "tls enabled": "yes", "tls certfile": str(cert),
            "tls keyfile": str(key), "tls cafile": str(ca), "ldap server require strong auth": "yes",
        }
        command = [SAMBA_TOOL, "domain", "provision", f"--targetdir={folder}", "--use-rfc2307",
                   f"--realm={realm}", f"--domain={domain}", f"--adminpass={ADMIN_PASSWORD}",
                   "--server-role=dc", "--dns-backend=NONE", f"--host-ip={address}",
                   *(f"--option={name}={value}" for name, value in options.items())]
        done = subprocess.run(command, capture_output=True, timeout=300, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"samba-tool domain provision failed: "
                               f"{done.stderr.decode('utf-8', 'replace')[-3000:]}")
        (folder / "run").mkdir(exist_ok=True)
        return cls(folder=folder, address=address, realm=realm, domain=domain, ca_file=ca)

    def start(self) -> SambaDC:
        log = (self.folder / "samba.log").open("wb")
        self.process = subprocess.Popen(  # its own process group: stop() ends all of it
            [SAMBA, "-i", "-M", "single", "-s", str(self.conf)], stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                text = (self.folder / "samba.log").read_text("utf-8", "replace")
                raise RuntimeError(f"samba did not start: {text[-3000:]}")
            with socket.socket() as probe:
                if probe.connect_ex((self.address, 636)) == 0:
                    return self
            time.sleep(0.1)
        self.stop()
        raise RuntimeError("samba did not listen on 636 within 60 s")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=15)
        self.process = None

    def admin(self) -> Connection:
        """A connection bound as the domain's Administrator over LDAPS (the CA checked)."""
        tls = Tls(validate=ssl.CERT_REQUIRED, ca_certs_file=str(self.ca_file),
                  version=ssl.PROTOCOL_TLS_CLIENT)
        server = Server(self.address, port=636, use_ssl=True, tls=tls, connect_timeout=10)
        return Connection(server, user=self.admin_dn, password=ADMIN_PASSWORD, authentication=SIMPLE,
                          auto_bind=True, raise_exceptions=True, receive_timeout=30)

    def add_ou(self, connection: Connection, dn: str) -> None:
        name = dn.split(",", 1)[0].split("=", 1)[1]
        connection.add(dn, ["top", "organizationalUnit"], {"ou": name})

    def add_user(self, connection: Connection, dn: str, *, sam: str, password: str,
                 disabled: bool = False, **attributes: object) -> None:
        """A person with a password (set over LDAPS) and NORMAL_ACCOUNT, disabled if asked."""
        flags = NORMAL_ACCOUNT | (ACCOUNTDISABLE if disabled else 0)
        values = {"sAMAccountName": sam, "userPrincipalName": f"{sam}@{self.realm.lower()}",
                  "unicodePwd": unicode_pwd(password), "userAccountControl": str(flags),
                  **{name: value for name, value in attributes.items() if value is not None}}
        connection.add(dn, ["top", "person", "organizationalPerson", "user"], values)

    def set_disabled(self, connection: Connection, dn: str, disabled: bool) -> None:
        flags = NORMAL_ACCOUNT | (ACCOUNTDISABLE if disabled else 0)
        connection.modify(dn, {"userAccountControl": [(MODIFY_REPLACE, [str(flags)])]})
