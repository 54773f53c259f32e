"""Every account as plain rows, for operators (`lernmodul users list`)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lernmodul.db.identities import ExternalIdentity
from lernmodul.db.models import OrgUnit, User, UserRole
from lernmodul.services.hr import unit_paths


def account_rows(session: Session) -> list[dict[str, Any]]:
    """One dict per account, ordered by personnel number then e-mail: personnel_number, name,
    email, org_unit (path joined with " / ", or None), roles (sorted), is_active, source
    ("local" for accounts of this app — password or CSV import — else the kinds of the linked
    identities, e.g. "ldap" or "ldap+oidc")."""
    tree = {unit_id: (name, parent) for unit_id, name, parent
            in session.execute(select(OrgUnit.id, OrgUnit.name, OrgUnit.parent_id))}
    paths = unit_paths(tree)
    roles: dict[int, set[str]] = {}
    for user_id, role in session.execute(select(UserRole.user_id, UserRole.role)):
        roles.setdefault(user_id, set()).add(role)
    kinds: dict[int, set[str]] = {}
    for user_id, kind in session.execute(select(ExternalIdentity.user_id, ExternalIdentity.kind)):
        kinds.setdefault(user_id, set()).add(kind)
    rows = []
    for user in session.scalars(select(User).order_by(User.personnel_number, User.email)):
        rows.append({
            "personnel_number": user.personnel_number,
            "name": user.name,
            "email": user.email,
            "org_unit": paths.get(user.org_unit_id) if user.org_unit_id is not None else None,
            "roles": sorted(roles.get(user.id, ())),
            "is_active": user.is_active,
            "source": "+".join(sorted(kinds[user.id])) if user.id in kinds else "local",
        })
    return rows
