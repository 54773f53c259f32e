"""The LMS context (its course) of a launch as the person's org unit: an explicit list per platform.

An administrator lists which context id puts a launched person into which existing unit. Units
are never created by a launch; a context not in the list leaves the person's unit as it is; an
empty list (the default) means launches never change anyone's unit.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from lernmodul.db.lti import LtiPlatform
from lernmodul.db.models import OrgUnit, User
from lernmodul.services.audit import record_event
from lernmodul.services.org_units import OrgUnitError, UnitIndex, split_path

CONTEXT_CLAIM = "https://purl.imsglobal.org/spec/lti/claim/context"
MAX_MAPPINGS = 500
MAX_CONTEXT_ID = 255


class ContextMappingError(ValueError):
    """A line of the mapping list that cannot be saved; `code` names the message, `line` it."""

    def __init__(self, code: str, line: int) -> None:
        super().__init__(f"line {line}: {code}")
        self.code = code
        self.line = line


def parse_context_units(session: Session, text: str) -> tuple[tuple[str, int], ...]:
    """Lines "context id = unit path" (path parts separated by "/" or ">") as (context id, unit
    id) pairs; the units must exist. ContextMappingError("bad_line" | "unknown_unit" |
    "duplicate" | "too_many") else. Empty lines are skipped; an empty text is no mapping."""
    index: UnitIndex | None = None
    pairs: dict[str, int] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        context_id, separator, path = raw.partition("=")
        context_id, path = context_id.strip(), path.strip()
        if not separator or not context_id or not path or len(context_id) > MAX_CONTEXT_ID:
            raise ContextMappingError("bad_line", number)
        if context_id in pairs:
            raise ContextMappingError("duplicate", number)
        index = index or UnitIndex(session)
        try:
            unit_id = index.find(split_path(path))
        except OrgUnitError as error:
            raise ContextMappingError("unknown_unit", number) from error
        if unit_id is None:
            raise ContextMappingError("unknown_unit", number)
        pairs[context_id] = unit_id
        if len(pairs) > MAX_MAPPINGS:
            raise ContextMappingError("too_many", number)
    return tuple(pairs.items())


def store_context_units(pairs: tuple[tuple[str, int], ...]) -> str:
    """How the pairs are kept on the platform row: "context id<TAB>unit id", one a line."""
    return "\n".join(f"{context_id}\t{unit_id}" for context_id, unit_id in pairs)


def stored_context_units(platform: LtiPlatform) -> dict[str, int]:
    """The platform's mapping: context id -> unit id."""
    pairs: dict[str, int] = {}
    for line in (platform.context_units or "").splitlines():
        context_id, _tab, unit = line.rpartition("\t")
        if context_id and unit.isdigit():
            pairs[context_id] = int(unit)
    return pairs


def format_context_units(session: Session, platform: LtiPlatform) -> str:
    """The mapping as the admin form shows it: "context id = unit path" lines (current names)."""
    pairs = stored_context_units(platform)
    if not pairs:
        return ""
    index = UnitIndex(session)
    return "\n".join(f"{context_id} = {index.path_of(unit_id)}" for context_id, unit_id in pairs.items()
                     if session.get(OrgUnit, unit_id) is not None)


def context_of(claims: dict[str, Any]) -> tuple[str, str] | None:
    """(id, title) of the launch's context claim; None when the platform sends none."""
    context = claims.get(CONTEXT_CLAIM)
    if not isinstance(context, dict):
        return None
    context_id = context.get("id")
    if not isinstance(context_id, str) or not context_id.strip():
        return None
    title = context.get("title")
    return context_id.strip(), title.strip() if isinstance(title, str) else ""


def apply_context_unit(session: Session, user: User, platform: LtiPlatform, claims: dict[str, Any], *,
                       now: datetime) -> int | None:
    """Puts the person into the unit the platform's mapping names for the launch's context, in
    the caller's transaction, audit-logged as "user.update"; returns the new unit id, or None
    when nothing changed (no mapping, unknown context, a unit removed since, already there)."""
    context = context_of(claims)
    if context is None:
        return None
    unit_id = stored_context_units(platform).get(context[0])
    if unit_id is None or user.org_unit_id == unit_id or session.get(OrgUnit, unit_id) is None:
        return None
    previous = user.org_unit_id
    user.org_unit_id = unit_id
    session.flush()
    record_event(session, action="user.update", at=now, actor_id=None, target=f"user:{user.id}",
                 detail={"source": "lti", "issuer": platform.issuer, "fields": ["org_unit"],
                         "org_unit": {"from": previous, "to": unit_id},
                         "context": {"id": context[0], "title": context[1]}})
    return unit_id
