"""Trainer fixtures: write sessions, the sample course imported, signed-in trainer clients."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

import pytest

SAMPLE = Path(__file__).parents[1] / "core" / "fixtures" / "sample-course"
COURSES = Path(__file__).parents[2] / "courses"
TRAINER_EMAIL = "trainer@example.org"
# the smallest valid images of each accepted kind (magic bytes and a little body)
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00" \
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x01\x01\x01\x00\x18\xdd\x8d\xb0\x00" \
    b"\x00\x00\x00IEND\xaeB`\x82"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 32 + b"\xff\xd9"
GIF = b"GIF89a\x01\x00\x01\x00\x00\x00\x00;"
WEBP = b"RIFF\x1a\x00\x00\x00WEBPVP8L\x0d\x00\x00\x00/\x00\x00\x00\x10\x07\x10\x11\x11\x88\x88\xfe\x07\x00"


@pytest.fixture
def trainer(app: Any, make_user: Any, login: Any) -> Any:
    """A test client signed in as a trainer (`client.user` is the account)."""
    user = make_user(("trainer",), email=TRAINER_EMAIL, name="Tina Trainerin")
    client = app.test_client()
    assert login(client, TRAINER_EMAIL).status_code == 302
    client.user = user
    return client


def make_zip(entries: dict[str, bytes | str], *, symlinks: tuple[str, ...] = ()) -> bytes:
    """A zip of `entries` (name -> content); names in `symlinks` are stored as symbolic links."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in entries.items():
            info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = ((0o120777 if name in symlinks else 0o100644) << 16)
            archive.writestr(info, content)
    return buffer.getvalue()


def sample_entries(prefix: str = "beispielkurs/") -> dict[str, bytes | str]:
    """The sample course folder as zip entries (README and drafts included, as in git)."""
    entries: dict[str, bytes | str] = {}
    for path in sorted(SAMPLE.rglob("*")):
        if path.is_file():
            entries[prefix + path.relative_to(SAMPLE).as_posix()] = path.read_bytes()
    return entries


@pytest.fixture
def admin_client(app: Any, make_user: Any, login: Any) -> Any:
    """A test client signed in as an administrator without the trainer role."""
    make_user(("admin",), email="admin@example.org", name="Anton Admin")
    client = app.test_client()
    assert login(client, "admin@example.org").status_code == 302
    return client
