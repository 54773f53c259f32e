"""Org units as a tree (Stadtverwaltung → Dezernat → Amt → Abteilung) and the scope of roles."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import literal, select
from sqlalchemy.orm import Session

from lernmodul.db.models import OrgUnit, User

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
