"""The services' learning events become statements in the committing transaction only:
once per event, nothing for a rolled-back transaction, a new round for a renewal."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import select
from tests.services.test_certificates_service import complete, issue

from lernmodul import xapi
from lernmodul.db.models import CourseVersion
from lernmodul.db.outbox import Delivery
from lernmodul.services import certificates, learning, learning_records

START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
SETTINGS = learning_records.RecordSettings(
    sender=xapi.Sender(base_url="https://lernen.example.de", pseudonym_key=b"k" * 32))


@pytest.fixture
def recording(sessions: Any) -> Any:
    learning_records.install(sessions, SETTINGS)
    return sessions


def queued(factory: Any) -> list[Delivery]:
    with factory() as check:
        return list(check.scalars(select(Delivery).where(Delivery.kind == "xapi").order_by(Delivery.id)))


def test_a_start_is_queued_once_and_a_rollback_queues_nothing(recording: Any, make_user: Any,
                                                              sample_version: int) -> None:
    learner = make_user(("learner",))
    session = recording()
    version = session.get(CourseVersion, sample_version)
    learning.start_course(session, learner.id, version, START)
    session.rollback()
    session.commit()
    assert queued(recording) == []
    enrolment = learning.start_course(session, learner.id, version, START)
    session.commit()
    learning.start_course(session, learner.id, version, START)  # started already: no event
    session.commit()
    session.close()
    (row,) = queued(recording)
    assert row.payload["verb"]["id"].endswith("/initialized") and row.status == "pending"
    assert row.key == row.payload["id"]
    assert row.payload["context"]["registration"] == xapi.statements.registration(
        SETTINGS.sender.base_url, xapi.Round(enrolment.id, START))


def test_a_renewal_starts_a_new_round(recording: Any, make_user: Any, sample_version: int) -> None:
    learner = make_user(("learner",))
    session = recording()
    enrolment, version = complete(session, learner.id, sample_version)
    certificate = issue(session, enrolment, version)
    session.commit()
    later = datetime(2028, 2, 10, 9, 0, tzinfo=UTC)
    certificates.start_renewal(session, certificate, version=version, renewal_days=60, now=later,
                               today=date(2028, 2, 10))
    session.commit()
    session.close()
    first, renewed = queued(recording)
    assert first.payload["verb"] == renewed.payload["verb"]
    assert renewed.payload["timestamp"] == "2028-02-10T09:00:00.000Z"
    assert first.key != renewed.key
    assert first.payload["context"]["registration"] != renewed.payload["context"]["registration"]
