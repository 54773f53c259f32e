"""The HR service: statuses, scope, k suppression, allowlisted row fields, formula safety."""

from __future__ import annotations

from dataclasses import fields
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from lernmodul.db.models import Enrolment, OrgUnit, User
from lernmodul.services import exports, hr

NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
CLOCK = hr.Clock(now=NOW, timezone=ZoneInfo("Europe/Berlin"))


def test_person_rows_carry_exactly_the_allowlisted_fields() -> None:
    assert {f.name for f in fields(hr.PersonRow)} == {
        "name", "org_unit", "course", "course_version", "status", "due", "completed", "expires"}


@pytest.mark.parametrize(("due", "started", "completed", "status"), [
    (None, None, None, hr.ASSIGNED),
    (NOW + timedelta(days=1), NOW, None, hr.IN_PROGRESS),
    (NOW - timedelta(seconds=1), NOW, None, hr.OVERDUE),
    (NOW - timedelta(days=1), NOW, NOW, hr.COMPLETED),
])
def test_status(due, started, completed, status) -> None:
    assert hr.status_of(due_at=due, started_at=started, completed_at=completed, now=NOW) == status


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"])
def test_D4_formula_triggers_get_an_apostrophe(text) -> None:
    assert exports.neutralise(text) == "'" + text
    assert exports.neutralise("Anna") == "Anna"


def world(session):
    city = OrgUnit(name="Stadt")
    session.add(city)
    session.flush()
    a, b = OrgUnit(name="A", parent_id=city.id), OrgUnit(name="B", parent_id=city.id)
    session.add_all([a, b])
    session.flush()
    for unit, count in ((a, 5), (b, 4)):
        for i in range(count):
            user = User(name=f"{unit.name}{i}", email=f"{unit.name}{i}@example.org",
                        org_unit_id=unit.id)
            session.add(user)
            session.flush()
            session.add(Enrolment(user_id=user.id, course_id="k", is_mandatory=True,
                                  assigned_at=NOW, due_at=NOW - timedelta(days=1) if i == 0 else None,
                                  completed_at=NOW if i == 1 else None))
    session.flush()
    return city, a, b


def test_dashboard_suppresses_groups_below_k_and_respects_scope(session) -> None:
    city, a, b = world(session)
    board = hr.dashboard(session, None, unit_id=city.id, course_id=None, clock=CLOCK)
    by_name = {u.name: u for u in board.units}
    assert by_name["B"].suppressed and by_name["B"].overdue is None
    assert not by_name["B"].protects_others
    # Stadt minus A would give B: A (5 people) is hidden as well
    assert by_name["A"].suppressed and by_name["A"].protects_others
    assert by_name["A"].completion_rate is None and by_name["A"].overdue is None
    assert board.root is not None and board.root.persons == 9 and board.root.overdue == 2
    with pytest.raises(hr.OutOfScope):
        hr.dashboard(session, {a.id}, unit_id=b.id, course_id=None, clock=CLOCK)
    scoped = hr.dashboard(session, {a.id}, unit_id=None, course_id=None, clock=CLOCK)
    assert [u.name for u in scoped.units] == ["A"]


def test_person_page_scope_filters_and_paging(session) -> None:
    _city, a, b = world(session)
    page = hr.person_page(session, {a.id}, hr.PersonFilter(), CLOCK, page_size=3)
    assert [r.name for r in page.rows] == ["A0", "A1", "A2"] and page.has_next
    second = hr.person_page(session, {a.id}, hr.PersonFilter(), CLOCK, page=2, page_size=3)
    assert [r.name for r in second.rows] == ["A3", "A4"] and not second.has_next
    overdue = hr.person_page(session, None, hr.PersonFilter(status=hr.OVERDUE), CLOCK)
    assert [r.name for r in overdue.rows] == ["A0", "B0"]
    done = hr.person_page(session, None, hr.PersonFilter(status=hr.COMPLETED, unit_id=b.id), CLOCK)
    assert [(r.name, r.completed) for r in done.rows] == [("B1", date(2026, 3, 1))]
    with pytest.raises(hr.OutOfScope):
        hr.person_page(session, {a.id}, hr.PersonFilter(unit_id=b.id), CLOCK)
    rows = list(hr.person_rows(session, {b.id}, hr.PersonFilter(), CLOCK, batch=2))
    assert [r.name for r in rows] == ["B0", "B1", "B2", "B3"]
    assert rows[0].org_unit == "Stadt / B"


def test_unit_paths_of_a_tree_deeper_than_the_recursion_limit() -> None:
    import sys

    unit_paths = hr.unit_paths
    levels = sys.getrecursionlimit() + 500
    # bottom first, as rows may come back in any order
    tree = {n: (f"E{n}", n + 1 if n + 1 < levels else None) for n in range(levels)}
    paths = unit_paths(tree)
    assert paths[levels - 1] == f"E{levels - 1}"
    assert paths[0].count(" / ") == levels - 1 and paths[0].endswith(" / E1 / E0")
    assert unit_paths({1: ("A", None), 2: ("B", 1), 3: ("C", 99)}) == {
        1: "A", 2: "A / B", 3: "C"}  # a parent outside the tree: the unit is a top
