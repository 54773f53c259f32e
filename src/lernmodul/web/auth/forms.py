"""Forms of the auth area; labels and messages are translated lazily."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length

from lernmodul.services.passwords import MAX_LENGTH


class LoginForm(FlaskForm):
    login = StringField(
        _l("E-mail address or personnel number"),
        validators=[
            DataRequired(_l("Enter your e-mail address or personnel number.")),
            Length(max=320, message=_l("This is too long.")),
        ],
    )
    password = PasswordField(_l("Password"), validators=[DataRequired(_l("Enter your password."))])
    submit = SubmitField(_l("Sign in"))


class PasswordChangeForm(FlaskForm):
    current_password = PasswordField(
        _l("Current password"),
        validators=[DataRequired(_l("Enter your current password."))],
    )
    new_password = PasswordField(
        _l("New password"),
        validators=[
            DataRequired(_l("Enter a new password.")),
            Length(max=MAX_LENGTH, message=_l("Use at most 128 characters.")),
        ],
    )
    confirm_password = PasswordField(
        _l("Repeat the new password"),
        validators=[
            DataRequired(_l("Repeat the new password.")),
            EqualTo("new_password", message=_l("The two new passwords do not match.")),
        ],
    )
    submit = SubmitField(_l("Change password"))


class ForgotPasswordForm(FlaskForm):
    email = StringField(
        _l("E-mail address"),
        validators=[
            DataRequired(_l("Enter your e-mail address.")),
            Length(max=320, message=_l("This is too long.")),
        ],
    )
    submit = SubmitField(_l("Send link"))


class ResetPasswordForm(FlaskForm):
    new_password = PasswordField(
        _l("New password"),
        validators=[
            DataRequired(_l("Enter a new password.")),
            Length(max=MAX_LENGTH, message=_l("Use at most 128 characters.")),
        ],
    )
    confirm_password = PasswordField(
        _l("Repeat the new password"),
        validators=[
            DataRequired(_l("Repeat the new password.")),
            EqualTo("new_password", message=_l("The two new passwords do not match.")),
        ],
    )
    submit = SubmitField(_l("Set new password"))
