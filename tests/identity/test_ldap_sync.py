"""`lernmodul directory sync` against a real slapd, on SQLite and PostgreSQL: people created with
unit and scoped roles, bad entries reported by DN and skipped, a second run changes nothing, a
dry run writes nothing, moved people follow, leavers and disabled people are deactivated (their
sessions end), other accounts are never touched; plain LDAP and StartTLS with a private CA."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from lernmodul.cli import main
from lernmodul.db import AuditLog, ExternalIdentity, HrUnitPersons, User
from lernmodul.db.models import Enrolment, utcnow
from lernmodul.identity.ldap import DirectoryError, DirectorySettings
from lernmodul.identity.ldap.sync import sync_directory
from lernmodul.services import hr
from lernmodul.services.org_units import unit_path

from .conftest import BASE, BUERGERAMT, KAEMMEREI, ldap_config, make_ca

ISSUER = f"ldap:{BASE}"


@pytest.fixture
def cli(monkeypatch, tmp_path, database_url, slapd):
    monkeypatch.setenv("LERNMODUL_DATABASE_URL", database_url)
    monkeypatch.setenv("LERNMODUL_INSTANCE_PATH", str(tmp_path / "cli-instance"))
    monkeypatch.delenv("LERNMODUL_ENV", raising=False)
    for key, value in ldap_config(slapd, LDAP_GROUP_ROLES='{"lm-hr": "hr", "lm-trainer": "trainer"}').items():
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


def test_sync_creates_skips_bad_entries_and_a_second_run_changes_nothing(cli, app, db_session, make_user):
    local = make_user(email="admin@lindenau.example", name="Anna Admin", roles=("admin",))
    dry = cli("--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "4 would be created, 0 would be updated, 0 would be deactivated" in dry.output
    assert count(db_session, User) == 1 and count(db_session, ExternalIdentity) == 0  # nothing written

    first = cli()
    assert first.exit_code == 0, first.output
    assert "4 created, 0 updated, 0 deactivated" in first.output
    # the person without an e-mail address is named by DN and skipped; the run went on
    assert f"skipped: uid=gbaer,{BUERGERAMT},{BASE}: missing_claim (mail)" in first.output
    found = people(db_session)
    assert set(found) == {"admin@lindenau.example", "j.weiss@lindenau.example", "a.oezdemir@lindenau.example",
                          "m.mueller@lindenau.example", "l.schaefer@lindenau.example"}  # not the disabled one
    weiss, mueller, schaefer = (found[f"{n}@lindenau.example"]
                                for n in ("j.weiss", "m.mueller", "l.schaefer"))
    assert (weiss.name, weiss.personnel_number) == ("Jürgen Weiß", "4711")  # displayName before cn
    assert schaefer.name == "Lukas Schäfer" and schaefer.personnel_number is None
    assert unit_path(db_session, weiss.org_unit_id) == "Stadtverwaltung / Dezernat II / Bürgeramt"
    assert unit_path(db_session, mueller.org_unit_id) == "Stadtverwaltung / Dezernat I / Kämmerei"
    assert sorted((g.role, g.org_unit_id) for g in mueller.roles) == [("hr", mueller.org_unit_id),
                                                                      ("learner", None)]
    assert {g.role for g in weiss.roles} == {"learner", "trainer"}
    assert weiss.password_hash is None
    links = db_session.scalars(select(ExternalIdentity)).all()
    assert {link.issuer for link in links} == {ISSUER} and len(links) == 4
    assert all(len(link.subject) == 36 for link in links)  # entryUUID
    creates = db_session.scalars(select(AuditLog).where(AuditLog.action == "user.create",
                                                        AuditLog.detail.is_not(None))).all()
    assert len([c for c in creates if (c.detail or {}).get("issuer") == ISSUER]) == 4

    audit_rows = count(db_session, AuditLog)
    again = cli()
    assert again.exit_code == 0, again.output
    assert again.output.strip().endswith("0 created, 0 updated, 0 deactivated")
    assert count(db_session, AuditLog) == audit_rows
    assert people(db_session)["admin@lindenau.example"].id == local.id


def test_moved_people_follow_leavers_and_disabled_are_deactivated(cli, app, db_session, slapd, make_user,
                                                                 client, login):
    local = make_user(email="admin@lindenau.example", name="Anna Admin", roles=("admin",))
    assert cli().exit_code == 0
    versions = {u.email: u.session_version for u in people(db_session).values()}
    slapd.modify(  # Ayşe Özdemir moves to the Kämmerei, Jürgen Weiß leaves, Marie Müller is disabled
        f"dn: uid=aoezdemir,{BUERGERAMT},{BASE}\nchangetype: modrdn\nnewrdn: uid=aoezdemir\n"
        f"deleteoldrdn: 1\nnewsuperior: {KAEMMEREI},{BASE}\n\n"
        f"dn: uid=jweiss,{BUERGERAMT},{BASE}\nchangetype: delete\n\n"
        f"dn: uid=mmueller,{KAEMMEREI},{BASE}\nchangetype: modify\nadd: employeeType\n"
        f"employeeType: gesperrt\n\n")
    dry = cli("--dry-run")
    assert "1 would be created, 1 would be updated, 2 would be deactivated" not in dry.output
    assert "0 would be created, 1 would be updated, 2 would be deactivated" in dry.output
    assert all(u.is_active for u in people(db_session).values())

    result = cli()
    assert result.exit_code == 0, result.output
    assert "0 created, 1 updated, 2 deactivated" in result.output
    moved = f"updated: uid=aoezdemir,{KAEMMEREI},{BASE} <a.oezdemir@lindenau.example> (org_unit)"
    assert moved in result.output
    found = people(db_session)
    assert unit_path(db_session, found["a.oezdemir@lindenau.example"].org_unit_id) == (
        "Stadtverwaltung / Dezernat I / Kämmerei")
    for email in ("j.weiss@lindenau.example", "m.mueller@lindenau.example"):
        assert not found[email].is_active
        assert found[email].session_version == versions[email] + 1  # their sessions end
    assert found["a.oezdemir@lindenau.example"].is_active
    assert found["admin@lindenau.example"].is_active  # never a local account
    assert db_session.get(User, local.id).is_active
    assert count(db_session, User) == 5  # nothing deleted
    assert cli().output.strip().endswith("0 created, 0 updated, 0 deactivated")


def test_e_mail_taken_and_linked_by_personnel_number(cli, app, db_session, make_user):
    # same address, no personnel number: never linked by e-mail alone
    squatter = make_user(email="a.oezdemir@lindenau.example", name="A. Özdemir")
    existing = make_user(email="marie.alt@lindenau.example", name="Marie Müller", personnel_number="4713")
    result = cli()
    assert result.exit_code == 0, result.output
    assert f"skipped: uid=aoezdemir,{BUERGERAMT},{BASE}: email_taken (user:{squatter.id})" in result.output
    assert "2 created, 1 updated, 0 deactivated" in result.output
    db_session.rollback()
    marie = db_session.get(User, existing.id)
    assert marie.email == "m.mueller@lindenau.example"
    assert [i.subject for i in db_session.scalars(select(ExternalIdentity)
                                                  .where(ExternalIdentity.user_id == marie.id))]
    assert db_session.scalar(select(AuditLog.id).where(AuditLog.action == "identity.link"))
    assert db_session.get(User, squatter.id).is_active


def test_an_empty_result_changes_nothing(cli, monkeypatch, db_session, app):
    assert cli().exit_code == 0
    monkeypatch.setenv("LERNMODUL_LDAP_USER_FILTER", "(objectClass=nobodyHere)")
    result = cli()
    assert result.exit_code == 1
    assert "nothing changed" in result.output
    assert all(u.is_active for u in people(db_session).values())


def test_start_tls_with_a_private_ca(slapd, test_ca, db_session, app, tmp_path):
    settings = DirectorySettings.from_config(ldap_config(slapd, LDAP_START_TLS=True,
                                                         LDAP_CA_FILE=str(test_ca.ca)))
    result = sync_directory(db_session, settings, now=utcnow())
    assert len(result.report.created) == 4
    db_session.rollback()
    other = make_ca(tmp_path / "other-ca", "Fremde CA")
    untrusted = DirectorySettings.from_config(ldap_config(slapd, LDAP_START_TLS=True,
                                                          LDAP_CA_FILE=str(other.ca)))
    with pytest.raises(DirectoryError):  # the certificate is verified
        sync_directory(db_session, untrusted, now=utcnow())
    wrong_password = DirectorySettings.from_config(ldap_config(slapd, LDAP_BIND_PASSWORD="falsch"))
    with pytest.raises(DirectoryError):
        sync_directory(db_session, wrong_password, now=utcnow())


def test_groups_from_the_group_entries(slapd, db_session, app):
    settings = DirectorySettings.from_config(ldap_config(slapd, LDAP_GROUP_MEMBERSHIP="member"))
    report = sync_directory(db_session, settings, now=utcnow()).report
    roles = {c.email: {g.role for g in db_session.get(User, c.user_id).roles} for c in report.created}
    assert roles["m.mueller@lindenau.example"] == {"learner", "hr"}
    assert roles["j.weiss@lindenau.example"] == {"learner", "trainer"}
    assert roles["l.schaefer@lindenau.example"] == {"learner"}


def test_the_hr_summary_follows_moves_and_deactivations(slapd, db_session, app):
    settings = DirectorySettings.from_config(ldap_config(slapd))
    created = sync_directory(db_session, settings, now=utcnow()).report.created
    for change in created:  # everyone has a mandatory course
        db_session.add(Enrolment(user_id=change.user_id, course_id="k1", is_mandatory=True,
                                 assigned_at=utcnow()))
    db_session.flush()
    by_email = {c.email: db_session.get(User, c.user_id) for c in created}
    buergeramt = by_email["a.oezdemir@lindenau.example"].org_unit_id
    kaemmerei = by_email["m.mueller@lindenau.example"].org_unit_id

    def persons():
        db_session.expire_all()
        return {row.org_unit_id: row.persons for row in db_session.scalars(select(HrUnitPersons))}

    assert persons() == {buergeramt: 2, kaemmerei: 2}
    slapd.modify(
        f"dn: uid=aoezdemir,{BUERGERAMT},{BASE}\nchangetype: modrdn\nnewrdn: uid=aoezdemir\n"
        f"deleteoldrdn: 1\nnewsuperior: {KAEMMEREI},{BASE}\n\n"
        f"dn: uid=jweiss,{BUERGERAMT},{BASE}\nchangetype: delete\n\n"
        f"dn: uid=mmueller,{KAEMMEREI},{BASE}\nchangetype: modify\nadd: employeeType\n"
        f"employeeType: gesperrt\n\n")
    report = sync_directory(db_session, settings, now=utcnow()).report
    assert (len(report.updated), len(report.deactivated)) == (1, 2)
    assert persons() == {kaemmerei: 2}  # Özdemir moved in, Müller disabled, Weiß gone
    moved = by_email["a.oezdemir@lindenau.example"].id
    rows = {(row.action, row.target): row.detail for row in db_session.scalars(
        select(AuditLog).where(AuditLog.action.in_(("user.update", "user.deactivate"))))}
    assert rows[("user.update", f"user:{moved}")] == {
        "source": "ldap", "org_unit": {"from": buergeramt, "to": kaemmerei}, "fields": ["org_unit"]}
    assert {target for action, target in rows if action == "user.deactivate"} == {
        f"user:{by_email[e].id}" for e in ("j.weiss@lindenau.example", "m.mueller@lindenau.example")}
    clock = hr.Clock(now=utcnow(), timezone=ZoneInfo("Europe/Berlin"))
    for course in (None, "k1"):
        assert hr._counts_by_unit(db_session, None, course, clock) == \
            hr.recount_by_unit(db_session, None, course, clock)
