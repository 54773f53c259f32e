"""The org unit of a directory entry from its DN: plain and escaped DNs, the base DN compared
without regard to case and spaces, entries outside the base or with a broken DN refused."""

from __future__ import annotations

import pytest

from lernmodul.identity.claims import IdentityError
from lernmodul.identity.ldap.entries import normalise_dn, ou_path

BASE = "dc=lindenau,dc=example"


@pytest.mark.parametrize(("dn", "path"), [
    (f"uid=jweiss,ou=Bürgeramt,ou=Dezernat II,ou=Stadtverwaltung,{BASE}",
     ("Stadtverwaltung", "Dezernat II", "Bürgeramt")),
    (f"uid=weiss\\, j,ou=Bürgeramt,ou=Dezernat II,{BASE}", ("Dezernat II", "Bürgeramt")),
    (f"uid=a,ou=Amt 3\\2C Ordnung,{BASE}", ("Amt 3, Ordnung",)),
    ("uid=a;ou=Kämmerei;DC=Lindenau, DC=Example", ("Kämmerei",)),
    (f"uid=a+cn=A,ou=Kämmerei,{BASE}", ("Kämmerei",)),
    (f"uid=a,{BASE}", None),
    (f"uid=a,cn=people,{BASE}", None),
])
def test_ou_path_below_the_base(dn, path):
    assert ou_path(dn, BASE) == path
    assert ou_path(dn, BASE) == path  # the cached answer is the same


@pytest.mark.parametrize("dn", [BASE, "dc=example", "uid=a,ou=X,dc=other,dc=example", "uid",
                                f"broken,ou=X,{BASE}", f"uid=a,broken,{BASE}"])
def test_ou_path_refuses_entries_outside_the_base_or_broken_dns(dn):
    with pytest.raises(IdentityError):
        ou_path(dn, BASE)


def test_normalise_dn():
    assert normalise_dn("UID=JWeiss, OU=Bürgeramt;dc=Lindenau,dc=example") == (
        "uid=jweiss,ou=bürgeramt,dc=lindenau,dc=example")
    assert normalise_dn("cn=Weiss\\, J,dc=x") == "cn=weiss, j,dc=x"
    assert normalise_dn("uid=JWeiss,ou=Amt 3 Bürgerdienste,dc=x") == "uid=jweiss,ou=amt 3 bürgerdienste,dc=x"
    assert normalise_dn("uid=a+cn=A,ou=X ,dc=x") == "uid=a,ou=x,dc=x"
    assert normalise_dn("uid=a=b,dc=x") == "uid=a=b,dc=x"
    with pytest.raises(IdentityError):
        normalise_dn("uid=a,,dc=x")
