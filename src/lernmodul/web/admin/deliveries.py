"""Deliveries to other systems that are waiting or were given up: see, retry now, give up."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from lernmodul.db.models import utcnow
from lernmodul.db.outbox import FAILED, PENDING
from lernmodul.outbox import give_up, list_deliveries, retry_now
from lernmodul.services.audit import record_event
from lernmodul.web.admin.views import bp
from lernmodul.web.database import get_session

PAGE_ROWS = 200


@bp.route("/deliveries")
def deliveries() -> str:
    session = get_session()
    return render_template("admin/deliveries.html", now=utcnow(), limit=PAGE_ROWS,
                           pending=list_deliveries(session, statuses=(PENDING,), limit=PAGE_ROWS),
                           failed=list_deliveries(session, statuses=(FAILED,), limit=PAGE_ROWS))


@bp.post("/deliveries/<int:delivery_id>/retry")
def retry_delivery(delivery_id: int) -> Response:
    now = utcnow()
    if retry_now(get_session(), delivery_id, now=now):
        record_event(get_session(), action="outbox.retry", at=now, actor_id=current_user.id,
                     target=f"delivery:{delivery_id}")
        flash(_("The delivery will be sent with the next run."), "success")
    else:
        flash(_("This delivery cannot be retried: it was delivered or is being sent right now."),
              "error")
    return redirect(url_for("admin.deliveries"), 303)


@bp.post("/deliveries/<int:delivery_id>/give-up")
def give_up_delivery(delivery_id: int) -> Response:
    now = utcnow()
    if give_up(get_session(), delivery_id, now=now):
        record_event(get_session(), action="outbox.give_up", at=now, actor_id=current_user.id,
                     target=f"delivery:{delivery_id}")
        flash(_("The delivery has been given up; it will not be sent."), "success")
    else:
        flash(_("This delivery cannot be given up: it is not waiting or is being sent right now."),
              "error")
    return redirect(url_for("admin.deliveries"), 303)
