"""Deterministic zip bytes: sorted entries, one fixed timestamp, fixed permissions."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Mapping

#: the earliest time a zip can hold; every entry carries it, so the bytes never depend on
#: when a package was built
FIXED_TIME = (1980, 1, 1, 0, 0, 0)
FILE_MODE = 0o100644  # a regular file, rw-r--r--


def deterministic_zip(files: Mapping[str, bytes]) -> bytes:
    """A zip of `files` (relative POSIX path -> bytes) whose bytes depend on `files` only."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # Unix, so that the permissions below are read
            info.external_attr = FILE_MODE << 16
            zf.writestr(info, files[name], compress_type=zipfile.ZIP_DEFLATED, compresslevel=9)
    return buffer.getvalue()
