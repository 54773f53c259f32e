"""SAML pieces without an IdP: attributes by URI and friendly name, the SP's generated key pair,
and settings that cannot work stopping the start with a clear message."""

from __future__ import annotations

import datetime
import stat

import pytest
from saml2.saml import Attribute, AttributeValue

from lernmodul.identity import ClaimMapping, map_claims
from lernmodul.identity.saml import SamlError, attribute_claims, ensure_sp_key_pair, load_idp_metadata

MAIL = "urn:oid:0.9.2342.19200300.100.1.3"


def attribute(name, values, friendly=None):
    return Attribute(name=name, friendly_name=friendly,
                     attribute_value=[AttributeValue(text=v) for v in values])


def test_attributes_are_found_by_uri_and_by_friendly_name():
    claims = attribute_claims([[attribute(MAIL, ["a.b@lindenau.example"], "mail"),
                                attribute("http://schemas.xmlsoap.org/claims/Group", ["lm-hr", "x"])]])
    assert claims[MAIL] == claims["mail"] == ["a.b@lindenau.example"]
    assert claims["http://schemas.xmlsoap.org/claims/Group"] == ["lm-hr", "x"]
    by_uri = ClaimMapping.from_settings({"SAML_CLAIM_EMAIL": MAIL}, "SAML")
    by_name = ClaimMapping.from_settings({"SAML_CLAIM_EMAIL": "mail"}, "SAML")
    for mapping in (by_uri, by_name):
        identity = map_claims(claims, mapping, kind="saml", issuer="https://idp", subject="s1")
        assert identity.email == "a.b@lindenau.example"


def test_the_sp_key_pair_is_generated_once_and_private(tmp_path):
    now = datetime.datetime.now(datetime.UTC)
    key, cert = ensure_sp_key_pair(tmp_path, common_name="lernen.example.de", now=now)
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert b"PRIVATE KEY" in key.read_bytes() and b"CERTIFICATE" in cert.read_bytes()
    first = (key.read_bytes(), cert.read_bytes())
    assert ensure_sp_key_pair(tmp_path, common_name="x", now=now) == (key, cert)
    assert (key.read_bytes(), cert.read_bytes()) == first


def test_unreadable_metadata_is_a_clear_error(tmp_path):
    with pytest.raises(SamlError, match="metadata"):
        load_idp_metadata(str(tmp_path / "missing.xml"))
    (tmp_path / "sp.xml").write_text("<EntityDescriptor><SPSSODescriptor/></EntityDescriptor>")
    with pytest.raises(SamlError, match="no IdP entity descriptor"):
        load_idp_metadata(str(tmp_path / "sp.xml"))
    with pytest.raises(SamlError, match="metadata"):
        load_idp_metadata("http://127.0.0.1:9/metadata", timeout=2)


def test_the_app_does_not_start_with_saml_settings_that_cannot_work(app_config, tmp_path):
    from lernmodul.web import create_app

    with pytest.raises(RuntimeError, match="SAML_IDP_METADATA"):
        create_app({**app_config, "SAML_IDP_METADATA": str(tmp_path / "missing.xml")})
    with pytest.raises(RuntimeError, match="PUBLIC_BASE_URL"):
        create_app({**app_config, "SAML_IDP_METADATA": "x", "PUBLIC_BASE_URL": None})
    with pytest.raises(RuntimeError, match="SAML_SP_CERT_FILE"):
        create_app({**app_config, "SAML_IDP_METADATA": "x", "SAML_SP_KEY_FILE": "k.pem"})
