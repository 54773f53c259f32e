"""`lernmodul serve` and the gunicorn config module refuse to serve production without an https
PUBLIC_BASE_URL (certificates and e-mails link to it; a request's Host header is not trusted)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from lernmodul.cli import main


def environment(tmp_path: Path, **settings: str) -> dict[str, str]:
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("LERNMODUL_")},
        "LERNMODUL_INSTANCE_PATH": str(tmp_path / "instance"),
        "LERNMODUL_DATABASE_URL": f"sqlite:///{tmp_path / 'serve.sqlite'}",
        **{f"LERNMODUL_{name}": value for name, value in settings.items()},
    }


REFUSALS = [
    ({}, "PUBLIC_BASE_URL is not set"),
    ({"PUBLIC_BASE_URL": "http://lernen.example.de"}, "must be an https address"),
]


@pytest.mark.parametrize(("settings", "message"), REFUSALS)
def test_serve_in_production_refuses_to_start(tmp_path: Path, settings: dict[str, str],
                                             message: str) -> None:
    result = CliRunner().invoke(main, ["serve", "--bind", "127.0.0.1:8399"],
                                env=environment(tmp_path, **settings))
    assert result.exit_code == 1
    assert message in result.output
    assert "serving on" not in result.output  # stopped before gunicorn


@pytest.mark.parametrize(("settings", "message"), REFUSALS)
def test_the_gunicorn_config_module_refuses_too(tmp_path: Path, settings: dict[str, str],
                                               message: str) -> None:
    result = subprocess.run([sys.executable, "-c", "import lernmodul.gunicorn_conf"],
                            env=environment(tmp_path, **settings), capture_output=True, text=True,
                            timeout=60, check=False)
    assert result.returncode != 0
    assert message in result.stderr


@pytest.mark.parametrize(("config", "allowed"), [
    ({"ENV": "production", "PUBLIC_BASE_URL": "https://lernen.example.de"}, True),
    ({"ENV": "production", "PUBLIC_BASE_URL": "http://lernen.example.de",
      "PUBLIC_BASE_URL_ALLOW_HTTP": True}, True),
    ({"ENV": "production", "PUBLIC_BASE_URL": None}, False),
    ({"ENV": "production", "PUBLIC_BASE_URL": "http://lernen.example.de"}, False),
    ({"ENV": "development", "PUBLIC_BASE_URL": None}, True),
])
def test_serving_rule(config: dict[str, Any], allowed: bool) -> None:
    from lernmodul.web.config import serving_problem

    assert (serving_problem(config) is None) is allowed
