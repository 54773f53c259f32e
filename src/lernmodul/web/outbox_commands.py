"""`lernmodul outbox deliver` (for a timer) and `lernmodul outbox list`."""

from __future__ import annotations

import json

import click
from flask import Flask

from lernmodul.db.engine import session_scope
from lernmodul.db.outbox import DELIVERED, FAILED, PENDING
from lernmodul.outbox import deliver_due, list_deliveries
from lernmodul.web.database import get_database
from lernmodul.web.outbox_edge import sender_config


def _app() -> Flask:
    from lernmodul.web import create_app

    return create_app()


@click.group()
def outbox() -> None:
    """Deliveries to other systems (LTI scores, xAPI statements)."""


@outbox.command("deliver")
@click.option("--limit", default=500, show_default=True, type=click.IntRange(1, 100_000),
              help="At most this many deliveries in this run.")
def deliver(limit: int) -> None:
    """Send the due deliveries once (run it every minute from cron or a systemd timer).

    Exit status 0 also when some could not be sent: they wait for a later run."""
    app = _app()
    stats = deliver_due(get_database(app).sessions, config=sender_config(app), limit=limit)
    click.echo(f"{stats.claimed} due: {stats.delivered} delivered, {stats.retrying} to retry, "
               f"{stats.failed} given up")


@outbox.command("list")
@click.option("--all", "show_all", is_flag=True, help="Also the delivered ones.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object instead of text.")
def list_command(show_all: bool, as_json: bool) -> None:
    """List pending and failed deliveries (the next due first)."""
    app = _app()
    statuses = (PENDING, FAILED, DELIVERED) if show_all else (PENDING, FAILED)
    with session_scope(get_database(app).sessions) as session:
        rows = [{"id": d.id, "kind": d.kind, "key": d.key, "target": d.target, "status": d.status,
                 "attempts": d.attempts, "next_attempt_at": d.next_attempt_at.isoformat(),
                 "last_error": d.last_error, "created_at": d.created_at.isoformat(),
                 "delivered_at": d.delivered_at.isoformat() if d.delivered_at else None}
                for d in list_deliveries(session, statuses=statuses, limit=10_000)]
    if as_json:
        click.echo(json.dumps({"deliveries": rows}, ensure_ascii=False, indent=2))
        return
    for row in rows:
        click.echo(f"{row['id']}\t{row['kind']}\t{row['status']}\t{row['attempts']}\t"
                   f"{row['next_attempt_at']}\t{row['target']}\t{row['last_error'] or ''}")
    click.echo(f"{len(rows)} deliver{'y' if len(rows) == 1 else 'ies'}")
