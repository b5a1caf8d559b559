"""Filters of a run's results page (GET form, no CSRF)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from assessment import CATEGORIES
from registry.labels import CODE_LABELS, LABELS
from registry.models.enums import CarrierType

def _choices(pairs: list[tuple[str, object]]) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in pairs]  # type: ignore[arg-type]


GRADE_CHOICES = [("", _l("All grades")), ("A", "A"), ("B", "B"), ("C", "C"), ("D", "D"), ("none", _l("No grade"))]
RECOMMENDATION_CHOICES = [("", _l("All recommendations"))] + [
    (code, CODE_LABELS[code]) for code in ("recognise", "do_not_recognise", "keep", "upgrade", "rectify", "exit")
] + [("none", _l("No recommendation"))]
SORT_CHOICES = [("score", _l("Score")), ("grade", _l("Grade")), ("name", _l("Name")),
                ("recommendation", _l("Recommendation")), ("category", _l("Category")), ("missing", _l("Missing figures"))]


class RunFilterForm(FlaskForm):
    class Meta:
        csrf = False

    grade = SelectField(_l("Grade"), choices=_choices(GRADE_CHOICES), default="", validators=[Optional()])
    recommendation = SelectField(_l("Recommendation"), choices=_choices(RECOMMENDATION_CHOICES), default="", validators=[Optional()])
    category = SelectField(_l("Category"), choices=_choices([("", _l("All categories"))] + [(c, LABELS[CarrierType(c)]) for c in CATEGORIES]),
                           default="", validators=[Optional()])
    sort = SelectField(_l("Sort by"), choices=_choices(SORT_CHOICES), default="score", validators=[Optional()])
    order = SelectField(_l("Order"), choices=_choices([("desc", _l("Descending")), ("asc", _l("Ascending"))]), default="desc",
                        validators=[Optional()])


class StartRunForm(FlaskForm):
    """Start an assessment run from the runs page (it runs as a background job)."""

    year = IntegerField(_l("Year"), validators=[DataRequired(), NumberRange(min=2000, max=2100)])
    category = SelectField(_l("Categories"), choices=[], default="", validators=[Optional()])
    note = StringField(_l("Note"), validators=[Optional(), Length(max=500)])
    force = BooleanField(_l("Run although too few institutions have reported (say why in the note)"))


class VoidRunForm(FlaskForm):
    """Void a run: the written reason is required and kept with the run."""

    reason = TextAreaField(_l("Reason for voiding"), validators=[DataRequired(), Length(max=2000)])
