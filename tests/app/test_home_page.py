"""`/` sends every signed-in person to their home page, the one the login sends them to."""

from __future__ import annotations

from typing import Any

import pytest

from lernmodul.db.models import OrgUnit

# roles -> the page `/` shows or leads to (written out here, not taken from the code)
HOMES: list[tuple[tuple[str, ...], str]] = [
    (("learner",), "/"),
    (("trainer",), "/trainer/"),
    (("hr",), "/hr/"),
    (("admin",), "/admin/"),
    (("learner", "admin"), "/"),
    (("learner", "trainer", "hr", "admin"), "/"),
    (("trainer", "hr"), "/trainer/"),
    (("trainer", "admin"), "/trainer/"),
    (("hr", "admin"), "/hr/"),
    ((), "/password"),
]


def _roles(names: tuple[str, ...], unit_id: int) -> tuple[str | tuple[str, int], ...]:
    return tuple((name, unit_id) if name == "hr" else name for name in names)


@pytest.mark.parametrize(("roles", "home"), HOMES, ids=["+".join(r) or "no role" for r, _h in HOMES])
def test_the_site_address_leads_every_role_home(
    app: Any, make_user: Any, login: Any, db_session: Any, roles: tuple[str, ...], home: str
) -> None:
    unit = OrgUnit(name="Amt 1")
    db_session.add(unit)
    db_session.commit()
    make_user(_roles(roles, unit.id), email="person@example.org")
    client = app.test_client()
    signed_in = login(client, "person@example.org")
    assert signed_in.status_code == 302
    assert signed_in.headers["Location"] == home  # the login's choice

    response = client.get("/")
    if home == "/":
        assert response.status_code == 200
        assert "Zugriff verweigert" not in response.get_data(as_text=True)
    else:
        assert response.status_code == 302
        assert response.headers["Location"] == home  # the same page as after the login
        assert client.get(home).status_code == 200


def test_the_site_address_asks_anonymous_visitors_to_sign_in(client: Any) -> None:
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=/"
