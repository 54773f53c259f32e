"""The SAML service provider of this app, built once at start from the settings."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from flask import Flask, current_app

from lernmodul.db.models import utcnow
from lernmodul.identity import ClaimMapping
from lernmodul.identity.saml import (
    SamlError,
    ServiceProvider,
    SpSettings,
    ensure_sp_key_pair,
    load_idp_metadata,
)
from lernmodul.web.config import ENV_PREFIX, public_base_url
from lernmodul.web.security import allow_form_redirect_to

EXTENSION_KEY = "lernmodul.saml"


@dataclass(frozen=True)
class SamlState:
    """The service provider and what the settings say about accounts and the login page."""

    provider: ServiceProvider
    mapping: ClaimMapping
    display_name: str
    create_accounts: bool


def init_app(app: Flask) -> None:
    """Builds the SP when SAML_IDP_METADATA is set; a setting that cannot work stops the start."""
    config = app.config
    source = config.get("SAML_IDP_METADATA")
    if not source:
        return
    base = public_base_url(config)
    if base is None:
        raise RuntimeError("SAML sign-in needs PUBLIC_BASE_URL: the entity id and the "
                           "assertion consumer URL are derived from it")
    key_file, cert_file = config.get("SAML_SP_KEY_FILE"), config.get("SAML_SP_CERT_FILE")
    if bool(key_file) != bool(cert_file):
        raise RuntimeError(f"set both {ENV_PREFIX}_SAML_SP_KEY_FILE and "
                           f"{ENV_PREFIX}_SAML_SP_CERT_FILE, or neither (a key pair is then "
                           "generated into the instance folder)")
    if key_file and cert_file:
        key_path, cert_path = Path(key_file), Path(cert_file)
    else:
        key_path, cert_path = ensure_sp_key_pair(Path(app.instance_path),
                                                 common_name=base.split("//", 1)[-1], now=utcnow())
    try:
        metadata = load_idp_metadata(str(source), timeout=float(config["SAML_METADATA_TIMEOUT_SECONDS"]))
        provider = ServiceProvider(SpSettings(
            base_url=base, key_file=key_path, cert_file=cert_path, idp_metadata=metadata,
            clock_skew_seconds=int(config["SAML_CLOCK_SKEW_SECONDS"])))
    except SamlError as error:
        raise RuntimeError(f"SAML_IDP_METADATA: {error.detail or error.code}") from error
    try:
        mapping = ClaimMapping.from_settings(config, "SAML")
    except ValueError as error:
        raise RuntimeError(str(error)) from error
    create = config.get("SAML_CREATE_ACCOUNTS", True)
    if isinstance(create, str):  # from the environment
        create = create.strip().lower() not in ("0", "false", "no", "off", "")
    logout = provider.idp_logout_location()
    if logout is not None:
        parts = urlsplit(logout)
        allow_form_redirect_to(app, f"{parts.scheme}://{parts.netloc}")
    app.extensions[EXTENSION_KEY] = SamlState(
        provider=provider, mapping=mapping, display_name=str(config.get("SAML_DISPLAY_NAME") or "SAML"),
        create_accounts=bool(create))


def saml_state(app: Flask | None = None) -> SamlState | None:
    """The SP of this app, or None when SAML is not configured."""
    state: SamlState | None = (app or current_app).extensions.get(EXTENSION_KEY)
    return state
