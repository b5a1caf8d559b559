"""Review forms; the scoring form is built from the indicator system's reviewer-scored items."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, DecimalField, HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from assessment.inputs import InputDecl

DECISION_LABELS = {"entry": _l("Entry (recognise)"), "keep": _l("Keep"), "upgrade": _l("Encourage upgrade"),
                   "rectify": _l("Rectify within a deadline"), "exit": _l("Exit")}
DECISION_CHOICES = [SelectChoice(code, text) for code, text in DECISION_LABELS.items()]


class ActionForm(FlaskForm):
    """An empty form: a button that POSTs with a CSRF token."""


class RoundForm(FlaskForm):
    year = IntegerField(_l("Assessment year"), validators=[InputRequired(), NumberRange(min=2000, max=2100)])
    category = SelectField(_l("Category"), choices=[])
    opens_on = DateField(_l("Opens on"), validators=[InputRequired()])
    closes_on = DateField(_l("Closes on"), validators=[InputRequired()])
    cap_per_reviewer = IntegerField(_l("Most institutions per reviewer"), default=12,
                                    validators=[InputRequired(), NumberRange(min=1, max=500)])
    reviewers_per_institution = IntegerField(_l("Reviewers per institution"), default=3,
                                             validators=[InputRequired(), NumberRange(min=1, max=20)])


#: thousands of institutions make a select list unusable (and a page of megabytes): the institution is named
#: by its credit code or full name, and the view finds it among those the user may see
INSTITUTION_HINT = _l("Unified social credit code or full name")


class AssignForm(FlaskForm):
    reviewer_id = SelectField(_l("Reviewer"), coerce=int, choices=[])
    institution_id = StringField(_l("Institution"), validators=[DataRequired(), Length(max=200)],
                                 description=INSTITUTION_HINT)


class ConflictForm(FlaskForm):
    institution_id = StringField(_l("Institution"), validators=[DataRequired(), Length(max=200)],
                                 description=INSTITUTION_HINT)
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=2000)])


class WaiveForm(FlaskForm):
    waived_reason = TextAreaField(_l("Reason for waiving"), validators=[DataRequired(), Length(max=2000)])


class DecisionForm(FlaskForm):
    decision = SelectField(_l("Decision"), choices=DECISION_CHOICES)
    reason = TextAreaField(_l("Reason (required when the decision differs from the recommendation)"),
                           validators=[Optional(), Length(max=4000)])
    override_reason = TextAreaField(_l("Reason for deciding before every sheet is submitted or without an assessment result"),
                                    validators=[Optional(), Length(max=4000)])


class SheetFormBase(FlaskForm):
    version = HiddenField()


def sheet_form(items: Sequence[InputDecl], *, data: Any = None, formdata: Any = None) -> SheetFormBase:
    """A form with a score and a comment per reviewer-scored item: label, scale and guidance from the system."""

    class SheetForm(SheetFormBase):
        pass

    for decl in items:
        validators: list[Any] = [Optional()]
        if decl.min is not None or decl.max is not None:
            validators.append(NumberRange(
                min=decl.min, max=decl.max,
                message=_l("Enter a score between %(min)s and %(max)s.", min=decl.min, max=decl.max)))
        setattr(SheetForm, f"score_{decl.code}", DecimalField(
            decl.label, places=None, validators=validators, description=decl.help,
            render_kw={"inputmode": "decimal", "min": decl.min, "max": decl.max}))
        setattr(SheetForm, f"comment_{decl.code}", TextAreaField(
            _l("Comment"), validators=[Optional(), Length(max=4000)], render_kw={"rows": 2}))
    if formdata is None:
        return SheetForm(data=data)
    return SheetForm(formdata=formdata)
