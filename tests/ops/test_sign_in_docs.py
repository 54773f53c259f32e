"""The sign-in documentation, German (docs/anmeldung.md) and English (docs/operations.md): every
setting it names exists under exactly that name, every sign-in setting is documented in both,
the two link each other, and every `lernmodul …` command in the German chapter exists."""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from lernmodul.cli import main
from lernmodul.identity.claims import ClaimMapping
from lernmodul.identity.ldap.settings import DEFAULTS as LDAP_DEFAULTS
from lernmodul.web.config import DefaultConfig

from .test_operations_doc import COMMAND, FENCE, INLINE, resolve

DOCS = Path(__file__).parents[2] / "docs"
GERMAN = DOCS / "anmeldung.md"
ENGLISH = DOCS / "operations.md"
README = Path(__file__).parents[2] / "README.md"
# the settings of sign-in and the ones its chapters refer to
FAMILY = re.compile(r"(?:OIDC|SAML|LDAP|LOGIN)_[A-Z0-9_]*[A-Z0-9]|LOCAL_PASSWORDS|BREAK_GLASS_ACCOUNTS"
                    r"|PUBLIC_BASE_URL|PROXY_FIX_X_FOR")
RETIRED = {"LOGIN_MAX_FAILURES_PER_ACCOUNT"}  # named as gone: the app refuses to start with it
CODE = re.compile(r"`([^`\n]+)`")
ASSIGNMENT = re.compile(r"^\s*(?:export\s+)?([A-Z][A-Z0-9_]+)\s*=", re.MULTILINE)


class _Recording(dict[str, Any]):
    """A settings mapping that notes every key asked for."""

    def __init__(self) -> None:
        super().__init__()
        self.asked: set[str] = set()

    def get(self, key: str, default: Any = None) -> Any:  # type: ignore[override]
        self.asked.add(key)
        return default


def known_settings() -> set[str]:
    """Every setting the code reads: the app's defaults, the directory's and the claim
    mappings of OIDC and SAML (recorded from what ClaimMapping.from_settings asks)."""
    known = {name for name in vars(DefaultConfig) if name.isupper()} | set(LDAP_DEFAULTS)
    for prefix in ("OIDC", "SAML"):
        recording = _Recording()
        ClaimMapping.from_settings(recording, prefix)
        known |= recording.asked
    return known


def named_settings(text: str) -> set[str]:
    """Setting names in inline code and at the start of assignments in code blocks."""
    found: set[str] = set()
    for code in CODE.findall(text):
        found |= {name.removeprefix("LERNMODUL_") for name in re.findall(r"\b[A-Z][A-Z0-9_]+\b", code)}
    for block in FENCE.findall(text):
        found |= {name.removeprefix("LERNMODUL_") for name in ASSIGNMENT.findall(block)}
    return {name for name in found if FAMILY.fullmatch(name)}


def sign_in_settings() -> set[str]:
    """What both languages must document: every setting of the sign-in families."""
    return {name for name in known_settings() if FAMILY.fullmatch(name)}


@pytest.mark.parametrize("doc", [GERMAN, ENGLISH], ids=["anmeldung.md", "operations.md"])
def test_every_setting_named_exists(doc):
    unknown = sorted(named_settings(doc.read_text("utf-8")) - known_settings() - RETIRED)
    assert not unknown, f"{doc.name} names settings the code does not read: {unknown}"


@pytest.mark.parametrize("doc", [GERMAN, ENGLISH], ids=["anmeldung.md", "operations.md"])
def test_every_sign_in_setting_is_documented(doc):
    missing = sorted(sign_in_settings() - named_settings(doc.read_text("utf-8")))
    assert not missing, f"{doc.name} does not document: {missing}"


def test_the_recording_sees_the_claim_settings():
    assert {"OIDC_CLAIM_EMAIL", "OIDC_GROUP_ROLES", "SAML_UNIT_SEPARATOR"} <= known_settings()
    assert "LDAP_BIND_LOGIN" in sign_in_settings() and "OIDC_ISSUER" in sign_in_settings()


def test_the_german_and_english_chapters_link_each_other():
    assert "](operations.md)" in GERMAN.read_text("utf-8")
    assert "](anmeldung.md)" in ENGLISH.read_text("utf-8")
    assert "](docs/anmeldung.md)" in README.read_text("utf-8")
    german = GERMAN.read_text("utf-8")
    for topic in ("Keycloak", "ADFS", "Shibboleth", "cron", "LOCAL_PASSWORDS", "Notfallkonto",
                  "Anmeldedrosselung", "Active Directory"):
        assert topic in german


def german_commands() -> Iterator[str]:
    text = GERMAN.read_text("utf-8")
    found = [m.group(1) for block in FENCE.findall(text) for m in COMMAND.finditer(block)]
    found += [m.group(1)[len("lernmodul "):] for m in INLINE.finditer(text)]
    for line in sorted(set(found)):
        command = re.split(r"\s(?:\||&&|;|>>?)\s", line)[0].replace("…", "").strip()
        if command:
            yield command


@pytest.mark.parametrize("command", list(german_commands()))
def test_every_command_of_the_german_chapter_exists(command):
    path, target, rest = resolve(shlex.split(command))
    assert path, f"`lernmodul {command}`: no such command"
    result = CliRunner().invoke(main, [*path, "--help"])
    assert result.exit_code == 0, result.output
    options = {opt for param in target.params for opt in param.opts + param.secondary_opts}
    for word in rest:
        if word.startswith("--"):
            assert word in options, f"`lernmodul {command}`: unknown option {word}"
