"""SAML fixtures: a real SimpleSAMLphp IdP on loopback, SP key pairs, apps configured for it.

The IdP knows three SPs: this app as the Flask test client sees it (https://lernen.example.de),
this app on a live server (for Chromium), and another service whose responses carry the other
audience but come to our ACS (the wrong-audience case).
"""

from __future__ import annotations

import os
import threading
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from simplesamlphp import (
    OTHER_ENTITY,
    IdP,
    Posted,
    ServiceProviderEntry,
    available,
    idp_sign_in,
    key_pair,
    start_idp,
)

BASE = "https://lernen.example.de"
MAPPING = {  # the IdP sends URIs (name2oid), as Shibboleth and ADFS do
    "SAML_CLAIM_PERSONNEL_NUMBER": "urn:oid:2.16.840.1.113730.3.1.3",
    "SAML_CLAIM_EMAIL": "urn:oid:0.9.2342.19200300.100.1.3",
    "SAML_CLAIM_NAME": "urn:oid:2.16.840.1.113730.3.1.241",
    "SAML_CLAIM_UNIT_PATH": "urn:oid:2.5.4.11",
    "SAML_CLAIM_GROUPS": "urn:oid:1.3.6.1.4.1.5923.1.5.1.1",
    "SAML_GROUP_ROLES": {"lm-hr": "hr"},
    "SAML_DISPLAY_NAME": "Stadt Lindenau",
}


@dataclass(frozen=True)
class SpKeys:
    key_file: Path
    cert_file: Path
    cert_pem: str


class Dispatcher:
    """A WSGI app whose target is set later: the live server's port is known before the app."""

    def __init__(self) -> None:
        self.app: Any = None

    def __call__(self, environ: Any, start_response: Any) -> Any:
        return self.app(environ, start_response)


@dataclass
class LiveServer:
    url: str
    dispatcher: Dispatcher


@pytest.fixture(scope="session")
def sp_keys(tmp_path_factory: pytest.TempPathFactory) -> SpKeys:
    folder = tmp_path_factory.mktemp("sp-keys")
    key_pem, cert_pem = key_pair("lernen.example.de")
    (folder / "sp.key").write_text(key_pem)
    (folder / "sp.crt").write_text(cert_pem)
    return SpKeys(folder / "sp.key", folder / "sp.crt", cert_pem)


@pytest.fixture(scope="session")
def saml_live_server() -> Iterator[LiveServer]:
    from werkzeug.serving import make_server

    dispatcher = Dispatcher()
    server = make_server("127.0.0.1", 0, dispatcher, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield LiveServer(f"http://127.0.0.1:{server.server_port}", dispatcher)
    finally:
        server.shutdown()
        thread.join(timeout=10)


def _entry(base: str, cert_pem: str, entity_id: str | None = None) -> ServiceProviderEntry:
    return ServiceProviderEntry(entity_id or f"{base}/saml/metadata", f"{base}/saml/acs",
                                f"{base}/saml/logout", cert_pem)


@pytest.fixture(scope="session")
def idp(tmp_path_factory: pytest.TempPathFactory, sp_keys: SpKeys,
        saml_live_server: LiveServer) -> Iterator[IdP]:
    if not available():
        message = "SimpleSAMLphp is not installed (apt-get install simplesamlphp php-cli php-xml xmlsec1)"
        if os.environ.get("CI"):  # .ci/run installs it: there, its absence is a failure
            pytest.fail(message)
        pytest.skip(message)
    sps = [_entry(BASE, sp_keys.cert_pem), _entry(saml_live_server.url, sp_keys.cert_pem),
           _entry(BASE, sp_keys.cert_pem, entity_id=OTHER_ENTITY)]
    server = start_idp(tmp_path_factory.mktemp("simplesamlphp"), sps)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def saml_config(app_config: dict[str, Any], idp: IdP, sp_keys: SpKeys) -> dict[str, Any]:
    """The app configuration for SAML against the test IdP (metadata by URL)."""
    return {**app_config, **MAPPING, "SAML_IDP_METADATA": idp.metadata_url,
            "SAML_SP_KEY_FILE": str(sp_keys.key_file), "SAML_SP_CERT_FILE": str(sp_keys.cert_file)}


@pytest.fixture
def saml_app(make_app: Callable[..., Any], saml_config: dict[str, Any]) -> Any:
    return make_app(**saml_config)


def start_sign_in(client: Any, next_url: str | None = None) -> str:
    """GET /saml/login on the test client; the IdP location it redirects to."""
    response = client.get("/saml/login" + (f"?next={urllib.parse.quote(next_url)}" if next_url else ""))
    assert response.status_code == 302, response.get_data(as_text=True)
    return response.headers["Location"]


@pytest.fixture
def signed_response() -> Callable[..., Posted]:
    """signed_response(client, user="jweiss"): a real response of the IdP to the client's request."""
    from simplesamlphp import USERS

    def make(client: Any, user: str = "jweiss", next_url: str | None = None) -> Posted:
        return idp_sign_in(start_sign_in(client, next_url), user, USERS[user]["password"])

    return make
