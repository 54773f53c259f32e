"""The Active Directory of the fictional city of Lindenau on a real Samba AD DC (samba_dc.py).

One domain per test module and database backend (a fresh provision takes seconds): OUs with
umlauts, a disabled person (userAccountControl 514), a person without employeeNumber, one
without e-mail, the groups lm-hr and lm-trainer (AD keeps memberOf), and 120 further staff so
that a sync with LDAP_PAGE_SIZE 50 reads several pages."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from .conftest import make_ca
from .samba_dc import MISSING, SambaDC, free_address, is_installed, is_root

REALM = "LINDENAU.EXAMPLE"
BASE = "DC=lindenau,DC=example"
PASSWORD = "Sommer-Wind-2025"  # every person's directory password  # nosec B105
SERVICE_DN = f"CN=lernmodul-sync,OU=Dienstkonten,{BASE}"
SERVICE_PASSWORD = "Sync-Konto-Geheim-2025"  # nosec B105
BUERGERAMT = f"OU=Bürgeramt,OU=Dezernat II,OU=Stadtverwaltung,{BASE}"
STANDESAMT = f"OU=Standesamt,OU=Dezernat II,OU=Stadtverwaltung,{BASE}"
KAEMMEREI = f"OU=Kämmerei,OU=Dezernat I,OU=Stadtverwaltung,{BASE}"
ORDNUNGSAMT = f"OU=Ordnungsamt,OU=Dezernat III,OU=Stadtverwaltung,{BASE}"
GROUPS = f"OU=Gruppen,{BASE}"
STAFF = 120  # more than two pages of 50
PAGE_SIZE = 50


@dataclass(frozen=True)
class Person:
    sam: str
    unit: str
    cn: str
    mail: str | None
    number: str | None
    display: str | None = None
    disabled: bool = False

    @property
    def dn(self) -> str:
        return f"CN={self.cn},{self.unit}"


WEISS = Person("jweiss", BUERGERAMT, "Juergen Weiss", "j.weiss@lindenau.example", "4711", "Jürgen Weiß")
OEZDEMIR = Person("aoezdemir", BUERGERAMT, "Ayşe Özdemir", "a.oezdemir@lindenau.example", "4712")
MUELLER = Person("mmueller", KAEMMEREI, "Marie Müller", "m.mueller@lindenau.example", "4713")
SCHAEFER = Person("lschaefer", KAEMMEREI, "Lukas Schäfer", "l.schaefer@lindenau.example", None)  # intern
BAER = Person("gbaer", ORDNUNGSAMT, "Grit Bär", "g.baer@lindenau.example", "4715")
BRAUN = Person("kbraun", BUERGERAMT, "Klaus Braun", "k.braun@lindenau.example", "4716", disabled=True)
NO_MAIL = Person("hkoenig", ORDNUNGSAMT, "Heinz König", None, "4717")  # a bad entry: skipped
NAMED = (WEISS, OEZDEMIR, MUELLER, SCHAEFER, BAER, BRAUN, NO_MAIL)


def staff(index: int) -> Person:
    return Person(f"sb{index:03d}", STANDESAMT, f"Jörg Sachbearbeiter {index:03d}",
                  f"sb{index:03d}@lindenau.example", f"5{index:03d}", f"Jörg Sachbearbeiter {index:03d}")


def seed(dc: SambaDC) -> None:
    """The tree, over LDAPS as the domain's Administrator."""
    connection = dc.admin()
    try:
        for ou in (f"OU=Dienstkonten,{BASE}", GROUPS, f"OU=Stadtverwaltung,{BASE}",
                   f"OU=Dezernat I,OU=Stadtverwaltung,{BASE}", f"OU=Dezernat II,OU=Stadtverwaltung,{BASE}",
                   f"OU=Dezernat III,OU=Stadtverwaltung,{BASE}", BUERGERAMT, STANDESAMT, KAEMMEREI,
                   ORDNUNGSAMT):
            dc.add_ou(connection, ou)
        dc.add_user(connection, SERVICE_DN, sam="lernmodul-sync", password=SERVICE_PASSWORD)
        for person in (*NAMED, *(staff(i) for i in range(1, STAFF + 1))):
            dc.add_user(connection, person.dn, sam=person.sam, password=PASSWORD, disabled=person.disabled,
                        mail=person.mail, employeeNumber=person.number, displayName=person.display,
                        sn=person.cn.rsplit(" ", 1)[-1])
        for name, members in (("lm-hr", [MUELLER]), ("lm-trainer", [WEISS])):
            connection.add(f"CN={name},{GROUPS}", ["top", "group"],
                           {"sAMAccountName": name, "member": [m.dn for m in members]})
    finally:
        connection.unbind()


def require_samba() -> None:
    if not is_installed():
        if os.environ.get("CI"):  # .ci/run installs it: there, its absence is a failure
            pytest.fail(MISSING)
        pytest.skip(MISSING)
    if not is_root():
        message = "Samba's AD DC runs only as root (CI runs as root)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


@contextmanager
def running_samba(folder: Path) -> Iterator[SambaDC]:
    """A new, running, seeded domain controller in `folder`, stopped afterwards."""
    require_samba()
    address = free_address()
    ca = make_ca(folder / "ca", "Test-CA Stadt Lindenau", address=address)
    dc = SambaDC.provision(folder / "dc", realm=REALM, domain="LINDENAU", tls=(ca.cert, ca.key, ca.ca),
                           address=address)
    dc.start()
    try:
        seed(dc)
        yield dc
    finally:
        dc.stop()


def ad_config(dc: SambaDC, **overrides: object) -> dict[str, object]:
    """LDAP_* settings of the AD preset for `dc`: LDAPS with the test CA, groups from memberOf."""
    return {"LDAP_PRESET": "ad", "LDAP_URL": dc.ldaps_url, "LDAP_CA_FILE": str(dc.ca_file),
            "LDAP_BASE_DN": BASE, "LDAP_BIND_DN": SERVICE_DN, "LDAP_BIND_PASSWORD": SERVICE_PASSWORD,
            "LDAP_GROUP_ROLES": {"lm-hr": "hr", "lm-trainer": "trainer"}, "LDAP_PAGE_SIZE": PAGE_SIZE,
            **overrides}
