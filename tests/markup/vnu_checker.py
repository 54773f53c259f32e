"""The Nu Html Checker (vnu.jar from node/node_modules) over a folder of HTML files, in one
Java process: JVM start-up costs about two seconds, so the pages are written to files first
and checked together."""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlparse

REPO = Path(__file__).resolve().parents[2]
NODE_DIR = REPO / "node"
VNU_JAR = NODE_DIR / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
INSTALL_HINT = "install it with: cd node && npm ci (needs npm and Java 17 or newer)"
# a tiered JIT that stops early starts faster; the checker's run is short
JAVA_OPTIONS = ("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xss8m")


@dataclass(frozen=True, slots=True)
class Message:
    """One finding: `kind` is "error", "warning" or "info"."""

    file: str
    kind: str
    line: int
    column: int
    text: str
    extract: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: {self.kind}: {self.text}\n    {self.extract!r}"


def missing_checker() -> str | None:
    """Why the checker cannot run here, or None when it can."""
    if not VNU_JAR.is_file():
        return f"the Nu Html Checker (node/node_modules/vnu-jar) is not installed; {INSTALL_HINT}"
    if shutil.which("java") is None:
        return "the Nu Html Checker needs Java 17 or newer (apt-get install default-jre-headless)"
    return None


def check_folder(folder: Path) -> list[Message]:
    """Every message of the checker for the .html files in `folder` (one Java process)."""
    completed = subprocess.run(
        ["java", *JAVA_OPTIONS, "-jar", str(VNU_JAR), "--format", "json", "--stdout",
         "--exit-zero-always", "--skip-non-html", str(folder)],
        capture_output=True, text=True, timeout=600, check=False)
    if completed.returncode != 0 or not completed.stdout.strip():
        raise RuntimeError(f"vnu failed ({completed.returncode}): {completed.stderr[-2000:]}")
    messages = []
    for raw in json.loads(completed.stdout)["messages"]:
        kind = raw.get("subType", "info") if raw["type"] == "info" else "error"
        url = unquote(urlparse(raw.get("url", "")).path)
        messages.append(Message(file=Path(url).name, kind=kind, line=raw.get("lastLine", 0),
                                column=raw.get("firstColumn", raw.get("lastColumn", 0)),
                                text=raw.get("message", ""), extract=raw.get("extract", "")))
    return messages
