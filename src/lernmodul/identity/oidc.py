"""OpenID Connect sign-in (authorization code flow with PKCE) with Authlib and joserfc.

No Flask here: the web edge keeps the pending request (state, nonce, PKCE verifier) in the
browser's session, passes the provider's answer in and gets the verified claims out. The
discovery document and the provider's keys are fetched over HTTP and cached per client; an ID
token signed with a key the cache does not know makes the client fetch the JWKS once more (key
rotation). Every refusal is an `OidcError` whose `code` the web edge turns into a message.
"""

from __future__ import annotations

import hmac
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from joserfc import jwt
from joserfc.errors import ExpiredTokenError, JoseError
from joserfc.jwk import KeySet
from joserfc.jws import extract_compact

DISCOVERY_PATH = "/.well-known/openid-configuration"
# Signature algorithms with a public key: never "none", never an HMAC keyed with the secret.
ASYMMETRIC_ALGORITHMS = frozenset({"RS256", "RS384", "RS512", "PS256", "PS384", "PS512",
                                   "ES256", "ES384", "ES512", "EdDSA", "Ed25519"})
METADATA_TTL_SECONDS = 3600
LEEWAY_SECONDS = 60
MAX_TOKEN_AGE_SECONDS = 600  # an ID token issued longer ago than this is not a fresh sign-in
MAX_PENDING_SECONDS = 900  # a sign-in started longer ago than this must start again


class OidcError(Exception):
    """Why a sign-in is refused: `code` for the message, `detail` for the log.

    Codes: "provider_unavailable", "provider_error", "state", "issuer", "token_request",
    "id_token" (with details audience | expired | nonce | issuer | signature | algorithm |
    unknown_key | claims), "userinfo"."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail


@dataclass(frozen=True, slots=True)
class OidcSettings:
    """The client as registered at the provider."""

    issuer: str
    client_id: str
    client_secret: str
    redirect_uri: str
    scopes: str = "openid email profile"

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any], redirect_uri: str) -> OidcSettings | None:
        """From OIDC_ISSUER, OIDC_CLIENT_ID, OIDC_CLIENT_SECRET, OIDC_SCOPES; None if not set."""
        issuer = settings.get("OIDC_ISSUER")
        if not issuer:
            return None
        scopes = str(settings.get("OIDC_SCOPES") or "openid email profile")
        if "openid" not in scopes.split():
            scopes = f"openid {scopes}"
        return cls(issuer=str(issuer).rstrip("/"), client_id=str(settings.get("OIDC_CLIENT_ID") or ""),
                   client_secret=str(settings.get("OIDC_CLIENT_SECRET") or ""),
                   redirect_uri=redirect_uri, scopes=scopes)


@dataclass(frozen=True, slots=True)
class ProviderMetadata:
    """What the discovery document says about the provider (the parts the client uses)."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    signing_algorithms: frozenset[str]
    userinfo_endpoint: str | None = None
    end_session_endpoint: str | None = None

    @classmethod
    def from_document(cls, document: Mapping[str, Any], expected_issuer: str) -> ProviderMetadata:
        """The metadata, if the document is of `expected_issuer`; OidcError("issuer") else."""
        issuer = document.get("issuer")
        if not isinstance(issuer, str) or issuer.rstrip("/") != expected_issuer.rstrip("/"):
            raise OidcError("issuer", f"discovery names issuer {issuer!r}")
        fields = {}
        for name in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
            value = document.get(name)
            if not isinstance(value, str) or not value:
                raise OidcError("provider_unavailable", f"discovery lacks {name}")
            fields[name] = value
        offered = document.get("id_token_signing_alg_values_supported") or ["RS256"]
        algorithms = frozenset(a for a in offered if isinstance(a, str)) & ASYMMETRIC_ALGORITHMS
        if not algorithms:
            raise OidcError("provider_unavailable", f"no usable ID token algorithm in {offered!r}")
        optional = {name: value for name in ("userinfo_endpoint", "end_session_endpoint")
                    if isinstance(value := document.get(name), str) and value}
        return cls(issuer=issuer, signing_algorithms=algorithms, **fields, **optional)


@dataclass(frozen=True, slots=True)
class PendingSignIn:
    """What the browser's session keeps between the redirect to the provider and the answer."""

    state: str
    nonce: str
    code_verifier: str
    started_at: int

    def to_dict(self) -> dict[str, Any]:
        return {"state": self.state, "nonce": self.nonce, "code_verifier": self.code_verifier,
                "started_at": self.started_at}

    @classmethod
    def from_dict(cls, value: Any) -> PendingSignIn | None:
        """The pending sign-in stored as `to_dict` made it, or None for anything else."""
        if not isinstance(value, dict):
            return None
        try:
            pending = cls(state=value["state"], nonce=value["nonce"],
                          code_verifier=value["code_verifier"], started_at=value["started_at"])
        except KeyError:
            return None
        texts = (pending.state, pending.nonce, pending.code_verifier)
        if not all(isinstance(t, str) and t for t in texts) or not isinstance(pending.started_at, int):
            return None
        return pending


@dataclass(frozen=True, slots=True)
class SignedIn:
    """The verified answer: the ID token's claims with the userinfo claims added."""

    claims: dict[str, Any]
    id_token: str


class OidcClient:
    """One registered client of one provider; safe to share between threads."""

    def __init__(self, settings: OidcSettings, *, timeout: float = 10.0) -> None:
        self.settings = settings
        self.timeout = timeout
        self._lock = threading.Lock()
        self._metadata: tuple[float, ProviderMetadata] | None = None
        self._keys: KeySet | None = None

    # --- the provider's documents --------------------------------------------------------

    def _get_json(self, url: str, **kwargs: Any) -> Any:
        try:
            response = requests.get(url, timeout=self.timeout, **kwargs)
            response.raise_for_status()
            return response.json()
        except (requests.RequestException, ValueError) as error:
            raise OidcError("provider_unavailable", f"GET {url}: {error}") from error

    def metadata(self) -> ProviderMetadata:
        """The discovery document of OIDC_ISSUER (cached for an hour)."""
        with self._lock:
            if self._metadata is not None and self._metadata[0] > time.monotonic():
                return self._metadata[1]
        document = self._get_json(self.settings.issuer + DISCOVERY_PATH)
        if not isinstance(document, dict):
            raise OidcError("provider_unavailable", "discovery is not a JSON object")
        metadata = ProviderMetadata.from_document(document, self.settings.issuer)
        with self._lock:
            self._metadata = (time.monotonic() + METADATA_TTL_SECONDS, metadata)
        return metadata

    def key_set(self, *, refresh: bool = False) -> KeySet:
        """The provider's signing keys (the JWKS), fetched again when `refresh`."""
        with self._lock:
            if self._keys is not None and not refresh:
                return self._keys
        document = self._get_json(self.metadata().jwks_uri)
        try:
            keys = KeySet.import_key_set(document)
        except (JoseError, ValueError, KeyError, TypeError) as error:
            raise OidcError("provider_unavailable", f"JWKS: {error}") from error
        with self._lock:
            self._keys = keys
        return keys

    # --- the flow ------------------------------------------------------------------------

    def _session(self) -> OAuth2Session:
        # token_endpoint_auth_method names a method, it is no secret
        return OAuth2Session(self.settings.client_id, self.settings.client_secret,
                             scope=self.settings.scopes, redirect_uri=self.settings.redirect_uri,
                             token_endpoint_auth_method="client_secret_basic",  # noqa: S106  # nosec B106
                             code_challenge_method="S256", default_timeout=self.timeout)

    def begin(self, *, now: int) -> tuple[str, PendingSignIn]:
        """The provider's authorization URL and what to keep until its answer."""
        pending = PendingSignIn(state=generate_token(43), nonce=generate_token(43),
                                code_verifier=generate_token(64), started_at=now)
        with self._session() as oauth:
            url, _state = oauth.create_authorization_url(
                self.metadata().authorization_endpoint, state=pending.state,
                code_verifier=pending.code_verifier, nonce=pending.nonce)
        return str(url), pending

    def finish(self, answer: Mapping[str, str], pending: PendingSignIn | None, *,
               now: int) -> SignedIn:
        """Checks the provider's answer (the callback's query), redeems the code and verifies
        the ID token; `pending` is the sign-in this browser started (None: none)."""
        if pending is None:
            raise OidcError("state", "no sign-in pending in this browser session")
        if not hmac.compare_digest(str(answer.get("state", "")), pending.state):
            raise OidcError("state", "state does not match")
        if now - pending.started_at > MAX_PENDING_SECONDS:
            raise OidcError("state", "sign-in started too long ago")
        metadata = self.metadata()
        if "iss" in answer and answer["iss"].rstrip("/") != metadata.issuer.rstrip("/"):
            raise OidcError("issuer", f"answer from issuer {answer['iss']!r}")  # RFC 9207
        if "error" in answer:
            raise OidcError("provider_error", f"{answer['error']}: {answer.get('error_description', '')}")
        code = answer.get("code")
        if not code:
            raise OidcError("provider_error", "no code in the answer")
        try:
            with self._session() as oauth:
                token = oauth.fetch_token(metadata.token_endpoint, code=code,
                                          code_verifier=pending.code_verifier)
        except AuthlibBaseError as error:
            raise OidcError("token_request", f"{error.error}: {error.description}") from error
        except (requests.RequestException, ValueError) as error:
            raise OidcError("provider_unavailable", f"token endpoint: {error}") from error
        id_token = token.get("id_token")
        if not isinstance(id_token, str):
            raise OidcError("token_request", "no ID token in the token response")
        claims = self.verify_id_token(id_token, nonce=pending.nonce, now=now)
        access_token = token.get("access_token")
        if metadata.userinfo_endpoint and isinstance(access_token, str):
            claims = {**self._userinfo(metadata.userinfo_endpoint, access_token, claims["sub"]),
                      **claims}
        return SignedIn(claims=claims, id_token=id_token)

    def verify_id_token(self, id_token: str, *, nonce: str, now: int) -> dict[str, Any]:
        """The ID token's claims after checking signature, alg, iss, aud, azp, exp, iat, nonce."""
        metadata = self.metadata()
        try:
            header = extract_compact(id_token.encode("ascii")).headers()
        except (JoseError, ValueError, UnicodeError) as error:
            raise OidcError("id_token", f"signature: not a signed JWT ({error})") from error
        alg = header.get("alg")
        if alg not in metadata.signing_algorithms:
            raise OidcError("id_token", f"algorithm: {alg!r} not in {sorted(metadata.signing_algorithms)}")
        kid = header.get("kid")
        keys = self.key_set()
        if not _has_key(keys, kid):
            keys = self.key_set(refresh=True)  # the provider may have rotated its keys
            if not _has_key(keys, kid):
                raise OidcError("id_token", f"unknown_key: kid {kid!r} not in the JWKS")
        try:
            claims = jwt.decode(id_token, keys, algorithms=[alg]).claims
        except JoseError as error:
            raise OidcError("id_token", f"signature: {error}") from error
        registry = jwt.JWTClaimsRegistry(
            now=now, leeway=LEEWAY_SECONDS, iss={"essential": True, "value": metadata.issuer},
            aud={"essential": True, "value": self.settings.client_id},
            sub={"essential": True}, exp={"essential": True}, iat={"essential": True},
            nonce={"essential": True, "value": nonce})
        try:
            registry.validate(claims)
        except ExpiredTokenError as error:
            raise OidcError("id_token", "expired") from error
        except JoseError as error:
            raise OidcError("id_token", _claim_problem(error)) from error
        audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
        if len(audiences) > 1 and claims.get("azp") != self.settings.client_id:
            raise OidcError("id_token", "audience: several audiences and azp is not this client")
        if now - claims["iat"] > MAX_TOKEN_AGE_SECONDS + LEEWAY_SECONDS:
            raise OidcError("id_token", "expired: issued too long ago")
        return dict(claims)

    def _userinfo(self, endpoint: str, access_token: str, subject: str) -> dict[str, Any]:
        claims = self._get_json(endpoint, headers={"Authorization": f"Bearer {access_token}"})
        if not isinstance(claims, dict) or claims.get("sub") != subject:
            raise OidcError("userinfo", "userinfo is not about the ID token's subject")
        return claims

    def logout_url(self, *, id_token_hint: str | None, post_logout_redirect_uri: str) -> str | None:
        """Where to send the browser to end the provider's session too (None: nowhere)."""
        endpoint = self.metadata().end_session_endpoint
        if not endpoint:
            return None
        params = {"post_logout_redirect_uri": post_logout_redirect_uri,
                  "client_id": self.settings.client_id}
        if id_token_hint:
            params["id_token_hint"] = id_token_hint
        separator = "&" if "?" in endpoint else "?"
        return f"{endpoint}{separator}{urlencode(params)}"


def _has_key(keys: KeySet, kid: Any) -> bool:
    if kid is None:
        return len(keys.keys) == 1
    return any(key.kid == kid for key in keys.keys)


def _claim_problem(error: JoseError) -> str:
    """audience | nonce | issuer | expired | claims: which check the claim failed."""
    claim = getattr(error, "claim", "")
    problem = {"aud": "audience", "nonce": "nonce", "iss": "issuer", "iat": "expired"}.get(claim, "claims")
    return f"{problem}: {error}"
