"""Accounts from an external identity, on SQLite and PostgreSQL: created just in time, linked by
personnel number (never by e-mail alone), updated at every sign-in, every change audited."""

from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import func, select

from lernmodul.db import AuditLog, ExternalIdentity, User
from lernmodul.db.models import OrgUnit, utcnow
from lernmodul.identity import Identity, IdentityError, identities_of, sign_in
from lernmodul.services.org_units import unit_path

ISSUER = "https://idp.lindenau.example/realms/stadt"
PERSON = Identity(kind="oidc", issuer=ISSUER, subject="f3a1", email="j.weiss@lindenau.example",
                  name="Jürgen Weiß", personnel_number="4711",
                  unit_path=("Stadt Lindenau", "Dezernat II", "Bürgeramt"),
                  roles=frozenset({"learner", "hr"}))


def local_user(session, **fields):
    values = {"email": "j.weiss@lindenau.example", "name": "J. Weiß", "created_at": utcnow()} | fields
    user = User(**values)
    session.add(user)
    session.flush()
    return user


def actions(session):
    return [row.action for row in session.scalars(select(AuditLog).order_by(AuditLog.id))]


def test_first_sign_in_creates_the_account_with_unit_and_scoped_roles(db_session) -> None:
    result = sign_in(db_session, PERSON, now=utcnow())
    db_session.commit()
    user = result.user
    assert result.created and result.linked
    assert (user.email, user.name, user.personnel_number) == (PERSON.email, PERSON.name, "4711")
    assert unit_path(db_session, user.org_unit_id) == "Stadt Lindenau / Dezernat II / Bürgeramt"
    # HR is scoped to the person's own unit, never "all units"
    grants = sorted((g.role, g.org_unit_id) for g in user.roles)
    assert grants == [("hr", user.org_unit_id), ("learner", None)]
    assert user.password_hash is None
    links = [(i.issuer, i.subject, i.kind) for i in identities_of(db_session, user.id)]
    assert links == [(ISSUER, "f3a1", "oidc")]
    assert actions(db_session)[-2:] == ["user.create", "identity.sign_in"]


def test_second_sign_in_changes_nothing_and_updates_what_moved(db_session) -> None:
    first = sign_in(db_session, PERSON, now=utcnow()).user
    again = sign_in(db_session, PERSON, now=utcnow())
    assert again.user.id == first.id and not again.created and again.changes == []
    moved = dataclasses.replace(PERSON, name="Jürgen Weiß-Kaya", unit_path=("Stadt Lindenau", "Kämmerei"))
    result = sign_in(db_session, moved, now=utcnow())
    db_session.commit()
    assert result.changes == ["name", "org_unit", "roles"]
    user = db_session.get(User, first.id)
    assert unit_path(db_session, user.org_unit_id) == "Stadt Lindenau / Kämmerei"
    assert ("hr", user.org_unit_id) in {(g.role, g.org_unit_id) for g in user.roles}  # scope follows
    update = db_session.scalars(select(AuditLog).where(AuditLog.action == "user.update")).one()
    assert update.detail["fields"] == ["name", "org_unit", "roles"]
    assert db_session.scalar(select(func.count()).select_from(User)) == 1


def test_existing_account_is_linked_by_personnel_number(db_session) -> None:
    existing = local_user(db_session, personnel_number="4711", email="old@lindenau.example")
    result = sign_in(db_session, PERSON, now=utcnow())
    assert result.user.id == existing.id and result.linked and not result.created
    assert result.user.email == PERSON.email
    assert "email" in result.changes


def test_never_linked_by_e_mail_address_alone(db_session) -> None:
    local_user(db_session, personnel_number=None)  # same address, no personnel number
    with pytest.raises(IdentityError) as raised:
        sign_in(db_session, PERSON, now=utcnow())
    assert raised.value.code == "email_taken"
    db_session.rollback()
    assert db_session.scalar(select(func.count()).select_from(ExternalIdentity)) == 0


def test_an_account_links_to_one_subject_per_issuer(db_session) -> None:
    sign_in(db_session, PERSON, now=utcnow())
    with pytest.raises(IdentityError) as raised:
        sign_in(db_session, dataclasses.replace(PERSON, subject="other"), now=utcnow())
    assert raised.value.code == "already_linked"


def test_disabled_accounts_cannot_sign_in(db_session) -> None:
    user = sign_in(db_session, PERSON, now=utcnow()).user
    user.is_active = False
    db_session.flush()
    with pytest.raises(IdentityError) as raised:
        sign_in(db_session, PERSON, now=utcnow())
    assert raised.value.code == "account_disabled"


def test_account_creation_can_be_turned_off(db_session) -> None:
    with pytest.raises(IdentityError) as raised:
        sign_in(db_session, PERSON, now=utcnow(), create_accounts=False)
    assert raised.value.code == "no_account"


def test_roles_not_managed_by_the_provider_stay(db_session) -> None:
    user = sign_in(db_session, PERSON, now=utcnow()).user
    unmanaged = dataclasses.replace(PERSON, roles=None, unit_path=None)
    assert sign_in(db_session, unmanaged, now=utcnow()).changes == []
    assert {g.role for g in user.roles} == {"learner", "hr"}


def test_hr_waits_for_a_unit(db_session) -> None:
    user = sign_in(db_session, dataclasses.replace(PERSON, unit_path=None), now=utcnow()).user
    assert {g.role for g in user.roles} == {"learner"}


def test_a_too_deep_unit_path_is_refused(db_session) -> None:
    deep = dataclasses.replace(PERSON, unit_path=tuple(f"E{i}" for i in range(13)))
    with pytest.raises(IdentityError) as raised:
        sign_in(db_session, deep, now=utcnow())
    assert raised.value.code == "bad_claim"
    db_session.rollback()
    assert db_session.scalar(select(func.count()).select_from(OrgUnit)) == 0
