"""Dependency audit: pip-audit over the installed packages, and an honest verdict.

pip-audit exits 0 when it could not look up a single package (every one "skipped"), and
crashes with a traceback when the vulnerability service cannot be reached. Neither is a clean
result. `make audit` runs pip-audit with `--strict` and JSON output and reads the outcome here:
clean only when every installed package was looked up and none has a known vulnerability.

Run: `python -m lernmodul.ops.dependency_audit [pip-audit options]`. Exit status: 0 clean,
1 known vulnerabilities, 2 no (or incomplete) vulnerability data, 3 pip-audit missing.
"""

from __future__ import annotations

import json
import shutil
import subprocess  # a fixed pip-audit argument list, no shell  # nosec B404
import sys
from dataclasses import dataclass, field
from pathlib import Path

CLEAN, VULNERABLE, NO_DATA, MISSING = 0, 1, 2, 3


@dataclass(frozen=True, slots=True)
class AuditResult:
    """What an audit found: exit status, one plain sentence, and detail lines."""

    status: int
    summary: str
    details: list[str] = field(default_factory=list)


def read_report(returncode: int, stdout: str, stderr: str) -> AuditResult:
    """The verdict for one pip-audit run with `--format json` (its exit code and output)."""
    try:
        report = json.loads(stdout) if stdout.strip() else None
    except json.JSONDecodeError:
        report = None
    dependencies = report.get("dependencies") if isinstance(report, dict) else None
    if not isinstance(dependencies, list):
        reason = _last_error_line(stderr) or f"pip-audit exited with status {returncode} and no report"
        return AuditResult(NO_DATA, "No vulnerability data could be fetched, so nothing was "
                           "checked. This is not a clean result.", [reason])
    skipped = [d for d in dependencies if isinstance(d, dict) and d.get("skip_reason")]
    vulnerable = [d for d in dependencies if isinstance(d, dict) and d.get("vulns")]
    if vulnerable:
        lines = [f"{d.get('name')} {d.get('version')}: {v.get('id')}"
                 + (f" (fixed in {', '.join(v['fix_versions'])})" if v.get("fix_versions") else "")
                 for d in vulnerable for v in d["vulns"] if isinstance(v, dict)]
        return AuditResult(VULNERABLE, f"Known vulnerabilities in {len(vulnerable)} of "
                           f"{len(dependencies)} packages.",
                           lines + [f"not checked: {d.get('name')}" for d in skipped])
    if skipped or not dependencies:
        audited = len(dependencies) - len(skipped)
        return AuditResult(NO_DATA, f"No vulnerability data for {len(skipped)} of "
                           f"{len(dependencies)} packages ({audited} checked). This is not a "
                           "clean result.", [f"{d.get('name')}: {d.get('skip_reason')}" for d in skipped])
    if returncode != 0:
        return AuditResult(NO_DATA, f"pip-audit exited with status {returncode}. This is not a "
                           "clean result.", [_last_error_line(stderr)])
    return AuditResult(CLEAN, f"No known vulnerabilities in {len(dependencies)} packages.")


def run_audit(extra_args: list[str]) -> AuditResult:
    """Runs pip-audit (of this Python's environment) and reads its outcome."""
    executable = Path(sys.executable).with_name("pip-audit")
    command = str(executable) if executable.exists() else shutil.which("pip-audit")
    if command is None:
        return AuditResult(MISSING, "pip-audit is not installed (it comes with the dev extra: "
                           "pip install -e '.[dev]').")
    done = subprocess.run(  # noqa: S603  # nosec B603
        [command, "--strict", "--skip-editable", "--progress-spinner", "off", "--format", "json",
         *extra_args], capture_output=True, text=True, check=False)
    return read_report(done.returncode, done.stdout, done.stderr)


def _last_error_line(stderr: str) -> str:
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    return lines[-1].removeprefix("ERROR:pip_audit._cli:").strip() if lines else ""


def main(argv: list[str] | None = None) -> int:
    """Command line: prints the verdict and returns the exit status."""
    result = run_audit(list(sys.argv[1:] if argv is None else argv))
    stream = sys.stdout if result.status == CLEAN else sys.stderr
    print(result.summary, file=stream)
    for line in result.details[:200]:
        print(f"  {line}", file=stream)
    if len(result.details) > 200:
        print(f"  … and {len(result.details) - 200} more", file=stream)
    return result.status


if __name__ == "__main__":
    sys.exit(main())
