"""Marshmallow schemas of the API: they parse the query strings, shape the answers, and are what the
OpenAPI document is generated from (registry.api.spec), so the document cannot drift from the code.
"""

from __future__ import annotations

from marshmallow import EXCLUDE, Schema, fields, validate

from registry.institutions.queries import FLAG_COLUMNS, NO_LEVEL, SORT_KEYS
from registry.models import CarrierType, Level, Status, Subclass
from registry.stats.queries import GROUPINGS

LANGS = ("zh_CN", "en")


class _Query(Schema):
    class Meta:
        unknown = EXCLUDE  # tracking parameters and the like are ignored, not an error

    lang = fields.String(validate=validate.OneOf(LANGS), metadata={
        "description": "Language of labels, titles and messages (default zh_CN)."})


# --- errors ------------------------------------------------------------------------------------------

class ErrorDetail(Schema):
    code = fields.String(required=True, metadata={
        "description": "Stable machine code: token_missing, token_invalid, not_found, invalid_parameter, "
                       "method_not_allowed, internal_error."})
    message = fields.String(required=True, metadata={"description": "What went wrong, in the request's language."})
    fields_ = fields.Dict(keys=fields.String(), values=fields.List(fields.String()), data_key="fields",
                          metadata={"description": "Per parameter: what is wrong with it (invalid_parameter only)."})


class Error(Schema):
    error = fields.Nested(ErrorDetail, required=True)


# --- count definitions and counts ----------------------------------------------------------------------

class Texts(Schema):
    zh_CN = fields.String(required=True)
    en = fields.String(required=True)


class Target(Schema):
    year = fields.Integer(required=True)
    value = fields.Integer(required=True)
    comparator = fields.String(required=True, validate=validate.OneOf([">=", ">"]))
    provisional = fields.Boolean(required=True, metadata={"description": "The target's source document was not found."})


class Definition(Schema):
    code = fields.String(required=True)
    version = fields.Integer(required=True)
    title = fields.Nested(Texts, required=True)
    rule = fields.Nested(Texts, required=True, metadata={"description": "The counting rule in words."})
    categories = fields.List(fields.String(validate=validate.OneOf([c.value for c in CarrierType])), required=True)
    levels = fields.List(fields.String(validate=validate.OneOf([lv.value for lv in Level])), required=True,
                         allow_none=True, metadata={"description": "null: a recognition of any level counts."})
    groupings = fields.List(fields.String(validate=validate.OneOf(GROUPINGS)), required=True)
    target = fields.Nested(Target, required=True, allow_none=True)


class DefinitionList(Schema):
    definitions = fields.List(fields.Nested(Definition), required=True)


class CountQuery(_Query):
    from_ = fields.Integer(required=True, data_key="from", metadata={"description": "First year, e.g. 2016."})
    to = fields.Integer(required=True, metadata={"description": "Last year, e.g. 2020."})
    as_of = fields.Date(metadata={"description": "Count on this date instead of 31 December when it comes earlier."})
    by = fields.String(validate=validate.OneOf(GROUPINGS), metadata={
        "description": "One row per town, zone or subclass (default: the city total only)."})


class DefinitionRef(Schema):
    code = fields.String(required=True)
    version = fields.Integer(required=True)


class CountRow(Schema):
    code = fields.String(required=True, allow_none=True, metadata={
        "description": "Town, zone or subclass code; null for institutions outside every zone or with no subclass."})
    label = fields.String(required=True)
    counts = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True,
                         metadata={"description": "Year → number of institutions."})


class Count(Schema):
    indicator = fields.String(required=True, metadata={"description": "The definition's code (as in the exports)."})
    definition = fields.Nested(DefinitionRef, required=True)
    title = fields.String(required=True)
    from_ = fields.Integer(required=True, data_key="from")
    to = fields.Integer(required=True)
    by = fields.String(required=True, allow_none=True)
    as_of = fields.Date(required=True, allow_none=True)
    years = fields.List(fields.Integer(), required=True)
    counted_on = fields.Dict(keys=fields.String(), values=fields.Date(), required=True)
    rows = fields.List(fields.Nested(CountRow), required=True)
    total = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True,
                        metadata={"description": "Year → city total (each institution once)."})
    synthetic = fields.Boolean(required=True, metadata={"description": "The database holds synthetic demo data."})
    generated_at = fields.DateTime(required=True)
    notes = fields.List(fields.String(), required=True)


class MemberQuery(_Query):
    from_ = fields.Integer(required=True, data_key="from", metadata={"description": "First year, e.g. 2016."})
    to = fields.Integer(required=True, metadata={"description": "Last year, e.g. 2020."})
    as_of = fields.Date(metadata={"description": "Count on this date instead of 31 December when it comes earlier."})


class Member(Schema):
    year = fields.Integer(required=True)
    counted_on = fields.Date(required=True)
    name = fields.String(required=True)
    uscc = fields.String(required=True)
    town = fields.String(required=True)
    subclass = fields.String(required=True, allow_none=True)
    level = fields.String(required=True, validate=validate.OneOf([lv.value for lv in Level]),
                          metadata={"description": "The highest qualifying level in force on the count date."})
    recognised_on = fields.Date(required=True)
    doc_no = fields.String(required=True, allow_none=True)


class MemberList(Schema):
    definition = fields.Nested(DefinitionRef, required=True)
    title = fields.String(required=True)
    years = fields.List(fields.Integer(), required=True)
    counted_on = fields.Dict(keys=fields.String(), values=fields.Date(), required=True)
    total = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)
    institutions = fields.List(fields.Nested(Member), required=True,
                               metadata={"description": "One row per year and institution: the rows behind `total`."})
    notes = fields.List(fields.String(), required=True)


# --- the registry ------------------------------------------------------------------------------------

class RegistryQuery(_Query):
    q = fields.String(validate=validate.Length(max=100), metadata={
        "description": "Substring of the name, credit code or operating entity."})
    category = fields.String(validate=validate.OneOf([c.value for c in CarrierType]))
    subclass = fields.String(validate=validate.OneOf([s.value for s in Subclass]))
    level = fields.String(validate=validate.OneOf([lv.value for lv in Level] + [NO_LEVEL]), metadata={
        "description": "Highest level in force today; \"none\": no recognition in force."})
    status = fields.String(validate=validate.OneOf([s.value for s in Status]))
    town = fields.String(metadata={"description": "Town code, e.g. songshanhu."})
    zone = fields.String(metadata={"description": "Zone code."})
    flags = fields.List(fields.String(validate=validate.OneOf(list(FLAG_COLUMNS))), metadata={
        "description": "Features that must all be present (repeat the parameter)."})
    sort = fields.String(validate=validate.OneOf(SORT_KEYS), load_default="name")
    dir = fields.String(validate=validate.OneOf(["asc", "desc"]), load_default="asc")
    page = fields.Integer(validate=validate.Range(min=1, max=100_000), load_default=1)
    per_page = fields.Integer(validate=validate.Range(min=1, max=500), load_default=100)


class Town(Schema):
    code = fields.String(required=True)
    name = fields.String(required=True)


class RecognitionRecord(Schema):
    level = fields.String(required=True, validate=validate.OneOf([lv.value for lv in Level]))
    level_label = fields.String(required=True)
    effective_from = fields.Date(required=True)
    ended_on = fields.Date(required=True, allow_none=True)
    end_reason = fields.String(required=True, allow_none=True)
    doc_no = fields.String(required=True, allow_none=True)


class InstitutionSummary(Schema):
    uscc = fields.String(required=True, metadata={"description": "统一社会信用代码, the institution's key."})
    name = fields.String(required=True)
    category = fields.String(required=True, validate=validate.OneOf([c.value for c in CarrierType]))
    category_label = fields.String(required=True)
    subclass = fields.String(required=True, allow_none=True)
    town = fields.Nested(Town, required=True)
    level = fields.String(required=True, allow_none=True, metadata={"description": "Highest level in force today."})
    level_label = fields.String(required=True, allow_none=True)
    status = fields.String(required=True, validate=validate.OneOf([s.value for s in Status]))
    established_on = fields.Date(required=True, allow_none=True)
    synthetic = fields.Boolean(required=True)


class InstitutionList(Schema):
    total = fields.Integer(required=True)
    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)
    items = fields.List(fields.Nested(InstitutionSummary), required=True)


class InstitutionRecord(InstitutionSummary):
    operating_entity = fields.String(required=True, allow_none=True)
    address = fields.String(required=True, allow_none=True)
    recognitions = fields.List(fields.Nested(RecognitionRecord), required=True)


class RecordQuery(_Query):
    pass
