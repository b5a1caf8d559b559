from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, Length, Optional

from registry.auth.operations import MIN_PASSWORD_LENGTH

ROLE_CHOICES = [SelectChoice("admin", _l("Bureau administrator")), SelectChoice("reviewer", _l("Reviewer")),
                SelectChoice("institution", _l("Institution"))]


class ActionForm(FlaskForm):
    """An empty form: a button that POSTs with a CSRF token."""


class UserEditForm(FlaskForm):
    display_name = StringField(_l("Display name"), validators=[Optional(), Length(max=120)])
    role = SelectField(_l("Role"), choices=ROLE_CHOICES)
    institution = StringField(_l("Institution (credit code or id)"), validators=[Optional(), Length(max=40)],
                              description=_l("Only for institution accounts: the institution the account reports for."))
    affiliation = StringField(_l("Reviewer's own institution (credit code or id)"), validators=[Optional(), Length(max=40)],
                              description=_l("Used to find conflicts of interest."))


class UserCreateForm(UserEditForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(min=3, max=80)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(min=MIN_PASSWORD_LENGTH, max=200)])
    confirm = PasswordField(_l("Repeat the password"), validators=[EqualTo("password", message=_l("The passwords differ."))])


class PasswordForm(FlaskForm):
    password = PasswordField(_l("New password"), validators=[DataRequired(), Length(min=MIN_PASSWORD_LENGTH, max=200)])
    confirm = PasswordField(_l("Repeat the password"), validators=[EqualTo("password", message=_l("The passwords differ."))])


class AuditFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET filter: nothing changes

    table = SelectField(_l("Table"), choices=[], validators=[Optional()])
    record = StringField(_l("Record id"), validators=[Optional(), Length(max=60)])
    user = StringField(_l("User"), validators=[Optional(), Length(max=120)])
    date_from = DateField(_l("From"), validators=[Optional()])
    date_to = DateField(_l("To"), validators=[Optional()])
