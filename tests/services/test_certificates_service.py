"""Certificate records on a real database: unique codes (H1), exactly one certificate per
completion under double requests and concurrent workers (H3), claims frozen at issue, expiry,
revocation, re-issue, renewal, and the verify page's shared lookup counter (H2)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import func, inspect, select
from sqlalchemy.exc import IntegrityError

from lernmodul.certificates import new_code, normalize_code, verify_credential
from lernmodul.db.certificates import Certificate, VerificationThrottle
from lernmodul.db.learning import Attempt, UnitProgress
from lernmodul.db.models import AuditLog, CourseVersion, Enrolment, User
from lernmodul.services import certificates as service
from lernmodul.services import learning
from lernmodul.services.courses import CompiledCourses

from .concurrency import run_concurrently

BERLIN = ZoneInfo("Europe/Berlin")
# 23:30 UTC is already the next day in Berlin: the printed completion date is Berlin's.
COMPLETED = datetime(2026, 3, 31, 22, 30, tzinfo=UTC)
NOW = COMPLETED + timedelta(minutes=1)
KEY = Ed25519PrivateKey.generate()
ISSUER = service.Issuer(KEY, lambda code: f"https://lernen.example.de/verify/{code}", BERLIN)
CACHE = CompiledCourses()


def course_of(version):
    return CACHE.get(version, "media/")


def complete(session, user_id, version_id, at=COMPLETED):
    version = session.get(CourseVersion, version_id)
    enrolment = learning.start_course(session, user_id, version, at)
    enrolment.completed_at = at
    session.flush()
    return enrolment, version


def issue(session, enrolment, version, name="Ayşe Yılmaz", now=NOW):
    return service.issue_certificate(session, enrolment=enrolment, version=version,
                                     course=course_of(version), participant_name=name,
                                     language="de", issuer=ISSUER, now=now)


@pytest.fixture
def learner(make_user):
    return make_user(("learner",), name="Ayşe Yılmaz")


@pytest.fixture
def admin(make_user):
    return make_user(("admin",))


@pytest.fixture
def issued(session, learner, sample_version):
    enrolment, version = complete(session, learner.id, sample_version)
    return issue(session, enrolment, version), enrolment, version


# --- H1 ------------------------------------------------------------------------------------


def test_H1_ten_thousand_codes_are_unique_well_formed_and_the_column_is_unique(
        session, issued, app):
    codes = [new_code() for _ in range(10_000)]
    assert len(set(codes)) == 10_000
    assert all(normalize_code(code) == code for code in codes[:500])
    columns = inspect(session.connection()).get_unique_constraints("certificates")
    assert {"name": "uq_certificates_code", "column_names": ["code"]} in \
        [{"name": c["name"], "column_names": c["column_names"]} for c in columns]
    certificate, _enrolment, _version = issued
    session.commit()
    copy = {c.key: getattr(certificate, c.key) for c in inspect(Certificate).column_attrs
            if c.key not in ("id",)}
    copy.update(superseded_at=NOW)  # not current, so only the code collides
    with pytest.raises(IntegrityError), session.begin_nested():
        session.add(Certificate(**copy))


# --- issuing -------------------------------------------------------------------------------


def test_issue_freezes_the_claims_and_signs_them(session, issued, learner):
    certificate, enrolment, version = issued
    assert certificate.participant_name == "Ayşe Yılmaz"
    assert certificate.course_id == "beispielkurs" and certificate.course_version == "2026.1"
    assert certificate.course_version_id == version.id and certificate.enrolment_id == enrolment.id
    assert certificate.completed_on == date(2026, 4, 1)  # Berlin's date
    assert certificate.valid_until == date(2028, 4, 1)  # certificate.valid_months: 24
    assert certificate.certificate_title == "Teilnahmezertifikat"
    assert certificate.signatory == "Stabsstelle Gewaltschutz"
    assert certificate.duration_minutes == 20
    assert certificate.issued_at == NOW.replace(microsecond=0)
    assert verify_credential(certificate.credential, [KEY.public_key()]) == "valid"
    assert certificate.credential["credentialSubject"]["name"] == "Ayşe Yılmaz"
    # a later change of name does not change the certificate
    session.get(User, learner.id).name = "Ayşe Demir"
    assert issue(session, enrolment, version, name="Ayşe Demir").participant_name == "Ayşe Yılmaz"
    event = session.scalars(select(AuditLog).where(AuditLog.action == "certificate.issue")).one()
    assert event.target == f"certificate:{certificate.id}" and event.detail["code"] == certificate.code


def test_H3_a_second_issue_returns_the_same_row(session, issued):
    certificate, enrolment, version = issued
    assert issue(session, enrolment, version).id == certificate.id
    assert session.scalar(select(func.count()).select_from(Certificate)) == 1


def test_nothing_is_issued_before_completion(session, learner, sample_version):
    version = session.get(CourseVersion, sample_version)
    enrolment = learning.start_course(session, learner.id, version, NOW)
    assert issue(session, enrolment, version) is None
    assert service.pending_completions(session, learner.id) == []


def test_courses_without_a_certificate_section_issue_nothing(session, learner, sample_version):
    from dataclasses import replace

    enrolment, version = complete(session, learner.id, sample_version)
    course = replace(course_of(version), certificate=None)
    assert service.issue_certificate(session, enrolment=enrolment, version=version, course=course,
                                     participant_name="A", language="de", issuer=ISSUER,
                                     now=NOW) is None


def test_pending_completions_and_issue_pending(session, learner, sample_version):
    enrolment, _version = complete(session, learner.id, sample_version)
    assert [e.id for e in service.pending_completions(session, learner.id)] == [enrolment.id]
    issued = service.issue_pending_certificates(session, learner, language="en", issuer=ISSUER,
                                                now=NOW, course_of=course_of)
    assert [c.language for c in issued] == ["en"]
    assert service.pending_completions(session, learner.id) == []


def test_H3_concurrent_issues_on_separate_connections_give_one_row(sessions, learner, sample_version):
    """8 workers issue the certificate of the same completion at the same moment."""
    setup = sessions()
    enrolment, _version = complete(setup, learner.id, sample_version)
    enrolment_id = enrolment.id
    setup.commit()
    setup.close()
    got = []

    def work(index):
        s = sessions()
        try:
            own = s.get(Enrolment, enrolment_id)
            version = s.get(CourseVersion, own.course_version_id)
            certificate = issue(s, own, version)
            s.commit()
            got.append(certificate.id)
        finally:
            s.close()

    assert run_concurrently(8, work) == []
    check = sessions()
    rows = check.scalars(select(Certificate)).all()
    assert len(rows) == 1 and got == [rows[0].id] * 8
    assert check.scalar(select(func.count()).select_from(AuditLog).where(
        AuditLog.action == "certificate.issue")) == 1
    check.close()


# --- status and expiry ---------------------------------------------------------------------


@pytest.mark.parametrize(("day", "months", "expected"), [
    (date(2026, 1, 31), 1, date(2026, 2, 28)),
    (date(2027, 12, 31), 2, date(2028, 2, 29)),
    (date(2026, 4, 1), 24, date(2028, 4, 1)),
    (date(2026, 11, 15), 13, date(2027, 12, 15)),
])
def test_add_months_keeps_the_day_or_takes_the_last_of_the_month(day, months, expected):
    assert service.add_months(day, months) == expected


def test_status_expiry_and_renewal_window(session, issued):
    certificate, _enrolment, _version = issued
    assert service.status_of(certificate, date(2028, 4, 1)) == service.VALID
    assert service.status_of(certificate, date(2028, 4, 2)) == service.EXPIRED
    assert service.renewal_opens_on(certificate, 60) == date(2028, 2, 1)
    assert not service.renewal_is_open(certificate, date(2028, 1, 31), 60)
    assert service.renewal_is_open(certificate, date(2028, 2, 1), 60)
    assert service.renewal_is_open(certificate, date(2029, 1, 1), 60)  # after expiry too


# --- revocation and re-issue ---------------------------------------------------------------


def test_revocation_needs_a_reason_happens_once_and_is_logged(admin, session, issued):
    certificate, _enrolment, _version = issued
    for bad, code in (("   ", "reason_required"), ("x" * 501, "reason_too_long")):
        with pytest.raises(service.CertificateError) as refused:
            service.revoke_certificate(session, certificate, reason=bad, actor_id=admin.id, now=NOW)
        assert refused.value.code == code
    service.revoke_certificate(session, certificate, reason=" Täuschung\n festgestellt ",
                               actor_id=admin.id, now=NOW)
    assert certificate.revoked_reason == "Täuschung festgestellt"
    assert service.status_of(certificate, date(2026, 5, 1)) == service.REVOKED
    with pytest.raises(service.CertificateError) as again:
        service.revoke_certificate(session, certificate, reason="again", actor_id=admin.id, now=NOW)
    assert again.value.code == "already_revoked"
    event = session.scalars(select(AuditLog).where(AuditLog.action == "certificate.revoke")).one()
    assert event.actor_id == admin.id and event.detail["reason"] == "Täuschung festgestellt"


def test_a_revoked_completion_is_not_issued_again(admin, session, issued):
    certificate, enrolment, version = issued
    service.revoke_certificate(session, certificate, reason="Fehler", actor_id=admin.id, now=NOW)
    # the completion is undone: nothing to issue until the course is completed again
    assert enrolment.completed_at is None
    assert issue(session, enrolment, version) is None
    assert service.pending_completions(session, enrolment.user_id) == []
    assert service.find_current_certificate(session, enrolment.id).id == certificate.id


def test_reissue_supersedes_and_keeps_the_completion(admin, session, issued):
    certificate, enrolment, version = issued
    new = service.reissue_certificate(session, certificate, participant_name="Ayşe Demir",
                                      language="en", reason="Namensänderung", actor_id=admin.id,
                                      issuer=ISSUER, now=NOW + timedelta(days=3))
    assert new.code != certificate.code and new.participant_name == "Ayşe Demir"
    assert (new.completed_on, new.valid_until, new.completed_at) == \
        (certificate.completed_on, certificate.valid_until, certificate.completed_at)
    assert certificate.superseded_by_id == new.id and certificate.superseded_reason == "reissued"
    assert service.status_of(certificate, date(2026, 5, 1)) == service.SUPERSEDED
    assert verify_credential(new.credential, [KEY]) == "valid"
    assert service.find_current_certificate(session, enrolment.id).id == new.id
    assert issue(session, enrolment, version).id == new.id  # no third certificate
    with pytest.raises(service.CertificateError) as twice:
        service.reissue_certificate(session, certificate, participant_name="X", language="de",
                                    reason="r", actor_id=admin.id, issuer=ISSUER, now=NOW)
    assert twice.value.code == "superseded"
    assert session.scalar(select(func.count()).select_from(Certificate)) == 2


def test_concurrent_reissues_of_one_certificate_make_one_new_certificate(
        admin, sessions, learner, sample_version):
    setup = sessions()
    enrolment, version = complete(setup, learner.id, sample_version)
    certificate_id = issue(setup, enrolment, version).id
    setup.commit()
    setup.close()
    outcomes = []

    def work(index):
        s = sessions()
        try:
            certificate = s.get(Certificate, certificate_id)
            try:
                service.reissue_certificate(s, certificate, participant_name=f"Name {index}",
                                            language="de", reason="r", actor_id=admin.id,
                                            issuer=ISSUER, now=NOW)
                s.commit()
                outcomes.append("new")
            except service.CertificateError as error:
                s.rollback()
                outcomes.append(error.code)
        finally:
            s.close()

    assert run_concurrently(6, work) == []
    assert sorted(outcomes) == ["new"] + ["superseded"] * 5
    check = sessions()
    assert check.scalar(select(func.count()).select_from(Certificate)) == 2
    assert check.scalar(select(func.count()).select_from(Certificate).where(
        Certificate.superseded_at.is_(None))) == 1
    check.close()


# --- renewal -------------------------------------------------------------------------------


def test_renewal_starts_the_course_over_and_the_new_completion_supersedes(
        session, issued, learner):
    certificate, enrolment, version = issued
    session.add(UnitProgress(enrolment_id=enrolment.id, unit_id="grundlagen", read_at=NOW))
    session.add(Attempt(user_id=learner.id, enrolment_id=enrolment.id, course_version_id=version.id,
                        kind="quiz", unit_key="praxis", seed=1, questions=[], responses={},
                        state="in_progress", started_at=NOW))
    session.flush()
    with pytest.raises(service.CertificateError) as early:
        service.start_renewal(session, certificate, version=version, renewal_days=60,
                              now=NOW, today=date(2028, 1, 31))
    assert early.value.code == "renewal_not_open"
    later = datetime(2028, 2, 10, 9, 0, tzinfo=UTC)
    service.start_renewal(session, certificate, version=version, renewal_days=60, now=later,
                          today=date(2028, 2, 10))
    session.refresh(enrolment)
    assert (enrolment.completed_at, enrolment.exam_passed_at, enrolment.started_at) == \
        (None, None, later)
    assert session.scalar(select(func.count()).select_from(UnitProgress)) == 0
    assert session.scalars(select(Attempt.state)).all() == ["expired"]
    with pytest.raises(service.CertificateError) as twice:
        service.start_renewal(session, certificate, version=version, renewal_days=60, now=later,
                              today=date(2028, 2, 10))
    assert twice.value.code == "renewal_started"
    assert service.status_of(certificate, date(2028, 2, 10)) == service.VALID  # until superseded
    enrolment.completed_at = later + timedelta(days=2)
    session.flush()
    new = issue(session, enrolment, version, now=later + timedelta(days=2))
    session.refresh(certificate)
    assert new.id != certificate.id and certificate.superseded_by_id == new.id
    assert certificate.superseded_reason == "recertified"
    assert new.completed_on == date(2028, 2, 12) and new.valid_until == date(2030, 2, 12)
    actions = session.scalars(select(AuditLog.action).where(AuditLog.action.like("certificate.%"))
                              .order_by(AuditLog.id)).all()
    assert actions == ["certificate.issue", "certificate.renewal_start", "certificate.issue"]


# --- the verify page's lookup counter (H2) -------------------------------------------------


def test_lookup_counter_limits_per_window_and_starts_again(session):
    at = datetime(2026, 5, 5, 9, 0, tzinfo=UTC)
    window = timedelta(minutes=10)
    results = [service.count_lookup(session, "ip:203.0.113.9", now=at + timedelta(seconds=n),
                                    limit=3, window=window) for n in range(5)]
    assert [r.is_allowed for r in results] == [True, True, True, False, False]
    assert results[-1].retry_after == window - timedelta(seconds=4)
    assert service.count_lookup(session, "ip:198.51.100.1", now=at, limit=3, window=window).is_allowed
    again = service.count_lookup(session, "ip:203.0.113.9", now=at + window, limit=3, window=window)
    assert again.is_allowed
    assert session.get(VerificationThrottle, "ip:203.0.113.9").hits == 1
    assert service.prune_lookup_counters(session, before=at + timedelta(minutes=5)) == 1


def test_concurrent_lookups_cannot_pass_the_limit(sessions):
    at = datetime(2026, 5, 5, 9, 0, tzinfo=UTC)
    allowed = []

    def work(index):
        s = sessions()
        try:
            result = service.count_lookup(s, "ip:192.0.2.7", now=at, limit=5,
                                          window=timedelta(minutes=10))
            s.commit()
            allowed.append(result.is_allowed)
        finally:
            s.close()

    assert run_concurrently(12, work) == []
    assert sorted(allowed) == [False] * 7 + [True] * 5
