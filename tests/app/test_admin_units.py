"""Org unit pages: the tree, create, rename, move (cycles refused), delete only when empty."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from lernmodul.db.models import AuditLog, OrgUnit, User

ADMIN_EMAIL = "admin@example.org"


@pytest.fixture
def tree(db_session):
    city = OrgUnit(name="Stadt Lindenau")
    d2 = OrgUnit(name="Dezernat II", parent=city)
    office = OrgUnit(name="Bürgeramt", parent=d2)
    d3 = OrgUnit(name="Dezernat III", parent=city)
    db_session.add_all([city, d2, office, d3])
    db_session.commit()
    return {"city": city.id, "d2": d2.id, "office": office.id, "d3": d3.id}


def parent_of(db_session, unit_id):
    db_session.rollback()
    return db_session.get(OrgUnit, unit_id).parent_id


def test_tree_page_lists_units_depth_first_with_counts(admin, tree, db_session):
    db_session.add(User(name="U", email="u@example.org", org_unit_id=tree["office"]))
    db_session.commit()
    html = admin.get("/admin/units").get_data(as_text=True)
    order = [html.index(name) for name in ("Stadt Lindenau<", "Dezernat II<", "Bürgeramt<", "Dezernat III<")]
    assert order == sorted(order)
    assert f'href="/admin/users?unit={tree["office"]}">1</a>' in html
    assert "(in Stadt Lindenau / Dezernat II)" in html


def test_create_rename_move_delete_with_audit(admin, tree, db_session, post_form):
    response = post_form(admin, "/admin/units", {"name": "Standesamt", "parent": str(tree["d2"])})
    assert response.status_code == 303
    db_session.rollback()
    new = db_session.scalar(select(OrgUnit).where(OrgUnit.name == "Standesamt"))
    new_id = new.id
    assert new.parent_id == tree["d2"]
    url = f"/admin/units/{new_id}"
    assert post_form(admin, url, {"name": "Standesamt Nord"}, action=f"{url}/rename").status_code == 303
    assert post_form(admin, url, {"parent": str(tree["d3"])}, action=f"{url}/move").status_code == 303
    assert parent_of(db_session, new_id) == tree["d3"]
    assert post_form(admin, url, {"parent": ""}, action=f"{url}/move").status_code == 303
    assert parent_of(db_session, new_id) is None
    assert post_form(admin, url, {}, action=f"{url}/delete").status_code == 303
    db_session.rollback()
    assert db_session.scalar(select(OrgUnit.id).where(OrgUnit.id == new_id)) is None
    actions = [
        a.action
        for a in db_session.scalars(select(AuditLog).order_by(AuditLog.id))
        if a.action.startswith("org_unit.")
    ]
    assert actions == [
        "org_unit.create",
        "org_unit.rename",
        "org_unit.move",
        "org_unit.move",
        "org_unit.delete",
    ]
    assert all(
        a.actor_id == admin.user.id
        for a in db_session.scalars(select(AuditLog).where(AuditLog.action.like("org_unit.%")))
    )


@pytest.mark.parametrize("target", ["d2", "office"])
def test_moving_a_unit_under_itself_or_a_descendant_is_refused(admin, tree, post_form, snapshot, target):
    before = snapshot()
    url = f"/admin/units/{tree['d2']}"
    response = post_form(admin, url, {"parent": str(tree[target])}, action=f"{url}/move")
    assert response.status_code == 409
    assert (
        "Eine Einheit kann nicht unter sich selbst oder eine ihrer eigenen Untereinheiten verschoben werden."
    ) in response.get_data(as_text=True)
    assert snapshot() == before


def test_move_form_offers_no_cycle(admin, tree):
    html = admin.get(f"/admin/units/{tree['d2']}").get_data(as_text=True)
    form = html[html.index('id="move"') : html.index('id="delete"')]
    assert f'value="{tree["d3"]}"' in form
    assert f'value="{tree["office"]}"' not in form and f'value="{tree["d2"]}"' not in form


def test_delete_refuses_units_with_sub_units_or_people(admin, tree, db_session, post_form, snapshot):
    db_session.add(User(name="U", email="u@example.org", org_unit_id=tree["d3"]))
    db_session.commit()
    before = snapshot()
    for key in ("d2", "d3"):
        url = f"/admin/units/{tree[key]}"
        response = post_form(admin, url, {}, action=f"{url}/delete")
        assert response.status_code == 409
        assert "Nur eine leere Einheit kann gelöscht werden" in response.get_data(as_text=True)
    assert snapshot() == before


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "", "parent": ""}, "Geben Sie einen Namen ein."),
        ({"name": "x" * 201, "parent": ""}, "Höchstens 200 Zeichen."),
        (
            {"name": "Dezernat II", "parent": "CITY"},
            "Eine Einheit mit diesem Namen gibt es an dieser Stelle schon.",
        ),
        ({"name": "Neu", "parent": "999999"}, "Keine gültige Auswahl"),
        ({"name": "Neu", "parent": "abc"}, "Keine gültige Auswahl"),
    ],
)
def test_bad_unit_input_gets_a_message(admin, tree, post_form, snapshot, data, message):
    data = {k: (str(tree["city"]) if v == "CITY" else v) for k, v in data.items()}
    before = snapshot()
    response = post_form(admin, "/admin/units", data)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert snapshot() == before


def test_missing_unit_is_404(admin):
    assert admin.get("/admin/units/999999").status_code == 404


DEPTH_MESSAGE = "Der Baum hat höchstens 12 Ebenen"


def test_no_unit_below_the_twelfth_level(admin, db_session, post_form, snapshot):
    parent = None
    for level in range(1, 13):
        unit = OrgUnit(name=f"Ebene {level}", parent_id=parent)
        db_session.add(unit)
        db_session.flush()
        parent = unit.id
    top = OrgUnit(name="Oben")
    db_session.add(top)
    db_session.commit()
    before = snapshot()
    response = post_form(admin, "/admin/units", {"name": "Ebene 13", "parent": str(parent)})
    assert response.status_code == 400
    assert DEPTH_MESSAGE in response.get_data(as_text=True)
    response = post_form(admin, f"/admin/units/{top.id}", {"parent": str(parent)},
                         action=f"/admin/units/{top.id}/move")
    assert response.status_code == 400
    assert DEPTH_MESSAGE in response.get_data(as_text=True)
    assert snapshot() == before
