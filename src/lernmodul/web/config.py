"""Configuration: defaults, instance/config.py, LERNMODUL_* environment, then test config."""

from __future__ import annotations

import contextlib
import os
import secrets
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Config

import lernmodul
from lernmodul.identity.claims import ClaimMapping

PACKAGE_DIR = Path(lernmodul.__file__).resolve().parent
_CHECKOUT = PACKAGE_DIR.parents[1]
ENV_PREFIX = "LERNMODUL"
LOGIN_LIMIT_SETTINGS = (
    "LOGIN_MAX_FAILURES_PER_ACCOUNT_AND_IP", "LOGIN_MAX_FAILURES_PER_IP", "LOGIN_THROTTLE_MINUTES",
    "LOGIN_ACCOUNT_DELAY_AFTER", "LOGIN_ACCOUNT_MAX_DELAY_SECONDS", "LOGIN_ACCOUNT_BLOCK_AFTER",
    "LOGIN_ACCOUNT_BLOCK_HOURS",
)


class ConfigError(RuntimeError):
    """A setting that cannot work; the message names it and says what it must be."""


def checkout_root() -> Path | None:
    """The source checkout this package runs from (editable install), if any."""
    if (_CHECKOUT / "pyproject.toml").is_file() and (_CHECKOUT / "src" / "lernmodul").is_dir():
        return _CHECKOUT
    return None


def data_dir(name: str) -> Path:
    """The checkout's `templates/` or `courses/`, else the copy shipped in the wheel."""
    root = checkout_root()
    if root is not None and (root / name).is_dir():
        return root / name
    return PACKAGE_DIR / "_data" / name


def default_instance_path() -> Path:
    env = os.environ.get(f"{ENV_PREFIX}_INSTANCE_PATH")
    if env:
        return Path(env).resolve()
    root = checkout_root()
    if root is not None:
        return root / "instance"
    return Path(sys.prefix) / "var" / "lernmodul-instance"


class DefaultConfig:
    ENV = "production"  # development | production
    DATABASE_URL: str | None = None  # default: SQLite in the instance folder
    # PostgreSQL: a pooled connection idle for longer is checked before use (db/engine.py)
    DATABASE_PING_AFTER_IDLE_SECONDS = 10.0
    # PostgreSQL: statements prepared on the server after this many runs; None: never (PgBouncer
    # before 1.21 in transaction mode)
    DATABASE_PREPARE_THRESHOLD: int | None = 5
    # HR reports and exports read here (e.g. a streaming replica); default: DATABASE_URL
    DATABASE_REPORT_URL: str | None = None
    SECRET_KEY: str | None = None  # default: generated once into instance/secret_key
    TEMPLATES_PATH: str | None = None
    COURSES_PATH: str | None = None

    # Sessions (B3): idle and absolute limits are checked on the server on every request.
    SESSION_COOKIE_NAME = "lernmodul_session"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE: bool | None = None  # default: True in production
    SESSION_IDLE_MINUTES = 30
    SESSION_ABSOLUTE_HOURS = 9
    # The idle timeout is checked on the server (sessions.py); re-signing the cookie on every
    # response would only cost time.
    SESSION_REFRESH_EACH_REQUEST = False
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"

    # Login throttle (A3, services/login_throttle.py): per account and client address, per
    # address (both for LOGIN_THROTTLE_MINUTES), and per account from anywhere: growing
    # delays from LOGIN_ACCOUNT_DELAY_AFTER consecutive failures on, a block at
    # LOGIN_ACCOUNT_BLOCK_AFTER (at most 100, NIST SP 800-63B 5.2.2) until an administrator
    # lifts it or LOGIN_ACCOUNT_BLOCK_HOURS have passed. The password change page allows
    # LOGIN_MAX_FAILURES_PER_ACCOUNT_AND_IP wrong current passwords per window.
    LOGIN_MAX_FAILURES_PER_ACCOUNT_AND_IP = 5
    LOGIN_MAX_FAILURES_PER_IP = 50
    LOGIN_THROTTLE_MINUTES = 15
    LOGIN_ACCOUNT_DELAY_AFTER = 10
    LOGIN_ACCOUNT_MAX_DELAY_SECONDS = 900
    LOGIN_ACCOUNT_BLOCK_AFTER = 100
    LOGIN_ACCOUNT_BLOCK_HOURS = 24

    # Local passwords (LOCAL_PASSWORDS, below): only then is there the self-service reset
    # ("Forgot your password?", /password/forgot); without them those pages answer 404.
    PASSWORD_RESET_TOKEN_MINUTES = 60  # how long the link in the reset e-mail works
    # Reset requests per e-mail address typed (known or not: over the limit both get 429),
    # per account (mails sent to it; over the limit no further mail, the same answer) and
    # per IP address, within PASSWORD_RESET_THROTTLE_MINUTES.
    PASSWORD_RESET_MAX_PER_ADDRESS = 3
    PASSWORD_RESET_MAX_PER_ACCOUNT = 3
    PASSWORD_RESET_MAX_PER_IP = 20
    PASSWORD_RESET_THROTTLE_MINUTES = 60

    # argon2id parameters (A2); tests lower them.
    PASSWORD_HASH_TIME_COST = 3
    PASSWORD_HASH_MEMORY_COST = 65536
    PASSWORD_HASH_PARALLELISM = 4

    # Requests
    MAX_CONTENT_LENGTH = 1024 * 1024
    WTF_CSRF_TIME_LIMIT = 9 * 3600
    PROXY_FIX_X_FOR = 0  # number of trusted reverse proxies setting X-Forwarded-For
    PROXY_FIX_X_PROTO = 0

    # Where certificates and e-mails link to: PUBLIC_BASE_URL (scheme and host). Never the
    # request's Host header, which any client may set. Without PUBLIC_BASE_URL, development
    # uses DEV_BASE_URL (`lernmodul run-dev` sets it to its own address) and production
    # issues no certificates; `lernmodul serve` refuses to start in production without an
    # https PUBLIC_BASE_URL unless PUBLIC_BASE_URL_ALLOW_HTTP is set.
    PUBLIC_BASE_URL: str | None = None
    PUBLIC_BASE_URL_ALLOW_HTTP = False
    DEV_BASE_URL = "http://127.0.0.1:5000"

    # Sign-in with the authority's OpenID provider (docs/operations.md). Off while OIDC_ISSUER
    # is unset. The redirect URI is PUBLIC_BASE_URL + /oidc/callback. Claim mapping:
    # OIDC_CLAIM_PERSONNEL_NUMBER, OIDC_CLAIM_EMAIL, OIDC_CLAIM_NAME, OIDC_CLAIM_UNIT_PATH,
    # OIDC_UNIT_SEPARATOR, OIDC_CLAIM_GROUPS and OIDC_GROUP_ROLES ({"lm-hr": "hr"}).
    OIDC_ISSUER: str | None = None
    OIDC_CLIENT_ID: str | None = None
    OIDC_CLIENT_SECRET: str | None = None
    OIDC_SCOPES = "openid email profile"
    OIDC_DISPLAY_NAME: str | None = None  # "Anmelden mit <name>", e.g. "Stadtverwaltung Lindenau"
    OIDC_CREATE_ACCOUNTS = True  # a first sign-in creates the account
    # Password sign-in. With LOCAL_PASSWORDS = False only the accounts listed in
    # BREAK_GLASS_ACCOUNTS (e-mail addresses: the emergency administrators) may use a password,
    # and the self-service reset is off (an emergency administrator uses `lernmodul users`).
    LOCAL_PASSWORDS = True
    BREAK_GLASS_ACCOUNTS: tuple[str, ...] = ()

    # Sign-in with SAML 2.0 (docs/operations.md): on when SAML_IDP_METADATA names the IdP's
    # metadata (a file or an http(s) URL, read at start). The SP's entity id is
    # <PUBLIC_BASE_URL>/saml/metadata; its key pair is generated once into the instance
    # folder unless both files are given. Attributes by Name (URI) or FriendlyName.
    SAML_IDP_METADATA: str | None = None
    SAML_METADATA_TIMEOUT_SECONDS = 10
    SAML_SP_KEY_FILE: str | None = None
    SAML_SP_CERT_FILE: str | None = None
    SAML_DISPLAY_NAME = "SAML"
    SAML_CREATE_ACCOUNTS = True
    SAML_CLOCK_SKEW_SECONDS = 60
    SAML_CLAIM_PERSONNEL_NUMBER = "employeeNumber"
    SAML_CLAIM_EMAIL = "mail"
    SAML_CLAIM_NAME = "displayName"
    SAML_CLAIM_UNIT_PATH = ""  # e.g. "ou" with SAML_UNIT_SEPARATOR "/"
    SAML_UNIT_SEPARATOR = "/"
    SAML_CLAIM_GROUPS = "isMemberOf"
    SAML_GROUP_ROLES = ""  # {"lm-hr": "hr"} in config.py; environment: "lm-hr=hr,lm-admin=admin"

    # Learning records to a Learning Record Store over xAPI 1.0.3 (docs/operations.md): off
    # while XAPI_ENDPOINT is empty. Statements go to <XAPI_ENDPOINT>/statements through the
    # delivery outbox. The learner is a pseudonymous account (keyed HMAC of the user id) unless
    # XAPI_ACTOR = "identified" (name and e-mail: only where the authority has agreed to it).
    # XAPI_ITEM_STATEMENTS: one statement per exam question — per-item tracking, which needs
    # the staff council's consent. The pseudonym key is generated once into
    # instance/xapi_pseudonym_key unless XAPI_PSEUDONYM_KEY is set (several servers: the same).
    XAPI_ENDPOINT = ""  # e.g. https://lrs.example.de/xAPI
    XAPI_USERNAME = ""
    XAPI_PASSWORD = ""  # nosec B105 (empty: no password configured)
    XAPI_ACTOR = "pseudonym"  # pseudonym | identified
    XAPI_ITEM_STATEMENTS = False
    XAPI_PSEUDONYM_KEY = ""

    # Operations
    LOG_FORMAT = "text"  # text | json (one JSON object per line, no names or e-mail addresses)
    RETENTION_DAYS = 365  # quiz and exam attempts (answers, scores) older than this are deleted
    # `lernmodul serve` (gunicorn); SERVE_WORKERS 0 means 2 x CPU cores + 1
    SERVE_BIND = "127.0.0.1:8000"
    SERVE_WORKERS = 0
    SERVE_THREADS = 4
    SERVE_TIMEOUT = 30
    SERVE_GRACEFUL_TIMEOUT = 30
    SERVE_KEEPALIVE = 5

    # Outbox: scores to learning platforms (LTI AGS), statements to an LRS
    OUTBOX_MAX_ATTEMPTS = 20  # then the delivery is marked failed (about three days)
    OUTBOX_BACKOFF_BASE_SECONDS = 60  # wait after the first failure, doubled each time …
    OUTBOX_BACKOFF_MAX_SECONDS = 21600  # … up to six hours
    OUTBOX_SEND_TIMEOUT_SECONDS = 10  # per HTTP request of `lernmodul outbox deliver`
    OUTBOX_DELIVER_AFTER_REQUEST = True  # one attempt right after the learner's request
    OUTBOX_AFTER_REQUEST_TIMEOUT_SECONDS = 3

    # Internationalisation
    BABEL_DEFAULT_LOCALE = "de"
    BABEL_DEFAULT_TIMEZONE = "Europe/Berlin"
    LANGUAGES = ("de", "en")
    LANGUAGE_COOKIE_NAME = "lernmodul_lang"

    # Shown on the accessibility statement and the privacy notice.
    OPERATOR_NAME = "Musterbehörde (bitte in instance/config.py eintragen)"
    OPERATOR_ADDRESS = "Musterstraße 1, 12345 Musterstadt"
    CONTACT_EMAIL = "barrierefreiheit@example.org"
    PRIVACY_CONTACT_EMAIL = "datenschutz@example.org"
    ENFORCEMENT_BODY = "Schlichtungsstelle nach § 16 BGG"
    ENFORCEMENT_URL = "https://www.schlichtungsstelle-bgg.de"
    STATEMENT_DATE = "2025-01-01"


RESET_NUMBERS = ("PASSWORD_RESET_TOKEN_MINUTES", "PASSWORD_RESET_MAX_PER_ADDRESS",
                 "PASSWORD_RESET_MAX_PER_ACCOUNT", "PASSWORD_RESET_MAX_PER_IP",
                 "PASSWORD_RESET_THROTTLE_MINUTES")


def load_config(
    config: Config,
    instance_path: Path,
    test_config: dict[str, Any] | None,
    *,
    default_env: str = "production",
) -> None:
    """Fills `config` in the documented order and derives the remaining defaults."""
    config.from_object(DefaultConfig)
    config["ENV"] = default_env
    config.from_pyfile(str(instance_path / "config.py"), silent=True)
    config.from_prefixed_env(ENV_PREFIX)
    if test_config is not None:
        config.update(test_config)

    if config["ENV"] not in {"development", "production"}:
        raise ConfigError(
            f"{ENV_PREFIX}_ENV must be development or production, not {config['ENV']!r}"
        )
    if config["LOG_FORMAT"] not in {"text", "json"}:
        raise ConfigError(f"{ENV_PREFIX}_LOG_FORMAT must be text or json, not {config['LOG_FORMAT']!r}")
    if "LOGIN_MAX_FAILURES_PER_ACCOUNT" in config:
        raise ConfigError(
            "LOGIN_MAX_FAILURES_PER_ACCOUNT no longer exists: failures now count per account "
            "and address (LOGIN_MAX_FAILURES_PER_ACCOUNT_AND_IP) and per account from anywhere "
            "(LOGIN_ACCOUNT_DELAY_AFTER, LOGIN_ACCOUNT_BLOCK_AFTER); see docs/operations.md")
    for name in ("RETENTION_DAYS", "SERVE_THREADS", "SERVE_TIMEOUT", *LOGIN_LIMIT_SETTINGS,
                 "OUTBOX_MAX_ATTEMPTS", "OUTBOX_BACKOFF_BASE_SECONDS", "OUTBOX_BACKOFF_MAX_SECONDS",
                 "OUTBOX_SEND_TIMEOUT_SECONDS", "OUTBOX_AFTER_REQUEST_TIMEOUT_SECONDS",
                 *RESET_NUMBERS):
        value = config[name]
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ConfigError(f"{ENV_PREFIX}_{name} must be a whole number of at least 1, not {value!r}")
    if config["LOGIN_ACCOUNT_BLOCK_AFTER"] > 100:  # NIST SP 800-63B 5.2.2
        raise ConfigError(f"{ENV_PREFIX}_LOGIN_ACCOUNT_BLOCK_AFTER must be at most 100")
    _check_sign_in_settings(config)
    _check_xapi_settings(config)
    if not config.get("DATABASE_URL"):
        config["DATABASE_URL"] = f"sqlite:///{instance_path / 'lernmodul.sqlite'}"
    if not config.get("TEMPLATES_PATH"):
        config["TEMPLATES_PATH"] = str(data_dir("templates"))
    if not config.get("COURSES_PATH"):
        config["COURSES_PATH"] = str(data_dir("courses"))
    if config.get("SESSION_COOKIE_SECURE") is None:
        config["SESSION_COOKIE_SECURE"] = config["ENV"] == "production"
    config["REMEMBER_COOKIE_SECURE"] = config["SESSION_COOKIE_SECURE"]
    if not config.get("SECRET_KEY"):
        config["SECRET_KEY"] = _instance_secret_key(instance_path)
    config["DEBUG"] = False if config["ENV"] == "production" else bool(config.get("DEBUG"))


def _check_sign_in_settings(config: Config) -> None:
    """OIDC needs its client; the break-glass list becomes lower-case e-mail addresses."""
    if config.get("OIDC_ISSUER"):
        for name in ("OIDC_CLIENT_ID", "OIDC_CLIENT_SECRET"):
            if not config.get(name):
                raise ConfigError(f"{ENV_PREFIX}_OIDC_ISSUER is set but {ENV_PREFIX}_{name} is not")
        try:
            ClaimMapping.from_settings(config, "OIDC")
        except ValueError as error:
            raise ConfigError(str(error)) from error
    accounts = config.get("BREAK_GLASS_ACCOUNTS") or ()
    if isinstance(accounts, str):  # from the environment: "a@example.org,b@example.org"
        accounts = accounts.split(",")
    config["BREAK_GLASS_ACCOUNTS"] = tuple(str(a).strip().lower() for a in accounts if str(a).strip())


XAPI_ACTORS = ("pseudonym", "identified")


def _check_xapi_settings(config: Config) -> None:
    """An LRS endpoint needs an http(s) URL, a known actor mode and a public base URL (the
    activities' IRIs and the pseudonymous accounts' homePage lie under it)."""
    endpoint = str(config.get("XAPI_ENDPOINT") or "").strip()
    config["XAPI_ENDPOINT"] = endpoint.rstrip("/")
    if config["XAPI_ACTOR"] not in XAPI_ACTORS:
        raise ConfigError(f"{ENV_PREFIX}_XAPI_ACTOR must be pseudonym or identified, "
                          f"not {config['XAPI_ACTOR']!r}")
    if not isinstance(config["XAPI_ITEM_STATEMENTS"], bool):
        raise ConfigError(f"{ENV_PREFIX}_XAPI_ITEM_STATEMENTS must be true or false, "
                          f"not {config['XAPI_ITEM_STATEMENTS']!r}")
    if not endpoint:
        return
    if not endpoint.startswith(("https://", "http://")):
        raise ConfigError(f"{ENV_PREFIX}_XAPI_ENDPOINT must be an http(s) URL such as "
                          f"https://lrs.example.de/xAPI, not {endpoint!r}")
    if bool(config.get("XAPI_USERNAME")) != bool(config.get("XAPI_PASSWORD")):
        raise ConfigError(f"{ENV_PREFIX}_XAPI_USERNAME and {ENV_PREFIX}_XAPI_PASSWORD go together")
    if public_base_url(config) is None:
        raise ConfigError(f"{ENV_PREFIX}_XAPI_ENDPOINT is set but {ENV_PREFIX}_PUBLIC_BASE_URL is "
                          "not: the statements name activities and learners under it")


def public_base_url(config: Mapping[str, Any]) -> str | None:
    """The scheme and host links and certificates point to, without a trailing slash.

    PUBLIC_BASE_URL if set; in development without it DEV_BASE_URL; in production without
    it None. It never comes from the request (its Host header is the client's to choose)."""
    base = config.get("PUBLIC_BASE_URL")
    if not base and config.get("ENV") == "development":
        base = config.get("DEV_BASE_URL") or DefaultConfig.DEV_BASE_URL
    return str(base).rstrip("/") if base else None


def serving_problem(config: Mapping[str, Any]) -> str | None:
    """Why the app must not be served with this configuration (production only), or None."""
    if config.get("ENV") != "production":
        return None
    base = config.get("PUBLIC_BASE_URL")
    if not base:
        return ("PUBLIC_BASE_URL is not set: in production certificates and e-mails link to it "
                "(e.g. https://lernen.example.de); the request's Host header is not trusted")
    if not str(base).startswith("https://") and not config.get("PUBLIC_BASE_URL_ALLOW_HTTP"):
        return (f"PUBLIC_BASE_URL must be an https address in production, not {base!r} "
                f"(set PUBLIC_BASE_URL_ALLOW_HTTP = True to allow http)")
    return None


def _instance_secret_key(instance_path: Path) -> str:
    """Reads instance/secret_key, creating it once (atomically, mode 0600) if missing."""
    path = instance_path / "secret_key"
    instance_path.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        # Write a private temporary file, then link it into place: of several workers
        # starting at once, exactly one key wins and nobody reads a half-written file.
        fd, tmp = tempfile.mkstemp(dir=instance_path, prefix=".secret_key.")
        try:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_urlsafe(48) + "\n")
            with contextlib.suppress(FileExistsError):
                os.link(tmp, path)
        finally:
            os.unlink(tmp)
    key = path.read_text("ascii").strip()
    if not key:
        raise ConfigError(f"{path} is empty; delete it or set {ENV_PREFIX}_SECRET_KEY")
    return key
