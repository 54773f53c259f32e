"""Models of the HR summary: counts of mandatory enrolments per org unit, kept by triggers.

Database triggers (migration 0008) change these rows in the transaction of every write to
enrolments, users and certificates, so no service has to remember them; code only reads
them. Only active users in a unit count; a row whose count reaches 0 is deleted. Nothing
clock-dependent is stored: due times and expiry dates are kept, and "overdue" or "expires
soon" is a date comparison at query time."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from lernmodul.db.models import Base


def _empty_rows(table: str, column: str) -> Index:
    # the triggers delete rows at 0 after each change: this index holds only those
    return Index(f"ix_{table}_empty", column, sqlite_where=text(f"{column} = 0"),
                 postgresql_where=text(f"{column} = 0"))


class HrCourseCount(Base):
    """Mandatory enrolments and completions of one course in one unit (members only)."""

    __tablename__ = "hr_course_counts"
    __table_args__ = (_empty_rows("hr_course_counts", "enrolments"),)

    org_unit_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    course_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    enrolments: Mapped[int] = mapped_column(Integer)
    completed: Mapped[int] = mapped_column(Integer)


class HrDueCount(Base):
    """Open mandatory enrolments of one course in one unit with the same due time."""

    __tablename__ = "hr_due_counts"
    __table_args__ = (_empty_rows("hr_due_counts", "enrolments"), {"sqlite_with_rowid": False})

    course_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    due_at: Mapped[datetime] = mapped_column(primary_key=True)
    org_unit_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    enrolments: Mapped[int] = mapped_column(Integer)


class HrExpiryCount(Base):
    """Completed mandatory enrolments of one course in one unit whose current certificate
    expires on the same day."""

    __tablename__ = "hr_expiry_counts"
    __table_args__ = (_empty_rows("hr_expiry_counts", "enrolments"), {"sqlite_with_rowid": False})

    course_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    valid_until: Mapped[date] = mapped_column(Date, primary_key=True)
    org_unit_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    enrolments: Mapped[int] = mapped_column(Integer)


class HrUnitPersons(Base):
    """Active members of one unit with at least one mandatory enrolment."""

    __tablename__ = "hr_unit_persons"
    __table_args__ = (_empty_rows("hr_unit_persons", "persons"),)

    org_unit_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    persons: Mapped[int] = mapped_column(Integer)
