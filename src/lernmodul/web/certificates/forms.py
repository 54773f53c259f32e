"""Forms of certificate administration; labels and messages are translated lazily."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField, StringField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from lernmodul.services.certificates import MAX_REASON_LENGTH
from lernmodul.web.form_ids import PrefixedForm

REASON_VALIDATORS = [
    DataRequired(_l("Give a reason.")),
    Length(max=MAX_REASON_LENGTH, message=_l("At most %(max)d characters.")),
]


class RevokeForm(PrefixedForm):
    id_prefix = "revoke"
    reason = TextAreaField(_l("Reason for the revocation"), validators=REASON_VALIDATORS)
    submit = SubmitField(_l("Revoke certificate"))


class ReissueForm(PrefixedForm):
    id_prefix = "reissue"
    participant_name = StringField(
        _l("Name on the new certificate"),
        validators=[DataRequired(_l("Enter the name.")),
                    Length(max=200, message=_l("At most %(max)d characters."))],
    )
    language = SelectField(
        _l("Language"), choices=[SelectChoice("de", "Deutsch"), SelectChoice("en", "English")])
    reason = TextAreaField(_l("Reason for the re-issue"), validators=REASON_VALIDATORS)
    submit = SubmitField(_l("Issue a new certificate"))


class VerifyFileForm(PrefixedForm):
    id_prefix = "verify-file"
    file = FileField(_l("Certificate file (PDF or JSON)"),
                     validators=[FileRequired(_l("Choose the certificate's PDF or JSON file."))])
    submit = SubmitField(_l("Check the file"))
