"""Forms of the self-report pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired, FileSize
from wtforms import HiddenField, SubmitField
from wtforms.validators import DataRequired, ValidationError

from importers.limits import MAX_UPLOAD_BYTES


class SelfReportUploadForm(FlaskForm):
    """The filled-in template. The content decides what it is (not the extension): the importer says."""

    file = FileField(_l("Filled-in template (.xlsx)"), validators=[
        FileRequired(_l("Choose the filled-in template to upload.")),
        FileSize(max_size=MAX_UPLOAD_BYTES, message=_l("The file is larger than 20 MB.")),
    ], description=_l("Download the template for this year, fill in the white cells and upload it here."))
    submit = SubmitField(_l("Upload and check"))

    def validate_file(self, field: FileField) -> None:
        stream = field.data.stream
        stream.seek(0, 2)
        size = stream.tell()
        stream.seek(0)
        if size == 0:
            raise ValidationError(_l("The file is empty."))


class ConfirmForm(FlaskForm):
    """Confirms a checked upload; the server re-reads the stored bytes, nothing else is trusted."""

    upload_id = HiddenField(validators=[DataRequired()])
    submit = SubmitField(_l("Confirm and submit"))

