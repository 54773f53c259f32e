"""/admin/deliveries: waiting and given-up deliveries, retry now, give up (the CLI: tests/lti)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from lernmodul.db.models import AuditLog, utcnow
from lernmodul.db.outbox import DELIVERED, FAILED, PENDING, Delivery
from lernmodul.outbox import enqueue


def _queue(sessions: Any, key: str, **fields: Any) -> int:
    with sessions() as session, session.begin():
        enqueue(session, kind="ags", key=key, payload={}, target="lti_platform:1")
        row = session.scalars(select(Delivery).where(Delivery.key == key)).one()
        for name, value in fields.items():
            setattr(row, name, value)
        return row.id


def _row(sessions: Any, delivery_id: int) -> Delivery:
    with sessions() as session:
        row = session.get(Delivery, delivery_id)
        assert row is not None
        return row


def test_admin_sees_retries_and_gives_up(admin: Any, sessions: Any, csrf_token: Any) -> None:
    waiting = _queue(sessions, "result:1", attempts=2, last_error="platform answered 503",
                     next_attempt_at=utcnow() + timedelta(minutes=4))
    failed = _queue(sessions, "result:2", status=FAILED, attempts=1,
                    last_error="platform answered 400: <b>no such user</b>")
    _queue(sessions, "result:3", status=DELIVERED)
    page = admin.get("/admin/deliveries").get_data(as_text=True)
    assert "Übermittlungen an andere Systeme" in page
    assert "platform answered 503" in page and "Bewertung an eine Lernplattform (LTI)" in page
    assert "&lt;b&gt;no such user&lt;/b&gt;" in page  # escaped
    assert page.count("Jetzt erneut senden") == 2 and page.count("Aufgeben<") == 1
    token = csrf_token(admin)
    assert admin.post(f"/admin/deliveries/{waiting}/retry").status_code == 400  # no CSRF token
    assert _row(sessions, waiting).attempts == 2
    response = admin.post(f"/admin/deliveries/{waiting}/retry", data={"csrf_token": token})
    assert response.status_code == 303
    assert _row(sessions, waiting).next_attempt_at <= utcnow()
    response = admin.post(f"/admin/deliveries/{failed}/retry", data={"csrf_token": token},
                          follow_redirects=True)
    assert "beim nächsten Lauf gesendet" in response.get_data(as_text=True)
    assert _row(sessions, failed).status == PENDING
    admin.post(f"/admin/deliveries/{failed}/give-up", data={"csrf_token": token})
    assert _row(sessions, failed).status == FAILED
    response = admin.post("/admin/deliveries/99999/give-up", data={"csrf_token": token},
                          follow_redirects=True)
    assert response.status_code == 200
    assert "kann nicht aufgegeben werden" in response.get_data(as_text=True)
    with sessions() as session:
        actions = list(session.scalars(select(AuditLog.action).where(
            AuditLog.action.like("outbox.%")).order_by(AuditLog.id)))
    assert actions == ["outbox.retry", "outbox.retry", "outbox.give_up"]


def test_english_page(admin: Any) -> None:
    admin.set_cookie("lernmodul_lang", "en")
    page = admin.get("/admin/deliveries").get_data(as_text=True)
    assert "Deliveries to other systems" in page and "No delivery is waiting." in page
