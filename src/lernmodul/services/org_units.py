"""Org units as a tree (Stadtverwaltung → Dezernat → Amt → Abteilung) and the scope of roles."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, literal, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lernmodul.db.models import OrgUnit, User, UserRole
from lernmodul.services.audit import record_event

ALL_UNITS = None  # a scope of None: every unit (admins, unscoped roles)


def descendant_ids(session: Session, unit_ids: Iterable[int]) -> set[int]:
    """The given units and every unit below them, in one recursive query."""
    roots = list(unit_ids)
    if not roots:
        return set()
    tree = (select(OrgUnit.id.label("id")).where(OrgUnit.id.in_(roots))
            .cte("tree", recursive=True))
    tree = tree.union_all(select(OrgUnit.id).where(OrgUnit.parent_id == tree.c.id))
    return set(session.scalars(select(tree.c.id)))


def role_scope(session: Session, user: User, role: str) -> set[int] | None:
    """The units where `user` acts in `role`, sub-units included: None means all units
    (an admin, or the role held without a unit), an empty set means none."""
    if user.has_role("admin"):
        return ALL_UNITS
    grants = [r for r in user.roles if r.role == role]
    if not grants:
        return set()
    if any(r.org_unit_id is None for r in grants):
        return ALL_UNITS
    return descendant_ids(session, {r.org_unit_id for r in grants if r.org_unit_id is not None})


def unit_path(session: Session, unit_id: int, separator: str = " / ") -> str:
    """'Stadt Lindenau / Dezernat II / Bürgeramt' for the unit, from the root down."""
    path = (select(OrgUnit.id, OrgUnit.name, OrgUnit.parent_id, literal(0).label("depth"))
            .where(OrgUnit.id == unit_id).cte("path", recursive=True))
    path = path.union_all(
        select(OrgUnit.id, OrgUnit.name, OrgUnit.parent_id, (path.c.depth + 1).label("depth"))
        .where(OrgUnit.id == path.c.parent_id))
    names = session.scalars(select(path.c.name).order_by(path.c.depth.desc()))
    return separator.join(names)


# --- administration of the tree ------------------------------------------------------------

MAX_NAME_LENGTH = 200
#: levels of the tree, the top units counted as level 1 (Stadt → Dezernat → Amt → … needs a
#: handful; a limit keeps every page's walk over the tree short)
MAX_DEPTH = 12
PATH_SEPARATORS = ("/", ">")


class OrgUnitError(Exception):
    """A refused change of the tree, with a code the edge turns into a message:
    "name_required", "name_too_long", "name_taken" (a sibling has the name), "no_parent",
    "cycle" (moved under itself or its own sub-unit), "too_deep" (more than MAX_DEPTH
    levels), "not_empty", "in_use"."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True, slots=True)
class UnitRow:
    """One unit of the tree listing, in depth-first order, with its path and user count."""

    id: int
    name: str
    parent_id: int | None
    depth: int
    path: str
    user_count: int
    child_count: int


def get_unit(session: Session, unit_id: int) -> OrgUnit:
    unit = session.get(OrgUnit, unit_id)
    if unit is None:
        raise LookupError(f"no org unit {unit_id}")
    return unit


def list_unit_tree(session: Session, *, with_counts: bool = True) -> list[UnitRow]:
    """Every unit, depth-first and by name among siblings: two queries whatever the size."""
    units = session.execute(select(OrgUnit.id, OrgUnit.name, OrgUnit.parent_id)).all()
    counts: dict[int, int] = {}
    if with_counts:
        counts = {
            unit_id: count
            for unit_id, count in session.execute(
                select(User.org_unit_id, func.count())
                .where(User.org_unit_id.is_not(None))
                .group_by(User.org_unit_id)
            )
            if unit_id is not None
        }
    children: dict[int | None, list[tuple[int, str]]] = {}
    for unit_id, name, parent_id in units:
        children.setdefault(parent_id, []).append((unit_id, name))
    for siblings in children.values():
        siblings.sort(key=lambda item: (item[1].casefold(), item[0]), reverse=True)
    rows: list[UnitRow] = []
    # iterative, so a deep tree cannot exhaust the recursion limit
    stack: list[tuple[int, str, int | None, int, str]] = [
        (unit_id, name, None, 0, name) for unit_id, name in children.get(None, [])
    ]
    while stack:
        unit_id, name, parent_id, depth, path = stack.pop()
        below = children.get(unit_id, [])
        rows.append(UnitRow(id=unit_id, name=name, parent_id=parent_id, depth=depth, path=path,
                            user_count=counts.get(unit_id, 0), child_count=len(below)))
        stack.extend((child_id, child, unit_id, depth + 1, f"{path} / {child}")
                     for child_id, child in below)
    return rows


def _clean_name(name: str) -> str:
    cleaned = " ".join(name.split())
    if not cleaned:
        raise OrgUnitError("name_required")
    if len(cleaned) > MAX_NAME_LENGTH:
        raise OrgUnitError("name_too_long")
    return cleaned


def _check_sibling_name(
    session: Session, name: str, parent_id: int | None, *, except_id: int | None = None
) -> None:
    """Sibling names are unique (case-insensitively), so a path names exactly one unit."""
    query = select(OrgUnit.id).where(
        func.lower(OrgUnit.name) == name.lower(),
        OrgUnit.parent_id.is_(None) if parent_id is None else OrgUnit.parent_id == parent_id,
    )
    if except_id is not None:
        query = query.where(OrgUnit.id != except_id)
    if session.scalar(query.limit(1)) is not None:
        raise OrgUnitError("name_taken")


def _check_parent(session: Session, parent_id: int | None) -> None:
    if parent_id is not None and session.get(OrgUnit, parent_id) is None:
        raise OrgUnitError("no_parent")


def unit_level(session: Session, unit_id: int) -> int:
    """The unit's level: 1 for a top unit, 2 for a unit below it, and so on."""
    path = (select(OrgUnit.id, OrgUnit.parent_id).where(OrgUnit.id == unit_id)
            .cte("levels", recursive=True))
    path = path.union_all(select(OrgUnit.id, OrgUnit.parent_id)
                          .where(OrgUnit.id == path.c.parent_id))
    return int(session.scalar(select(func.count()).select_from(path)) or 0)


def subtree_height(session: Session, unit_id: int) -> int:
    """Levels of the unit with its sub-units: 1 for a unit without sub-units."""
    tree = (select(OrgUnit.id.label("id"), literal(1).label("level"))
            .where(OrgUnit.id == unit_id).cte("below", recursive=True))
    tree = tree.union_all(select(OrgUnit.id, (tree.c.level + 1).label("level"))
                          .where(OrgUnit.parent_id == tree.c.id))
    return int(session.scalar(select(func.max(tree.c.level))) or 0)


def _check_depth(session: Session, parent_id: int | None, height: int = 1) -> None:
    """Refuses to put `height` levels under `parent_id` past MAX_DEPTH."""
    above = unit_level(session, parent_id) if parent_id is not None else 0
    if above + height > MAX_DEPTH:
        raise OrgUnitError("too_deep")


def create_unit(
    session: Session, *, name: str, parent_id: int | None, now: datetime,
    actor_id: int | None = None,
) -> OrgUnit:
    name = _clean_name(name)
    _check_parent(session, parent_id)
    _check_depth(session, parent_id)
    _check_sibling_name(session, name, parent_id)
    unit = OrgUnit(name=name, parent_id=parent_id, created_at=now)
    session.add(unit)
    session.flush()
    record_event(session, action="org_unit.create", at=now, actor_id=actor_id,
                 target=f"org_unit:{unit.id}", detail={"name": name, "parent_id": parent_id})
    return unit


def rename_unit(
    session: Session, unit: OrgUnit, *, name: str, now: datetime, actor_id: int | None = None
) -> bool:
    """Returns False when the name is the same (nothing recorded)."""
    name = _clean_name(name)
    if name == unit.name:
        return False
    _check_sibling_name(session, name, unit.parent_id, except_id=unit.id)
    old = unit.name
    unit.name = name
    session.flush()
    record_event(session, action="org_unit.rename", at=now, actor_id=actor_id,
                 target=f"org_unit:{unit.id}", detail={"from": old, "to": name})
    return True


def move_unit(
    session: Session, unit: OrgUnit, *, parent_id: int | None, now: datetime,
    actor_id: int | None = None,
) -> bool:
    """Puts the unit (with its sub-units) under another parent, or at the top (None).

    Refuses a parent that is the unit itself or one of its sub-units ("cycle")."""
    if parent_id == unit.parent_id:
        return False
    _check_parent(session, parent_id)
    if parent_id is not None and parent_id in descendant_ids(session, [unit.id]):
        raise OrgUnitError("cycle")
    _check_depth(session, parent_id, subtree_height(session, unit.id))
    _check_sibling_name(session, unit.name, parent_id, except_id=unit.id)
    old = unit.parent_id
    unit.parent_id = parent_id
    session.flush()
    record_event(session, action="org_unit.move", at=now, actor_id=actor_id,
                 target=f"org_unit:{unit.id}", detail={"from": old, "to": parent_id})
    return True


def delete_unit(
    session: Session, unit: OrgUnit, *, now: datetime, actor_id: int | None = None
) -> None:
    """Deletes an empty unit: no sub-units, no users, no role scoped to it.

    Anything else that still refers to it (e.g. an assignment) makes it "in_use"."""
    has_children = session.scalar(select(OrgUnit.id).where(OrgUnit.parent_id == unit.id).limit(1))
    has_users = session.scalar(select(User.id).where(User.org_unit_id == unit.id).limit(1))
    has_roles = session.scalar(
        select(UserRole.id).where(UserRole.org_unit_id == unit.id).limit(1))
    if has_children is not None or has_users is not None or has_roles is not None:
        raise OrgUnitError("not_empty")
    unit_id, name = unit.id, unit.name
    try:
        with session.begin_nested():
            session.delete(unit)
            session.flush()
    except IntegrityError:
        raise OrgUnitError("in_use") from None
    record_event(session, action="org_unit.delete", at=now, actor_id=actor_id,
                 target=f"org_unit:{unit_id}", detail={"name": name})


def split_path(text: str) -> list[str]:
    """'Stadt Lindenau / Dezernat II > Bürgeramt' -> the names from the root down.

    Raises OrgUnitError("name_required") for an empty part, "name_too_long" for a long one,
    "too_deep" for more than MAX_DEPTH parts."""
    parts = [text]
    for separator in PATH_SEPARATORS:
        parts = [piece for part in parts for piece in part.split(separator)]
    if len(parts) > MAX_DEPTH:
        raise OrgUnitError("too_deep")
    return [_clean_name(part) for part in parts]


class UnitIndex:
    """The tree in memory, addressed by path: for imports that resolve thousands of paths."""

    def __init__(self, session: Session) -> None:
        self._by_parent_and_name: dict[tuple[int | None, str], int] = {}
        self._units: dict[int, tuple[str, int | None]] = {}
        for unit_id, name, parent_id in session.execute(
                select(OrgUnit.id, OrgUnit.name, OrgUnit.parent_id)):
            self._by_parent_and_name.setdefault((parent_id, name.casefold()), unit_id)
            self._units[unit_id] = (name, parent_id)

    def path_of(self, unit_id: int) -> str:
        """'Stadt / Amt' of a unit in the index (from the top down)."""
        names: list[str] = []
        current: int | None = unit_id
        while current is not None and current in self._units and len(names) <= MAX_DEPTH * 10:
            name, current = self._units[current]
            names.append(name)
        return " / ".join(reversed(names))

    def find(self, names: list[str]) -> int | None:
        """The unit at the path, or None when any part of it does not exist yet."""
        parent_id: int | None = None
        for name in names:
            found = self._by_parent_and_name.get((parent_id, name.casefold()))
            if found is None:
                return None
            parent_id = found
        return parent_id

    def missing_prefix(self, names: list[str]) -> int:
        """How many leading parts of the path exist."""
        parent_id: int | None = None
        for depth, name in enumerate(names):
            found = self._by_parent_and_name.get((parent_id, name.casefold()))
            if found is None:
                return depth
            parent_id = found
        return len(names)

    def ensure(
        self, session: Session, names: list[str], *, now: datetime, actor_id: int | None = None
    ) -> tuple[int, list[str]]:
        """The unit at the path, creating missing parts; returns its id and created paths."""
        parent_id: int | None = None
        created: list[str] = []
        for depth, name in enumerate(names):
            key = (parent_id, name.casefold())
            found = self._by_parent_and_name.get(key)
            if found is None:
                unit = create_unit(session, name=name, parent_id=parent_id, now=now,
                                   actor_id=actor_id)
                found = unit.id
                self._by_parent_and_name[key] = found
                self._units[found] = (unit.name, parent_id)
                created.append(" / ".join(names[: depth + 1]))
            parent_id = found
        assert parent_id is not None
        return parent_id, created
