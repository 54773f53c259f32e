"""Persistence: SQLAlchemy models, engine/session set-up and Alembic migrations. No Flask here."""

from lernmodul.db.assignments import Assignment
from lernmodul.db.authoring import CourseDraft, DraftMedia
from lernmodul.db.certificates import Certificate, VerificationThrottle
from lernmodul.db.engine import make_engine, make_session_factory
from lernmodul.db.hr_summary import HrCourseCount, HrDueCount, HrExpiryCount, HrUnitPersons
from lernmodul.db.identities import ExternalIdentity, SamlSeenMessage
from lernmodul.db.learning import Attempt, AttemptResult, CourseMedia, UnitProgress
from lernmodul.db.lti import LtiLineItem, LtiOneTime, LtiPlatform
from lernmodul.db.models import (
    AuditLog,
    Base,
    CourseVersion,
    Enrolment,
    LoginThrottle,
    OrgUnit,
    Role,
    User,
    UserRole,
)
from lernmodul.db.outbox import Delivery
from lernmodul.db.password_resets import PasswordResetToken
from lernmodul.db.reminders import SentReminder

__all__ = [
    "Assignment",
    "Attempt",
    "AttemptResult",
    "AuditLog",
    "Base",
    "Certificate",
    "CourseDraft",
    "CourseMedia",
    "CourseVersion",
    "Delivery",
    "DraftMedia",
    "Enrolment",
    "ExternalIdentity",
    "HrCourseCount",
    "HrDueCount",
    "HrExpiryCount",
    "HrUnitPersons",
    "LoginThrottle",
    "LtiLineItem",
    "LtiOneTime",
    "LtiPlatform",
    "OrgUnit",
    "PasswordResetToken",
    "Role",
    "SamlSeenMessage",
    "SentReminder",
    "UnitProgress",
    "User",
    "UserRole",
    "VerificationThrottle",
    "make_engine",
    "make_session_factory",
]
