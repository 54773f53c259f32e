"""No suppressed figure of the HR dashboard can be computed from the figures it shows by
subtraction: within a parent (its total minus the sub-units shown gives the parent's own
members), across the course filter (all courses minus the other courses), and chains of
both, over every page and every course filter."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from lernmodul.db.models import Enrolment, OrgUnit, User
from lernmodul.services import hr

K = 5
ALL = hr.ALL_COURSES


def figures(persons: int, seed: int = 0) -> hr.Figures:
    """Distinct counts per group, so that equal values never hide a leak."""
    return (persons, persons // 2, persons // 3 + seed % 2, persons // 4, persons, persons // 5)


def direct_of(groups: dict[tuple[int, str], int]) -> dict[hr.Cell, hr.Figures]:
    """Direct figures per unit and course, and over all courses (people take every course
    they are counted in, so the people of all courses are the largest course's)."""
    direct: dict[hr.Cell, hr.Figures] = {}
    for (unit, course), persons in groups.items():
        if persons:
            direct[(unit, course)] = figures(persons, unit)
    for unit in {u for u, _c in groups}:
        parts = [v for (u, c), v in direct.items() if u == unit and c != ALL]
        if parts:
            direct[(unit, ALL)] = (sum(p[0] for p in parts), sum(p[1] for p in parts),
                                   sum(p[2] for p in parts), sum(p[3] for p in parts),
                                   max(p[4] for p in parts), sum(p[5] for p in parts))
    return direct


def test_one_small_sibling_hides_the_next_smallest_too() -> None:
    tree = {1: ("Stadt", None), 2: ("A", 1), 3: ("B", 1), 4: ("C", 1)}
    direct = direct_of({(2, "k"): 10, (3, "k"): 3, (4, "k"): 7})
    totals, hidden = hr.protect_small_groups(tree, direct, K)
    assert (3, "k") in hidden and (4, "k") in hidden and (2, "k") not in hidden
    assert (1, "k") not in hidden and totals[(1, "k")][4] == 20


def test_own_members_of_a_parent_count_as_a_group() -> None:
    # two people belong to the unit itself: unit minus its sub-units would show them
    tree = {1: ("Amt", None), 2: ("A", 1), 3: ("B", 1)}
    direct = direct_of({(1, "k"): 2, (2, "k"): 8, (3, "k"): 6})
    _totals, hidden = hr.protect_small_groups(tree, direct, K)
    assert (3, "k") in hidden and (2, "k") not in hidden and (1, "k") not in hidden


def test_a_small_course_hides_another_course_of_the_unit() -> None:
    tree = {1: ("Amt", None)}
    direct = direct_of({(1, "k1"): 2, (1, "k2"): 9, (1, "k3"): 20})
    _totals, hidden = hr.protect_small_groups(tree, direct, K)
    assert hidden == {(1, "k1"), (1, "k2")}


def test_nothing_hidden_when_every_group_is_large() -> None:
    tree = {1: ("Stadt", None), 2: ("A", 1), 3: ("B", 1)}
    direct = direct_of({(1, "k"): 5, (2, "k"): 6, (2, "j"): 8, (3, "k"): 7, (3, "j"): 5})
    assert hr.protect_small_groups(tree, direct, K)[1] == set()


# --- what an HR officer could compute from every page --------------------------------------


def leaks(tree, groups, hidden, courses) -> list[tuple[str, int, str]]:
    """Small groups whose figures follow from the figures shown on the dashboard pages (each
    unit with its sub-units, per course and over all courses) by subtraction: a unit minus
    its sub-units gives its own members, all courses minus the other courses gives the last
    course, and whatever is found so may be used again. Empty groups count as known."""
    children: dict[int | None, list[int]] = {}
    for unit, (_name, parent) in tree.items():
        children.setdefault(parent, []).append(unit)

    def members(unit):
        found, todo = [], [unit]
        while todo:
            u = todo.pop()
            found.append(u)
            todo.extend(children.get(u, []))
        return found

    def people(units, key):  # over all courses: each person takes their unit's largest
        return sum(max(groups.get((u, c), 0) for c in (courses if key == ALL else [key]))
                   for u in units)

    size, known, lines = {}, set(), []
    for unit in tree:
        for key in [ALL, *courses]:
            size[("unit", unit, key)] = people(members(unit), key)
            if (unit, key) not in hidden:
                known.add(("unit", unit, key))
            if children.get(unit):
                size[("own", unit, key)] = people([unit], key)
                lines.append([("unit", unit, key), ("own", unit, key),
                              *(("unit", c, key) for c in children[unit])])
        for kind in ("unit", "own") if children.get(unit) else ("unit",):
            lines.append([(kind, unit, ALL), *((kind, unit, c) for c in courses)])
    known |= {node for node, people_in in size.items() if people_in == 0}
    changed = True
    while changed:
        changed = False
        for line in lines:
            unknown = [node for node in line if node not in known]
            if len(unknown) == 1:
                known.add(unknown[0])
                changed = True
    return sorted(node for node in known if 0 < size[node] < K)


def random_world(seed):
    rng = random.Random(seed)
    tree: dict[int, tuple[str, int | None]] = {1: ("Stadt", None)}
    for unit in range(2, rng.randint(5, 14)):
        tree[unit] = (f"Amt {unit}", rng.choice(list(tree)))
    courses = ["k1", "k2", "k3"][: rng.randint(1, 3)]
    groups = {}
    for unit in tree:
        base = rng.choice([0, 0, 1, 2, 3, 4, 6, 9, 15])
        for course in courses:
            groups[(unit, course)] = base if rng.random() < 0.7 else rng.choice([0, 1, 3, 8])
    return tree, courses, groups


@pytest.mark.parametrize("seed", range(40))
def test_no_small_group_can_be_computed_by_subtraction(seed) -> None:
    tree, courses, groups = random_world(seed)
    _totals, hidden = hr.protect_small_groups(tree, direct_of(groups), K)
    assert leaks(tree, groups, hidden, courses) == []


def test_hiding_only_the_small_groups_would_leak() -> None:
    leaking = 0
    for seed in range(40):
        tree, courses, groups = random_world(seed)
        totals, _hidden = hr.protect_small_groups(tree, direct_of(groups), K)
        only_small = {cell for cell, value in totals.items() if value[4] < K}
        leaking += bool(leaks(tree, groups, only_small, courses))
    assert leaking > 10


def test_the_dashboard_hides_the_complementary_group(session) -> None:
    now = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    clock = hr.Clock(now=now, timezone=ZoneInfo("Europe/Berlin"))
    city = OrgUnit(name="Stadt")
    session.add(city)
    session.flush()
    units = {}
    for name, count in (("A", 12), ("B", 3), ("C", 7)):
        unit = OrgUnit(name=name, parent_id=city.id)
        session.add(unit)
        session.flush()
        units[name] = unit.id
        for i in range(count):
            user = User(name=f"{name}{i}", email=f"{name}{i}@example.org", org_unit_id=unit.id)
            session.add(user)
            session.flush()
            session.add(Enrolment(user_id=user.id, course_id="k", is_mandatory=True,
                                  assigned_at=now, due_at=now - timedelta(days=1)))
    session.flush()
    board = hr.dashboard(session, None, unit_id=city.id, course_id=None, clock=clock)
    rows = {u.name: u for u in board.units}
    assert rows["A"].overdue == 12 and not rows["A"].suppressed
    assert rows["B"].suppressed and not rows["B"].protects_others
    assert rows["C"].suppressed and rows["C"].protects_others and rows["C"].overdue is None
    # the same cells are hidden on the unit's own page and in the course filter
    own = hr.dashboard(session, None, unit_id=units["C"], course_id="k", clock=clock)
    assert own.root is not None and own.root.suppressed and own.root.overdue is None
