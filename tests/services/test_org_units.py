"""Org unit trees and role scopes, on SQLite and PostgreSQL."""

from __future__ import annotations

from lernmodul.db.models import OrgUnit, User, UserRole
from lernmodul.services.org_units import descendant_ids, role_scope, unit_path


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
