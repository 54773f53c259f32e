"""SAML 2.0 service provider (pysaml2): metadata, AuthnRequest, checked responses, logout.

No Flask here: the web edge passes in the settings, the posted response and the id of the
request this browser started, and gets back an `Assertion` or a `SamlError` with a code.
Signatures are checked by pysaml2 with the xmlsec1 program. What is checked: a signed
assertion (always), audience, recipient and destination, NotBefore/NotOnOrAfter with a small
clock skew, InResponseTo against the request this browser started, and replays through the
database (`remember_message_ids`), so every worker refuses a response already accepted.
"""

from __future__ import annotations

import datetime as dt
import shutil
import urllib.request
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from lernmodul.db.identities import SamlSeenMessage
from lernmodul.files import write_private_once

SP_KEY_FILE = "saml_sp_key.pem"
SP_CERT_FILE = "saml_sp_cert.pem"
CLOCK_SKEW_SECONDS = 60
METADATA_TIMEOUT_SECONDS = 10
MAX_METADATA_BYTES = 5 * 1024 * 1024
NAMEID_PERSISTENT = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"
# kept when an assertion gives no NotOnOrAfter of its own: longer than any response is valid
DEFAULT_REMEMBER = dt.timedelta(hours=1)


class SamlError(Exception):
    """Why a SAML message is refused; `code` names it for the message, `detail` for the log.

    Codes: bad_signature, unsigned, wrong_audience, expired, unsolicited, replayed,
    wrong_destination, idp_refused, invalid, metadata."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail


@dataclass(frozen=True, slots=True)
class SpSettings:
    """What the service provider is: its base URL (entity id and endpoints derive from it),
    its key pair, the IdP's metadata (XML) and the allowed clock skew."""

    base_url: str
    key_file: Path
    cert_file: Path
    idp_metadata: str
    clock_skew_seconds: int = CLOCK_SKEW_SECONDS
    xmlsec_binary: str | None = None

    @property
    def entity_id(self) -> str:
        return f"{self.base_url}/saml/metadata"

    @property
    def acs_url(self) -> str:
        return f"{self.base_url}/saml/acs"

    @property
    def logout_url(self) -> str:
        return f"{self.base_url}/saml/logout"


@dataclass(frozen=True, slots=True)
class Assertion:
    """What a checked response says: who (issuer, NameID), the attributes by name and by
    friendly name, and the ids to remember against replays until `expires_at`."""

    issuer: str
    name_id: str
    name_id_format: str | None
    session_index: str | None
    claims: Mapping[str, list[str]]
    message_ids: tuple[str, ...]
    expires_at: dt.datetime
    in_response_to: str | None = None
    relay_state: str = field(default="")


def load_idp_metadata(source: str, *, timeout: float = METADATA_TIMEOUT_SECONDS) -> str:
    """The IdP's metadata XML from a file path or an http(s) URL (fetched with a timeout)."""
    scheme = urlparse(source).scheme
    if scheme in ("http", "https"):
        try:
            # the URL is the operator's setting, never a request value
            with urllib.request.urlopen(source, timeout=timeout) as answer:  # noqa: S310  # nosec B310
                data: bytes = answer.read(MAX_METADATA_BYTES + 1)
        except OSError as error:
            raise SamlError("metadata", f"{source}: {error}") from error
        if len(data) > MAX_METADATA_BYTES:
            raise SamlError("metadata", f"{source}: larger than {MAX_METADATA_BYTES} bytes")
    else:
        try:
            data = Path(source).read_bytes()
        except OSError as error:
            raise SamlError("metadata", f"{source}: {error}") from error
    text = data.decode("utf-8", "replace")
    if "EntityDescriptor" not in text or "IDPSSODescriptor" not in text:
        raise SamlError("metadata", f"{source}: no IdP entity descriptor")
    return text


def ensure_sp_key_pair(folder: Path, *, common_name: str, now: dt.datetime) -> tuple[Path, Path]:
    """The SP's RSA key and self-signed certificate in `folder`, generated once (0600)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    folder.mkdir(parents=True, exist_ok=True)
    key_path, cert_path = folder / SP_KEY_FILE, folder / SP_CERT_FILE
    if not key_path.exists():
        new_key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
        write_private_once(key_path, new_key.private_bytes(serialization.Encoding.PEM,
                                                    serialization.PrivateFormat.PKCS8,
                                                    serialization.NoEncryption()))
    if not cert_path.exists():
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
        assert isinstance(key, rsa.RSAPrivateKey)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name[:64])])
        cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
                .public_key(key.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(now - dt.timedelta(days=1))
                .not_valid_after(now + dt.timedelta(days=3650)).sign(key, hashes.SHA256()))
        write_private_once(cert_path, cert.public_bytes(serialization.Encoding.PEM))
    return key_path, cert_path


class ServiceProvider:
    """One SAML service provider over pysaml2 for the one IdP of the metadata."""

    def __init__(self, settings: SpSettings) -> None:
        from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
        from saml2.client import Saml2Client
        from saml2.config import SPConfig

        self.settings = settings
        config = SPConfig()
        config.load({
            "entityid": settings.entity_id,
            "key_file": str(settings.key_file),
            "cert_file": str(settings.cert_file),
            "xmlsec_binary": settings.xmlsec_binary or shutil.which("xmlsec1") or "/usr/bin/xmlsec1",
            "metadata": {"inline": [settings.idp_metadata]},
            "accepted_time_diff": settings.clock_skew_seconds,
            "signing_algorithm": "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
            "digest_algorithm": "http://www.w3.org/2001/04/xmlenc#sha256",
            "allow_unknown_attributes": True,
            "service": {"sp": {
                "endpoints": {
                    "assertion_consumer_service": [(settings.acs_url, BINDING_HTTP_POST)],
                    "single_logout_service": [(settings.logout_url, BINDING_HTTP_REDIRECT)],
                },
                "name_id_format": [NAMEID_PERSISTENT],
                "authn_requests_signed": True,
                "logout_requests_signed": True,
                "want_assertions_signed": True,
                "want_response_signed": False,
                "allow_unsolicited": False,
                "only_use_keys_in_metadata": True,
            }},
        })
        # pysaml2 decides whether a received request (for an SP: the IdP's LogoutRequest) must
        # be signed by this IdP-side setting; without it a redirect's signature goes unchecked
        config._idp_want_authn_requests_signed = True
        self._config = config
        self._client = Saml2Client(config=config)
        idps = list(self._client.metadata.identity_providers())
        if len(idps) != 1:
            raise SamlError("metadata", f"expected one IdP in the metadata, found {len(idps)}")
        self.idp_entity_id: str = idps[0]
        self._post, self._redirect = BINDING_HTTP_POST, BINDING_HTTP_REDIRECT

    def metadata_xml(self) -> str:
        """The SP's metadata (entity id, ACS, logout endpoint, signing certificate)."""
        from saml2.metadata import create_metadata_string

        return str(create_metadata_string(None, config=self._config, valid=None).decode("utf-8"))

    def start_login(self, relay_state: str = "") -> tuple[str, str]:
        """A signed AuthnRequest for HTTP-Redirect: (request id, the IdP URL to send the browser to)."""
        request_id, info = self._client.prepare_for_authenticate(
            entityid=self.idp_entity_id, relay_state=relay_state, binding=self._redirect,
            response_binding=self._post, sign=True)
        return str(request_id), _location(info)

    def read_response(self, saml_response: str, *, request_id: str | None,
                      now: dt.datetime) -> Assertion:
        """The checked assertion of a posted SAMLResponse, or SamlError."""
        outstanding = {request_id: "/"} if request_id else {}
        try:
            response = self._client.parse_authn_request_response(
                saml_response, self._post, outstanding=outstanding)
        except Exception as error:  # pysaml2 raises plain exceptions for several checks
            raise _refusal(error) from error
        if response is None or response.assertion is None:
            raise SamlError("invalid", "no response or assertion")
        assertion = response.assertion
        if response.name_id is not None:
            # pysaml2 remembers every person in memory; the database is our memory
            self._client.users.remove_person(response.name_id)
        if not _signed(assertion):
            raise SamlError("unsigned", "the assertion carries no signature")
        issuer = (response.issuer() or "").strip()
        if issuer != self.idp_entity_id:
            raise SamlError("invalid", f"issuer {issuer!r}")
        if not _audience_is(assertion, self.settings.entity_id):
            raise SamlError("wrong_audience", "no AudienceRestriction names this SP")
        destination = response.response.destination
        if destination and destination != self.settings.acs_url:
            raise SamlError("wrong_destination", str(destination))
        if request_id is None or response.in_response_to != request_id:
            raise SamlError("unsolicited", f"InResponseTo {response.in_response_to!r}")
        name_id = assertion.subject.name_id if assertion.subject is not None else None
        if name_id is None or not (name_id.text or "").strip():
            raise SamlError("invalid", "no NameID")
        statements = [statement.attribute for statement in assertion.attribute_statement]
        session_index = next((s.session_index for s in assertion.authn_statement if s.session_index),
                             None)
        return Assertion(
            issuer=issuer, name_id=name_id.text.strip(), name_id_format=name_id.format,
            session_index=session_index, claims=attribute_claims(statements),
            message_ids=(f"response:{response.response.id}", f"assertion:{assertion.id}"),
            expires_at=_expiry(assertion, now, self.settings.clock_skew_seconds),
            in_response_to=response.in_response_to)

    def logout_request(self, *, name_id: str, name_id_format: str | None,
                       session_index: str | None, relay_state: str = "") -> tuple[str, str] | None:
        """A signed LogoutRequest for HTTP-Redirect: (request id, IdP URL), or None if the IdP
        offers no single logout by redirect."""
        from saml2.saml import NameID

        location = self.idp_logout_location()
        if location is None:
            return None
        request_id, request = self._client.create_logout_request(
            location, self.idp_entity_id, name_id=NameID(text=name_id, format=name_id_format),
            session_indexes=[session_index] if session_index else None, sign=False)
        info = self._client.apply_binding(self._redirect, str(request), location, relay_state,
                                          sign=True)
        return str(request_id), _location(info)

    def idp_logout_location(self) -> str | None:
        """The IdP's single logout endpoint for HTTP-Redirect, if its metadata names one."""
        destinations = self._client.metadata.single_logout_service(
            self.idp_entity_id, self._redirect, "idpsso")
        return str(destinations[0]["location"]) if destinations else None

    def answer_logout_request(self, saml_request: str, *, relay_state: str, sigalg: str | None,
                              signature: str | None, name_id: str | None) -> tuple[bool, str]:
        """The IdP's LogoutRequest (HTTP-Redirect, its signature required): whether it names
        `name_id` (the person signed in in this browser), and the URL of our LogoutResponse."""
        from saml2 import samlp
        from saml2.samlp import STATUS_UNKNOWN_PRINCIPAL

        if not signature or not sigalg:
            raise SamlError("unsigned", "LogoutRequest without a signature")
        try:
            request = self._client.parse_logout_request(
                saml_request, self._redirect, relay_state=relay_state, sigalg=sigalg,
                signature=signature)
        except Exception as error:
            raise _refusal(error) from error
        if request is None or request.message is None:
            raise SamlError("invalid", "no logout request")
        message = request.message
        issuer = (message.issuer.text or "").strip() if message.issuer is not None else ""
        if issuer != self.idp_entity_id:
            raise SamlError("invalid", f"issuer {issuer!r}")
        named = message.name_id.text.strip() if message.name_id is not None and message.name_id.text else None
        matches = named is not None and named == name_id
        # nobody signed in here: nothing to end, which is what the IdP asked for
        success = matches or name_id is None
        status = (samlp.Status(status_code=samlp.StatusCode(value=samlp.STATUS_SUCCESS)) if success
                  else samlp.Status(status_code=samlp.StatusCode(value=STATUS_UNKNOWN_PRINCIPAL)))
        response = self._client.create_logout_response(message, bindings=[self._redirect],
                                                       status=status, sign=False)
        destination = self._client.response_args(message, [self._redirect])["destination"]
        info = self._client.apply_binding(self._redirect, str(response), destination, relay_state,
                                          response=True, sign=True)
        return matches, _location(info)

    def read_logout_response(self, saml_response: str) -> bool:
        """Whether the IdP's LogoutResponse (HTTP-Redirect) reports success."""
        from saml2 import samlp

        try:
            response = self._client.parse_logout_request_response(saml_response, self._redirect)
        except Exception as error:
            raise _refusal(error) from error
        if response is None:
            raise SamlError("invalid", "no logout response")
        status = response.response.status
        return bool(status is not None and status.status_code.value == samlp.STATUS_SUCCESS)


def attribute_claims(statements: Iterable[Sequence[Any]]) -> dict[str, list[str]]:
    """Attribute values by Name (an URI such as urn:oid:… or a plain name) and FriendlyName."""
    claims: dict[str, list[str]] = {}
    for attributes in statements:
        for attribute in attributes:
            values = [str(v.text).strip() for v in attribute.attribute_value if v.text is not None]
            for key in (attribute.name, attribute.friendly_name):
                if key:
                    claims.setdefault(str(key), []).extend(values)
    return claims


def remember_message_ids(session: Session, assertion: Assertion, *, now: dt.datetime) -> None:
    """Records the response's and assertion's ids until they expire; SamlError("replayed")
    if any was seen before. In the caller's transaction: the primary key decides between
    workers (a concurrent second insert fails on commit or waits and fails)."""
    from sqlalchemy.exc import IntegrityError

    session.execute(delete(SamlSeenMessage).where(SamlSeenMessage.expires_at < now))
    seen = session.scalars(select(SamlSeenMessage.message_id).where(
        SamlSeenMessage.message_id.in_(assertion.message_ids))).first()
    if seen is not None:
        raise SamlError("replayed", seen)
    try:
        with session.begin_nested():
            session.add_all(SamlSeenMessage(message_id=mid[:300], expires_at=assertion.expires_at)
                            for mid in assertion.message_ids)
            session.flush()
    except IntegrityError as error:
        raise SamlError("replayed", "inserted concurrently") from error


def _location(info: Mapping[str, Any]) -> str:
    for name, value in info.get("headers", []):
        if name.lower() == "location":
            return str(value)
    raise SamlError("invalid", "no redirect location")


def _signed(assertion: Any) -> bool:
    return assertion.signature is not None


def _audience_is(assertion: Any, entity_id: str) -> bool:
    conditions = assertion.conditions
    if conditions is None:
        return False
    return any((audience.text or "").strip() == entity_id
               for restriction in conditions.audience_restriction
               for audience in restriction.audience)


def _expiry(assertion: Any, now: dt.datetime, skew: int) -> dt.datetime:
    """Until when the ids must be remembered: the latest NotOnOrAfter plus the skew."""
    from saml2.time_util import str_to_time

    times = []
    if assertion.conditions is not None and assertion.conditions.not_on_or_after:
        times.append(assertion.conditions.not_on_or_after)
    if assertion.subject is not None:
        for confirmation in assertion.subject.subject_confirmation:
            data = confirmation.subject_confirmation_data
            if data is not None and data.not_on_or_after:
                times.append(data.not_on_or_after)
    if not times:
        return now + DEFAULT_REMEMBER
    import calendar

    latest = max(calendar.timegm(str_to_time(t)) for t in times)
    return dt.datetime.fromtimestamp(latest, dt.UTC) + dt.timedelta(seconds=skew)


def _refusal(error: Exception) -> SamlError:
    """pysaml2's exception as one of our codes (several of its checks raise plain Exception)."""
    from saml2.response import IncorrectlySigned, StatusError, UnsolicitedResponse, VerificationError
    from saml2.sigver import SignatureError
    from saml2.validate import ResponseLifetimeExceed, ToEarly

    text = str(error)
    if isinstance(error, (IncorrectlySigned, SignatureError)):
        return SamlError("unsigned" if "missing" in text.lower() else "bad_signature", text)
    if isinstance(error, (ResponseLifetimeExceed, ToEarly)):
        return SamlError("expired", text)
    if isinstance(error, UnsolicitedResponse):
        return SamlError("unsolicited", text)
    if isinstance(error, StatusError):
        return SamlError("idp_refused", text)
    if "AudienceRestrictions" in text:
        return SamlError("wrong_audience", text)
    if isinstance(error, VerificationError) and "recipient" in text.lower():
        return SamlError("wrong_destination", text)
    return SamlError("invalid", f"{type(error).__name__}: {text}")
