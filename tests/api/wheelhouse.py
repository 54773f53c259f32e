"""Offline wheels of installed distributions: each is packed again from its installed files.

A fresh virtual environment can then install the core dependencies with
`pip install --no-index --find-links WHEELHOUSE` and no network. The files are those the
distribution's RECORD lists inside site-packages (scripts outside it are left out; pip makes
them anew from entry_points.txt); RECORD is written again with their hashes."""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import re
import zipfile
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement

# written by the installer, not part of a wheel
_INSTALLER_FILES = {"INSTALLER", "REQUESTED", "direct_url.json", "RECORD"}


def _hash(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def closure(names: list[str]) -> list[metadata.Distribution]:
    """The installed distributions `names` name and everything they require (no extras)."""
    found: dict[str, metadata.Distribution] = {}
    todo = list(names)
    while todo:
        name = re.sub(r"[-_.]+", "-", todo.pop()).lower()
        if name in found:
            continue
        dist = metadata.distribution(name)
        found[name] = dist
        for line in dist.requires or ():
            requirement = Requirement(line)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                todo.append(requirement.name)
    return list(found.values())


def repack(dist: metadata.Distribution, out: Path) -> Path:
    """Writes `dist` as a wheel into `out` and returns its path."""
    info = Path(str(dist._path))  # type: ignore[attr-defined]  # the .dist-info folder
    site = info.parent
    wheel_meta = (info / "WHEEL").read_text(encoding="utf-8")
    tags = [line.split(":", 1)[1].strip() for line in wheel_meta.splitlines()
            if line.startswith("Tag:")]
    python, abi, platform = (".".join(sorted({t.split("-")[i] for t in tags})) for i in range(3))
    name = re.sub(r"[-.]+", "_", dist.metadata["Name"])
    target = out / f"{name}-{dist.version}-{python}-{abi}-{platform}.whl"
    records: list[list[str]] = []
    record_name = f"{info.name}/RECORD"
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for file in dist.files or ():
            relative = file.as_posix()
            if relative.startswith("..") or "__pycache__" in relative or relative.endswith(".pyc"):
                continue
            if relative.startswith(info.name + "/") and Path(relative).name in _INSTALLER_FILES:
                continue
            data = (site / relative).read_bytes()
            archive.writestr(relative, data)
            records.append([relative, _hash(data), str(len(data))])
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerows([*records, [record_name, "", ""]])
        archive.writestr(record_name, buffer.getvalue())
    return target


def build_wheelhouse(names: list[str], out: Path) -> list[Path]:
    """Wheels of `names` and their requirements, as installed here, in `out`."""
    out.mkdir(parents=True, exist_ok=True)
    return [repack(dist, out) for dist in closure(names)]
