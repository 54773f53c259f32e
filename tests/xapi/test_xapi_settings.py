"""The XAPI_* settings: off by default, refused with a message when they cannot work, read from
the environment; the pseudonym key is made once per instance."""

from __future__ import annotations

from pathlib import Path

import pytest

from lernmodul.web import create_app
from lernmodul.web.config import ConfigError

ON = {"XAPI_ENDPOINT": "https://lrs.example.de/xAPI/", "PUBLIC_BASE_URL": "https://lernen.example.de"}


def make(tmp_path: Path, **config: object) -> object:
    return create_app({"INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "x", **config})


def test_off_by_default(tmp_path: Path) -> None:
    app = make(tmp_path)
    assert app.config["XAPI_ENDPOINT"] == "" and app.config["XAPI_ACTOR"] == "pseudonym"
    assert app.config["XAPI_ITEM_STATEMENTS"] is False
    assert not (tmp_path / "xapi_pseudonym_key").exists()


@pytest.mark.parametrize(("config", "message"), [
    ({**ON, "XAPI_ACTOR": "email"}, "XAPI_ACTOR must be pseudonym or identified"),
    ({**ON, "XAPI_ITEM_STATEMENTS": "ja"}, "XAPI_ITEM_STATEMENTS must be true or false"),
    ({**ON, "XAPI_ENDPOINT": "lrs.example.de"}, "XAPI_ENDPOINT must be an http"),
    ({**ON, "XAPI_USERNAME": "lernmodul"}, "XAPI_USERNAME and LERNMODUL_XAPI_PASSWORD go together"),
    ({"XAPI_ENDPOINT": "https://lrs.example.de/xAPI"}, "PUBLIC_BASE_URL is not"),
])
def test_settings_that_cannot_work_are_refused(tmp_path: Path, config: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        make(tmp_path, **config)


def test_settings_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LERNMODUL_XAPI_ENDPOINT", "https://lrs.example.de/xAPI")
    monkeypatch.setenv("LERNMODUL_PUBLIC_BASE_URL", "https://lernen.example.de")
    monkeypatch.setenv("LERNMODUL_XAPI_ITEM_STATEMENTS", "true")
    monkeypatch.setenv("LERNMODUL_XAPI_ACTOR", "identified")
    app = make(tmp_path)
    assert app.config["XAPI_ITEM_STATEMENTS"] is True and app.config["XAPI_ACTOR"] == "identified"


def test_pseudonym_key_is_made_once_and_private(tmp_path: Path) -> None:
    from lernmodul.web.xapi import pseudonym_key

    first, second = make(tmp_path, **ON), make(tmp_path, **ON)
    assert first.config["XAPI_ENDPOINT"] == "https://lrs.example.de/xAPI"  # no trailing slash
    key = pseudonym_key(first)
    assert len(key) == 64 and key == pseudonym_key(second)
    assert (tmp_path / "xapi_pseudonym_key").stat().st_mode & 0o077 == 0
    assert pseudonym_key(make(tmp_path, **ON, XAPI_PSEUDONYM_KEY="shared")) == b"shared"
