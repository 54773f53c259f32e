"""C1 deny by default, C2 role x route matrix (generated from url_map), D2 escaping of names."""

from __future__ import annotations

import pytest

from lernmodul.db.models import OrgUnit
from lernmodul.web.access import PUBLIC, endpoint_access

# The intended policy, written independently of the declarations in the code. A route of a
# blueprint that is not listed here fails the matrix until somebody decides who may use it.
ANYONE = "anyone"
SIGNED_IN = "signed-in"
BLUEPRINT_POLICY: dict[str, str | frozenset[str]] = {
    "public": ANYONE,
    "learner": frozenset({"learner"}),
    "trainer": frozenset({"trainer", "admin"}),
    "hr": frozenset({"hr_a", "hr_b"}),
    "admin": frozenset({"admin"}),
    # downloads: any signed-in user, then the object check (owner or admin, else 404)
    "certificates": SIGNED_IN,
    # the learner's own view of what HR sees, and the copy of their data
    "transparency": frozenset({"learner"}),
    # sign-in through the identity provider: the sign-in itself, so anyone
    "identity": ANYONE,
}
ENDPOINT_POLICY: dict[str, str | frozenset[str]] = {
    "static": ANYONE,
    "auth.login": ANYONE,
    "auth.logout": SIGNED_IN,
    "auth.change_password": SIGNED_IN,
    "password_reset.request_reset": ANYONE,
    "password_reset.reset_password": ANYONE,
    "saml.metadata": ANYONE,
    "saml.login": ANYONE,
    "saml.acs": ANYONE,
    "saml.logout": ANYONE,
    "certificates.verify": ANYONE,
    "certificates.verify_form": ANYONE,
    "certificates.public_key": ANYONE,
    "certificates.credential_context": ANYONE,
    "certificates.verify_uploaded": ANYONE,
    # LTI 1.3: the platform's login initiation and launch, the tool keys, the new-window link
    "lti.login": ANYONE,
    "lti.launch": ANYONE,
    "lti.jwks": ANYONE,
    "lti.start": ANYONE,
    # protected by a signed one-time form (deep linking) and a one-time link secret (registration)
    "lti.deep_link_submit": ANYONE,
    "lti.register": ANYONE,
    # the site address: the learner's dashboard; everyone else is sent to their own home
    "learner.dashboard": SIGNED_IN,
    "certificates.index": frozenset({"learner"}),
    "certificates.issue_pending": frozenset({"learner"}),
    "certificates.renew": frozenset({"learner"}),
    "certificates.manage": frozenset({"admin"}),
    "certificates.manage_certificate": frozenset({"admin"}),
    "certificates.revoke": frozenset({"admin"}),
    "certificates.reissue": frozenset({"admin"}),
    "hr.assignments": frozenset({"hr_a", "hr_b", "admin"}),
    "hr.create_assignment": frozenset({"hr_a", "hr_b", "admin"}),
    "hr.delete_assignment": frozenset({"hr_a", "hr_b", "admin"}),
    "hr.audit": frozenset({"admin"}),
}
PUBLIC_ALLOWLIST = {
    "static",
    "auth.login",
    "password_reset.request_reset",
    "password_reset.reset_password",
    "identity.oidc_login",
    "identity.oidc_callback",
    "public.health",
    "public.healthz",
    "public.accessibility",
    "public.privacy",
    "public.set_language",
    "certificates.verify",
    "certificates.verify_form",
    "certificates.public_key",
    "certificates.credential_context",
    "certificates.verify_uploaded",
    # SAML sign-in (404 while SAML is not configured): the metadata, the start of sign-in, the
    # IdP's post of the response and its answer to a logout
    "saml.metadata",
    "saml.login",
    "saml.acs",
    "saml.logout",
    "lti.login",
    "lti.launch",
    "lti.jwks",
    "lti.start",
    "lti.deep_link_submit",
    "lti.register",
}
PERSONAS = ["anonymous", "learner", "trainer", "hr_a", "hr_b", "admin"]
PERSONA_ROLES = {"learner": "learner", "trainer": "trainer", "admin": "admin"}


def policy_for(endpoint: str) -> str | frozenset[str]:
    if endpoint in ENDPOINT_POLICY:
        return ENDPOINT_POLICY[endpoint]
    blueprint = endpoint.rpartition(".")[0]
    assert blueprint in BLUEPRINT_POLICY, f"{endpoint}: add it to the policy table of this test"
    return BLUEPRINT_POLICY[blueprint]


def test_C1_every_endpoint_declares_its_access(app):
    undeclared = [
        rule.endpoint for rule in app.url_map.iter_rules() if endpoint_access(app, rule.endpoint) is None
    ]
    assert undeclared == []


def test_C1_public_endpoints_are_exactly_the_allowlist(app):
    public = {r.endpoint for r in app.url_map.iter_rules() if endpoint_access(app, r.endpoint) == PUBLIC}
    assert public == PUBLIC_ALLOWLIST


def test_C1_an_undeclared_route_is_denied_even_to_admins(app, make_user, login):
    app.add_url_rule("/undeclared", "undeclared", lambda: "secret")
    make_user(("admin", "learner", "trainer", "hr"), email="boss@example.org")
    client = app.test_client()
    assert client.get("/undeclared").status_code == 403
    login(client, "boss@example.org")
    response = client.get("/undeclared")
    assert response.status_code == 403
    assert "secret" not in response.get_data(as_text=True)


def _persona_client(app, persona, make_user, login, db_session):
    client = app.test_client()
    if persona == "anonymous":
        return client
    if persona.startswith("hr_"):
        unit = OrgUnit(name=f"Unit {persona[-1].upper()}")
        db_session.add(unit)
        db_session.commit()
        make_user((("hr", unit.id),), email=f"{persona}@example.org")
    else:
        make_user((PERSONA_ROLES[persona],), email=f"{persona}@example.org")
    assert login(client, f"{persona}@example.org").status_code == 302
    return client


def _request(client, route, csrf_token):
    if route.method == "GET":
        return client.get(route.path)
    return client.post(route.path, data={"csrf_token": csrf_token(client)})


@pytest.mark.parametrize("persona", PERSONAS)
def test_C2_role_route_matrix(app, route, persona, make_user, login, db_session, csrf_token):
    client = _persona_client(app, persona, make_user, login, db_session)
    response = _request(client, route, csrf_token)
    policy = policy_for(route.endpoint)
    location = response.headers.get("Location", "")
    sent_to_login = response.status_code in (301, 302, 303) and location.startswith("/login")
    if policy == ANYONE:
        allowed = True
    elif policy == SIGNED_IN:
        allowed = persona != "anonymous"
    else:
        allowed = persona in policy
    if allowed:
        assert response.status_code not in (401, 403), response.status_code
        assert not sent_to_login or route.endpoint == "auth.logout"
    elif persona == "anonymous":
        assert sent_to_login, (response.status_code, location)
    else:
        assert response.status_code == 403


XSS_NAME = '<img src=x onerror=alert(1)><script>alert("n")</script>'


def test_D2_names_are_escaped_on_every_page(app, get_route, make_user, login):
    make_user(("learner", "trainer", "hr", "admin"), email="x@example.org", name=XSS_NAME)
    client = app.test_client()
    login(client, "x@example.org")
    response = client.get(get_route.path)
    html = response.get_data(as_text=True)
    assert "<img src=x onerror" not in html
    assert '<script>alert("n")' not in html


def test_D2_the_escaped_name_is_shown(app, make_user, login):
    make_user(("learner",), email="x@example.org", name=XSS_NAME)
    client = app.test_client()
    login(client, "x@example.org")
    html = client.get("/").get_data(as_text=True)
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
