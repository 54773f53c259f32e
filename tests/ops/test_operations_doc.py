"""docs/operations.md: every `lernmodul …` command in it exists with the options it shows,
and the gunicorn config module it names loads the documented settings."""

from __future__ import annotations

import importlib
import re
import shlex
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from lernmodul.cli import main

DOC = Path(__file__).parents[2] / "docs" / "operations.md"
FENCE = re.compile(r"^```[^\n]*\n(.*?)^```", re.MULTILINE | re.DOTALL)
INLINE = re.compile(r"`(lernmodul [^`]+)`")
# the command at the start of a line, after a venv's bin/, or after VAR=value assignments
COMMAND = re.compile(r"(?:^|/bin/|^(?:[A-Z_]+=\S+\s+)+)lernmodul\s+(.*)$", re.MULTILINE)


def documented_commands() -> list[str]:
    text = DOC.read_text(encoding="utf-8")
    found = []
    for block in FENCE.findall(text):
        found += [m.group(1) for m in COMMAND.finditer(block)]
    found += [m.group(1)[len("lernmodul "):] for m in INLINE.finditer(text)]
    commands = []
    for line in found:
        line = re.split(r"\s(?:\||&&|;|>>?)\s", line)[0]
        commands.append(line.replace("…", "").replace("...", "").strip())
    return sorted(set(commands) - {""})  # `lernmodul …` in prose is a placeholder


def resolve(words: list[str]) -> tuple[list[str], click.Command, list[str]]:
    command: click.Command = main
    path: list[str] = []
    rest = list(words)
    ctx = click.Context(main)
    # get_command: the app's commands are loaded on first use (lernmodul.cli)
    while rest and isinstance(command, click.Group) and command.get_command(ctx, rest[0]):
        path.append(rest[0])
        found = command.get_command(ctx, rest.pop(0))
        assert found is not None
        command = found
    return path, command, rest


COMMANDS = documented_commands()


def test_the_guide_shows_the_operations_commands():
    shown = {" ".join(resolve(shlex.split(c))[0]) for c in COMMANDS}
    assert {"serve", "backup", "restore", "retention run", "db upgrade", "db current", "db check",
            "db downgrade", "users create", "courses import", "certificate verify"} <= shown


@pytest.mark.parametrize("command", COMMANDS)
def test_every_documented_command_is_known_with_its_options(command):
    path, target, rest = resolve(shlex.split(command))
    assert path, f"`lernmodul {command}`: no such command"
    result = CliRunner().invoke(main, [*path, "--help"])
    assert result.exit_code == 0, result.output
    options = {opt for param in target.params for opt in param.opts + param.secondary_opts}
    for word in rest:
        if word.startswith("--"):
            assert word.split("=", 1)[0] in options, f"`lernmodul {command}`: unknown option {word}"
    if isinstance(target, click.Group):
        pytest.fail(f"`lernmodul {command}` names a group, not a command")


def test_gunicorn_config_module_loads_the_documented_settings(monkeypatch, tmp_path):
    monkeypatch.setenv("LERNMODUL_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.setenv("LERNMODUL_SECRET_KEY", "doc-test")
    monkeypatch.setenv("LERNMODUL_PUBLIC_BASE_URL", "https://lernen.example.de")
    monkeypatch.setenv("LERNMODUL_SERVE_BIND", "127.0.0.1:9001")
    monkeypatch.setenv("LERNMODUL_SERVE_WORKERS", "3")
    sys.modules.pop("lernmodul.gunicorn_conf", None)
    module = importlib.import_module("lernmodul.gunicorn_conf")
    assert module.bind == ["127.0.0.1:9001"]
    assert module.workers == 3
    assert module.threads == 4 and module.worker_class == "gthread"
    assert module.forwarded_allow_ips == ""  # the app's PROXY_FIX settings decide
    sys.modules.pop("lernmodul.gunicorn_conf", None)
