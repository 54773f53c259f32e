"""`lernmodul assignments apply`: enrols everybody their assignments cover and re-assigns
mandatory courses whose certificate is in its renewal window (idempotent; run it from cron)."""

from __future__ import annotations

from collections.abc import Callable
from zoneinfo import ZoneInfo

import click
from flask import Flask

from lernmodul.db.engine import session_scope
from lernmodul.db.models import utcnow
from lernmodul.services import assignments as service
from lernmodul.services.certificates import DEFAULT_RENEWAL_DAYS
from lernmodul.web.database import get_database


def make_assignments_group(make_app: Callable[[], Flask]) -> click.Group:
    """The `assignments` command group; `make_app` builds the app (given by the caller, so
    this blueprint does not import the app factory and, through it, the other areas)."""

    @click.group()
    def assignments() -> None:
        """Mandatory-course assignments."""

    @assignments.command("apply")
    def assignments_apply() -> None:
        """Enrols every user in the courses assigned to their unit; starts recertifications."""
        apply_all(make_app())

    return assignments


def apply_all(app: Flask) -> None:
    zone = ZoneInfo(app.config["BABEL_DEFAULT_TIMEZONE"])
    now = utcnow()
    with session_scope(get_database(app).sessions) as session:
        outcome = service.apply_all_assignments(session, now)
        outcome += service.reassign_expiring(
            session, today=now.astimezone(zone).date(),
            renewal_days=int(app.config.get("CERTIFICATE_RENEWAL_DAYS", DEFAULT_RENEWAL_DAYS)),
            timezone=zone, now=now)
    click.echo(f"enrolled={outcome.enrolled} made_mandatory={outcome.made_mandatory} "
               f"reassigned={outcome.reassigned}")
