"""Forms of the registry pages. Business rules live in operations.py; these check shape and type only.

Every message a user can trigger here is ours (English msgid, Chinese in the catalogue), so a bad
date such as 2020-13-45 or a tampered select value gets a specific, translated message.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, DecimalField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from registry.labels import LABELS
from registry.models import CarrierType, EndReason, GraduationCriterion, LegalForm, Level, Status, Subclass, TenancyExit
from registry.models.enums import SUBCLASSES_BY_CATEGORY

REQUIRED = _l("This field is required.")


class DateInputField(DateField):
    """A YYYY-MM-DD date whose parse error says what was typed and what is expected."""

    def process_formdata(self, valuelist):  # noqa: ANN001, ANN201
        if not valuelist or not valuelist[0].strip():
            self.data = None
            return
        raw = valuelist[0].strip()
        try:
            self.data = dt.date.fromisoformat(raw)
        except ValueError:
            self.data = None
            raise ValueError(_l("“%(value)s” is not a valid date: use YYYY-MM-DD, e.g. 2020-06-30.", value=raw[:40])) from None


class AreaField(DecimalField):
    """An area in m², optional, with a translated message for non-numbers."""

    def __init__(self, label=None, **kwargs):  # noqa: ANN001, ANN003
        kwargs.setdefault("places", 2)
        kwargs.setdefault("validators", [Optional(), NumberRange(min=0, message=_l("An area cannot be negative."))])
        super().__init__(label, **kwargs)

    def process_formdata(self, valuelist):  # noqa: ANN001, ANN201
        if not valuelist or not valuelist[0].strip():
            self.data = None
            return
        raw = valuelist[0].strip().replace(",", "")
        try:
            self.data = decimal.Decimal(raw)
            if not self.data.is_finite() or abs(self.data) >= decimal.Decimal("1e12"):
                raise decimal.InvalidOperation
        except (decimal.InvalidOperation, ValueError):
            self.data = None
            raise ValueError(_l("“%(value)s” is not a number of square metres.", value=raw[:40])) from None


class ChoiceField(SelectField):
    """A select whose rejection of a tampered value is translated and names the value."""

    def __init__(self, label=None, validators=None, **kwargs):  # noqa: ANN001, ANN003
        kwargs.setdefault("coerce", str)
        super().__init__(label, validators, **kwargs)

    def pre_validate(self, form):  # noqa: ANN001, ANN201
        if self.data in (None, ""):
            return  # DataRequired, where present, reports the missing value
        if self.data not in {str(choice.value) for choice in self._choices_from_input(self.choices) or []}:
            raise ValidationError(_l("“%(value)s” is not one of the choices.", value=str(self.data)[:40]))


def enum_choices(members, blank=None):  # noqa: ANN001, ANN201
    """(value, label) pairs of enum members, optionally after a blank choice."""
    choices = [SelectChoice("", blank)] if blank is not None else []
    # lazy labels: translated when the page is rendered
    return choices + [SelectChoice(m.value, LABELS.get(m, m.value)) for m in members]


def subclass_map() -> str:
    """{category: [subclass, …]} as JSON for the data-subclasses attribute read by institutions.js."""
    return (json.dumps({c.value: [s.value for s in subs] for c, subs in SUBCLASSES_BY_CATEGORY.items()}))


class RegistryFilterForm(FlaskForm):
    """The list's GET filters (no CSRF: reading only). Invalid values are ignored, not fatal."""

    class Meta:
        csrf = False

    q = StringField(_l("Search"), validators=[Optional(), Length(max=100)])
    category = ChoiceField(_l("Category"))
    subclass = ChoiceField(_l("Subclass"))
    level = ChoiceField(_l("Level in force today"))
    status = ChoiceField(_l("Status"))
    town = ChoiceField(_l("Town"))
    zone = ChoiceField(_l("Zone"))
    venture = BooleanField(_l("Incubation + venture capital"))
    internet_plus = BooleanField(_l("Internet Plus"))
    urban_renewal = BooleanField(_l("Urban renewal (三旧改造)"))
    strata_title = BooleanField(_l("Strata-title division"))
    hmt_base = BooleanField(_l("HK/Macao/Taiwan base"))


class InstitutionForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(message=REQUIRED), Length(max=200)])
    uscc = StringField(_l("Unified social credit code"), validators=[DataRequired(message=REQUIRED), Length(max=40)],
                       description=_l("18 characters; the check digit is verified."))
    category = ChoiceField(_l("Category"), validators=[DataRequired(message=REQUIRED)],
                           choices=enum_choices(CarrierType, blank=""))
    subclass = ChoiceField(_l("Subclass"), choices=enum_choices(Subclass, blank=""),
                           description=_l("Incubators and new-type R&D institutions are assessed by subclass."))
    specialised_field = StringField(_l("Specialised field"), validators=[Optional(), Length(max=100)])
    legal_form = ChoiceField(_l("Legal form"), validators=[DataRequired(message=REQUIRED)],
                             choices=enum_choices(LegalForm))
    town = ChoiceField(_l("Town"), validators=[DataRequired(message=REQUIRED)])
    operating_entity = StringField(_l("Operating entity"), validators=[Optional(), Length(max=200)])
    parent_organisation = StringField(_l("Parent organisation"), validators=[Optional(), Length(max=200)])
    address = StringField(_l("Address"), validators=[Optional(), Length(max=300)])
    established_on = DateInputField(_l("Established on"), validators=[Optional()])
    operating_since = DateInputField(_l("Operating since"), validators=[Optional()])
    gross_floor_area = AreaField(_l("Gross floor area (m²)"))
    controlled_area = AreaField(_l("Self-controlled area (m²)"))
    has_venture_model = BooleanField(_l("Incubation + venture capital"))
    has_internet_plus_model = BooleanField(_l("Internet Plus"))
    is_urban_renewal = BooleanField(_l("Urban renewal (三旧改造)"))
    is_strata_title = BooleanField(_l("Strata-title division"))
    strata_divisible_area = AreaField(_l("Divisible area (m²)"),
                                      description=_l("Only recorded for strata-title division projects."))
    strata_sold_area = AreaField(_l("Area sold (m²)"),
                                 description=_l("Only recorded for strata-title division projects."))
    is_hmt_base = BooleanField(_l("HK/Macao/Taiwan base"))
    is_hardship_area = BooleanField(_l("In a designated hardship area"))
    is_synthetic = BooleanField(_l("Synthetic demo record"))
    notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=5000)])

    #: fields handed to register_institution / update_institution as they are
    PLAIN_FIELDS = ("name", "uscc", "category", "subclass", "specialised_field", "legal_form", "operating_entity",
                    "parent_organisation", "address", "established_on", "operating_since", "gross_floor_area",
                    "controlled_area", "has_venture_model", "has_internet_plus_model", "is_urban_renewal",
                    "is_strata_title", "strata_divisible_area", "strata_sold_area", "is_hmt_base",
                    "is_hardship_area", "is_synthetic", "notes")


class NewInstitutionForm(InstitutionForm):
    status_on = DateInputField(_l("In the registry as an applicant since"), validators=[Optional()],
                               description=_l("Defaults to the establishment date, else today."))


class RecognitionForm(FlaskForm):
    level = ChoiceField(_l("Level"), validators=[DataRequired(message=REQUIRED)], choices=enum_choices(Level, blank=""))
    effective_from = DateInputField(_l("In force from"), validators=[InputRequired(message=REQUIRED)])
    doc_no = StringField(_l("Document number (文号)"), validators=[Optional(), Length(max=120)])
    ended_on = DateInputField(_l("Ended on"), validators=[Optional()],
                              description=_l("Only for a recognition that has already ended: the first day it no longer applied."))
    end_reason = ChoiceField(_l("Reason for ending"), choices=enum_choices(EndReason, blank=""))
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=2000)])


class EndRecognitionForm(FlaskForm):
    ended_on = DateInputField(_l("Ended on"), validators=[InputRequired(message=REQUIRED)],
                              description=_l("The first day the recognition no longer applies."))
    reason = ChoiceField(_l("Reason for ending"), validators=[DataRequired(message=_l("Give the reason for ending the recognition."))],
                         choices=enum_choices(EndReason, blank=""))
    doc_no = StringField(_l("Document number (文号)"), validators=[Optional(), Length(max=120)])


class StatusChangeForm(FlaskForm):
    status = ChoiceField(_l("New status"), validators=[DataRequired(message=REQUIRED)],
                         choices=enum_choices(Status, blank=""))
    effective_on = DateInputField(_l("Effective on"), validators=[InputRequired(message=REQUIRED)])
    reason = TextAreaField(_l("Reason"), validators=[Optional(), Length(max=2000)],
                           description=_l("Required for an exit."))
    doc_no = StringField(_l("Document number (文号)"), validators=[Optional(), Length(max=120)])


class TenancyForm(FlaskForm):
    firm_name = StringField(_l("Firm name"), validators=[DataRequired(message=REQUIRED), Length(max=200)])
    firm_uscc = StringField(_l("Firm's unified social credit code"),
                            validators=[DataRequired(message=REQUIRED), Length(max=40)])
    entered_on = DateInputField(_l("Entered on"), validators=[InputRequired(message=REQUIRED)])
    exited_on = DateInputField(_l("Left on"), validators=[Optional()])
    exit_reason = ChoiceField(_l("Reason for leaving"), choices=enum_choices(TenancyExit, blank=""))
    graduation_criterion = ChoiceField(_l("Graduation criterion met"),
                                       choices=enum_choices(GraduationCriterion, blank=""))


class EndTenancyForm(FlaskForm):
    exited_on = DateInputField(_l("Left on"), validators=[InputRequired(message=REQUIRED)])
    exit_reason = ChoiceField(_l("Reason for leaving"), validators=[DataRequired(message=REQUIRED)],
                              choices=enum_choices(TenancyExit, blank=""))
    graduation_criterion = ChoiceField(_l("Graduation criterion met"),
                                       choices=enum_choices(GraduationCriterion, blank=""))
