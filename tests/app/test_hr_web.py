"""HR pages and exports: scope (C4), allowlisted fields (C5), formula injection (D4), k
suppression, audit log, assignments with CSRF, the learner's transparency page and data copy."""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select

from lernmodul.db.certificates import Certificate
from lernmodul.db.learning import Attempt, AttemptResult
from lernmodul.db.models import AuditLog, CourseVersion, Enrolment, OrgUnit, utcnow
from lernmodul.services import certificates, learning
from lernmodul.services.courses import CompiledCourses, import_course_folder

SAMPLE = Path(__file__).parents[1] / "core" / "fixtures" / "sample-course"
ALLOWED_HEADERS = {
    "de": ["Name", "Organisationseinheit", "Kurs", "Kursversion", "Status", "Fällig",
           "Abgeschlossen", "Läuft ab"],
    "en": ["Name", "Organisational unit", "Course", "Course version", "Status", "Due", "Completed",
           "Expires"],
}
FORBIDDEN = re.compile(r"score|points|punkte|answer|antwort|attempt|versuch|minutes|dauer",
                       re.IGNORECASE)
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
EVIL = "=HYPERLINK(\"http://evil.example\",\"x\")"


@pytest.fixture
def world(app, db_session, make_user):
    """Two units A and B with five people each, a sample course assigned to everybody."""
    import_course_folder(db_session, SAMPLE)
    a, b = OrgUnit(name="Amt A"), OrgUnit(name="Amt B")
    db_session.add_all([a, b])
    db_session.flush()
    sub = OrgUnit(name="Abteilung A1", parent_id=a.id)
    db_session.add(sub)
    db_session.commit()
    now = utcnow()
    people = {}
    for unit, prefix in ((a, "A"), (b, "B")):
        for i in range(5):
            name = EVIL if (prefix, i) == ("A", 0) else f"Person {prefix}{i}"
            user = make_user(("learner",), email=f"{prefix.lower()}{i}@example.org", name=name,
                             org_unit_id=unit.id)
            people[f"{prefix}{i}"] = user
            db_session.add(Enrolment(
                user_id=user.id, course_id="beispielkurs", is_mandatory=True,
                due_at=now + timedelta(days=-3 if i == 1 else 30), assigned_at=now,
                completed_at=now if i == 2 else None))
    db_session.commit()
    make_user((("hr", a.id),), email="hr-a@example.org")
    make_user((("hr", b.id),), email="hr-b@example.org")
    make_user(("admin",), email="admin@example.org")
    return {"a": a.id, "b": b.id, "sub": sub.id, "people": people}


def signed_in(app, login, email):
    client = app.test_client()
    assert login(client, email).status_code == 302
    return client


def test_C4_hr_sees_only_its_own_units_in_pages_and_exports(app, login, world) -> None:
    client = signed_in(app, login, "hr-a@example.org")
    html = client.get("/hr/people").get_data(as_text=True)
    assert "Person A3" in html and "Person B3" not in html
    for kind in ("csv", "xlsx"):
        rows = export_rows(client, f"/hr/people/export?format={kind}")
        names = {r[0] for r in rows[1:]}
        assert names == {"'" + EVIL} | {f"Person A{i}" for i in range(1, 5)}
    for path in (f"/hr/people?unit={world['b']}", f"/hr/people/export?format=csv&unit={world['b']}",
                 f"/hr/people/export?format=xlsx&unit={world['b']}", f"/hr/?unit={world['b']}",
                 "/hr/people?unit=999999"):
        response = client.get(path)
        assert response.status_code == 403, path
        assert "Person B" not in response.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/hr/people?status=nonsense", "/hr/people?unit=abc",
                                  "/hr/people?page=0", "/hr/people/export?format=pdf",
                                  "/hr/?unit=-1"])
def test_bad_filters_are_400(app, login, world, path) -> None:
    client = signed_in(app, login, "hr-a@example.org")
    assert client.get(path).status_code == 400


def export_rows(client, path):
    response = client.get(path)
    assert response.status_code == 200
    if "format=csv" in path:
        text = response.get_data().decode("utf-8-sig")
        return list(csv.reader(io.StringIO(text), delimiter=";"))
    return xlsx_rows(response.get_data())


def xlsx_rows(data):
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = archive.namelist()
        shared = []
        if "xl/sharedStrings.xml" in names:
            shared = [re.sub(r"<[^>]+>", "", s) for s in re.findall(
                r"<si>(.*?)</si>", archive.read("xl/sharedStrings.xml").decode())]
        sheet = archive.read("xl/worksheets/sheet1.xml").decode()
    rows = []
    for row in re.findall(r"<row[^>]*>(.*?)</row>", sheet):
        values = []
        for attrs, body in re.findall(r"<c([^>]*)>(.*?)</c>", row):
            text = re.sub(r"<[^>]+>", "", body)
            values.append(shared[int(text)] if 't="s"' in attrs else text)
        rows.append([v.replace("&amp;", "&").replace("&quot;", '"').replace("&lt;", "<")
                     .replace("&gt;", ">") for v in values])
    return rows


@pytest.mark.parametrize("language", ["de", "en"])
def test_C5_outputs_carry_only_allowlisted_fields(app, login, world, db_session, language) -> None:
    # a graded attempt exists: none of it may reach HR
    person = world["people"]["A2"]
    enrolment = db_session.scalars(select(Enrolment).where(Enrolment.user_id == person.id)).one()
    attempt = Attempt(user_id=person.id, enrolment_id=enrolment.id, course_version_id=1,
                      kind="exam", seed=1, questions=[], responses={"q": "SECRET-ANSWER"},
                      state="submitted")
    db_session.add(attempt)
    db_session.flush()
    db_session.add(AttemptResult(attempt_id=attempt.id, points=7.25, max_points=9.5,
                                 is_passed=True, scores={}))
    db_session.commit()
    client = signed_in(app, login, "hr-a@example.org")
    client.post("/language", data={"csrf_token": csrf_token_from(
        client.get("/hr/people").get_data(as_text=True)), "language": language, "next": "/"})
    html = client.get("/hr/people").get_data(as_text=True)
    table = html[html.index("<table"):html.index("</table>")]
    headers = re.findall(r'<th scope="col" data-column="([a-z_]+)">', table)
    assert headers == ["name", "org_unit", "course", "course_version", "status", "due", "completed",
                       "expires"]
    for output in (table, *(json.dumps(export_rows(client, f"/hr/people/export?format={k}"))
                            for k in ("csv", "xlsx"))):
        assert "SECRET-ANSWER" not in output and "7.25" not in output and "9.5" not in output
        assert not FORBIDDEN.search(output.replace("Beispielkurs", ""))
    for kind in ("csv", "xlsx"):
        assert export_rows(client, f"/hr/people/export?format={kind}")[0] == \
            ALLOWED_HEADERS[language]


def test_D4_formula_triggers_are_neutralised(app, login, world) -> None:
    client = signed_in(app, login, "hr-a@example.org")
    for kind in ("csv", "xlsx"):
        rows = export_rows(client, f"/hr/people/export?format={kind}")
        cells = [c for r in rows for c in r]
        assert "'" + EVIL in cells
        assert not any(c.startswith(("=", "+", "-", "@", "\t", "\r")) for c in cells)


def test_views_and_exports_are_audit_logged(app, login, world, db_session) -> None:
    client = signed_in(app, login, "hr-a@example.org")
    client.get(f"/hr/people?status=overdue&unit={world['a']}")
    client.get("/hr/people/export?format=csv&status=completed")
    db_session.rollback()
    entries = db_session.scalars(select(AuditLog).where(AuditLog.action.like("hr.%"))
                                 .order_by(AuditLog.id)).all()
    assert [e.action for e in entries] == ["hr.view_people", "hr.export"]
    assert entries[0].detail["filter"] == {"status": "overdue", "unit_id": world["a"]}
    assert entries[0].detail["user_ids"] == [world["people"]["A1"].id]
    assert entries[1].detail["filter"] == {"status": "completed"}
    assert entries[1].target == "people.csv"
    admin = signed_in(app, login, "admin@example.org")
    page = admin.get("/hr/audit").get_data(as_text=True)
    assert "hr.view_people" in page and "hr.export" in page
    assert admin.get("/hr/audit?page=abc").status_code == 400


def test_dashboard_suppresses_small_groups(app, login, world) -> None:
    client = signed_in(app, login, "hr-a@example.org")
    html = client.get("/hr/").get_data(as_text=True)
    assert "Amt A" in html and "Amt B" not in html
    assert "20 %" in html  # one of five completed
    assert "<svg" in html and 'role="img"' in html
    sub = client.get(f"/hr/?unit={world['a']}").get_data(as_text=True)
    assert ("Abteilung A1" in sub and "fewer than 5 people" in sub.replace("weniger als 5", "fewer than 5")) \
        or "weniger als 5" in sub


def test_min_group_size_is_configurable(make_app, login, world) -> None:
    app = make_app(HR_MIN_GROUP_SIZE=6)
    client = signed_in(app, login, "hr-a@example.org")
    html = client.get("/hr/").get_data(as_text=True)
    assert "20 %" not in html


def test_assignment_form_needs_csrf_and_stays_in_scope(app, login, world, db_session) -> None:
    client = signed_in(app, login, "hr-a@example.org")
    page = client.get("/hr/assignments").get_data(as_text=True)
    token = csrf_token_from(page)
    data = {"course_id": "beispielkurs", "org_unit_id": world["sub"], "rule": "days",
            "due_days": "30"}
    assert client.post("/hr/assignments", data=data).status_code == 400
    out = client.post("/hr/assignments", data={**data, "org_unit_id": world["b"],
                                                "csrf_token": token})
    assert out.status_code in (400, 403)
    response = client.post("/hr/assignments", data={**data, "csrf_token": token})
    assert response.status_code == 303
    again = client.post("/hr/assignments", data={**data, "csrf_token": token})
    assert again.status_code == 409
    bad = client.post("/hr/assignments", data={**data, "rule": "date", "csrf_token": token})
    assert bad.status_code == 400
    db_session.rollback()
    assert db_session.scalars(select(AuditLog.action).where(
        AuditLog.action == "assignment.create")).all() == ["assignment.create"]
    listing = client.get("/hr/assignments").get_data(as_text=True)
    action = re.search(r'action="(/hr/assignments/\d+/delete)"', listing).group(1)
    hr_b = signed_in(app, login, "hr-b@example.org")
    assert hr_b.post(action, data={"csrf_token": csrf_token_from(
        hr_b.get("/hr/assignments").get_data(as_text=True))}).status_code == 404
    assert client.post(action, data={"csrf_token": token}).status_code == 303


@pytest.mark.parametrize("unit", ["", "0", "abc"])
def test_the_unit_placeholder_has_no_value_and_is_refused(app, login, world, db_session,
                                                          unit) -> None:
    client = signed_in(app, login, "hr-a@example.org")
    page = client.get("/hr/assignments").get_data(as_text=True)
    select_ = re.search(r'<select[^>]*name="org_unit_id"[^>]*>(.*?)</select>', page, re.S)
    first = re.search(r"<option([^>]*)>([^<]*)</option>", select_.group(1))
    assert 'value=""' in first.group(1) and "required" in select_.group(0)
    assert first.group(2) == "Organisationseinheit wählen"
    response = client.post("/hr/assignments", data={
        "csrf_token": csrf_token_from(page), "course_id": "beispielkurs", "org_unit_id": unit,
        "rule": "days", "due_days": "30"})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Wählen Sie eine Organisationseinheit." in html
    assert 'aria-invalid="true"' in re.search(r'<select[^>]*name="org_unit_id"[^>]*>', html).group(0)
    db_session.rollback()
    assert db_session.scalars(select(AuditLog.action).where(
        AuditLog.action == "assignment.create")).all() == []


def test_transparency_page_shows_exactly_the_hr_rows(app, login, world, db_session) -> None:
    hr = signed_in(app, login, "hr-a@example.org")
    html = hr.get(f"/hr/people?unit={world['a']}").get_data(as_text=True)
    row = re.search(r"<tr>\s*<td>Person A1</td>.*?</tr>", html, re.S).group(0)
    learner = signed_in(app, login, "a1@example.org")
    mine = learner.get("/me/hr-view").get_data(as_text=True)
    assert re.search(r"<tr>\s*<td>Person A1</td>.*?</tr>", mine, re.S).group(0) == row
    assert "Person A2" not in mine
    data = json.loads(learner.get("/me/data.json").get_data(as_text=True))
    assert set(data) == {"profile", "enrolments", "progress", "attempts", "certificates",
                         "exported_at"}
    assert data["profile"]["email"] == "a1@example.org"
    assert "password_hash" not in json.dumps(data)
    assert len(data["enrolments"]) == 1


def csrf_token_from(html: str) -> str:
    match = CSRF.search(html)
    assert match, "no CSRF token in page"
    return match.group(1)


def test_person_list_exports_and_transparency_page_name_the_course_version(
        app, login, world, db_session) -> None:
    version = db_session.scalars(select(CourseVersion).where(
        CourseVersion.course_id == "beispielkurs")).one()
    person = world["people"]["A3"]
    enrolment = db_session.scalars(select(Enrolment).where(Enrolment.user_id == person.id)).one()
    enrolment.course_version_id = version.id
    enrolment.started_at = enrolment.completed_at = utcnow()
    db_session.commit()
    client = signed_in(app, login, "hr-a@example.org")
    html = client.get("/hr/people").get_data(as_text=True)
    row = re.search(r"<tr>\s*<td>Person A3</td>.*?</tr>", html, re.S).group(0)
    cells = re.findall(r"<td>(.*?)</td>", row, re.S)
    assert cells[3] == version.version
    other = re.search(r"<tr>\s*<td>Person A4</td>.*?</tr>", html, re.S).group(0)
    assert re.findall(r"<td>(.*?)</td>", other, re.S)[3] == "–"  # not started
    for kind in ("csv", "xlsx"):
        rows = {r[0]: r for r in export_rows(client, f"/hr/people/export?format={kind}")}
        assert rows["Person A3"][3] == version.version
        assert rows["Person A4"][3] == ""
    learner = signed_in(app, login, "a3@example.org")
    mine = learner.get("/me/hr-view").get_data(as_text=True)
    assert re.search(r"<tr>\s*<td>Person A3</td>.*?</tr>", mine, re.S).group(0) == row


def test_the_csv_export_names_its_charset_once(app, login, world) -> None:
    client = signed_in(app, login, "hr-a@example.org")
    response = client.get("/hr/people/export?format=csv")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"


# --- a revoked certificate (the course is to be retaken) -----------------------------------

REVOKE_COMPLETED = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
REVOKED_LABEL = "widerrufen – erneut zu absolvieren"


def test_hr_sees_a_revocation_in_list_exports_and_dashboard(app, db_session, make_user, login,
                                                           sample_version, post_form):
    unit = OrgUnit(name="Bürgeramt Süd")
    db_session.add(unit)
    db_session.commit()
    version = db_session.get(CourseVersion, sample_version)
    course = CompiledCourses().get(version, "media/")
    issuer = certificates.Issuer(Ed25519PrivateKey.generate(), lambda c: f"https://x/verify/{c}",
                                 UTC)
    users = [make_user(("learner",), name=f"Person {i}", org_unit_id=unit.id) for i in range(5)]
    db_session.rollback()  # a fresh transaction after the other sessions' writes
    for user in users:
        db_session.add(Enrolment(user_id=user.id, course_id=version.course_id, is_mandatory=True,
                                 assigned_at=REVOKE_COMPLETED))
        db_session.flush()
        enrolment = learning.start_course(db_session, user.id, version, REVOKE_COMPLETED)
        enrolment.completed_at = REVOKE_COMPLETED
        db_session.flush()
        certificates.issue_certificate(db_session, enrolment=enrolment, version=version,
                                       course=course, participant_name=user.name, language="de",
                                       issuer=issuer, now=REVOKE_COMPLETED)
    db_session.commit()
    make_user((("hr", unit.id),), email="hr@example.org")
    make_user(("admin",), email="admin@example.org")
    first = db_session.scalars(select(Certificate).order_by(Certificate.id)).first()

    hr_client = signed_in(app, login, "hr@example.org")
    before = hr_client.get("/hr/people").get_data(as_text=True)
    assert "status-revoked" not in before
    admin = signed_in(app, login, "admin@example.org")
    done = post_form(admin, f"/admin/certificates/{first.id}",
                     {"reason": "Täuschung festgestellt"},
                     action=f"/admin/certificates/{first.id}/revoke")
    assert done.status_code == 303

    html = hr_client.get("/hr/people").get_data(as_text=True)
    assert html.count(f'<span class="status status-revoked">{REVOKED_LABEL}</span>') == 1
    assert hr_client.get("/hr/people?status=revoked").get_data(as_text=True).count("Person 0") == 1
    assert "Person 0" not in hr_client.get("/hr/people?status=completed").get_data(as_text=True)
    for kind in ("csv", "xlsx"):
        rows = {r[0]: r for r in export_rows(hr_client, f"/hr/people/export?format={kind}")[1:]}
        assert rows["Person 0"][4] == REVOKED_LABEL
        assert rows["Person 0"][6:] in (["", ""], [])  # no completion date, no expiry
        assert rows["Person 1"][4] == "abgeschlossen"
        assert not any(FORBIDDEN.search(v) for r in rows.values() for v in r)
    board = hr_client.get("/hr/").get_data(as_text=True)
    assert "Widerrufen – erneut zu absolvieren" in board
    assert "80 %" in board
    assert f"/hr/people?unit={unit.id}&amp;status=revoked" in board
