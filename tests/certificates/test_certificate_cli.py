"""`lernmodul certificate verify`: valid, tampered, unknown key, and unreadable input, by exit status."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from lernmodul.certificates import (
    dump_credential,
    load_or_create_signing_key,
    public_key_pem,
    render_pdf,
    sign_credential,
)
from lernmodul.cli import main

from .conftest import make_data


@pytest.fixture
def instance(tmp_path: Path) -> Path:
    path = tmp_path / "instance"
    load_or_create_signing_key(path)
    return path


@pytest.fixture
def files(tmp_path: Path, instance: Path) -> dict[str, Path]:
    key = load_or_create_signing_key(instance)
    data = make_data(participant_name="Zofia Łukasiewicz")
    credential = sign_credential(data, key)
    paths = {
        "pdf": tmp_path / "certificate.pdf",
        "json": tmp_path / "credential.json",
        "tampered": tmp_path / "tampered.json",
        "bare_pdf": tmp_path / "bare.pdf",
        "public_key": tmp_path / "public.pem",
        "other_key": tmp_path / "other.pem",
        "garbage": tmp_path / "notes.txt",
    }
    paths["pdf"].write_bytes(render_pdf(data, dump_credential(credential)))
    paths["json"].write_bytes(dump_credential(credential))
    credential["credentialSubject"]["name"] = "Zofia Lukasiewicz"
    paths["tampered"].write_text(json.dumps(credential), "utf-8")
    paths["bare_pdf"].write_bytes(render_pdf(data))
    paths["public_key"].write_bytes(public_key_pem(key))
    paths["other_key"].write_bytes(public_key_pem(load_or_create_signing_key(tmp_path / "other")))
    paths["garbage"].write_text("hello", "utf-8")
    return paths


def run(*args: str | Path) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["certificate", "verify", *map(str, args)])
    return result.exit_code, result.output


@pytest.mark.parametrize("kind", ["pdf", "json"])
def test_valid_file_exits_0_and_shows_the_claims(files: dict[str, Path], instance: Path, kind: str) -> None:
    code, output = run(files[kind], "--instance", instance)
    assert code == 0
    assert output.splitlines()[0] == "valid"
    assert "name: Zofia Łukasiewicz" in output
    assert "version: 2.3.1" in output


def test_public_key_file_is_enough(files: dict[str, Path]) -> None:
    assert run(files["pdf"], "--key", files["public_key"])[0] == 0
    assert run(files["pdf"], "--key", files["other_key"], "--key", files["public_key"])[0] == 0


def test_tampered_file_exits_1(files: dict[str, Path], instance: Path) -> None:
    code, output = run(files["tampered"], "--instance", instance)
    assert (code, output.strip()) == (1, "tampered")


def test_unknown_key_exits_1(files: dict[str, Path]) -> None:
    code, output = run(files["pdf"], "--key", files["other_key"])
    assert (code, output.strip()) == (1, "unknown key")


@pytest.mark.parametrize(("kind", "message"), [
    ("garbage", "neither a certificate PDF nor credential JSON"),
    ("bare_pdf", "the PDF has no embedded credential"),
    ("missing", "No such file"),
])
def test_unreadable_input_exits_2(files: dict[str, Path], instance: Path, kind: str, message: str) -> None:
    path = files.get(kind, instance.parent / "missing.pdf")
    code, output = run(path, "--instance", instance)
    assert code == 2
    assert message in output


def test_without_keys_uses_the_instance_from_the_environment(files: dict[str, Path], instance: Path,
                                                             monkeypatch: pytest.MonkeyPatch,
                                                             tmp_path: Path) -> None:
    monkeypatch.setenv("LERNMODUL_INSTANCE_PATH", str(instance))
    assert run(files["pdf"])[0] == 0
    monkeypatch.setenv("LERNMODUL_INSTANCE_PATH", str(tmp_path / "empty"))
    code, output = run(files["pdf"])
    assert code == 2 and "certificate_signing_key.pem" in output
    assert not (tmp_path / "empty").exists()  # verifying never creates a key


def test_usage_errors_exit_2(files: dict[str, Path]) -> None:
    assert run()[0] == 2
    assert run(files["pdf"], "--nonsense")[0] == 2
    code, output = run(files["pdf"], "--key", files["garbage"])
    assert code == 2 and "not a PEM key" in output


def test_the_spec_example_is_a_valid_signature_by_a_key_not_the_issuers(tmp_path: Path) -> None:
    """The W3C eddsa-jcs-2022 signed example (fixtures/README.md): its issuer is an https URL,
    its key a did:key. Not "tampered": the signature holds, the key does not speak for the issuer."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from lernmodul.certificates.credential import _base58_decode

    fixtures = Path(__file__).parent / "fixtures"
    pair = json.loads((fixtures / "eddsa-jcs-2022-key-pair.json").read_text("utf-8"))
    secret = _base58_decode(pair["privateKeyMultibase"].removeprefix("z"))[2:]
    key_file = tmp_path / "spec.pem"
    key_file.write_bytes(public_key_pem(Ed25519PrivateKey.from_private_bytes(secret)))
    code, output = run(fixtures / "eddsa-jcs-2022-signed.json", "--key", key_file)
    assert (code, output.strip()) == (1, "signature valid, key does not belong to the issuer")
