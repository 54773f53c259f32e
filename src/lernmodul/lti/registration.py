"""LTI Dynamic Registration 1.0: read the platform's OpenID configuration, register the tool there.

The protocol steps are pylti1p3's `DynamicRegistration` (the registration request it builds and
posts with the platform's registration token); this module checks the platform's configuration
first (the issuer has the origin of the configuration URL, the required endpoints are there and
speak RS256 and private_key_jwt), fills in lernmodul's addresses and reads the client id and
deployment id out of the answer. Network calls have a timeout and follow no redirects. Nothing
is stored here: the caller saves the platform with `lernmodul.lti.platforms.save_platform`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
from pylti1p3.dynamic_registration import DynamicRegistration
from pylti1p3.exception import LtiException

from lernmodul.lti.platforms import PlatformError, check_url

PLATFORM_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-platform-configuration"
TOOL_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-tool-configuration"
AGS_SCOPES = (
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly",
    "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly",
    "https://purl.imsglobal.org/spec/lti-ags/scope/score",
)
CLAIMS = ("iss", "sub", "name", "given_name", "family_name", "email")
REQUIRED_ENDPOINTS = ("authorization_endpoint", "token_endpoint", "jwks_uri", "registration_endpoint")
TIMEOUT_SECONDS = 10


class RegistrationError(Exception):
    """Why a registration cannot go on; `code` names the message, `detail` is for the log."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail


@dataclass(frozen=True, slots=True)
class PlatformConfiguration:
    """The checked OpenID configuration of a platform."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    registration_endpoint: str
    product_family_code: str
    raw: dict[str, Any]


@dataclass(frozen=True, slots=True)
class ToolAddresses:
    """lernmodul's side of the registration."""

    name: str
    description: str
    login_url: str
    launch_url: str
    jwks_url: str


@dataclass(frozen=True, slots=True)
class RegisteredClient:
    """What the platform answered: our client id there and the deployment id."""

    client_id: str
    deployment_id: str


class _Session(requests.Session):
    """requests with a timeout and without redirects (the URLs come from the platform)."""

    def request(self, method: str | bytes, url: str | bytes, *args: Any,
                **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", TIMEOUT_SECONDS)
        kwargs.setdefault("allow_redirects", False)
        return super().request(method, url, *args, **kwargs)  # type: ignore[arg-type]


def _origin(url: str) -> str:
    parts = urlsplit(url)
    port = parts.port or {"http": 80, "https": 443}.get(parts.scheme)
    return f"{parts.scheme}://{(parts.hostname or '').lower()}:{port}"


def _url(value: Any, field: str) -> str:
    if not isinstance(value, str):
        raise RegistrationError("missing_fields", field)
    try:
        return check_url(value, field)
    except PlatformError as error:
        raise RegistrationError("missing_fields" if error.code == "required" else "not_https",
                                field) from error


def check_configuration(config_url: str, raw: Any) -> PlatformConfiguration:
    """The configuration checked as the specification asks; RegistrationError with a code else."""
    if not isinstance(raw, dict):
        raise RegistrationError("bad_configuration", "not a JSON object")
    issuer = _url(raw.get("issuer"), "issuer")
    if _origin(issuer) != _origin(config_url):
        raise RegistrationError("wrong_issuer", f"issuer {issuer!r} for {config_url!r}")
    endpoints = {field: _url(raw.get(field), field) for field in REQUIRED_ENDPOINTS}
    platform = raw.get(PLATFORM_CONFIGURATION)
    if not isinstance(platform, dict):
        raise RegistrationError("missing_fields", PLATFORM_CONFIGURATION)
    for field, needed in (("id_token_signing_alg_values_supported", "RS256"),
                          ("token_endpoint_auth_methods_supported", "private_key_jwt")):
        offered = raw.get(field)
        if offered is not None and (not isinstance(offered, list) or needed not in offered):
            raise RegistrationError("unsupported", f"{field} without {needed}")
    return PlatformConfiguration(issuer=issuer, product_family_code=str(
        platform.get("product_family_code") or ""), raw=raw, **endpoints)


def fetch_configuration(config_url: str) -> PlatformConfiguration:
    """GET the platform's OpenID configuration and check it."""
    url = _url(config_url, "openid_configuration")
    try:
        with _Session() as session:
            response = session.get(url, headers={"Accept": "application/json"})
        if response.status_code != 200:
            raise RegistrationError("configuration_unreachable", f"HTTP {response.status_code}")
        raw = response.json()
    except requests.RequestException as error:  # JSONDecodeError is one too
        raise RegistrationError("configuration_unreachable", str(error)[:200]) from error
    return check_configuration(url, raw)


class ToolRegistration(DynamicRegistration):
    """pylti1p3's registration flow with lernmodul's addresses and the checked configuration."""

    def __init__(self, configuration: PlatformConfiguration, config_url: str,
                 registration_token: str | None, tool: ToolAddresses) -> None:
        self._configuration = configuration
        self._config_url = config_url
        self._token = registration_token or None
        self._tool = tool
        self.response_types = ["id_token"]
        self.grant_types = ["implicit", "client_credentials"]
        self.client_name = tool.name
        self.description = tool.description

    def get_request_session(self) -> requests.Session:
        return _Session()

    def get_openid_configuration_endpoint(self) -> str:
        return self._config_url

    def get_registration_token(self) -> str:
        return self._token  # type: ignore[return-value]  # the library sends no token for None

    def get_openid_configuration(self) -> dict[str, Any]:
        return self._configuration.raw

    def get_initiate_login_uri(self) -> str:
        return self._tool.login_url

    def get_jwks_uri(self) -> str:
        return self._tool.jwks_url

    def get_redirect_uris(self) -> list[str]:
        return [self._tool.launch_url]

    def get_scopes(self) -> list[str]:
        return list(AGS_SCOPES)

    def get_domain(self) -> str:
        return urlsplit(self._tool.launch_url).netloc

    def get_target_link_uri(self) -> str:
        return self._tool.launch_url

    def get_claims(self) -> list[str]:
        return list(CLAIMS)

    def get_messages(self) -> list[dict[str, str]]:
        return [{"type": "LtiResourceLinkRequest", "target_link_uri": self._tool.launch_url},
                {"type": "LtiDeepLinkingRequest", "target_link_uri": self._tool.launch_url,
                 "label": self._tool.name}]

    def get_logo_uri(self) -> str:
        return ""

    def lti_registration_data(self) -> dict[str, Any]:
        data = dict(super().lti_registration_data())
        if not data.get("logo_uri"):
            data.pop("logo_uri", None)
        return data

    def complete_registration(self, openid_configuration: dict[str, Any],
                              openid_registration: dict[str, Any]) -> RegisteredClient:
        tool = openid_registration.get(TOOL_CONFIGURATION) or {}
        client_id = openid_registration.get("client_id")
        deployment_id = tool.get("deployment_id") if isinstance(tool, dict) else None
        if not isinstance(client_id, str) or not client_id.strip():
            raise RegistrationError("bad_answer", "no client_id")
        if not isinstance(deployment_id, str) or not deployment_id.strip():
            raise RegistrationError("no_deployment", "no deployment_id")
        return RegisteredClient(client_id=client_id.strip(), deployment_id=deployment_id.strip())


def register_tool(configuration: PlatformConfiguration, config_url: str,
                  registration_token: str | None, tool: ToolAddresses) -> RegisteredClient:
    """POST the tool's registration to the platform; RegistrationError with a code else."""
    flow = ToolRegistration(configuration, config_url, registration_token, tool)
    try:
        result = flow.register()
    except RegistrationError:
        raise
    except (LtiException, requests.RequestException, AssertionError, ValueError) as error:
        raise RegistrationError("registration_failed", str(error)[:300]) from error
    if not isinstance(result, RegisteredClient):  # pragma: no cover - complete_registration's type
        raise RegistrationError("bad_answer", "no registration")
    return result
