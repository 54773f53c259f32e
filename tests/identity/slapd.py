"""A throw-away OpenLDAP slapd for tests and the directory benchmark.

Its own configuration (slapd.conf) and MDB database in a temporary folder, listening only on
ldap://127.0.0.1:<free port>/, optionally with a certificate for StartTLS; never the system's
slapd. `Slapd.start(folder, ...)` returns a running server, `stop()` ends it. Entries are
loaded with slapadd (fast, before start) or ldapadd/ldapmodify (while running).

Self-contained (no imports from the test package): bench/directory.py loads it by path."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

SLAPD = shutil.which("slapd") or "/usr/sbin/slapd"
SLAPADD = shutil.which("slapadd") or "/usr/sbin/slapadd"
LDAPADD = shutil.which("ldapadd") or "/usr/bin/ldapadd"
LDAPMODIFY = shutil.which("ldapmodify") or "/usr/bin/ldapmodify"
SCHEMA = Path("/etc/ldap/schema")
MODULES = Path("/usr/lib/ldap")
ADMIN_PASSWORD = "slapd-admin-secret"
MISSING = "slapd is not installed (Debian: apt-get install slapd ldap-utils)"


def is_installed() -> bool:
    return Path(SLAPD).is_file() and Path(SLAPADD).is_file() and Path(LDAPADD).is_file()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Slapd:
    folder: Path
    suffix: str
    port: int
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"ldap://127.0.0.1:{self.port}"

    @property
    def admin_dn(self) -> str:
        return f"cn=admin,{self.suffix}"

    @classmethod
    def configure(cls, folder: Path, suffix: str, *, tls: tuple[Path, Path] | None = None,
                  memberof: bool = True) -> Slapd:
        """Writes slapd.conf and an empty database folder; call `slapadd` and/or `start` next."""
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "db").mkdir(exist_ok=True)
        lines = [f"include {SCHEMA / name}.schema" for name in ("core", "cosine", "inetorgperson", "nis")]
        lines += [f"modulepath {MODULES}", "moduleload back_mdb"]
        if memberof:
            lines.append("moduleload memberof")
        lines += [f"pidfile {folder / 'slapd.pid'}", f"argsfile {folder / 'slapd.args'}",
                  "loglevel none", "sizelimit unlimited"]
        if tls is not None:
            cert, key = tls
            lines += [f"TLSCertificateFile {cert}", f"TLSCertificateKeyFile {key}"]
        lines += ["database mdb", f"suffix \"{suffix}\"", f"rootdn \"cn=admin,{suffix}\"",
                  f"rootpw {ADMIN_PASSWORD}", f"directory {folder / 'db'}", "maxsize 1073741824",
                  "index objectClass eq", "index mail,employeeNumber eq", "index entryUUID eq"]
        if memberof:
            lines += ["overlay memberof", "memberof-refint true"]
        # Anyone may bind (to check a password); only the bound read the tree.
        lines += ["access to attrs=userPassword by self =w by anonymous auth by * none",
                  "access to * by users read by * none"]
        (folder / "slapd.conf").write_text("\n".join(lines) + "\n", "utf-8")
        return cls(folder=folder, suffix=suffix, port=free_port())

    def slapadd(self, ldif: str) -> None:
        """Loads entries offline (before `start`), much faster than ldapadd."""
        path = self.folder / "load.ldif"
        path.write_text(ldif, "utf-8")
        subprocess.run([SLAPADD, "-q", "-f", str(self.folder / "slapd.conf"), "-l", str(path)],
                       check=True, capture_output=True, timeout=600)

    def start(self) -> Slapd:
        self.process = subprocess.Popen(
            [SLAPD, "-f", str(self.folder / "slapd.conf"), "-h", self.url + "/", "-d", "0"],
            stdout=subprocess.DEVNULL, stderr=(self.folder / "slapd.log").open("wb"))
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                log = (self.folder / "slapd.log").read_text("utf-8", "replace")
                raise RuntimeError(f"slapd did not start: {log[-2000:]}")
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", self.port)) == 0:
                    return self
            time.sleep(0.05)
        self.stop()
        raise RuntimeError("slapd did not listen within 20 s")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.process = None

    def _client(self, tool: str, ldif: str, *extra: str) -> None:
        env = {**os.environ, "LDAPTLS_REQCERT": "never"}
        done = subprocess.run([tool, "-x", "-H", self.url, "-D", self.admin_dn, "-w", ADMIN_PASSWORD,
                               *extra], input=ldif.encode("utf-8"), capture_output=True,
                              timeout=60, env=env)
        if done.returncode != 0:
            raise RuntimeError(f"{Path(tool).name} failed: {done.stderr.decode('utf-8', 'replace')}")

    def add(self, ldif: str) -> None:
        """Adds entries to the running server."""
        self._client(LDAPADD, ldif)

    def modify(self, ldif: str) -> None:
        """Applies an LDIF of changes (changetype: modify / delete / modrdn) to the running server."""
        self._client(LDAPMODIFY, ldif)
