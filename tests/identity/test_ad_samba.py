"""The Active Directory preset against a real Samba AD DC (ad_tree.py), on SQLite and PostgreSQL.

`lernmodul directory sync` with LDAP_PRESET = "ad" over LDAPS (the DC's certificate from a test
CA): people created with unit (their OU path) and roles (memberOf), objectGUID as the stable
key, the built-in and disabled accounts left out, several pages read, a second run changes
nothing; moved, renamed, disabled (userAccountControl 514) and deleted people follow. Sign-in
with the directory password over LDAPS (the sync also over StartTLS); a disabled account is
refused with its own message (AD's "data 533", which comes only with the right password), and
so are an expired account (701) and a password to be changed (773); a simple bind without TLS
is refused by Samba (strongerAuthRequired) and lernmodul says so and what to configure.

The domain lives for the module (per backend); the test that changes the directory is last."""

from __future__ import annotations

import inspect
import logging
import uuid

import pytest
from click.testing import CliRunner
from ldap3 import MODIFY_REPLACE, SUBTREE, Connection
from sqlalchemy import func, select

from lernmodul.cli import main
from lernmodul.db import AuditLog, ExternalIdentity, User
from lernmodul.db.models import LoginThrottle, utcnow
from lernmodul.identity.ldap import DirectoryError, DirectorySettings
from lernmodul.identity.ldap.client import (
    PasswordCheck,
    TransportSecurityRequired,
    ad_reason,
    check_password,
)
from lernmodul.identity.ldap.login import DirectoryLogin, authenticate_with_directory
from lernmodul.identity.ldap.sync import sync_directory
from lernmodul.services.login_throttle import ThrottleLimits
from lernmodul.services.org_units import unit_path

from .ad_tree import (
    BAER,
    BASE,
    BRAUN,
    KAEMMEREI,
    MUELLER,
    NO_MAIL,
    OEZDEMIR,
    PASSWORD,
    SCHAEFER,
    SERVICE_DN,
    STAFF,
    WEISS,
    ad_config,
    running_samba,
    staff,
)
from .conftest import make_ca

ISSUER = f"ldap:{BASE}"
CREATED = STAFF + 5  # Weiß, Özdemir, Müller, Schäfer, Bär; not Braun (disabled), König (no e-mail)
WRONG = "Winter-Regen-2025"


@pytest.fixture(scope="module")
def samba(backend, tmp_path_factory):
    """The domain controller, new for each database backend (its tests run one after another)."""
    with running_samba(tmp_path_factory.mktemp("samba")) as dc:
        yield dc


@pytest.fixture
def cli(monkeypatch, tmp_path, database_url, samba):
    monkeypatch.setenv("LERNMODUL_DATABASE_URL", database_url)
    monkeypatch.setenv("LERNMODUL_INSTANCE_PATH", str(tmp_path / "cli-instance"))
    monkeypatch.delenv("LERNMODUL_ENV", raising=False)
    config = ad_config(samba, LDAP_GROUP_ROLES='{"lm-hr": "hr", "lm-trainer": "trainer"}')
    for key, value in config.items():  # as an operator sets them: LERNMODUL_LDAP_* strings
        monkeypatch.setenv(f"LERNMODUL_{key}", str(value))

    def invoke(*arguments):
        return CliRunner().invoke(main, ["directory", "sync", *arguments])

    return invoke


def people(session):
    session.rollback()  # a new read transaction sees what the command committed
    return {u.email: u for u in session.scalars(select(User))}


def count(session, model):
    session.rollback()
    return session.scalar(select(func.count()).select_from(model))


def guids(dc):
    """objectGUID of every person as the server sends it: DN (casefolded) -> UUID string."""
    connection = dc.admin()
    try:
        found = connection.extend.standard.paged_search(
            BASE, "(&(objectCategory=person)(objectClass=user))", search_scope=SUBTREE,
            attributes=["objectGUID"], paged_size=100, generator=False)
        return {e["dn"].casefold(): str(uuid.UUID(bytes_le=e["raw_attributes"]["objectGUID"][0]))
                for e in found if e.get("type") == "searchResEntry"}
    finally:
        connection.unbind()


def test_sync_with_the_ad_preset_and_a_second_run_changes_nothing(cli, samba, app, db_session, make_user,
                                                                  monkeypatch):
    local = make_user(email="admin@lindenau.example", name="Anna Admin", roles=("admin",))
    pages = []  # the page size of every search request the sync sends (a spy, not a stand-in)
    search = Connection.search
    signature = inspect.signature(search)

    def counted(self, *args, **kwargs):
        pages.append(signature.bind(self, *args, **kwargs).arguments.get("paged_size"))
        return search(self, *args, **kwargs)

    monkeypatch.setattr(Connection, "search", counted)
    dry = cli("--dry-run")
    assert dry.exit_code == 0, dry.output
    assert f"{CREATED} would be created, 0 would be updated, 0 would be deactivated" in dry.output
    assert count(db_session, User) == 1 and count(db_session, ExternalIdentity) == 0

    first = cli()
    assert first.exit_code == 0, first.output
    assert f"{CREATED} created, 0 updated, 0 deactivated" in first.output
    # more people than one page of LDAP_PAGE_SIZE = 50: every page was read
    assert f"created: {staff(STAFF).dn} <{staff(STAFF).mail}>" in first.output
    assert pages.count(50) == 6  # 128 persons in 3 pages of 50, in the dry run and in this run
    # reported by DN: the person without e-mail and the service account; the built-in accounts
    # (Administrator, Guest, krbtgt: critical system objects) are not persons of the preset
    skipped = sorted(line for line in first.output.splitlines() if line.startswith("skipped:"))
    assert skipped == [f"skipped: {NO_MAIL.dn}: missing_claim (mail)",
                       f"skipped: {SERVICE_DN}: missing_claim (mail)"]
    assert "Administrator" not in first.output and "krbtgt" not in first.output

    found = people(db_session)
    assert len(found) == CREATED + 1 and BRAUN.mail not in found  # disabled: not created
    weiss, mueller, schaefer, oezdemir = (found[p.mail] for p in (WEISS, MUELLER, SCHAEFER, OEZDEMIR))
    assert (weiss.name, weiss.personnel_number) == ("Jürgen Weiß", "4711")  # displayName before cn
    assert oezdemir.name == "Ayşe Özdemir"  # no displayName: cn
    assert schaefer.name == "Lukas Schäfer" and schaefer.personnel_number is None
    assert unit_path(db_session, weiss.org_unit_id) == "Stadtverwaltung / Dezernat II / Bürgeramt"
    assert unit_path(db_session, mueller.org_unit_id) == "Stadtverwaltung / Dezernat I / Kämmerei"
    assert unit_path(db_session, found[staff(7).mail].org_unit_id) == (
        "Stadtverwaltung / Dezernat II / Standesamt")
    assert sorted((g.role, g.org_unit_id) for g in mueller.roles) == [("hr", mueller.org_unit_id),
                                                                      ("learner", None)]
    assert {g.role for g in weiss.roles} == {"learner", "trainer"}
    assert {g.role for g in schaefer.roles} == {"learner"}
    assert weiss.password_hash is None

    # the key is (issuer, objectGUID): the binary GUID as the UUID AD tools show
    by_user = {link.user_id: link for link in db_session.scalars(select(ExternalIdentity))}
    assert {link.issuer for link in by_user.values()} == {ISSUER} and len(by_user) == CREATED
    server_guids = guids(samba)
    assert by_user[weiss.id].subject == server_guids[WEISS.dn.casefold()]
    assert by_user[mueller.id].subject == server_guids[MUELLER.dn.casefold()]

    audit_rows = count(db_session, AuditLog)
    again = cli()
    assert again.exit_code == 0, again.output
    assert again.output.strip().endswith("0 created, 0 updated, 0 deactivated")
    assert f"{CREATED} unchanged" in again.output
    assert count(db_session, AuditLog) == audit_rows
    assert people(db_session)["admin@lindenau.example"].id == local.id


def test_a_simple_bind_without_tls_is_refused_by_the_dc_and_reported(cli, monkeypatch, samba, db_session,
                                                                     app):
    monkeypatch.setenv("LERNMODUL_LDAP_URL", samba.ldap_url)  # plain LDAP on 389
    monkeypatch.delenv("LERNMODUL_LDAP_CA_FILE")
    result = cli()
    assert result.exit_code == 1
    assert "nothing changed" in result.output
    assert "refuses a simple bind without TLS" in result.output
    assert "strongerAuthRequired" in result.output and "Transport encryption required" in result.output
    assert "use an ldaps:// URL in LDAP_URL or set LDAP_START_TLS = true" in result.output
    assert count(db_session, User) == 0
    settings = DirectorySettings.from_config(ad_config(samba, LDAP_URL=samba.ldap_url))
    with pytest.raises(TransportSecurityRequired):
        sync_directory(db_session, settings, now=utcnow())


def test_start_tls_and_the_certificate_is_verified(samba, db_session, app, tmp_path):
    settings = DirectorySettings.from_config(ad_config(samba, LDAP_URL=samba.ldap_url, LDAP_START_TLS=True))
    assert len(sync_directory(db_session, settings, now=utcnow()).report.created) == CREATED
    db_session.rollback()
    other = make_ca(tmp_path / "other-ca", "Fremde CA", address=samba.address)
    for url in (samba.ldaps_url, samba.ldap_url):
        untrusted = DirectorySettings.from_config(ad_config(samba, LDAP_URL=url, LDAP_CA_FILE=str(other.ca),
                                                            LDAP_START_TLS=url.startswith("ldap:")))
        with pytest.raises(DirectoryError):
            sync_directory(db_session, untrusted, now=utcnow())
    wrong = DirectorySettings.from_config(ad_config(samba, LDAP_BIND_PASSWORD="falsch"))
    with pytest.raises(DirectoryError, match="invalidCredentials"):
        sync_directory(db_session, wrong, now=utcnow())


@pytest.fixture
def ad_app(make_app, samba):
    return make_app(LDAP_BIND_LOGIN=True, **ad_config(samba))


def failures(session):
    session.rollback()
    return {row.key: row.failures for row in session.scalars(select(LoginThrottle))}


def test_sign_in_with_the_directory_password_over_ldaps(ad_app, login, db_session):
    client = ad_app.test_client()
    response = login(client, WEISS.mail, PASSWORD)
    assert response.status_code in (302, 303), response.get_data(as_text=True)
    db_session.rollback()
    user = db_session.scalars(select(User).where(User.email == WEISS.mail)).one()
    assert user.name == "Jürgen Weiß" and {g.role for g in user.roles} == {"learner", "trainer"}
    assert unit_path(db_session, user.org_unit_id) == "Stadtverwaltung / Dezernat II / Bürgeramt"
    link = db_session.scalars(select(ExternalIdentity).where(ExternalIdentity.user_id == user.id)).one()
    assert (link.issuer, len(link.subject)) == (ISSUER, 36)
    # by personnel number, and by the Windows logon name (sAMAccountName)
    assert login(ad_app.test_client(), "4713", PASSWORD).status_code in (302, 303)
    assert login(ad_app.test_client(), SCHAEFER.sam, PASSWORD).status_code in (302, 303)
    wrong = login(ad_app.test_client(), OEZDEMIR.mail, WRONG)
    assert wrong.status_code == 200
    assert "nicht korrekt" in wrong.get_data(as_text=True)
    assert failures(db_session)[f"account:{OEZDEMIR.mail}"] == 1


def test_a_disabled_account_is_refused_with_a_clear_message(ad_app, login, db_session, samba, caplog):
    caplog.set_level(logging.INFO, logger="lernmodul.security")
    response = login(ad_app.test_client(), BRAUN.mail, PASSWORD)
    assert response.status_code == 403
    page = response.get_data(as_text=True)
    assert "Ihr Konto ist im Verzeichnis gesperrt" in page
    assert "login.refused" in caplog.text and "reason=disabled" in caplog.text
    # the same with a wrong password says only "not correct": no hint for a guesser
    guess = login(ad_app.test_client(), BRAUN.mail, WRONG)
    assert guess.status_code == 200 and "gesperrt" not in guess.get_data(as_text=True)
    assert failures(db_session)[f"account:{BRAUN.mail}"] == 2  # both count
    assert db_session.scalars(select(User).where(User.email == BRAUN.mail)).first() is None
    english = ad_app.test_client()
    english.set_cookie("lernmodul_lang", "en")
    assert "Your account is disabled in the directory" in login(english, BRAUN.mail, PASSWORD).get_data(
        as_text=True)


def test_the_dc_says_why_it_refuses_a_bind(samba, session):
    """AD's reason in the bind error: data 533 only with the right password, else 52e."""
    settings = DirectorySettings.from_config(ad_config(samba))
    assert check_password(settings, BRAUN.dn, PASSWORD) is PasswordCheck.DISABLED
    assert check_password(settings, BRAUN.dn, WRONG) is PasswordCheck.WRONG
    assert check_password(settings, WEISS.dn, PASSWORD) is PasswordCheck.RIGHT
    assert check_password(settings, WEISS.dn, "") is PasswordCheck.WRONG  # never an anonymous bind
    plain = DirectorySettings.from_config(ad_config(samba, LDAP_URL=samba.ldap_url))
    with pytest.raises(TransportSecurityRequired):
        check_password(plain, WEISS.dn, PASSWORD)
    limits = ThrottleLimits()
    result = authenticate_with_directory(session, settings, login=BRAUN.sam, password=PASSWORD, ip="10.0.0.9",
                                         now=utcnow(), limits=limits)
    assert result is not None and result.outcome is DirectoryLogin.DISABLED


def test_sign_in_without_tls_is_a_503_and_logged(make_app, samba, login, caplog):
    caplog.set_level(logging.INFO, logger="lernmodul.security")
    plain = make_app(LDAP_BIND_LOGIN=True, **ad_config(samba, LDAP_URL=samba.ldap_url))
    response = login(plain.test_client(), WEISS.mail, PASSWORD)
    assert response.status_code == 503
    assert "login.directory_unavailable" in caplog.text and "refuses a simple bind without TLS" in caplog.text


def test_an_expired_password_or_account_is_named_after_the_right_password(ad_app, login, samba, session):
    must_change, expired = staff(50), staff(51)
    connection = samba.admin()
    try:
        connection.modify(must_change.dn, {"pwdLastSet": [(MODIFY_REPLACE, ["0"])]})  # change at next logon
        connection.modify(expired.dn, {"accountExpires": [(MODIFY_REPLACE, ["116444736000000000"])]})  # 1970
    finally:
        connection.unbind()
    settings = DirectorySettings.from_config(ad_config(samba))
    assert check_password(settings, must_change.dn, PASSWORD) is PasswordCheck.PASSWORD_EXPIRED
    assert check_password(settings, must_change.dn, WRONG) is PasswordCheck.WRONG
    assert check_password(settings, expired.dn, PASSWORD) is PasswordCheck.DISABLED
    response = login(ad_app.test_client(), must_change.mail, PASSWORD)
    assert response.status_code == 403
    page = response.get_data(as_text=True)
    assert "Ihr Verzeichnis-Passwort ist abgelaufen oder muss geändert werden" in page
    assert "Ihr Konto ist im Verzeichnis gesperrt" in login(ad_app.test_client(), expired.mail,
                                                            PASSWORD).get_data(as_text=True)


def test_ad_reasons_of_a_refused_bind():
    diagnostic = "80090308: LdapErr: DSID-0C0903A9, comment: AcceptSecurityContext error, data {}, v1db1"
    assert ad_reason(diagnostic.format("52e")) is PasswordCheck.WRONG
    assert ad_reason(diagnostic.format("533")) is PasswordCheck.DISABLED
    assert ad_reason(diagnostic.format("701")) is PasswordCheck.DISABLED
    assert ad_reason(diagnostic.format("532")) is PasswordCheck.PASSWORD_EXPIRED
    assert ad_reason(diagnostic.format("773")) is PasswordCheck.PASSWORD_EXPIRED
    assert ad_reason(diagnostic.format("775")) is PasswordCheck.WRONG  # locked: no hint
    assert ad_reason(None) is PasswordCheck.WRONG and ad_reason("data 5330") is PasswordCheck.WRONG


def test_zz_moved_renamed_disabled_and_deleted_people_follow(cli, samba, app, db_session):
    """Changes the directory: the last test of the module."""
    assert cli().exit_code == 0
    before = people(db_session)
    versions = {email: u.session_version for email, u in before.items()}
    moved, renamed, gone = staff(1), staff(2), staff(3)
    connection = samba.admin()
    try:
        # Özdemir moves to the Kämmerei; a clerk is renamed (new DN, same objectGUID);
        # Müller is disabled (514); Bär and a clerk leave (deleted)
        connection.modify_dn(OEZDEMIR.dn, f"CN={OEZDEMIR.cn}", new_superior=KAEMMEREI)
        connection.modify_dn(moved.dn, f"CN={moved.cn}", new_superior=KAEMMEREI)
        connection.modify_dn(renamed.dn, "CN=Jörg Sachbearbeiter-Neumann 002")
        samba.set_disabled(connection, MUELLER.dn, True)
        connection.delete(BAER.dn)
        connection.delete(gone.dn)
    finally:
        connection.unbind()

    dry = cli("--dry-run")
    assert "0 would be created, 2 would be updated, 3 would be deactivated" in dry.output, dry.output
    assert all(u.is_active for u in people(db_session).values())

    result = cli()
    assert result.exit_code == 0, result.output
    assert "0 created, 2 updated, 3 deactivated" in result.output
    assert (f"updated: CN={OEZDEMIR.cn},{KAEMMEREI} <{OEZDEMIR.mail}> (org_unit)") in result.output
    assert f"deactivated (disabled): {MUELLER.dn} <{MUELLER.mail}>" in result.output
    found = people(db_session)
    for email in (OEZDEMIR.mail, moved.mail):
        assert unit_path(db_session, found[email].org_unit_id) == "Stadtverwaltung / Dezernat I / Kämmerei"
    assert found[renamed.mail].id == before[renamed.mail].id  # the same account: objectGUID is the key
    assert found[renamed.mail].name == "Jörg Sachbearbeiter 002"  # displayName unchanged
    for email in (MUELLER.mail, BAER.mail, gone.mail):
        assert not found[email].is_active
        assert found[email].session_version == versions[email] + 1  # their sessions end
    assert found[OEZDEMIR.mail].is_active and found[renamed.mail].is_active
    assert count(db_session, User) == CREATED  # nothing deleted
    assert cli().output.strip().endswith("0 created, 0 updated, 0 deactivated")

