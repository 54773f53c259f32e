"""Org unit trees and role scopes, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from lernmodul.db.models import AuditLog, OrgUnit, User, UserRole, utcnow
from lernmodul.services.org_units import (
    MAX_DEPTH,
    OrgUnitError,
    UnitIndex,
    create_unit,
    delete_unit,
    descendant_ids,
    list_unit_tree,
    move_unit,
    rename_unit,
    role_scope,
    split_path,
    unit_path,
)


def tree(session):
    city = OrgUnit(name="Stadt Lindenau")
    d2 = OrgUnit(name="Dezernat II", parent=city)
    office = OrgUnit(name="Bürgeramt", parent=d2)
    desk = OrgUnit(name="Abteilung Meldewesen", parent=office)
    d3 = OrgUnit(name="Dezernat III", parent=city)
    session.add_all([city, d2, office, desk, d3])
    session.flush()
    return city, d2, office, desk, d3


def test_descendants_and_paths(session) -> None:
    city, d2, office, desk, d3 = tree(session)
    assert descendant_ids(session, [d2.id]) == {d2.id, office.id, desk.id}
    assert descendant_ids(session, [city.id]) == {u.id for u in (city, d2, office, desk, d3)}
    assert descendant_ids(session, []) == set()
    assert unit_path(session, desk.id) == "Stadt Lindenau / Dezernat II / Bürgeramt / " \
        "Abteilung Meldewesen"


def test_role_scopes(session) -> None:
    _city, d2, office, desk, _d3 = tree(session)
    hr = User(name="HR", email="hr@example.org", roles=[UserRole(role="hr", org_unit_id=d2.id)])
    everywhere = User(name="HR2", email="hr2@example.org", roles=[UserRole(role="hr")])
    admin = User(name="A", email="a@example.org", roles=[UserRole(role="admin")])
    learner = User(name="L", email="l@example.org", roles=[UserRole(role="learner")])
    session.add_all([hr, everywhere, admin, learner])
    session.flush()
    assert role_scope(session, hr, "hr") == {d2.id, office.id, desk.id}
    assert role_scope(session, everywhere, "hr") is None
    assert role_scope(session, admin, "hr") is None
    assert role_scope(session, learner, "hr") == set()


# --- administration of the tree ------------------------------------------------------------

def actions(session):
    return [a.action for a in session.scalars(select(AuditLog).order_by(AuditLog.id))]


def test_create_rename_and_sibling_names(session) -> None:
    city = create_unit(session, name="  Stadt   Lindenau ", parent_id=None, now=utcnow(), actor_id=None)
    assert city.name == "Stadt Lindenau"
    office = create_unit(session, name="Bürgeramt", parent_id=city.id, now=utcnow())
    with pytest.raises(OrgUnitError) as error:
        create_unit(session, name="bürgeramt", parent_id=city.id, now=utcnow())
    assert error.value.code == "name_taken"
    for bad, code in [("", "name_required"), ("x" * 201, "name_too_long")]:
        with pytest.raises(OrgUnitError) as error:
            create_unit(session, name=bad, parent_id=None, now=utcnow())
        assert error.value.code == code
    with pytest.raises(OrgUnitError) as error:
        create_unit(session, name="Waise", parent_id=999_999, now=utcnow())
    assert error.value.code == "no_parent"
    assert rename_unit(session, office, name="Bürgerbüro", now=utcnow())
    assert not rename_unit(session, office, name="Bürgerbüro", now=utcnow())
    assert actions(session) == ["org_unit.create", "org_unit.create", "org_unit.rename"]


def test_moving_a_unit_under_itself_or_its_descendant_is_refused(session) -> None:
    city, d2, office, desk, d3 = tree(session)
    for target in (d2, office, desk):
        with pytest.raises(OrgUnitError) as error:
            move_unit(session, d2, parent_id=target.id, now=utcnow())
        assert error.value.code == "cycle"
    assert d2.parent_id == city.id
    assert move_unit(session, office, parent_id=d3.id, now=utcnow())
    assert unit_path(session, desk.id) == "Stadt Lindenau / Dezernat III / Bürgeramt / " \
        "Abteilung Meldewesen"
    assert move_unit(session, d3, parent_id=None, now=utcnow())
    assert d3.parent_id is None
    assert actions(session) == ["org_unit.move", "org_unit.move"]


def test_only_empty_units_can_be_deleted(session) -> None:
    city, d2, _office, desk, d3 = tree(session)
    with pytest.raises(OrgUnitError) as error:
        delete_unit(session, d2, now=utcnow())
    assert error.value.code == "not_empty"
    session.add(User(name="U", email="u@example.org", org_unit_id=d3.id))
    session.flush()
    with pytest.raises(OrgUnitError):
        delete_unit(session, d3, now=utcnow())
    session.add(User(name="H", email="h@example.org", roles=[UserRole(role="hr", org_unit_id=desk.id)]))
    session.flush()
    with pytest.raises(OrgUnitError):
        delete_unit(session, desk, now=utcnow())
    fresh = create_unit(session, name="Neu", parent_id=city.id, now=utcnow())
    delete_unit(session, fresh, now=utcnow())
    assert session.get(OrgUnit, fresh.id) is None
    assert actions(session)[-1] == "org_unit.delete"


def test_tree_listing_is_depth_first_with_paths_and_counts(session) -> None:
    _city, _d2, office, _desk, _d3 = tree(session)
    session.add(User(name="U", email="u@example.org", org_unit_id=office.id))
    session.flush()
    rows = list_unit_tree(session)
    assert [(r.depth, r.path) for r in rows] == [
        (0, "Stadt Lindenau"),
        (1, "Stadt Lindenau / Dezernat II"),
        (2, "Stadt Lindenau / Dezernat II / Bürgeramt"),
        (3, "Stadt Lindenau / Dezernat II / Bürgeramt / Abteilung Meldewesen"),
        (1, "Stadt Lindenau / Dezernat III"),
    ]
    assert {r.name: r.user_count for r in rows}["Bürgeramt"] == 1
    assert {r.name: r.child_count for r in rows}["Stadt Lindenau"] == 2


def test_paths_resolve_and_missing_parts_are_created(session) -> None:
    _city, _d2, office, *_ = tree(session)
    assert split_path("Stadt Lindenau / Dezernat II > Bürgeramt") == \
        ["Stadt Lindenau", "Dezernat II", "Bürgeramt"]
    with pytest.raises(OrgUnitError):
        split_path("A // B")
    index = UnitIndex(session)
    assert index.find(["stadt lindenau", "DEZERNAT II", "Bürgeramt"]) == office.id
    assert index.find(["Stadt Lindenau", "Dezernat IX"]) is None
    unit_id, created = index.ensure(session, ["Stadt Lindenau", "Dezernat IX", "Amt"], now=utcnow())
    assert created == ["Stadt Lindenau / Dezernat IX", "Stadt Lindenau / Dezernat IX / Amt"]
    assert unit_path(session, unit_id) == "Stadt Lindenau / Dezernat IX / Amt"
    assert index.ensure(session, ["Stadt Lindenau", "Dezernat IX", "Amt"], now=utcnow()) == (unit_id, [])


def chain(session, levels, name="Ebene", parent_id=None):
    """`levels` units, each under the one before; returns them from the top down."""
    units = []
    for level in range(1, levels + 1):
        unit = create_unit(session, name=f"{name} {level}", parent_id=parent_id, now=utcnow())
        units.append(unit)
        parent_id = unit.id
    return units


def test_the_tree_is_at_most_twelve_levels_deep(session) -> None:
    assert MAX_DEPTH == 12
    levels = chain(session, 12)
    with pytest.raises(OrgUnitError) as error:
        create_unit(session, name="Ebene 13", parent_id=levels[-1].id, now=utcnow())
    assert error.value.code == "too_deep"
    create_unit(session, name="Nachbar", parent_id=levels[-2].id, now=utcnow())  # level 12


def test_a_move_may_not_make_the_tree_deeper_than_twelve_levels(session) -> None:
    levels = chain(session, 10)
    branch = chain(session, 3, name="Zweig")  # three levels at the top
    with pytest.raises(OrgUnitError) as error:
        move_unit(session, branch[0], parent_id=levels[-1].id, now=utcnow())  # 10 + 3
    assert error.value.code == "too_deep"
    assert branch[0].parent_id is None
    assert move_unit(session, branch[0], parent_id=levels[-2].id, now=utcnow())  # 9 + 3
    assert move_unit(session, branch[1], parent_id=levels[-1].id, now=utcnow())  # 10 + 2


def test_a_path_of_more_than_twelve_parts_is_refused(session) -> None:
    names = [f"E{n}" for n in range(1, 14)]
    assert len(split_path(" / ".join(names[:12]))) == 12
    with pytest.raises(OrgUnitError) as error:
        split_path(" / ".join(names))
    assert error.value.code == "too_deep"
    unit_id, created = UnitIndex(session).ensure(session, names[:12], now=utcnow())
    assert len(created) == 12 and unit_path(session, unit_id).count(" / ") == 11
