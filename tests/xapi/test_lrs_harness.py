"""The ralph harness itself (tests/lrs.py): it stores, reads back, goes down and comes back."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
import requests

from lrs import Lrs

TESTS = Path(__file__).resolve().parents[1]


def statement(name: str = "abc", statement_id: str | None = None) -> dict[str, Any]:
    return {
        "id": statement_id or str(uuid.uuid4()),
        "actor": {"objectType": "Agent", "account": {"homePage": "https://lernen.example.de", "name": name}},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/completed", "display": {"en-US": "completed"}},
        "object": {"objectType": "Activity", "id": "https://lernen.example.de/xapi/course/demo"},
        "timestamp": "2026-12-03T10:00:00+00:00",
    }


def test_lrs_stores_and_reads_back_and_knows_a_resend(lrs: Lrs) -> None:
    first = statement()
    with lrs.http() as http:
        assert http.post(lrs.statements_url, json=first, timeout=10).status_code == 200
        assert http.post(lrs.statements_url, json=first, timeout=10).status_code == 204
        changed = statement("xyz", first["id"])
        assert http.post(lrs.statements_url, json=changed, timeout=10).status_code == 409
    assert [s["id"] for s in lrs.statements()] == [first["id"]]


def test_lrs_keeps_every_post(lrs: Lrs) -> None:
    # ralph's fs backend alone writes only the first POST into a file (tests/ralph_site)
    sent = [statement(f"learner{n}") for n in range(5)]
    with lrs.http() as http:
        for one in sent[:3]:
            assert http.post(lrs.statements_url, json=one, timeout=10).status_code == 200
        assert http.post(lrs.statements_url, json=sent[3:], timeout=10).status_code == 200
    assert sorted(s["id"] for s in lrs.statements()) == sorted(s["id"] for s in sent)
    assert len(lrs.stored_on_disk()) == 5


def test_lrs_refuses_wrong_credentials(lrs: Lrs) -> None:
    answer = requests.get(lrs.statements_url, auth=(lrs.username, "wrong"), timeout=10,
                          headers={"X-Experience-API-Version": "1.0.3"})
    assert answer.status_code in (401, 403)


def test_lrs_down_refuses_and_comes_back_on_a_fresh_file(lrs: Lrs) -> None:
    before = statement()
    with lrs.http() as http:
        assert http.post(lrs.statements_url, json=before, timeout=10).status_code == 200
    endpoint = lrs.endpoint
    lrs.stop()
    with pytest.raises(requests.ConnectionError):
        requests.get(lrs.statements_url, timeout=5)
    assert lrs.start_again() == endpoint and not lrs.moved
    after = statement()
    with lrs.http() as http:
        assert http.post(lrs.statements_url, json=after, timeout=10).status_code == 200
    assert [s["id"] for s in lrs.statements()] == [after["id"]]
    assert [s["id"] for s in lrs.stored_on_disk()] == [before["id"], after["id"]]


def test_lrs_fixture_fails_without_ralph(tmp_path: Path) -> None:
    (tmp_path / "conftest.py").write_text("from lrs import lrs  # noqa: F401\n")
    (tmp_path / "test_inner.py").write_text("def test_needs_lrs(lrs):\n    pass\n")
    env = {**os.environ, "LERNMODUL_RALPH": str(tmp_path / "no-such-ralph"),
           "PYTHONPATH": os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rA",
                           f"--rootdir={tmp_path}", str(tmp_path)],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "1 error" in done.stdout and "skipped" not in done.stdout, done.stdout
    assert "make .venv-ralph" in done.stdout
