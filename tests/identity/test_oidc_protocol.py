"""The parts of the OpenID client that need no provider: the discovery checks and the
pending sign-in kept in the browser's session."""

from __future__ import annotations

import pytest

from lernmodul.identity.oidc import OidcError, OidcSettings, PendingSignIn, ProviderMetadata

ISSUER = "https://id.lindenau.example/realms/stadt"
DOCUMENT = {"issuer": ISSUER, "authorization_endpoint": f"{ISSUER}/auth",
            "token_endpoint": f"{ISSUER}/token", "jwks_uri": f"{ISSUER}/certs",
            "end_session_endpoint": f"{ISSUER}/logout",
            "id_token_signing_alg_values_supported": ["none", "HS256", "RS256", "ES256"]}


def test_only_algorithms_with_a_public_key_are_accepted():
    metadata = ProviderMetadata.from_document(DOCUMENT, ISSUER)
    assert metadata.signing_algorithms == {"RS256", "ES256"}
    assert metadata.end_session_endpoint == f"{ISSUER}/logout"


def test_a_provider_offering_only_none_or_hmac_is_unusable():
    document = {**DOCUMENT, "id_token_signing_alg_values_supported": ["none", "HS256"]}
    with pytest.raises(OidcError) as raised:
        ProviderMetadata.from_document(document, ISSUER)
    assert raised.value.code == "provider_unavailable"


def test_a_discovery_document_of_another_issuer_is_refused():
    with pytest.raises(OidcError) as raised:
        ProviderMetadata.from_document({**DOCUMENT, "issuer": "https://evil.example"}, ISSUER)
    assert raised.value.code == "issuer"


@pytest.mark.parametrize("stored", [None, "x", {}, {"state": "s", "nonce": "n", "code_verifier": "",
                                                     "started_at": 1},
                                    {"state": "s", "nonce": "n", "code_verifier": "v", "started_at": "1"}])
def test_a_damaged_pending_sign_in_counts_as_none(stored):
    assert PendingSignIn.from_dict(stored) is None


def test_scopes_always_include_openid():
    settings = OidcSettings.from_settings({"OIDC_ISSUER": ISSUER + "/", "OIDC_CLIENT_ID": "lm",
                                           "OIDC_CLIENT_SECRET": "s", "OIDC_SCOPES": "email"}, "https://x/cb")
    assert settings is not None
    assert (settings.issuer, settings.scopes) == (ISSUER, "openid email")
    assert OidcSettings.from_settings({}, "https://x/cb") is None
