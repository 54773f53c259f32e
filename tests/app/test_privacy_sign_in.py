"""The privacy notice says what sign-in through the directory, OpenID Connect and SAML stores,
and what it does not, in German and English; and what it says matches the tables: if a column
is added to the identity link or the SAML replay table, this test asks for the notice too."""

from __future__ import annotations

import html as html_lib

from lernmodul.db.identities import ExternalIdentity, SamlSeenMessage


def page(client, language=None):
    if language:
        client.set_cookie("lernmodul_lang", language)
    response = client.get("/privacy")
    assert response.status_code == 200
    return " ".join(html_lib.unescape(response.get_data(as_text=True)).split())


def test_the_notice_names_what_sign_in_stores_in_german(client):
    text = page(client)
    assert "Identitätsanbieter der Behörde anmelden (OpenID Connect oder SAML 2.0)" in text
    for stored in ("Ihr Name, Ihre E-Mail-Adresse, Personalnummer, Organisationseinheit und die Rollen",
                   "den Anbieter (Aussteller), Ihre Kennung dort (Subject bzw. NameID)",
                   "den Zeitpunkt der ersten und der letzten Anmeldung", "steht im Audit-Protokoll"):
        assert stored in text
    for not_stored in ("die Tokens (ID-, Access- und Refresh-Token) und die SAML-Assertions selbst",
                       "die Liste Ihrer Gruppen",
                       "kein Passwort des Identitätsanbieters oder des Verzeichnisses",
                       "nur die Kennungen der Antwort und der Assertion bis zu ihrem Ablauf"):
        assert not_stored in text
    assert "Wenn Ihr Konto aus dem Verzeichnis der Behörde stammt (LDAP oder Active Directory)" in text


def test_the_notice_names_what_sign_in_stores_in_english(client):
    text = page(client, "en")
    assert "If you sign in through the authority's identity provider (OpenID Connect or SAML 2.0)" in text
    for phrase in ("your name, e-mail address, personnel number, organisational unit and the roles",
                   "the provider (issuer), your identifier there (subject or NameID)",
                   "the time of the first and of the last sign-in",
                   "Not stored: the tokens (ID, access and refresh token) and the SAML assertions themselves",
                   "the list of your groups", "no password of the identity provider or the directory",
                   "only the identifiers of the response and of the assertion are kept until they expire",
                   "your browser's session cookie holds the ID token (OpenID Connect) or your NameID and "
                   "session index (SAML) until you sign out"):
        assert phrase in text
    assert "never your directory password" in text


def test_the_tables_hold_no_more_than_the_notice_says():
    link = {column.name for column in ExternalIdentity.__table__.columns}
    # kind of sign-in, issuer, subject, first (created_at) and last sign-in; no token, no claims
    assert link == {"id", "user_id", "kind", "issuer", "subject", "created_at", "last_seen_at"}
    assert {column.name for column in SamlSeenMessage.__table__.columns} == {"message_id", "expires_at"}
