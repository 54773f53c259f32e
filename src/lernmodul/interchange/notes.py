"""Notes: what an export or import could not carry over, with the place it concerns."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Note:
    """One message: `path:line: severity: text`. Errors mean something was left out;
    warnings mean it was carried over with a loss that the text names."""

    path: str
    line: int
    text: str
    is_error: bool = False

    def format(self) -> str:
        """The message as `path:line: error|warning: text` (like the compiler's)."""
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {'error' if self.is_error else 'warning'}: {self.text}"
