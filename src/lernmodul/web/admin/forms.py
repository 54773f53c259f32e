"""Forms of the administration area; labels and messages are translated lazily.

Each form carries exactly the fields its page changes: a forged extra field in a post is
never read (no mass assignment)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from lernmodul.services.org_units import MAX_NAME_LENGTH
from lernmodul.services.user_admin import MAX_EXTRA_TIME_PERCENT
from lernmodul.web.form_ids import PrefixedForm

TOP_LEVEL = ""


def optional_id(value: Any) -> int | None:
    """Select value -> unit id, or None for "none"/"top level"/"all units"."""
    if value in (None, "", TOP_LEVEL):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1  # not a choice: the select's own validation refuses it


class UnitCreateForm(FlaskForm):
    name = StringField(_l("Name of the new unit"), validators=[
        DataRequired(_l("Enter a name.")),
        Length(max=MAX_NAME_LENGTH, message=_l("At most %(max)d characters."))])
    parent = SelectField(_l("Parent unit"), coerce=optional_id)
    submit = SubmitField(_l("Create unit"))


class UnitRenameForm(PrefixedForm):
    id_prefix = "rename"
    name = StringField(_l("Name"), validators=[
        DataRequired(_l("Enter a name.")),
        Length(max=MAX_NAME_LENGTH, message=_l("At most %(max)d characters."))])
    submit = SubmitField(_l("Rename"))


class UnitMoveForm(PrefixedForm):
    id_prefix = "move"
    parent = SelectField(_l("New parent unit"), coerce=optional_id)
    submit = SubmitField(_l("Move"))


class ConfirmForm(PrefixedForm):
    """A button that changes something: only the CSRF token travels with it."""

    id_prefix = "confirm"

    submit = SubmitField(_l("Confirm"))


class UserProfileForm(PrefixedForm):
    id_prefix = "profile"
    name = StringField(_l("Name"), validators=[
        DataRequired(_l("Enter the name.")),
        Length(max=200, message=_l("At most %(max)d characters."))])
    email = StringField(_l("E-mail address"), validators=[
        DataRequired(_l("Enter the e-mail address.")),
        Length(max=320, message=_l("At most %(max)d characters."))])
    org_unit = SelectField(_l("Org unit"), coerce=optional_id)
    extra_time_percent = IntegerField(
        _l("Extra time in exams (percent)"),
        validators=[InputRequired(_l("Enter a number, 0 for none.")),
                    NumberRange(min=0, max=MAX_EXTRA_TIME_PERCENT,
                                message=_l("Enter a whole number from %(min)s to %(max)s."))])
    submit = SubmitField(_l("Save changes"))


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class RolesForm(PrefixedForm):
    id_prefix = "roles"
    remove = MultiCheckboxField(_l("Remove these roles"), coerce=int, validators=[Optional()])
    add_role = SelectField(_l("Add a role"), default="")
    add_scope = SelectField(_l("For which units"), coerce=optional_id)
    submit = SubmitField(_l("Save roles"))


class PasswordForm(PrefixedForm):
    id_prefix = "set-password"
    password = PasswordField(_l("New password"), validators=[
        DataRequired(_l("Enter a password."))])
    submit = SubmitField(_l("Set password"))


class ImportUploadForm(PrefixedForm):
    id_prefix = "import"
    file = FileField(_l("CSV file"), validators=[FileRequired(_l("Choose a CSV file."))])
    deactivate_missing = BooleanField(
        _l("Deactivate people with a personnel number who are not in the file"))
    submit = SubmitField(_l("Check file"))


class ImportConfirmForm(PrefixedForm):
    id_prefix = "import-confirm"
    content = HiddenField()
    file_name = HiddenField()
    deactivate_missing = HiddenField()
    submit = SubmitField(_l("Import now"))


class LtiPlatformForm(FlaskForm):
    """A learning platform that launches lernmodul over LTI 1.3."""

    name = StringField(_l("Name"), validators=[Length(max=200, message=_l("At most %(max)d characters."))])
    issuer = StringField(_l("Issuer (platform ID)"), validators=[
        DataRequired(_l("Enter the issuer.")), Length(max=500, message=_l("At most %(max)d characters."))])
    client_id = StringField(_l("Client ID"), validators=[
        DataRequired(_l("Enter the client ID.")), Length(max=255, message=_l("At most %(max)d characters."))])
    deployment_ids = TextAreaField(_l("Deployment IDs (one a line)"), validators=[
        DataRequired(_l("Enter at least one deployment ID.")),
        Length(max=13000, message=_l("At most %(max)d characters."))])
    auth_login_url = StringField(_l("Authentication request URL"), validators=[
        DataRequired(_l("Enter the authentication request URL.")),
        Length(max=1000, message=_l("At most %(max)d characters."))])
    token_url = StringField(_l("Access token URL"), validators=[
        Length(max=1000, message=_l("At most %(max)d characters."))])
    jwks_url = StringField(_l("Public keyset URL (JWKS)"), validators=[
        DataRequired(_l("Enter the public keyset URL.")),
        Length(max=1000, message=_l("At most %(max)d characters."))])
    trust_instructors = BooleanField(_l("Instructors of this platform become trainers here"))
    context_units = TextAreaField(_l("Org units of the platform's courses (one a line: context ID = unit)"),
                                  validators=[Length(max=60000, message=_l("At most %(max)d characters."))])
    submit = SubmitField(_l("Save platform"))


class RegistrationLinkForm(PrefixedForm):
    """Creates a one-time link for LTI Dynamic Registration (only the CSRF token and a button)."""

    id_prefix = "registration-link"
    submit = SubmitField(_l("Create a registration link"))
