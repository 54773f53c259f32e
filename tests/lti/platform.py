"""A small LTI 1.3 platform for the tests, built on the `lti1p3platform` package.

A WSGI app on 127.0.0.1 (a free port) with its own RSA key pair: /jwks publishes the key,
/auth is the OIDC authorisation endpoint that answers the tool's login with the auto-posting
launch form, /course embeds the tool's login in an iframe (for the browser test). For
Assignment and Grade Services, each launch carries the AGS endpoint claim (the package's
`set_ags`) with the line item /lineitems/1/lineitem; /token issues access tokens by the
package's client-credentials check (the tool's JWT assertion, verified against the tool's
JWKS), and /lineitems/<id>/lineitem/scores takes scores with a bearer token the package
validates. `scores` lists what arrived; `fail_scores`/`fail_tokens` make the next answers fail. What the
next launch says (the person, roles, custom parameters) and how it goes wrong (another key,
an expired token, another deployment or message type) are set on `LtiTestPlatform.launch`.
"""

from __future__ import annotations

import html
import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import Flask, jsonify, request
from lti1p3platform.ltiplatform import LTI1P3PlatformConfAbstract
from lti1p3platform.message_launch import LTIAdvantageMessageLaunchAbstract
from lti1p3platform.registration import Registration
from werkzeug.serving import make_server

CLIENT_ID = "lernmodul-client"
DEPLOYMENT_ID = "deployment-1"


def new_key_pair() -> tuple[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    return private, public


@dataclass
class NextLaunch:
    """What the platform puts into (and how it signs) the next id token."""

    sub: str = "user-1"
    name: str = "Lena Lernend"
    email: str = "lena@example.org"
    roles: list[str] = field(default_factory=lambda: [
        "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"])
    custom: dict[str, Any] = field(default_factory=lambda: {"course": "beispielkurs"})
    extra_claims: dict[str, Any] = field(default_factory=dict)
    deployment_id: str = DEPLOYMENT_ID
    client_id: str = CLIENT_ID
    expiration: int = 300
    sign_with_other_key: bool = False
    ags: bool = True  # the AGS endpoint claim with the line item and the score scope


SCORE_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
AGS_CLAIM = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
SCORE_TYPE = "application/vnd.ims.lis.v1.score+json"


class _Request:
    def __init__(self, args: dict[str, Any]) -> None:
        self.get_data = args
        self.form_data: dict[str, Any] = {}


class LtiTestPlatform:
    """The platform; `issuer` is its base URL, `tool_base` the tool's (set by the test)."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.private_key, self.public_key = new_key_pair()
        self.other_private_key, _ = new_key_pair()
        self.launch = NextLaunch()
        self.tool_base = "https://localhost"
        self.tool_jwks: dict[str, Any] | None = None  # else fetched from <tool_base>/lti/jwks
        self.scores: list[dict[str, Any]] = []  # {"lineitem", "body", "content_type"}
        self.token_requests: list[dict[str, Any]] = []  # the verified assertions' claims
        self.fail_scores: list[int] = []  # statuses for the next score posts
        self.fail_tokens: list[int] = []
        self.token_lifetime = 3600  # expires_in of the issued tokens
        self.tokens_valid_after = 0.0  # tokens issued before this (time.time()) count as expired
        self.lock = threading.Lock()
        self.app = self._make_app()
        self._server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.port = self._server.server_port
        self.issuer = f"http://{host}:{self.port}"  # "localhost": another site than the tool's
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self.running = False

    def start(self) -> LtiTestPlatform:
        self._thread.start()
        self.running = True
        return self

    def stop(self) -> None:
        if self.running:
            self._server.shutdown()
            self._server.server_close()
            self.running = False

    def restart(self) -> None:
        """Serves again on the same port after `stop` (the platform was down)."""
        self._server = make_server("127.0.0.1", self.port, self.app, threaded=True)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self.start()

    @property
    def lineitem_url(self) -> str:
        return f"{self.issuer}/lineitems/1/lineitem"

    @property
    def token_url(self) -> str:
        return f"{self.issuer}/token"

    def conf(self, signing_key: str | None = None) -> LTI1P3PlatformConfAbstract:
        """The package's platform configuration with this platform's registration."""
        platform = self

        class Conf(LTI1P3PlatformConfAbstract):
            def init_platform_config(self, **kwargs: Any) -> None:
                return None

            def get_registration_by_params(self, **kwargs: Any) -> Registration:
                registration = platform.registration(signing_key)
                if signing_key:  # the kid of the published key, the signature of another
                    kid = Registration.get_jwk(platform.public_key).get("kid")
                    registration.get_kid = lambda: kid  # type: ignore[method-assign]
                if platform.tool_jwks is not None:
                    registration.set_tool_key_set(platform.tool_jwks)  # type: ignore[arg-type]
                return registration

        conf = Conf()
        conf.get_registration()
        return conf

    @property
    def jwks_url(self) -> str:
        return f"{self.issuer}/jwks"

    @property
    def auth_url(self) -> str:
        return f"{self.issuer}/auth"

    def registration(self, private_key: str | None = None) -> Registration:
        launch = self.launch
        return (Registration().set_iss(self.issuer).set_client_id(launch.client_id)
                .set_deployment_id(launch.deployment_id)
                .set_launch_url(f"{self.tool_base}/lti/launch")
                .set_oidc_login_url(f"{self.tool_base}/lti/login")
                .set_tool_key_set_url(f"{self.tool_base}/lti/jwks")
                .set_platform_public_key(self.public_key)
                .set_platform_private_key(private_key or self.private_key))

    def login_params(self) -> dict[str, str]:
        """The third-party login initiation the platform sends to the tool."""
        return {"iss": self.issuer, "login_hint": self.launch.sub, "lti_message_hint": "link-1",
                "target_link_uri": f"{self.tool_base}/lti/launch", "client_id": self.launch.client_id,
                "lti_deployment_id": self.launch.deployment_id}

    def launch_form(self, auth_request: dict[str, Any]) -> dict[str, str]:
        """The platform's answer to the tool's authorisation request: {id_token, state, launch_url}."""
        signing_key = self.other_private_key if self.launch.sign_with_other_key else None

        class Launch(LTIAdvantageMessageLaunchAbstract):
            def render_launch_form(self, launch_data: dict[str, Any], **kwargs: Any) -> Any:
                return launch_data

            def get_preflight_response(self) -> dict[str, Any]:
                return auth_request

        message = Launch(_Request(auth_request), self.conf(signing_key))  # type: ignore[arg-type]
        launch = self.launch
        message.set_user_data(launch.sub, launch.roles, full_name=launch.name or None,
                              email_address=launch.email or None)
        message.set_resource_link_claim("link-1", title="Kurs")
        message.set_custom_parameters_claim(launch.custom)
        message.set_id_token_expiration(launch.expiration)
        if launch.ags:  # one line item for the link: the tool may only post scores
            message.set_ags(lineitems_url=None, lineitem_url=self.lineitem_url,  # type: ignore[arg-type]
                            allow_creating_lineitems=False, results_service_enabled=False)
        if launch.extra_claims:
            message.set_extra_claims(launch.extra_claims)
        return dict(message.lti_launch())

    def _make_app(self) -> Flask:
        app = Flask("lti-test-platform")

        @app.get("/jwks")
        def jwks() -> Any:
            return jsonify({"keys": self.registration().get_jwks()})

        @app.get("/auth")
        def auth() -> Any:
            data = self.launch_form(dict(request.args))
            fields = "".join(f'<input type="hidden" name="{k}" value="{html.escape(v)}">'
                             for k, v in data.items() if k != "launch_url")
            return (f'<!doctype html><html lang="de"><head><title>Plattform</title></head><body>'
                    f'<form id="launch" method="post" action="{html.escape(data["launch_url"])}">'
                    f'{fields}<button type="submit">Weiter</button></form>'
                    f'<script>document.getElementById("launch").submit()</script></body></html>')

        @app.post("/token")
        def token() -> Any:
            with self.lock:
                failure = self.fail_tokens.pop(0) if self.fail_tokens else None
            if failure:
                return jsonify({"error": "temporarily_unavailable"}), failure
            form = dict(request.form)
            try:
                answer = dict(self.conf().get_access_token(form))
            except Exception as error:  # the package refused the request or the assertion
                return jsonify({"error": "invalid_client", "error_description": str(error)}), 400
            claims = jwt.decode(form["client_assertion"], options={"verify_signature": False})
            with self.lock:
                self.token_requests.append(claims)
            answer["expires_in"] = self.token_lifetime
            return jsonify(answer)

        @app.post("/lineitems/<item>/lineitem/scores")
        def scores(item: str) -> Any:
            header = request.headers.get("Authorization", "")
            bearer = header[7:] if header.startswith("Bearer ") else ""
            try:
                self.conf().validate_token(bearer)
                claims = jwt.decode(bearer, options={"verify_signature": False})
            except Exception as error:
                return jsonify({"error": "invalid_token", "error_description": str(error)}), 401
            if claims.get("iat", 0) < int(self.tokens_valid_after):  # iat: whole seconds
                return jsonify({"error": "invalid_token", "error_description": "expired"}), 401
            if SCORE_SCOPE not in str(claims.get("scopes", "")).split():
                return jsonify({"error": "insufficient_scope"}), 403
            with self.lock:
                failure = self.fail_scores.pop(0) if self.fail_scores else None
            if failure:
                return jsonify({"error": f"failure {failure}"}), failure
            if request.mimetype != SCORE_TYPE:
                return jsonify({"error": f"content type {request.mimetype}"}), 415
            with self.lock:
                self.scores.append({"lineitem": f"{self.issuer}/lineitems/{item}/lineitem",
                                    "body": json.loads(request.get_data(as_text=True)),
                                    "content_type": request.mimetype, "at": time.time()})
            return "", 204

        @app.get("/course")
        def course() -> Any:
            src = f"{self.tool_base}/lti/login?{urlencode(self.login_params())}"
            return (f'<!doctype html><html lang="de"><head><title>Kurs</title></head><body>'
                    f'<h1>Plattform</h1><iframe title="lernmodul" src="{html.escape(src)}" '
                    f'width="900" height="600"></iframe></body></html>')

        return app
