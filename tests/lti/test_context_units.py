"""The LMS context of a launch as the person's org unit: off by default, an explicit list of
context id → existing unit per platform (admin form), HR of that unit sees the person."""

from __future__ import annotations

from sqlalchemy import select
from tests.lti.platform import CLIENT_ID, DEPLOYMENT_ID

CONTEXT = "https://purl.imsglobal.org/spec/lti/claim/context"


def _units(app):
    """Stadt Lindenau / Bürgeramt and Stadt Lindenau / Bauamt, committed; returns their ids."""
    from lernmodul.db.models import OrgUnit
    from lernmodul.web.database import get_database
    with get_database(app).sessions() as session:
        city = OrgUnit(name="Stadt Lindenau")
        session.add(city)
        session.flush()
        office, building = OrgUnit(name="Bürgeramt", parent_id=city.id), OrgUnit(name="Bauamt",
                                                                                   parent_id=city.id)
        session.add_all([office, building])
        session.commit()
        return office.id, building.id


def _form(platform, context_units):
    return {"name": "Moodle", "issuer": platform.issuer, "client_id": CLIENT_ID,
            "deployment_ids": f"other\n{DEPLOYMENT_ID}", "auth_login_url": platform.auth_url,
            "token_url": f"{platform.issuer}/token", "jwks_url": platform.jwks_url,
            "context_units": context_units}


def _learner(app):
    from lernmodul.db.models import User
    from lernmodul.web.database import get_database
    with get_database(app).sessions() as session:
        user = session.scalars(select(User).where(User.email == "lena@example.org")).one()
        return user.id, user.org_unit_id


def _launch_from(platform, context_id, title="Kurs 42"):
    platform.launch.extra_claims = {CONTEXT: {"id": context_id, "title": title,
                                              "type": ["http://purl.imsglobal.org/vocab/lis/v2/course#CourseOffering"]}}


def test_without_a_mapping_a_launch_never_changes_the_unit(app, registered, launch_flow, platform,
                                                            import_course):
    from lernmodul.db.models import AuditLog
    from lernmodul.web.database import get_database

    import_course()
    _units(app)
    registered()
    _launch_from(platform, "42")
    assert launch_flow()[2].status_code == 303
    assert _learner(app)[1] is None
    with get_database(app).sessions() as session:
        details = session.scalars(select(AuditLog.detail).where(AuditLog.action == "user.update")).all()
        assert not any("org_unit" in (d.get("fields") or []) for d in details)


def test_a_mapped_context_sets_the_unit_and_hr_of_that_unit_sees_the_learner(
        app, admin, csrf_token, registered, launch_flow, platform, import_course, make_user, login):
    from lernmodul.db.lti import LtiPlatform
    from lernmodul.db.models import AuditLog
    from lernmodul.web.database import get_database

    import_course()
    office, building = _units(app)
    platform_id = registered()
    response = admin.post(f"/admin/lti/{platform_id}", data={
        **_form(platform, "42 = Stadt Lindenau / Bürgeramt\n\n  7 = stadt lindenau > bauamt "),
        "csrf_token": csrf_token(admin)})
    assert response.status_code == 303
    page = admin.get(f"/admin/lti/{platform_id}").get_data(as_text=True)
    assert "42 = Stadt Lindenau / Bürgeramt" in page and "7 = Stadt Lindenau / Bauamt" in page
    with get_database(app).sessions() as session:
        assert session.get(LtiPlatform, platform_id).context_units == f"42\t{office}\n7\t{building}"

    _launch_from(platform, "42")
    assert launch_flow()[2].status_code == 303
    user_id, unit = _learner(app)
    assert unit == office
    with get_database(app).sessions() as session:
        change = session.scalars(select(AuditLog).where(
            AuditLog.action == "user.update", AuditLog.target == f"user:{user_id}")).all()
        assert [c.detail["org_unit"] for c in change if "org_unit" in c.detail["fields"]] == [
            {"from": None, "to": office}]
        assert change[-1].detail["context"] == {"id": "42", "title": "Kurs 42"}

    # HR follows the unit: HR of the Bürgeramt sees the learner's mandatory course, HR of the
    # Bauamt does not (HR lists mandatory enrolments)
    from lernmodul.db.models import Enrolment, utcnow
    with get_database(app).sessions() as session:
        session.add(Enrolment(user_id=user_id, course_id="beispielkurs", is_mandatory=True,
                              assigned_at=utcnow()))
        session.commit()
    make_user((("hr", office),), email="hr-office@example.org")
    make_user((("hr", building),), email="hr-building@example.org")
    for email, sees in (("hr-office@example.org", True), ("hr-building@example.org", False)):
        client = app.test_client()
        assert login(client, email).status_code == 302
        people = client.get("/hr/people")
        assert people.status_code == 200
        assert ("Lena Lernend" in people.get_data(as_text=True)) is sees, email

    # an unlisted context leaves the unit as it is; another listed one moves the person
    _launch_from(platform, "999")
    assert launch_flow()[2].status_code == 303
    assert _learner(app)[1] == office
    _launch_from(platform, "7")
    assert launch_flow()[2].status_code == 303
    assert _learner(app)[1] == building


def test_a_launch_creates_no_unit(app, registered, launch_flow, platform, import_course):
    from lernmodul.db.models import OrgUnit
    from lernmodul.web.database import get_database

    import_course()
    registered()
    _launch_from(platform, "42", title="Neues Amt")
    assert launch_flow()[2].status_code == 303
    with get_database(app).sessions() as session:
        assert session.scalars(select(OrgUnit)).all() == []


def test_bad_or_forged_mapping_posts_are_refused_and_nothing_is_written(
        app, admin, csrf_token, registered, platform, snapshot):
    _units(app)
    platform_id = registered()
    before = snapshot()
    cases = [("42 = Stadt Lindenau / Gibtsnicht", "Zeile 1: Diese Organisationseinheit gibt es nicht"),
             ("42 Stadt Lindenau / Bürgeramt", "Zeile 1: Schreiben Sie"),
             ("\n = Stadt Lindenau", "Zeile 2: Schreiben Sie"),
             ("42 = Stadt Lindenau\n42 = Stadt Lindenau / Bauamt", "Zeile 2: Diese Kontext-ID steht schon"),
             ("1 = " + " / ".join(["x"] * 30), "Zeile 1: Diese Organisationseinheit")]
    for text, message in cases:
        response = admin.post(f"/admin/lti/{platform_id}", data={**_form(platform, text),
                                                                 "csrf_token": csrf_token(admin)})
        assert response.status_code == 400, text
        assert message in response.get_data(as_text=True), text
    # without the CSRF token, with a forged one, or not an admin: refused
    assert admin.post(f"/admin/lti/{platform_id}",
                      data=_form(platform, "42 = Stadt Lindenau")).status_code == 400
    assert admin.post(f"/admin/lti/{platform_id}", data={**_form(platform, "42 = Stadt Lindenau"),
                                                         "csrf_token": "forged"}).status_code == 400
    anonymous = app.test_client()
    assert anonymous.post(f"/admin/lti/{platform_id}",
                          data=_form(platform, "42 = Stadt Lindenau")).status_code in (302, 400, 401, 403)
    assert snapshot() == before


def test_the_form_labels_the_mapping(app, admin, registered):
    platform_id = registered()
    page = admin.get(f"/admin/lti/{platform_id}").get_data(as_text=True)
    assert '<label class="field-label" for="context_units">Organisationseinheiten der Kurse' in page
    assert 'aria-describedby="context_units-hint"' in page
