"""Serving with gunicorn: settings from the app configuration (SERVE_*) and the `serve` runner.

Forwarded headers: gunicorn trusts no proxy (`forwarded_allow_ips` empty), so the app's
PROXY_FIX_X_FOR / PROXY_FIX_X_PROTO settings are the one place that decides which
X-Forwarded-For / X-Forwarded-Proto headers count.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Config
from gunicorn.app.base import BaseApplication

ACCESS_LOG_FORMAT = '%(h)s "%(r)s" %(s)s %(b)s %(D)sus'


def default_workers() -> int:
    """gunicorn's rule of thumb: two per CPU core plus one."""
    return 2 * (os.cpu_count() or 1) + 1


def settings(config: Mapping[str, Any]) -> dict[str, Any]:
    """gunicorn settings from an app configuration (a Flask config or a plain mapping)."""
    threads = int(config["SERVE_THREADS"])
    return {
        "bind": [part.strip() for part in str(config["SERVE_BIND"]).split(",") if part.strip()],
        "workers": int(config["SERVE_WORKERS"]) or default_workers(),
        "threads": threads,
        "worker_class": "gthread" if threads > 1 else "sync",
        "timeout": int(config["SERVE_TIMEOUT"]),
        "graceful_timeout": int(config["SERVE_GRACEFUL_TIMEOUT"]),
        "keepalive": int(config["SERVE_KEEPALIVE"]),
        "forwarded_allow_ips": "",
        "proxy_allow_ips": "",
        "accesslog": "-",
        "access_log_format": ACCESS_LOG_FORMAT,
        "errorlog": "-",
        "loglevel": "info",
        # the app is built in each worker: no database connection crosses a fork
        "preload_app": False,
        # no control socket in the home folder: several servers may run on one host
        "control_socket_disable": True,
    }


def instance_config() -> Config:
    from lernmodul.web.config import default_instance_path, load_config

    instance = Path(default_instance_path())
    config = Config(str(instance))
    load_config(config, instance, None)
    return config


class Server(BaseApplication):  # type: ignore[misc]
    """gunicorn with our settings; every worker builds the app itself."""

    def __init__(self, options: Mapping[str, Any]) -> None:
        self.options = dict(options)
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            if key in self.cfg.settings:  # older gunicorn versions lack some settings
                self.cfg.set(key, value)

    def load(self) -> Any:
        from lernmodul.web import create_app

        return create_app()
