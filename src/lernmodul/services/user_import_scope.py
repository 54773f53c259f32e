"""The HR scope of imported people: least privilege unless the file or the caller says more.

An HR role that an import gives covers the person's own org unit with its sub-units. The
column `HR-Bereich` / `hr_scope` names other units instead: one or more unit paths in the
import's path syntax (`Stadt / Dezernat II > Bürgeramt`), separated by `|`, or `*` (also
`alle`, `all`) for all units. A caller (the command line) may give such a value as the
default for rows without one. A person who holds the HR role already keeps the scope an
administrator set, unless the row names one. Paths must exist or be created by the same
file (as org units of its people); anything else is a bad line."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from lernmodul.db.models import Role, User
from lernmodul.services.org_units import OrgUnitError, UnitIndex, split_path

SCOPE_SEPARATOR = "|"
ALL_UNITS_VALUES = frozenset({"*", "alle", "all"})
HR = Role.HR.value

Path = tuple[str, ...]


class ScopeValueError(Exception):
    """A scope text that is neither unit paths nor an all-units value ("hr_scope_invalid")."""

    def __init__(self, value: str) -> None:
        super().__init__(value)
        self.code = "hr_scope_invalid"
        self.value = value


@dataclass(frozen=True, slots=True)
class ScopeValue:
    """What a scope column (or the caller's default) says: all units, or these unit paths."""

    is_all: bool
    paths: tuple[Path, ...] = ()


def parse_scope(text: str) -> ScopeValue | None:
    """The scope a text gives; None for an empty text (the row says nothing).

    Raises ScopeValueError for an empty or overlong path part, too many levels, or an
    all-units value mixed with paths."""
    pieces = [piece.strip() for piece in text.split(SCOPE_SEPARATOR)]
    pieces = [piece for piece in pieces if piece]
    if not pieces:
        return None
    if any(piece.casefold() in ALL_UNITS_VALUES for piece in pieces):
        if len(pieces) > 1:
            raise ScopeValueError(text[:100])
        return ScopeValue(is_all=True)
    paths: list[Path] = []
    for piece in pieces:
        try:
            path = tuple(split_path(piece))
        except OrgUnitError:
            raise ScopeValueError(text[:100]) from None
        if _key(path) not in {_key(p) for p in paths}:
            paths.append(path)
    return ScopeValue(is_all=False, paths=tuple(paths))


def _key(path: Path) -> Path:
    return tuple(part.casefold() for part in path)


@dataclass(frozen=True, slots=True)
class HrScope:
    """The HR scope a person has after the import, as the report shows it."""

    is_all: bool
    paths: tuple[str, ...] = ()  # 'Stadt / Amt' each, sub-units included
    is_default: bool = False  # the own unit, because nothing else was said
    is_kept: bool = False  # the stored scope stays as it is

    def label(self, all_units: str = "all units") -> str:
        return all_units if self.is_all else " | ".join(self.paths)


@dataclass(frozen=True, slots=True)
class ScopePlan:
    """The HR grants a row leads to: `keep` leaves the stored ones; otherwise all units or
    the units at `paths` (each exists, or is created by the import before grants are
    written)."""

    shown: HrScope
    keep: bool = False
    is_all: bool = False
    paths: tuple[Path, ...] = ()
    unit_ids: tuple[int, ...] = ()  # units known by id (a stored own unit)


@dataclass(frozen=True, slots=True)
class ScopeProblem:
    code: str
    value: str = ""


class ScopePlanner:
    """Decides the HR scope of each row against the tree and the paths the file creates."""

    def __init__(self, index: UnitIndex, file_unit_paths: Iterable[Path],
                 default: ScopeValue | None = None) -> None:
        self.index = index
        self.default = default
        self.created: set[Path] = set()  # every prefix of a unit path in the file
        for path in file_unit_paths:
            for depth in range(1, len(path) + 1):
                self.created.add(_key(path[:depth]))

    def _shown_path(self, path: Path) -> str:
        unit_id = self.index.find(list(path))
        if unit_id is not None:
            return self.index.path_of(unit_id)
        return " / ".join(path)

    def _known(self, path: Path) -> bool:
        return self.index.find(list(path)) is not None or _key(path) in self.created

    def plan(self, *, roles: frozenset[str] | None, scope: ScopeValue | None,
             unit_path: Path | None, user: User | None
             ) -> tuple[ScopePlan | None, list[ScopeProblem]]:
        """The plan of one row (None: the person has no HR role afterwards) or its problems."""
        had_hr = user is not None and HR in user.role_names
        has_hr = HR in roles if roles is not None else had_hr
        if not has_hr:
            return None, ([ScopeProblem("hr_scope_without_hr")] if scope is not None else [])
        if scope is None and had_hr:
            return self._kept(user), []
        is_default = scope is None and self.default is None
        chosen = scope or self.default
        if chosen is None:
            if unit_path is None and user is not None and user.org_unit_id is not None:
                shown = HrScope(is_all=False, paths=(self.index.path_of(user.org_unit_id),),
                                is_default=True)
                return ScopePlan(shown, unit_ids=(user.org_unit_id,)), []
            if not unit_path:
                return None, [ScopeProblem("hr_scope_no_unit")]
            chosen = ScopeValue(is_all=False, paths=(unit_path,))
        if chosen.is_all:
            return ScopePlan(HrScope(is_all=True), is_all=True), []
        unknown = [ScopeProblem("hr_scope_unknown", " / ".join(path)[:200])
                   for path in chosen.paths if not self._known(path)]
        if unknown:
            return None, unknown
        shown = HrScope(is_all=False, paths=tuple(self._shown_path(p) for p in chosen.paths),
                        is_default=is_default)
        return ScopePlan(shown, paths=chosen.paths), []

    def _kept(self, user: User | None) -> ScopePlan:
        assert user is not None
        grants = [g.org_unit_id for g in user.roles if g.role == HR]
        if any(unit_id is None for unit_id in grants):
            return ScopePlan(HrScope(is_all=True, is_kept=True), keep=True)
        paths = sorted(self.index.path_of(u) for u in grants if u is not None)
        return ScopePlan(HrScope(is_all=False, paths=tuple(paths), is_kept=True), keep=True)

    def grants_differ(self, plan: ScopePlan, user: User) -> bool:
        """Whether the plan changes the user's stored HR grants."""
        if plan.keep:
            return False
        current = {g.org_unit_id for g in user.roles if g.role == HR}
        if plan.is_all:
            return current != {None}
        wanted = {self.index.find(list(path)) for path in plan.paths} | set(plan.unit_ids)
        return None in wanted or wanted != current


def scope_text(scope: HrScope) -> str:
    """The scope as English text (the command line's report)."""
    if scope.is_all:
        text = "all units"
    else:
        text = scope.label() + (" with its sub-units" if len(scope.paths) == 1
                                else " with their sub-units")
    if scope.is_default:
        text += " (own unit)"
    if scope.is_kept:
        text += " (kept as it is)"
    return text
