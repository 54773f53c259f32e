"""Front matter: YAML parsing and typed validation with line numbers and 'did you mean'."""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Mapping
from typing import Any

import yaml

from ..diagnostics import DiagCode, Diagnostic

# the C loader is ~10x faster; fall back where libyaml is missing
_Loader: type[yaml.CSafeLoader] | type[yaml.SafeLoader] = getattr(
    yaml, "CSafeLoader", yaml.SafeLoader)

ID_PATTERN = re.compile(r"[a-z0-9][a-z0-9_-]*\Z")
LANGUAGE_PATTERN = re.compile(r"[a-z]{2,3}(-[A-Za-z]{2,4})?\Z")

FIRST_LINE = 2  # the front matter's content starts on the file's second line


def suggest(key: str, known: frozenset[str] | set[str]) -> str:
    matches = difflib.get_close_matches(key, sorted(known), n=1, cutoff=0.6)
    return matches[0] if matches else ""


def _describe(value: object) -> str:
    if isinstance(value, str):
        return repr(value) if len(value) < 40 else repr(value[:37] + "...")
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | dict):
        return "a list" if isinstance(value, list) else "a mapping"
    return str(value)


class FrontMatter:
    """A validating view on one YAML mapping; problems go to `diagnostics`."""

    def __init__(self, data: Mapping[str, Any], path: str, lines: list[str],
                 diagnostics: list[Diagnostic], keys: frozenset[str],
                 prefix: tuple[str, ...] = ()) -> None:
        self.data = data
        self.path = path
        self.lines = lines
        self.diagnostics = diagnostics
        self.prefix = prefix
        for key in data:
            if not isinstance(key, str) or key not in keys:
                line, column = self.locate(str(key))
                self.diagnostics.append(Diagnostic.make(
                    DiagCode.UNKNOWN_KEY, path, line, column, key=self.dotted(str(key)),
                    suggestion=suggest(str(key), set(keys))))

    @classmethod
    def parse(cls, content: str, path: str, diagnostics: list[Diagnostic],
              keys: frozenset[str]) -> FrontMatter | None:
        try:
            data = yaml.load(content, Loader=_Loader)  # noqa: S506 (a SafeLoader)  # nosec B506
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line = FIRST_LINE + (mark.line if mark else 0)
            column = (mark.column + 1) if mark else 1
            detail = " ".join(str(exc.problem or exc.context or "syntax error").split())
            diagnostics.append(Diagnostic.make(DiagCode.YAML_ERROR, path, line, column,
                                               detail=detail))
            return None
        except yaml.YAMLError as exc:
            diagnostics.append(Diagnostic.make(DiagCode.YAML_ERROR, path, FIRST_LINE, 1,
                                               detail=" ".join(str(exc).split())))
            return None
        if data is None:
            data = {}
        if not isinstance(data, dict):
            diagnostics.append(Diagnostic.make(DiagCode.NOT_A_MAPPING, path, FIRST_LINE, 1))
            return None
        return cls(data, path, content.split("\n"), diagnostics, keys)

    def dotted(self, key: str) -> str:
        return ".".join((*self.prefix, key))

    def locate(self, key: str) -> tuple[int, int]:
        """File line and column of `key` below this mapping's prefix (best effort)."""
        wanted = (*self.prefix, key)
        depth = 0
        indent = -1
        for number, raw in enumerate(self.lines):
            stripped = raw.lstrip(" ")
            here = len(raw) - len(stripped)
            if depth and here <= indent:
                return FIRST_LINE, 1  # left the parent without finding the key
            at_level = here > indent if depth else here == 0
            key_pattern = rf"['\"]?{re.escape(wanted[depth])}['\"]?\s*:"
            if at_level and re.match(key_pattern, stripped):
                if depth == len(wanted) - 1:
                    return FIRST_LINE + number, here + 1
                depth += 1
                indent = here
        return FIRST_LINE, 1

    def problem(self, key: str, expected: str, got: object) -> None:
        line, column = self.locate(key)
        self.diagnostics.append(Diagnostic.make(
            DiagCode.BAD_VALUE, self.path, line, column, key=self.dotted(key),
            expected=expected, got=_describe(got)))

    def missing(self, key: str) -> None:
        line = self.locate(self.prefix[-1])[0] if self.prefix else 1
        if self.prefix:
            saved = self.prefix
            self.prefix = saved[:-1]
            line = self.locate(saved[-1])[0]
            self.prefix = saved
        self.diagnostics.append(Diagnostic.make(DiagCode.MISSING_KEY, self.path, line, 1,
                                                key=self.dotted(key)))

    def text(self, key: str, *, required: bool = False, default: str = "") -> str:
        value = self.data.get(key)
        if value is None:
            if required:
                self.missing(key)
            return default
        if isinstance(value, bool | list | dict):
            self.problem(key, "must be text", value)
            return default
        value = str(value).strip()
        if required and not value:
            self.missing(key)
        return value

    def identifier(self, key: str = "id") -> str:
        value = self.text(key, required=True)
        if value and not ID_PATTERN.match(value):
            line, column = self.locate(key)
            self.diagnostics.append(Diagnostic.make(DiagCode.BAD_ID, self.path, line, column,
                                                    id=value))
        return value

    def integer(self, key: str, *, minimum: int = 0, default: int | None = None,
                required: bool = False) -> int | None:
        value = self.data.get(key)
        if value is None:
            if required:
                self.missing(key)
            return default
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            self.problem(key, f"must be a whole number ≥ {minimum}", value)
            return default
        return value

    def share(self, key: str, *, required: bool = False,
              default: float | None = None) -> float | None:
        value = self.data.get(key)
        if value is None:
            if required:
                self.missing(key)
            return default
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 1:
            self.problem(key, "must be a share between 0 and 1 (e.g. 0.8 for 80 %)", value)
            return default
        return float(value)

    def boolean(self, key: str, default: bool) -> bool:
        value = self.data.get(key)
        if value is None:
            return default
        if not isinstance(value, bool):
            self.problem(key, "must be true or false", value)
            return default
        return value

    def choice(self, key: str, choices: tuple[str, ...], default: str) -> str:
        value = self.data.get(key)
        if value is None:
            return default
        if not isinstance(value, str) or value not in choices:
            self.problem(key, "must be one of " + ", ".join(choices), value)
            return default
        return value

    def text_list(self, key: str) -> tuple[str, ...]:
        value = self.data.get(key)
        if value is None:
            return ()
        if not isinstance(value, list) or not all(
                isinstance(v, str | int | float) and not isinstance(v, bool) for v in value):
            self.problem(key, "must be a list of texts", value)
            return ()
        return tuple(str(v).strip() for v in value)

    def section(self, key: str, keys: frozenset[str]) -> FrontMatter | None:
        value = self.data.get(key)
        if value is None:
            return None
        if not isinstance(value, dict):
            self.problem(key, "must be a mapping of keys", value)
            return None
        return FrontMatter(value, self.path, self.lines, self.diagnostics, keys,
                           (*self.prefix, key))

    def check(self, key: str, ok: Callable[[Any], bool], expected: str) -> None:
        if key in self.data and not ok(self.data[key]):
            self.problem(key, expected, self.data[key])
