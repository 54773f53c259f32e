"""SAML sign-in against a real SimpleSAMLphp IdP, with real signed responses: the account is
created just in time, and every forged, foreign, expired or replayed response is refused with
a clear page, a 4xx, a security event and nothing written."""

from __future__ import annotations

import base64
import datetime
import logging
import re
import urllib.error
import urllib.request

import pytest
from sqlalchemy import func, select

from lernmodul.db import ExternalIdentity, SamlSeenMessage, User
from lernmodul.services.org_units import unit_path

ISSUER_SUFFIX = "/saml2/idp/metadata.php"


def post_response(client, posted, **changes):
    return client.post("/saml/acs", data={**posted.fields, **changes})


def count(app, model):
    from lernmodul.web.database import get_database

    with get_database(app).sessions() as session:
        return session.scalar(select(func.count()).select_from(model))


def refused(response, caplog, text):
    body = response.get_data(as_text=True)
    assert 400 <= response.status_code < 500, (response.status_code, body[:500])
    assert "Anmeldung nicht möglich" in body
    assert text in body
    assert any("saml.refused" in r.getMessage() for r in caplog.records)


def test_the_metadata_names_the_entity_acs_logout_and_signing_key(saml_app, sp_keys):
    response = saml_app.test_client().get("/saml/metadata")
    assert response.status_code == 200
    assert response.mimetype == "application/samlmetadata+xml"
    xml = response.get_data(as_text=True)
    assert 'entityID="https://lernen.example.de/saml/metadata"' in xml
    assert 'Location="https://lernen.example.de/saml/acs"' in xml
    assert 'Location="https://lernen.example.de/saml/logout"' in xml
    assert 'WantAssertionsSigned="true"' in xml and 'AuthnRequestsSigned="true"' in xml
    body = "".join(line for line in sp_keys.cert_pem.splitlines() if "-----" not in line)
    assert body in xml.replace("\n", "")


def test_without_saml_settings_the_routes_are_404_and_the_login_page_has_no_button(app):
    client = app.test_client()
    assert client.get("/saml/metadata").status_code == 404
    assert client.get("/saml/login").status_code == 404
    assert "Anmelden mit" not in client.get("/login").get_data(as_text=True)


def test_sign_in_creates_the_account_with_unit_and_roles(saml_app, signed_response, idp):
    client = saml_app.test_client()
    assert "Anmelden mit Stadt Lindenau" in client.get("/login").get_data(as_text=True)
    posted = signed_response(client, next_url="/certificates")
    assert posted.action == "https://lernen.example.de/saml/acs"
    response = post_response(client, posted)
    assert response.status_code == 302, response.get_data(as_text=True)
    assert response.headers["Location"] == "/certificates"
    assert client.get("/").status_code in (200, 302)
    from lernmodul.web.database import get_database

    with get_database(saml_app).sessions() as session:
        user = session.scalars(select(User)).one()
        assert (user.email, user.name, user.personnel_number) == (
            "j.weiss@lindenau.example", "Jürgen Weiß", "4711")
        assert unit_path(session, user.org_unit_id) == "Stadt Lindenau / Dezernat II / Bürgeramt"
        assert sorted((g.role, g.org_unit_id) for g in user.roles) == [
            ("hr", user.org_unit_id), ("learner", None)]
        link = session.scalars(select(ExternalIdentity)).one()
        assert (link.kind, link.issuer, link.subject) == ("saml", idp.entity_id, "jweiss")
        assert session.scalar(select(func.count()).select_from(SamlSeenMessage)) == 2
    page = client.get("/hr/", follow_redirects=True)
    assert page.status_code == 200


def test_a_second_sign_in_finds_the_same_account(saml_app, signed_response):
    first = saml_app.test_client()
    assert post_response(first, signed_response(first)).status_code == 302
    second = saml_app.test_client()
    assert post_response(second, signed_response(second)).status_code == 302
    assert count(saml_app, User) == 1 and count(saml_app, ExternalIdentity) == 1


def _decoded(posted):
    return base64.b64decode(posted.fields["SAMLResponse"]).decode("utf-8")


def _encoded(xml):
    return base64.b64encode(xml.encode("utf-8")).decode("ascii")


def test_a_tampered_attribute_breaks_the_signature(saml_app, signed_response, caplog):
    client = saml_app.test_client()
    posted = signed_response(client, user="aoezdemir")
    xml = _decoded(posted)
    assert "Kämmerei" in xml
    forged = xml.replace("Stadt Lindenau/Kämmerei", "Stadt Lindenau/Dezernat II/Bürgeramt")
    assert forged != xml
    with caplog.at_level(logging.INFO, logger="lernmodul.security"):
        response = post_response(client, posted, SAMLResponse=_encoded(forged))
    refused(response, caplog, "keine gültige Signatur")
    assert count(saml_app, User) == 0 and count(saml_app, SamlSeenMessage) == 0


def test_a_response_without_signatures_is_refused(saml_app, signed_response, caplog):
    client = saml_app.test_client()
    posted = signed_response(client)
    stripped = re.sub(r"<ds:Signature.*?</ds:Signature>", "", _decoded(posted), flags=re.S)
    assert "Signature" not in stripped
    with caplog.at_level(logging.INFO, logger="lernmodul.security"):
        response = post_response(client, posted, SAMLResponse=_encoded(stripped))
    refused(response, caplog, "nicht vom Identitätsanbieter signiert")
    assert count(saml_app, User) == 0


def test_a_response_for_another_audience_is_refused(saml_app, idp, sp_keys, caplog):
    """The IdP's real answer to another SP (same ACS address, other entity id)."""
    from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
    from saml2.client import Saml2Client
    from saml2.config import SPConfig
    from simplesamlphp import OTHER_ENTITY, USERS, idp_sign_in

    from lernmodul.identity.saml import load_idp_metadata
    from lernmodul.web.saml.views import REQUEST_COOKIE, request_cookie_value

    config = SPConfig()
    config.load({"entityid": OTHER_ENTITY, "key_file": str(sp_keys.key_file),
                 "cert_file": str(sp_keys.cert_file),
                 "metadata": {"inline": [load_idp_metadata(idp.metadata_url)]},
                 "service": {"sp": {"endpoints": {"assertion_consumer_service": [
                     ("https://lernen.example.de/saml/acs", BINDING_HTTP_POST)]},
                     "authn_requests_signed": True}}})
    other = Saml2Client(config=config)
    request_id, info = other.prepare_for_authenticate(entityid=idp.entity_id,
                                                      binding=BINDING_HTTP_REDIRECT, sign=True)
    location = dict(info["headers"])["Location"]
    posted = idp_sign_in(location, "jweiss", USERS["jweiss"]["password"])
    assert OTHER_ENTITY in _decoded(posted)
    client = saml_app.test_client()
    with saml_app.test_request_context():
        # the browser carries the id of the request the response answers
        client.set_cookie(REQUEST_COOKIE, request_cookie_value(request_id, None),
                          domain="localhost", path="/saml")
    with caplog.at_level(logging.INFO, logger="lernmodul.security"):
        response = post_response(client, posted)
    refused(response, caplog, "für einen anderen Dienst ausgestellt")
    assert count(saml_app, User) == 0


def test_an_expired_assertion_is_refused(saml_app, signed_response, caplog):
    from freezegun import freeze_time

    client = saml_app.test_client()
    posted = signed_response(client)
    later = datetime.datetime.now(datetime.UTC) + datetime.timedelta(minutes=8)
    with freeze_time(later, tick=True), caplog.at_level(logging.INFO, logger="lernmodul.security"):
        response = post_response(client, posted)
    refused(response, caplog, "abgelaufen")
    assert count(saml_app, User) == 0 and count(saml_app, SamlSeenMessage) == 0


def test_a_response_to_a_request_of_another_browser_is_refused(saml_app, signed_response, caplog):
    posted = signed_response(saml_app.test_client())
    with caplog.at_level(logging.INFO, logger="lernmodul.security"):
        response = post_response(saml_app.test_client(), posted)
    refused(response, caplog, "nicht in diesem Browser begonnen")
    assert count(saml_app, User) == 0


def test_a_replayed_response_is_refused(saml_app, signed_response, caplog):
    client = saml_app.test_client()
    posted = signed_response(client)
    cookie = client.get_cookie("lernmodul_saml_request", path="/saml")
    assert post_response(client, posted).status_code == 302
    attacker = saml_app.test_client()
    attacker.set_cookie(cookie.key, cookie.value, domain="localhost", path="/saml")
    with caplog.at_level(logging.INFO, logger="lernmodul.security"):
        response = post_response(attacker, posted)
    refused(response, caplog, "bereits verwendet")
    assert count(saml_app, User) == 1


def test_a_replay_is_refused_by_another_instance_on_the_same_database(
        saml_app, make_app, saml_config, signed_response, caplog):
    worker_a, worker_b = saml_app, make_app(**saml_config)
    client = worker_a.test_client()
    posted = signed_response(client)
    cookie = client.get_cookie("lernmodul_saml_request", path="/saml")
    other = worker_b.test_client()
    other.set_cookie(cookie.key, cookie.value, domain="localhost", path="/saml")
    assert post_response(client, posted).status_code == 302
    with caplog.at_level(logging.INFO, logger="lernmodul.security"):
        response = post_response(other, posted)
    refused(response, caplog, "bereits verwendet")
    assert count(worker_b, User) == 1


def test_with_account_creation_off_nobody_new_gets_in(make_app, saml_config, signed_response, caplog):
    app = make_app(**saml_config, SAML_CREATE_ACCOUNTS=False)
    client = app.test_client()
    with caplog.at_level(logging.INFO, logger="lernmodul.security"):
        response = post_response(client, signed_response(client))
    assert response.status_code == 403
    refused(response, caplog, "kein Konto")
    assert count(app, User) == 0 and count(app, SamlSeenMessage) == 0


@pytest.mark.parametrize("language", ["en"])
def test_the_error_page_speaks_english_too(saml_app, signed_response, language):
    client = saml_app.test_client()
    client.set_cookie("lernmodul_lang", language)
    posted = signed_response(saml_app.test_client())
    body = post_response(client, posted).get_data(as_text=True)
    assert "Sign-in not possible" in body and "not started in this browser" in body


def test_the_same_response_posted_at_once_to_two_instances_signs_in_once(
        saml_app, make_app, saml_config, signed_response):
    import threading

    apps = [saml_app, make_app(**saml_config)]
    client = saml_app.test_client()
    posted = signed_response(client)
    cookie = client.get_cookie("lernmodul_saml_request", path="/saml")
    clients = []
    for app in apps:
        each = app.test_client()
        each.set_cookie(cookie.key, cookie.value, domain="localhost", path="/saml")
        clients.append(each)
    start, statuses = threading.Barrier(2), []

    def post(each):
        start.wait()
        response = post_response(each, posted)
        statuses.append((response.status_code, "bereits verwendet" in response.get_data(as_text=True)))

    threads = [threading.Thread(target=post, args=(each,)) for each in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(statuses) == [(302, False), (400, True)]
    assert count(saml_app, User) == 1 and count(saml_app, ExternalIdentity) == 1


class _StayAtHome(urllib.request.HTTPRedirectHandler):
    """Follows the IdP's redirects, but hands back those that lead to the SP."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        if newurl.startswith("https://lernen.example.de/"):
            raise urllib.error.HTTPError(newurl, code, msg, headers, fp)
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _sp_path(url):
    return url.removeprefix("https://lernen.example.de")


def test_a_logout_started_at_the_idp_ends_the_session_here(saml_app, idp, db_session):
    import http.cookiejar

    from simplesamlphp import USERS, idp_sign_in

    from conftest import start_sign_in

    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _StayAtHome())
    client = saml_app.test_client()
    posted = idp_sign_in(start_sign_in(client), "jweiss", USERS["jweiss"]["password"], opener)
    assert post_response(client, posted).status_code == 302
    assert client.get("/").status_code == 200
    # the IdP starts a logout of everything (ReturnTo: where it sends the browser at the end)
    with pytest.raises(urllib.error.HTTPError) as hop:
        opener.open(f"{idp.base_url}/saml2/idp/SingleLogoutService.php?ReturnTo={idp.base_url}/", timeout=20)
    request_url = hop.value.filename
    assert "/saml/logout?SAMLRequest=" in request_url
    # a LogoutRequest whose signature does not fit is refused, and the session stays
    forged = re.sub(r"Signature=[^&]+", "Signature=" + "A" * 40, request_url)
    assert client.get(_sp_path(forged)).status_code == 400
    assert client.get("/").status_code == 200
    answer = client.get(_sp_path(request_url))
    assert answer.status_code == 302 and answer.headers["Location"].startswith(idp.base_url)
    assert "SAMLResponse=" in answer.headers["Location"]
    assert client.get("/").status_code == 302  # signed out here
    with opener.open(answer.headers["Location"], timeout=20) as done:
        assert done.geturl().startswith(idp.base_url)
    assert db_session.scalar(select(func.count()).select_from(User)) == 1


@pytest.mark.parametrize("value", ["", "kein base64 !", base64.b64encode(b"<samlp:Response").decode(),
                                   base64.b64encode(b"\xff\xfe" * 50).decode(),
                                   base64.b64encode(b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]>'
                                                    b"<x>&a;</x>").decode()])
def test_garbage_instead_of_a_response_is_a_clear_400(saml_app, value, caplog):
    client = saml_app.test_client()
    start_sign_in_path = client.get("/saml/login")
    assert start_sign_in_path.status_code == 302
    with caplog.at_level(logging.INFO, logger="lernmodul.security"):
        response = client.post("/saml/acs", data={"SAMLResponse": value})
    refused(response, caplog, "Sie wurden nicht angemeldet")
    assert count(saml_app, User) == 0
