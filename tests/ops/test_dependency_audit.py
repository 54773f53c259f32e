"""`make audit`: a pip-audit run that could not look anything up is never reported as clean."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys

from lernmodul.ops.dependency_audit import CLEAN, NO_DATA, VULNERABLE, read_report

TRACEBACK = """Traceback (most recent call last):
  File "pip_audit/_service/osv.py", line 70, in query
requests.exceptions.ConnectionError: HTTPSConnectionPool(host='osv.example', port=443): Max retries exceeded
"""


def _report(*dependencies: dict[str, object]) -> str:
    return json.dumps({"dependencies": list(dependencies), "fixes": []})


def test_every_package_skipped_is_no_data_not_clean() -> None:
    # what pip-audit prints (with exit 0 unless --strict) when its index has no vulnerability data
    reason = "Dependency not found on PyPI and could not be audited"
    out = _report({"name": "flask", "skip_reason": reason}, {"name": "sqlalchemy", "skip_reason": reason})
    for code in (0, 1):
        result = read_report(code, out, "")
        assert result.status == NO_DATA
        assert "not a clean result" in result.summary
        assert "2 of 2" in result.summary
        assert any(line.startswith("flask:") for line in result.details)


def test_a_crash_without_report_is_no_data() -> None:
    result = read_report(1, "", TRACEBACK)
    assert result.status == NO_DATA
    assert "No vulnerability data could be fetched" in result.summary
    assert result.details == [TRACEBACK.splitlines()[-1]]


def test_partly_skipped_is_no_data() -> None:
    out = _report({"name": "flask", "version": "3.1.0", "vulns": []},
                  {"name": "internal-pkg", "skip_reason": "Dependency not found on PyPI"})
    result = read_report(1, out, "")
    assert result.status == NO_DATA
    assert "1 of 2 packages (1 checked)" in result.summary


def test_vulnerabilities_are_listed_with_fixes() -> None:
    out = _report({"name": "jinja2", "version": "3.1.2", "vulns": [
        {"id": "GHSA-h5c8-rqwp-cp95", "fix_versions": ["3.1.3"], "aliases": [], "description": "x"}]},
        {"name": "flask", "version": "3.1.0", "vulns": []})
    result = read_report(1, out, "")
    assert result.status == VULNERABLE
    assert result.details == ["jinja2 3.1.2: GHSA-h5c8-rqwp-cp95 (fixed in 3.1.3)"]


def test_clean_only_when_every_package_was_looked_up() -> None:
    out = _report({"name": "flask", "version": "3.1.0", "vulns": []},
                  {"name": "sqlalchemy", "version": "2.0.40", "vulns": []})
    assert read_report(0, out, "").status == CLEAN
    assert read_report(0, _report(), "").status == NO_DATA  # nothing looked up is not clean


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_real_pip_audit_without_reachable_service_says_so() -> None:
    # every request goes to a proxy port nobody listens on: pip-audit gets no data at all
    proxy = f"http://127.0.0.1:{_closed_port()}"
    env = {**os.environ, "HTTPS_PROXY": proxy, "HTTP_PROXY": proxy, "https_proxy": proxy,
           "http_proxy": proxy, "NO_PROXY": "", "no_proxy": "", "PIP_AUDIT_CACHE_DIR": ""}
    done = subprocess.run([sys.executable, "-m", "lernmodul.ops.dependency_audit", "-s", "osv",
                           "--cache-dir", os.devnull], capture_output=True, text=True, env=env,
                          timeout=300, check=False)
    assert done.returncode == NO_DATA, done.stderr[-2000:]
    assert "not a clean result" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout


def test_strict_stop_at_the_first_package_without_data_names_it() -> None:
    # --strict makes pip-audit stop at the first package it cannot look up, without a report
    reason = "aiosmtpd: Dependency not found on PyPI and could not be audited: aiosmtpd (1.4.6)"
    result = read_report(1, "", f"ERROR:pip_audit._cli:{reason}\n")
    assert result.status == NO_DATA
    assert result.details == [reason]
