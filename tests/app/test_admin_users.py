"""User administration pages: search and paging, profile, roles, deactivation (B2), passwords,
mass assignment (C6), CSRF on every admin POST (E1), audit rows."""

from __future__ import annotations

import pytest
from sqlalchemy import insert, select

from lernmodul.db.models import AuditLog, OrgUnit, User, UserRole

ADMIN_EMAIL = "admin@example.org"
SESSION_COOKIE = "lernmodul_session"


@pytest.fixture
def unit(db_session):
    city = OrgUnit(name="Stadt Lindenau")
    office = OrgUnit(name="Bürgeramt", parent=city)
    other = OrgUnit(name="Ordnungsamt", parent=city)
    db_session.add_all([city, office, other])
    db_session.commit()
    return {"city": city.id, "office": office.id, "other": other.id}


def fresh(db_session, user_id):
    db_session.rollback()
    db_session.expire_all()  # a rollback outside a transaction expires nothing
    return db_session.get(User, user_id)


def audit(db_session, action):
    db_session.rollback()
    return list(db_session.scalars(select(AuditLog).where(AuditLog.action == action)))


def test_list_searches_name_email_and_personnel_number_and_pages(admin, db_session, unit):
    db_session.execute(
        insert(User),
        [
            {
                "name": f"Person {n:03d}",
                "email": f"p{n}@lindenau.de",
                "personnel_number": f"PN{n:03d}",
                "org_unit_id": unit["office"] if n % 2 else unit["other"],
            }
            for n in range(120)
        ],
    )
    db_session.execute(insert(User), [{"name": "Zoë 100%_sicher", "email": "z@x.de"}])
    db_session.commit()
    html = admin.get("/admin/users").get_data(as_text=True)
    assert "122 Personen gefunden" in html and "Seite 1 von 3" in html
    assert "Anton Admin" in html and "Person 048" in html and "Person 049" not in html
    page3 = admin.get("/admin/users?page=3").get_data(as_text=True)
    assert "Zoë" in page3 and "Vorige Seite" in page3 and "Nächste Seite" not in page3
    assert "1 Person gefunden" in admin.get("/admin/users?q=person+007").get_data(as_text=True)
    assert "Person 007" in admin.get("/admin/users?q=P7@LINDENAU").get_data(as_text=True)
    assert "Person 042" in admin.get("/admin/users?q=pn042").get_data(as_text=True)
    # LIKE wildcards are searched literally
    assert "1 Person gefunden" in admin.get("/admin/users?q=100%25_").get_data(as_text=True)
    assert "0 Personen gefunden" in admin.get("/admin/users?q=%25%25x").get_data(as_text=True)
    # a unit with its sub-units
    assert "60 Personen gefunden" in admin.get(f"/admin/users?unit={unit['office']}").get_data(as_text=True)
    assert "120 Personen gefunden" in admin.get(f"/admin/users?unit={unit['city']}").get_data(as_text=True)
    assert admin.get("/admin/users?page=999&unit=abc&status=weird").status_code == 200


def test_profile_changes_exactly_the_form_fields_and_is_audited(
    admin, make_user, db_session, unit, post_form
):
    user = make_user(("learner",), email="lea@example.org", name="Lea", personnel_number="4711")
    before = fresh(db_session, user.id)
    version, hash_ = before.session_version, before.password_hash
    response = post_form(
        admin,
        f"/admin/users/{user.id}",
        {
            "name": "Lea Lernende",
            "email": "Lea.L@Example.org",
            "org_unit": str(unit["office"]),
            "extra_time_percent": "25",
            # forged fields: none of them may change anything (C6)
            "role": "admin",
            "roles": "admin",
            "is_admin": "1",
            "is_active": "0",
            "session_version": "99",
            "personnel_number": "0001",
            "password_hash": "x",
            "id": "1",
            "is_demo": "1",
            "add_role": "admin",
        },
    )
    assert response.status_code == 303
    after = fresh(db_session, user.id)
    assert (after.name, after.email, after.org_unit_id, after.extra_time_percent) == (
        "Lea Lernende",
        "lea.l@example.org",
        unit["office"],
        25,
    )
    assert after.role_names == {"learner"} and after.is_active and not after.is_demo
    assert (after.personnel_number, after.session_version, after.password_hash) == ("4711", version, hash_)
    [event] = audit(db_session, "user.update")
    assert event.actor_id == admin.user.id and event.target == f"user:{user.id}"
    assert event.detail["fields"] == ["name", "email", "org_unit_id", "extra_time_percent"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"email": "other@example.org"}, "Ein anderes Konto nutzt diese E-Mail-Adresse bereits."),
        ({"email": "kein-at"}, "Geben Sie eine gültige E-Mail-Adresse ein"),
        ({"name": "  "}, "Geben Sie den Namen ein."),
        ({"extra_time_percent": "301"}, "Geben Sie eine ganze Zahl von 0 bis 300 ein."),
        ({"extra_time_percent": "viel"}, "Keine gültige, ganze Zahl"),
        ({"org_unit": "999999"}, "Keine gültige Auswahl"),
    ],
)
def test_bad_profile_input_is_refused_with_a_message(admin, make_user, post_form, snapshot, data, message):
    make_user(email="other@example.org")
    user = make_user(email="lea@example.org", name="Lea")
    before = snapshot()
    form = {"name": "Lea", "email": "lea@example.org", "org_unit": "", "extra_time_percent": "0", **data}
    response = post_form(admin, f"/admin/users/{user.id}", form)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert snapshot() == before


def test_roles_can_be_added_scoped_and_removed(admin, make_user, db_session, unit, post_form):
    user = make_user(("learner",), email="hr@example.org")
    url = f"/admin/users/{user.id}"
    response = post_form(
        admin, url, {"add_role": "hr", "add_scope": str(unit["office"])}, action=f"{url}/roles"
    )
    assert response.status_code == 303
    assert {(r.role, r.org_unit_id) for r in fresh(db_session, user.id).roles} == {
        ("learner", None),
        ("hr", unit["office"]),
    }
    # admins are global: a unit sent with the admin role is ignored
    post_form(admin, url, {"add_role": "admin", "add_scope": str(unit["office"])}, action=f"{url}/roles")
    learner = next(r for r in fresh(db_session, user.id).roles if r.role == "learner")
    assert ("admin", None) in {(r.role, r.org_unit_id) for r in fresh(db_session, user.id).roles}
    post_form(admin, url, {"remove": str(learner.id)}, action=f"{url}/roles")
    assert fresh(db_session, user.id).role_names == {"hr", "admin"}
    events = audit(db_session, "user.roles")
    assert len(events) == 3 and events[0].detail == {"added": [["hr", unit["office"]]], "removed": []}


def test_roles_form_refuses_foreign_grants_unknown_roles_and_self_lockout(
    admin, make_user, db_session, post_form, snapshot
):
    other = make_user(("trainer",), email="t@example.org")
    user = make_user(("learner",), email="l@example.org")
    foreign_grant = fresh(db_session, other.id).roles[0].id
    before = snapshot()
    url = f"/admin/users/{user.id}"
    assert post_form(admin, url, {"remove": str(foreign_grant)}, action=f"{url}/roles").status_code == 400
    assert post_form(admin, url, {"add_role": "superuser"}, action=f"{url}/roles").status_code == 400
    own = f"/admin/users/{admin.user.id}"
    own_grant = fresh(db_session, admin.user.id).roles[0].id
    response = post_form(admin, own, {"remove": str(own_grant)}, action=f"{own}/roles")
    assert response.status_code == 400
    assert "Sie können sich die Administrationsrolle nicht selbst nehmen" in response.get_data(as_text=True)
    assert snapshot() == before


def test_B2_deactivation_ends_sessions_at_once_and_reactivation_allows_login(
    app, admin, make_user, login, post_form, db_session
):
    user = make_user(("learner",), email="lea@example.org")
    learner = app.test_client()
    login(learner, "lea@example.org")
    assert learner.get("/").status_code == 200
    captured = learner.get_cookie(SESSION_COOKIE).value
    response = post_form(admin, f"/admin/users/{user.id}", {}, action=f"/admin/users/{user.id}/deactivate")
    assert response.status_code == 303
    assert learner.get("/").headers["Location"].startswith("/login")
    replay = app.test_client()
    replay.set_cookie(SESSION_COOKIE, captured)
    assert replay.get("/").status_code == 302
    assert login(app.test_client(), "lea@example.org").status_code == 200  # refused: form again
    assert not fresh(db_session, user.id).is_active
    assert [e.target for e in audit(db_session, "user.deactivate")] == [f"user:{user.id}"]
    html = admin.get("/admin/users?status=inactive").get_data(as_text=True)
    assert "1 Person gefunden" in html and "deaktiviert" in html
    post_form(admin, f"/admin/users/{user.id}", {}, action=f"/admin/users/{user.id}/reactivate")
    assert login(app.test_client(), "lea@example.org").status_code == 302
    assert len(audit(db_session, "user.reactivate")) == 1


def test_an_admin_cannot_deactivate_themselves(admin, post_form, db_session):
    url = f"/admin/users/{admin.user.id}"
    response = post_form(admin, url, {}, action=f"{url}/deactivate")
    assert response.status_code == 409
    assert fresh(db_session, admin.user.id).is_active
    assert admin.get("/admin/").status_code == 200


def test_admin_sets_a_password_for_an_imported_user(app, admin, db_session, login, post_form):
    db_session.add(
        User(
            name="Neu Importiert",
            email="neu@example.org",
            personnel_number="9",
            roles=[UserRole(role="learner")],
        )
    )
    db_session.commit()
    user_id = db_session.scalar(select(User.id).where(User.personnel_number == "9"))
    page = admin.get(f"/admin/users/{user_id}").get_data(as_text=True)
    assert "nicht gesetzt" in page
    assert login(app.test_client(), "neu@example.org", password="").status_code == 200
    url = f"/admin/users/{user_id}"
    weak = post_form(admin, url, {"password": "kurz"}, action=f"{url}/password")
    assert weak.status_code == 400 and "mindestens 12 Zeichen" in weak.get_data(as_text=True)
    response = post_form(admin, url, {"password": "ein langes gutes Passwort"}, action=f"{url}/password")
    assert response.status_code == 303
    assert (
        login(app.test_client(), "neu@example.org", password="ein langes gutes Passwort").status_code == 302
    )
    [event] = audit(db_session, "password.set")
    assert event.actor_id == admin.user.id and "Passwort" not in str(event.detail)


def test_missing_users_and_units_are_404(admin, csrf_token):
    assert admin.get("/admin/users/424242").status_code == 404
    token = csrf_token(admin, "/admin/")
    assert admin.post("/admin/users/424242/deactivate", data={"csrf_token": token}).status_code == 404


def admin_post_routes(app):
    return sorted(
        r.rule
        for r in app.url_map.iter_rules()
        if r.endpoint.startswith("admin.") and "POST" in (r.methods or ())
    )


def test_E1_every_admin_post_needs_the_csrf_token(app, admin, make_user, unit, snapshot):
    user = make_user(("learner",), email="lea@example.org")
    before = snapshot()
    routes = admin_post_routes(app)
    # 12th: /admin/users/<id>/unblock; 13th-15th: LTI platforms, registration link; 16th-17th: deliveries
    assert len(routes) == 17
    for rule in routes:
        path = rule.replace("<int:user_id>", str(user.id)).replace("<int:unit_id>", str(unit["other"]))
        path = path.replace("<int:platform_id>", "1").replace("<int:delivery_id>", "1")
        response = admin.post(
            path,
            data={
                "name": "x",
                "email": "x@example.org",
                "password": "a long password 123",
                "add_role": "admin",
                "parent": "",
                "extra_time_percent": "1",
            },
        )
        assert response.status_code == 400, path
        assert "Das Formular ist abgelaufen" in response.get_data(as_text=True)
    assert snapshot() == before


def test_the_user_page_shows_where_an_account_comes_from(admin, db_session):
    from lernmodul.db.models import utcnow
    from lernmodul.identity import Identity, sign_in

    linked = sign_in(db_session, Identity(kind="ldap", issuer="ldap:dc=lindenau,dc=example",
                                          subject="e-7", email="o.celik@lindenau.example",
                                          name="Ömer Çelik"), now=utcnow()).user
    db_session.commit()
    page = admin.get(f"/admin/users/{linked.id}").get_data(as_text=True)
    assert "Herkunft" in page and "Verzeichnis (LDAP): ldap:dc=lindenau,dc=example" in page
    own = admin.get(f"/admin/users/{admin.user.id}").get_data(as_text=True)
    assert "diese Lernplattform (hier angelegt oder per Datei importiert)" in own
