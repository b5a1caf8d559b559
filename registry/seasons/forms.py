"""Forms of the reporting season pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import DateField, HiddenField, IntegerField, SelectField, SelectMultipleField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional


class OpenSeasonForm(FlaskForm):
    year = IntegerField(_l("Report year"), validators=[DataRequired(), NumberRange(min=2000, max=2100)])
    categories = SelectMultipleField(_l("Categories due"), choices=[], validators=[DataRequired()])
    opens_on = DateField(_l("Opens on"), validators=[DataRequired()])
    deadline = DateField(_l("Deadline"), validators=[DataRequired()])
    instructions = TextAreaField(_l("Instructions"), validators=[Optional(), Length(max=5000)])


class SummaryUploadForm(FlaskForm):
    file = FileField(_l("Annual work summary (.docx or .pdf, at most 50 MB)"), validators=[FileRequired()])


class SubmitForm(FlaskForm):
    confirm = HiddenField(default="1")


class DecisionForm(FlaskForm):
    decision = SelectField(_l("Decision"), choices=[SelectChoice("accepted", _l("Accept")),  # type: ignore[arg-type]
                                                        SelectChoice("returned", _l("Return"))])  # type: ignore[arg-type]
    comment = TextAreaField(_l("Comment"), validators=[Optional(), Length(max=2000)])


class ReopenForm(FlaskForm):
    until = DateField(_l("Reopen until"), validators=[DataRequired()])
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=2000)])
