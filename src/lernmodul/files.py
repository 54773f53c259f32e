"""Small file helpers shared by every layer (no imports of the project)."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def write_private_once(path: Path, data: bytes) -> None:
    """Writes a private (0600) file atomically unless it exists: of several processes, one wins.

    Each writes a complete temporary file and links it into place; the link fails for all but
    the first, so nobody ever reads a half-written file."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")  # mode 0600
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        with contextlib.suppress(FileExistsError):
            os.link(tmp, path)
    finally:
        os.unlink(tmp)
