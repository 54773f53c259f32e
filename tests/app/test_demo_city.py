"""The development demo's city administration: figures HR and trainers can look at on first
start, the same on a second start, and never in production."""

from __future__ import annotations

import random
import re
from collections import Counter
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from lernmodul.db.certificates import Certificate
from lernmodul.db.engine import session_scope
from lernmodul.db.models import Base, Enrolment, OrgUnit, User, utcnow
from lernmodul.services import hr, item_stats
from lernmodul.services.accounts import DEMO_ACCOUNTS, create_user, find_user_by_login
from lernmodul.services.courses import compile_version, find_latest_version
from lernmodul.services.demo_city import ROOT, SEED, Outcome, demo_people
from lernmodul.services.demo_seed import COURSE_ID
from lernmodul.services.org_units import role_scope
from lernmodul.web.auth import auth_settings
from lernmodul.web.commands import prepare_dev
from lernmodul.web.database import get_database

HR_ACCOUNT = next(a for a in DEMO_ACCOUNTS if a.role.value == "hr")
TRAINER_ACCOUNT = next(a for a in DEMO_ACCOUNTS if a.role.value == "trainer")


@pytest.fixture
def dev_app(make_app: Any) -> Any:
    app = make_app(ENV="development")
    prepare_dev(app)
    return app


def every_row(app: Any) -> dict[str, list[tuple[Any, ...]]]:
    with session_scope(get_database(app).sessions) as session:
        return {table.name: [tuple(row) for row in session.execute(
                    select(table).order_by(*table.primary_key.columns))]
                for table in Base.metadata.sorted_tables}


def clock() -> hr.Clock:
    return hr.Clock(now=utcnow(), timezone=ZoneInfo("Europe/Berlin"))


def test_demo_hr_account_sees_figures_of_every_status(dev_app: Any) -> None:
    with session_scope(get_database(dev_app).sessions) as session:
        viewer = find_user_by_login(session, HR_ACCOUNT.email)
        assert viewer is not None
        scope = role_scope(session, viewer, "hr")
        top = hr.dashboard(session, scope, unit_id=None, course_id=None, clock=clock())
        (city,) = top.units
        assert city.name == ROOT and not city.suppressed
        assert 300 <= city.persons <= 400
        assert city.enrolments == city.persons  # one mandatory course each
        assert city.completion_rate and 0 < city.completion_rate < 100
        assert city.overdue and city.expiring
        below = hr.dashboard(session, scope, unit_id=city.unit_id, course_id=COURSE_ID,
                             clock=clock())
        assert len(below.units) == 4  # the Dezernate, each with figures
        assert all(not unit.suppressed and unit.enrolments for unit in below.units)
        statuses = Counter(row.status for row in hr.person_rows(
            session, scope, hr.PersonFilter(), clock()))
        assert set(statuses) == set(hr.STATUSES)
        # the one revoked certificate reopens its course ("revoked - to be retaken")
        assert statuses[hr.REVOKED] == 1
        assert min(n for status, n in statuses.items() if status != hr.REVOKED) >= 10
        expiring = hr.person_page(session, scope, hr.PersonFilter(status=hr.EXPIRING), clock())
        assert expiring.rows
        revoked = session.scalars(select(Certificate).where(
            Certificate.revoked_at.is_not(None))).all()
        assert len(revoked) == 1 and revoked[0].revoked_reason
        depth = max(len(path.split(" / ")) for path in hr.unit_paths(hr.unit_tree(session))
                    .values())
        assert depth == 4


def test_trainer_item_statistics_show_figures(dev_app: Any) -> None:
    with session_scope(get_database(dev_app).sessions) as session:
        version = find_latest_version(session, COURSE_ID)
        assert version is not None
        course = compile_version(version, "").course
        assert course is not None
        figures = item_stats.version_statistics(session, version.id, course)
        assert figures.exam is not None and figures.exam.people >= 100
        shown = [i for i in figures.exam.items if not i.is_withheld]
        assert len(shown) >= len(figures.exam.items) * 0.9
        assert all(i.difficulty is not None and 0 < i.difficulty < 1 for i in shown)
        assert any(i.discrimination is not None and i.discrimination > 0.2 for i in shown)
        assert all(quiz.people >= 100 and all(not i.is_withheld for i in quiz.items)
                   for quiz in figures.quizzes)


def test_demo_pages_show_figures_on_first_start(dev_app: Any, login: Any) -> None:
    client = dev_app.test_client()
    assert login(client, HR_ACCOUNT.email, HR_ACCOUNT.password).status_code == 302
    page = client.get("/hr/").get_data(as_text=True)
    assert ROOT in page and "unterdrückt" not in page
    assert re.search(r"<td[^>]*>\s*3\d\d\s*</td>", page)  # the city's enrolments
    with session_scope(get_database(dev_app).sessions) as session:
        city_id = session.scalar(select(OrgUnit.id).where(OrgUnit.name == ROOT))
        overdue_name = session.scalar(select(User.name).join(
            Enrolment, Enrolment.user_id == User.id).where(
            Enrolment.completed_at.is_(None), Enrolment.due_at < utcnow()).order_by(User.name))
    below = client.get(f"/hr/?unit={city_id}").get_data(as_text=True)
    assert "Dezernat II" in below and "unterdrückt" not in below
    people = client.get("/hr/people?status=overdue").get_data(as_text=True)
    assert overdue_name and overdue_name in people
    export = client.get("/hr/people/export?format=csv")
    assert export.status_code == 200 and export.get_data(as_text=True).count("\n") > 300
    trainer = dev_app.test_client()
    assert login(trainer, TRAINER_ACCOUNT.email, TRAINER_ACCOUNT.password).status_code == 302
    with session_scope(get_database(dev_app).sessions) as session:
        version = find_latest_version(session, COURSE_ID)
        assert version is not None
        version_id = version.id
    statistics = trainer.get(f"/trainer/versions/{version_id}/statistics")
    assert statistics.status_code == 200


def test_a_second_start_changes_nothing(dev_app: Any, make_app: Any) -> None:
    before = every_row(dev_app)
    prepare_dev(make_app(ENV="development"))
    assert every_row(dev_app) == before


def test_production_never_seeds_the_demo(make_app: Any) -> None:
    app = make_app(ENV="production")
    assert prepare_dev(app) == ()
    with session_scope(get_database(app).sessions) as session:
        assert session.scalar(select(func.count()).select_from(User)) == 0
        assert session.scalar(select(func.count()).select_from(OrgUnit)) == 0


def test_the_people_are_the_same_for_the_same_seed() -> None:
    first = demo_people(random.Random(SEED))
    assert first == demo_people(random.Random(SEED))
    assert 300 <= len(first) <= 400
    assert len({p.name for p in first}) == len(first)
    assert {p.outcome for p in first} == set(Outcome)
    assert all(p.email.endswith("@stadt-lindenau.example") and p.email.isascii() for p in first)


def test_an_older_demo_moves_into_the_city(make_app: Any) -> None:
    # the demo before the city: two units of its own, HR scoped to the upper one
    app = make_app(ENV="development")
    now = utcnow()
    with session_scope(get_database(app).sessions) as session:
        old_root = OrgUnit(name="Stadtverwaltung (Demo)", created_at=now)
        session.add(old_root)
        session.flush()
        old_unit = OrgUnit(name="Bürgeramt (Demo)", parent_id=old_root.id, created_at=now)
        session.add(old_unit)
        session.flush()
        for account in DEMO_ACCOUNTS:
            scope = old_root.id if account.role.value == "hr" else None
            create_user(session, hasher=auth_settings(app).hasher, email=account.email,
                        name=account.name, password=account.password,
                        roles=[(account.role.value, scope)], org_unit_id=old_unit.id,
                        is_demo=True, now=now)
    prepare_dev(app)
    with session_scope(get_database(app).sessions) as session:
        names = set(session.scalars(select(OrgUnit.name)))
        assert "Stadtverwaltung (Demo)" not in names and "Bürgeramt (Demo)" not in names
        viewer = find_user_by_login(session, HR_ACCOUNT.email)
        assert viewer is not None
        scope = role_scope(session, viewer, "hr")
        (city,) = hr.dashboard(session, scope, unit_id=None, course_id=None,
                               clock=clock()).units
        assert city.name == ROOT and not city.suppressed
