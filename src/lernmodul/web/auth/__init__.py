"""Sign-in, sign-out and password change; the password hasher and login limits of the app."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from argon2 import PasswordHasher
from flask import Flask, current_app

from lernmodul.identity.ldap import DirectoryConfigError, DirectorySettings
from lernmodul.services.login_throttle import ThrottleLimits
from lernmodul.services.passwords import HashParameters, make_hasher

EXTENSION_KEY = "lernmodul.auth"


@dataclass(frozen=True)
class AuthSettings:
    hasher: PasswordHasher
    limits: ThrottleLimits
    directory: DirectorySettings | None = None  # LDAP_BIND_LOGIN: passwords checked by LDAP bind


def _directory(app: Flask) -> DirectorySettings | None:
    if not app.config.get("LDAP_BIND_LOGIN"):
        return None
    try:
        return DirectorySettings.from_config(app.config)
    except DirectoryConfigError as error:
        raise RuntimeError(f"LDAP_BIND_LOGIN is set, but: {error}") from None


def init_app(app: Flask) -> None:
    app.extensions[EXTENSION_KEY] = AuthSettings(
        hasher=make_hasher(
            HashParameters(
                time_cost=app.config["PASSWORD_HASH_TIME_COST"],
                memory_cost=app.config["PASSWORD_HASH_MEMORY_COST"],
                parallelism=app.config["PASSWORD_HASH_PARALLELISM"],
            )
        ),
        limits=ThrottleLimits(
            per_pair=app.config["LOGIN_MAX_FAILURES_PER_ACCOUNT_AND_IP"],
            per_ip=app.config["LOGIN_MAX_FAILURES_PER_IP"],
            window=timedelta(minutes=app.config["LOGIN_THROTTLE_MINUTES"]),
            delay_after=app.config["LOGIN_ACCOUNT_DELAY_AFTER"],
            max_delay=timedelta(seconds=app.config["LOGIN_ACCOUNT_MAX_DELAY_SECONDS"]),
            block_after=app.config["LOGIN_ACCOUNT_BLOCK_AFTER"],
            block=timedelta(hours=app.config["LOGIN_ACCOUNT_BLOCK_HOURS"]),
        ),
        directory=_directory(app),
    )


def auth_settings(app: Flask | None = None) -> AuthSettings:
    settings: AuthSettings = (app or current_app).extensions[EXTENSION_KEY]
    return settings
