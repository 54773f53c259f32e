"""HR pages in the browser: axe-core finds no WCAG 2.1 A/AA violation on the dashboard (top
and drill-down), the person list (filtered and empty), the assignment page with errors, the
audit log, and the learner's page of what HR sees, in German and English; the dashboard
works without JavaScript."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from learner_pages import LEARNER_PASSWORD

pytestmark = pytest.mark.browser


def sign_in(page: Any, live_server: str, email: str) -> None:
    page.goto(live_server + "/login")
    page.locator("#login").fill(email)
    page.locator("#password").fill(LEARNER_PASSWORD)
    with page.expect_navigation():
        page.locator("#password").press("Enter")


@pytest.fixture
def hr_world(app: Any, make_user: Any, course_imported: int) -> dict[str, int]:
    from lernmodul.db.models import Enrolment, OrgUnit, utcnow
    from lernmodul.web.database import get_database

    session = get_database(app).sessions()
    try:
        city = OrgUnit(name="Stadt Lindenau")
        session.add(city)
        session.flush()
        office = OrgUnit(name="Bürgeramt", parent_id=city.id)
        session.add(office)
        session.commit()
        ids = {"city": city.id, "office": office.id}
    finally:
        session.close()
    now = utcnow()
    session = get_database(app).sessions()
    try:
        for i in range(6):
            user = make_user(("learner",), email=f"p{i}@example.org", name=f"Person {i}",
                             org_unit_id=ids["office"])
            session.add(Enrolment(user_id=user.id, course_id="beispielkurs", is_mandatory=True,
                                  due_at=now + timedelta(days=-2 if i == 0 else 20),
                                  assigned_at=now, completed_at=now if i == 1 else None))
        session.commit()
    finally:
        session.close()
    make_user((("hr", ids["city"]),), email="hr@example.org", name="Hanna Personal")
    make_user(("admin",), email="admin@example.org", name="Anton Admin")
    return ids


# The markup does not depend on the database: SQLite only.
@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
@pytest.mark.parametrize("language", ["de", "en"])
def test_hr_pages_are_accessible(live_server: str, page: Any, hr_world: dict[str, int],
                                 assert_accessible: Any, language: str) -> None:
    sign_in(page, live_server, "hr@example.org")
    if language == "en":
        with page.expect_navigation():
            page.get_by_role("button", name="English").click()
    for path in ("/hr/", f"/hr/?unit={hr_world['city']}", "/hr/people",
                 "/hr/people?status=overdue", "/hr/people?status=expiring", "/hr/assignments"):
        page.goto(live_server + path)
        assert_accessible(page)
    page.goto(live_server + "/hr/")
    assert page.locator("svg[role=img]").count() == 4  # completion, overdue, revoked, expiring
    assert page.locator("table.data-table tbody tr").count() >= 1
    # an assignment form sent empty: errors tied to their fields
    page.goto(live_server + "/hr/assignments")
    with page.expect_navigation():
        page.locator("form.form-narrow [type=submit]").click()
    assert page.locator(".error-summary").count() == 1
    assert_accessible(page)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_audit_log_and_learner_page_are_accessible(live_server: str, page: Any,
                                                   hr_world: dict[str, int],
                                                   assert_accessible: Any) -> None:
    sign_in(page, live_server, "p0@example.org")
    page.goto(live_server + "/me/hr-view")
    assert page.get_by_role("heading", level=1).inner_text() == \
        "Was die Personalstelle über mich sieht"
    assert page.locator("table tbody tr").count() == 1
    assert_accessible(page)
    page.context.clear_cookies()
    sign_in(page, live_server, "admin@example.org")
    page.goto(live_server + "/hr/assignments")
    assert_accessible(page)
    page.goto(live_server + "/hr/audit")
    assert_accessible(page)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_dashboard_needs_no_javascript(live_server: str, browser: Any,
                                       hr_world: dict[str, int]) -> None:
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        sign_in(page, live_server, "hr@example.org")
        page.goto(live_server + "/hr/")
        page.get_by_role("link", name="Stadt Lindenau").first.click()
        page.wait_for_load_state()
        assert "Bürgeramt" in page.content()
    finally:
        context.close()
