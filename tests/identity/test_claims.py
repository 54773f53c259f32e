"""Claims to Identity: the mapping of personnel number, e-mail, name, unit path and groups."""

from __future__ import annotations

import pytest

from lernmodul.identity import ClaimMapping, IdentityError, map_claims

MAPPING = ClaimMapping(personnel_number="personnel_number", email="email", name="name",
                       unit_path="org_unit", groups="groups",
                       group_roles={"lm-hr": "hr", "cn=lm-trainer,ou=groups,dc=lindenau": "trainer"})


def identity(claims, mapping=MAPPING):
    return map_claims(claims, mapping, kind="oidc", issuer="https://idp.lindenau.example", subject="s-1")


def test_every_field_is_mapped() -> None:
    found = identity({"personnel_number": "4711", "email": "Jürgen.Weiß@Lindenau.example",
                      "name": "Jürgen Weiß", "org_unit": "Stadt Lindenau / Dezernat II / Bürgeramt",
                      "groups": ["/lm-hr", "cn=lm-trainer,ou=groups,dc=lindenau", "other"]})
    assert found.personnel_number == "4711"
    assert found.email == "jürgen.weiß@lindenau.example"
    assert found.unit_path == ("Stadt Lindenau", "Dezernat II", "Bürgeramt")
    assert found.roles == frozenset({"learner", "hr", "trainer"})


def test_saml_style_lists_take_the_first_value() -> None:
    found = identity({"email": ["a@lindenau.example", "b@lindenau.example"], "name": ["Anna"],
                      "personnel_number": ["1"], "groups": "lm-hr"})
    assert (found.email, found.name, found.personnel_number) == ("a@lindenau.example", "Anna", "1")
    assert found.roles == frozenset({"learner", "hr"})


def test_without_group_roles_roles_are_not_managed() -> None:
    found = identity({"email": "a@lindenau.example"}, ClaimMapping())
    assert found.roles is None
    assert found.unit_path is None
    assert found.name == "a"


@pytest.mark.parametrize(("claims", "code"), [
    ({}, "missing_claim"),
    ({"email": "not-an-address"}, "bad_claim"),
    ({"email": "a@lindenau.example", "name": "Anna\x00"}, "bad_claim"),
    ({"email": "a@lindenau.example", "personnel_number": "9" * 65}, "bad_claim"),
])
def test_bad_claims_are_refused_with_a_code(claims, code) -> None:
    with pytest.raises(IdentityError) as raised:
        identity(claims)
    assert raised.value.code == code


def test_unknown_roles_in_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="root"):
        ClaimMapping.from_settings({"OIDC_GROUP_ROLES": "lm-admin=root"}, "OIDC")
    mapping = ClaimMapping.from_settings({"OIDC_GROUP_ROLES": "lm-hr=hr,lm-admin=admin",
                                          "OIDC_CLAIM_EMAIL": "mail"}, "OIDC")
    assert mapping.group_roles == {"lm-hr": "hr", "lm-admin": "admin"}
    assert mapping.email == "mail"
    assert (mapping.name, mapping.personnel_number) == ("name", "employeeNumber")  # the defaults
