"""OpenID Connect sign-in against a real provider (oidc-provider), over HTTP like a browser
without JavaScript: the account is created just in time, every bad answer gets a 4xx error
page and writes nothing, the provider's key rotation is followed, logout ends both sessions."""

from __future__ import annotations

import logging
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from sqlalchemy import func, select

from lernmodul.db import AuditLog, ExternalIdentity, User
from lernmodul.services.org_units import unit_path
from oidc_site import USERS, form_of, sign_in_at_provider, start_sign_in


@pytest.fixture(autouse=True)
def _security_log(caplog):
    caplog.set_level(logging.INFO, logger="lernmodul.security")


def counts(db_session):
    db_session.rollback()  # a fresh read
    return (db_session.scalar(select(func.count(User.id))),
            db_session.scalar(select(func.count(ExternalIdentity.id))))


def test_first_sign_in_creates_the_account_and_signs_in(oidc_site, db_session, caplog):
    http = requests.Session()
    response = sign_in_at_provider(http, oidc_site, "jweiss")
    assert response.status_code == 200
    assert response.url.startswith(oidc_site.base) and "/login" not in response.url
    assert "Jürgen Weiß" in response.text
    user = db_session.scalars(select(User).where(User.email == "j.weiss@lindenau.example")).one()
    assert user.personnel_number == "4711" and user.password_hash is None
    assert unit_path(db_session, user.org_unit_id) == "Stadt Lindenau / Dezernat II / Bürgeramt"
    assert sorted((g.role, g.org_unit_id) for g in user.roles) == [("hr", user.org_unit_id),
                                                                     ("learner", None)]
    link = db_session.scalars(select(ExternalIdentity)).one()
    assert (link.issuer, link.subject, link.kind) == (oidc_site.provider.issuer, "jweiss", "oidc")
    assert "identity.sign_in" in db_session.scalars(select(AuditLog.action)).all()
    assert "login.success" in caplog.text and "method=oidc" in caplog.text


def test_logout_ends_the_session_here_and_at_the_provider(oidc_site):
    http = requests.Session()
    assert sign_in_at_provider(http, oidc_site, "akaya").status_code == 200
    home = http.get(f"{oidc_site.base}/", timeout=30)
    token = form_of(home, -1)[1]["csrf_token"]  # the sign-out form in the header
    response = http.post(f"{oidc_site.base}/logout", data={"csrf_token": token}, timeout=30,
                         allow_redirects=False)
    location = response.headers["Location"]
    assert location.startswith(f"{oidc_site.provider.issuer}/session/end")
    assert "id_token_hint=" in location and "post_logout_redirect_uri=" in location
    # this site's session has already ended, before the provider is asked
    assert http.get(f"{oidc_site.base}/", timeout=30, allow_redirects=False).status_code == 302
    confirm = http.get(location, timeout=30)
    action, fields = form_of(confirm)
    back = http.post(action, data={**fields, "logout": "yes"}, timeout=30)
    assert back.url.startswith(f"{oidc_site.base}/login")
    # the provider's session has ended too: signing in asks for the login again
    assert 'name="login"' in start_sign_in(http, oidc_site).text


def test_key_rotation_refetches_the_jwks(oidc_site, db_session):
    assert sign_in_at_provider(requests.Session(), oidc_site, "jweiss").status_code == 200
    new_kid = oidc_site.provider.rotate_keys()
    response = sign_in_at_provider(requests.Session(), oidc_site, "jweiss")
    assert response.status_code == 200, response.text[:500]
    assert "Jürgen Weiß" in response.text
    clients = oidc_site.app.extensions["lernmodul.oidc"]
    assert new_kid in {key.kid for client in clients.values() for key in client.key_set().keys}
    assert counts(db_session) == (1, 1)


@pytest.mark.parametrize("mode", ["audience", "expired", "nonce", "issuer", "none", "unknown_key"])
def test_a_bad_id_token_is_refused_and_writes_nothing(oidc_site, db_session, caplog, mode):
    oidc_site.provider.forge_next_id_token(mode)
    response = sign_in_at_provider(requests.Session(), oidc_site, "jweiss")
    assert response.status_code == 400
    assert "Anmeldung nicht möglich" in response.text
    assert "konnte nicht überprüft werden" in response.text
    assert counts(db_session) == (0, 0)
    expected = {"audience": "audience", "expired": "expired", "nonce": "nonce", "issuer": "issuer",
                "none": "algorithm", "unknown_key": "unknown_key"}[mode]
    assert f"oidc.refused code=id_token detail={expected}" in caplog.text


def test_a_re_signed_unaltered_token_is_accepted(oidc_site, db_session):
    """The forging itself keeps a valid token valid: the refusals above are the alterations."""
    oidc_site.provider.forge_next_id_token("valid")
    assert sign_in_at_provider(requests.Session(), oidc_site, "jweiss").status_code == 200
    assert counts(db_session) == (1, 1)


def test_the_answer_counts_once(oidc_site, db_session):
    http = requests.Session()
    redirect = sign_in_at_provider(http, oidc_site, "jweiss", stop_at_callback=True)
    callback = redirect.headers["Location"]
    before = http.cookies.copy()
    assert http.get(callback, timeout=30).status_code == 200
    again = http.get(callback, timeout=30)
    assert again.status_code == 400 and "bereits verwendet" in again.text
    # the same answer with the cookie from before it was used: the provider redeems a code once
    replay = requests.Session()
    replay.cookies.update(before)
    refused = replay.get(callback, timeout=30)
    assert refused.status_code == 400 and "konnte nicht überprüft werden" in refused.text
    assert counts(db_session) == (1, 1)


def test_an_answer_without_a_pending_sign_in_is_refused(oidc_site, db_session):
    response = requests.get(f"{oidc_site.base}/oidc/callback", params={"code": "x", "state": "y"},
                            timeout=30)
    assert response.status_code == 400 and "bereits verwendet" in response.text
    assert counts(db_session) == (0, 0)


def test_cancelling_at_the_provider_is_a_clear_refusal(oidc_site, db_session):
    http = requests.Session()
    login_page = start_sign_in(http, oidc_site)
    abort = login_page.text.split('href="', 2)
    abort_url = next(part.split('"', 1)[0] for part in abort if "/abort" in part.split('"', 1)[0])
    response = http.get(requests.compat.urljoin(login_page.url, abort_url), timeout=30)
    assert response.url.startswith(f"{oidc_site.base}/oidc/callback")
    assert response.status_code == 400
    assert "abgebrochen oder abgelehnt" in response.text
    assert counts(db_session) == (0, 0)


def test_a_provider_that_is_not_the_configured_issuer_is_refused(oidc_site, db_session):
    # the same provider under another name: its discovery names another issuer
    oidc_site.app.config["OIDC_ISSUER"] = oidc_site.provider.issuer.replace("127.0.0.1", "localhost")
    http = requests.Session()
    page = http.get(f"{oidc_site.base}/login", timeout=30)
    token = form_of(page)[1]["csrf_token"]
    response = http.post(f"{oidc_site.base}/oidc/login", data={"csrf_token": token}, timeout=30)
    assert response.status_code == 400 and "konnte nicht überprüft werden" in response.text
    assert counts(db_session) == (0, 0)


def test_an_existing_address_without_the_personnel_number_is_not_taken_over(oidc_site, make_user,
                                                                             db_session):
    make_user(("admin",), email=USERS["jweiss"]["email"])
    before = counts(db_session)
    response = sign_in_at_provider(requests.Session(), oidc_site, "jweiss")
    assert response.status_code == 403
    assert "nicht mit Ihrem Konto" in response.text
    assert counts(db_session) == before


def test_a_deactivated_account_cannot_sign_in(oidc_site, db_session, sessions):
    assert sign_in_at_provider(requests.Session(), oidc_site, "akaya").status_code == 200
    with sessions() as session:
        session.execute(User.__table__.update().values(is_active=False))
        session.commit()
    response = sign_in_at_provider(requests.Session(), oidc_site, "akaya")
    assert response.status_code == 403 and "deaktiviert" in response.text


def test_no_account_is_created_when_creation_is_off(oidc_site, db_session):
    oidc_site.app.config["OIDC_CREATE_ACCOUNTS"] = False
    response = sign_in_at_provider(requests.Session(), oidc_site, "jweiss")
    assert response.status_code == 403
    assert counts(db_session) == (0, 0)


def test_the_authorization_request_uses_pkce_s256_state_and_nonce(oidc_site):
    http = requests.Session()
    page = http.get(f"{oidc_site.base}/login", timeout=30)
    response = http.post(f"{oidc_site.base}/oidc/login", data={"csrf_token": form_of(page)[1]["csrf_token"]},
                         timeout=30, allow_redirects=False)
    assert response.status_code == 303
    query = parse_qs(urlsplit(response.headers["Location"]).query)
    assert query["code_challenge_method"] == ["S256"] and len(query["code_challenge"][0]) == 43
    assert query["response_type"] == ["code"] and "openid" in query["scope"][0].split()
    assert len(query["state"][0]) >= 32 and len(query["nonce"][0]) >= 32
    assert query["redirect_uri"] == [f"{oidc_site.base}/oidc/callback"]
