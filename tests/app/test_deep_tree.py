"""A deep org-unit tree stored before the tree had a depth limit (990 levels, as one
import could create) breaks no page: the walks over the tree are iterative."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import bindparam, insert, update

from lernmodul.db.models import Enrolment, OrgUnit, utcnow

LEVELS = 990
FIRST_ID = 5000
# ids from the bottom up, and rows renamed from the bottom up (moves and renames leave rows
# in any order): on both databases, a walk that starts at the first row starts 990 levels down
ROOT = FIRST_ID + LEVELS - 1
BOTTOM = FIRST_ID
ALL_ROLES = ("learner", "trainer", "hr", "admin")


@pytest.fixture
def deep_tree(db_session, sample_version, make_user):
    now = utcnow()
    db_session.execute(insert(OrgUnit), [
        {"id": ROOT - n, "name": f"Ebene {n + 1}", "created_at": now,
         "parent_id": ROOT - n + 1 if n else None} for n in range(LEVELS)])
    table = OrgUnit.__table__
    db_session.connection().execute(
        update(table).where(table.c.id == bindparam("unit")).values(name=bindparam("new_name")),
        [{"unit": BOTTOM + n, "new_name": f"Ebene {LEVELS - n}"} for n in range(LEVELS)])
    db_session.commit()
    for n in range(6):  # more than k people, so that figures are shown and protected
        user = make_user(("learner",), email=f"p{n}@example.org", org_unit_id=BOTTOM + n % 2)
        db_session.add(Enrolment(user_id=user.id, course_id="beispielkurs", is_mandatory=True,
                                 assigned_at=now, due_at=now + timedelta(days=n - 3)))
    db_session.commit()
    return BOTTOM


@pytest.fixture
def everyone(app, make_user, login, deep_tree):
    make_user(tuple((role, ROOT) if role == "hr" else role for role in ALL_ROLES),
              email="all@example.org", org_unit_id=deep_tree)
    client = app.test_client()
    assert login(client, "all@example.org").status_code == 302
    return client


def test_no_page_fails_on_a_990_level_tree(everyone, get_route):
    assert everyone.get(get_route.path).status_code < 500


@pytest.mark.parametrize("path", [
    "/hr/", f"/hr/?unit={ROOT}", f"/hr/?unit={BOTTOM + 2}", "/hr/people",
    f"/hr/people?unit={FIRST_ID + 500}", "/hr/people/export?format=csv",
    "/hr/people/export?format=xlsx", "/hr/assignments", "/admin/units", "/admin/users",
    f"/admin/units/{BOTTOM}", "/me/hr-view", "/me/data.json",
])
def test_hr_and_admin_pages_show_the_deep_tree(everyone, path):
    response = everyone.get(path)
    assert response.status_code == 200
