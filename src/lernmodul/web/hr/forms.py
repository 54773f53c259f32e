"""The assignment form; labels and messages are translated lazily."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, RadioField, SelectField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, NumberRange, Optional

from lernmodul.services.assignments import MAX_DUE_DAYS


def unit_id_or_none(value: Any) -> int | None:
    """The unit select's value -> a unit id; None for the empty placeholder and for anything
    that is not a positive whole number (DataRequired then asks to choose a unit)."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None


class AssignmentForm(FlaskForm):
    course_id = SelectField(_l("Course"), validators=[DataRequired(_l("Choose a course."))])
    org_unit_id = SelectField(_l("Organisational unit (sub-units included)"), coerce=unit_id_or_none,
                              validators=[DataRequired(_l("Choose a unit."))])
    rule = RadioField(_l("Due"), choices=[SelectChoice("date", _l("on a fixed date")),
                                          SelectChoice("days", _l("within a number of days of joining"))],
                      default="date", validators=[DataRequired(_l("Choose how the due date is set."))])
    due_date = DateField(_l("Due date"), validators=[Optional()])
    due_days = IntegerField(_l("Days after joining"),
                            validators=[Optional(), NumberRange(min=1, max=MAX_DUE_DAYS,
                                        message=_l("Between %(min)d and %(max)d days."))])
    submit = SubmitField(_l("Assign course"))

    def validate(self, extra_validators=None) -> bool:  # type: ignore[no-untyped-def]
        valid = super().validate(extra_validators)
        if self.rule.data == "date" and self.due_date.data is None and not self.due_date.errors:
            self.due_date.errors = [_l("Enter the due date.")]
            valid = False
        if self.rule.data == "days" and self.due_days.data is None and not self.due_days.errors:
            self.due_days.errors = [_l("Enter the number of days.")]
            valid = False
        return valid


class DeleteForm(FlaskForm):
    submit = SubmitField(_l("Remove assignment"))
