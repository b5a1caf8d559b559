"""Problems only the registry can see (whose file is this? may this account file it?), as importer Issues.

They use the importers' Issue model so the preview page, the CLI and the highlighted workbook show
them like any other problem; they are not in `importers.catalogue()` because they need the registry.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable

from importers import Issue, IssueType, N_

#: after every importer rule in the report order
_ORDER = 1000

WRONG_INSTITUTION = IssueType(
    "wrong-institution",
    N_("The credit code in this file (%(value)s) is not the credit code of %(institution)s (%(expected)s). "
       "Please download and fill in this institution's own template."),
    "文件中的统一社会信用代码（%(value)s）不是“%(institution)s”的代码（%(expected)s），请下载并填写本机构自己的模板。",
    _ORDER)
UNKNOWN_INSTITUTION = IssueType(
    "unknown-institution",
    N_("The credit code in this file (%(value)s) is not in the registry. Register the institution first "
       "(fuhua roster import)."),
    "文件中的统一社会信用代码（%(value)s）不在机构名录中，请先登记该机构（fuhua roster import）。",
    _ORDER + 1)
NO_CREDIT_CODE = IssueType(
    "no-credit-code",
    N_("No valid unified social credit code was found in sheet “%(sheet)s”, so the institution cannot be told."),
    "工作表“%(sheet)s”中没有有效的统一社会信用代码，无法确定填报机构。",
    _ORDER + 2)
NO_SYSTEM = IssueType(
    "no-system",
    N_("No assessment system is in force for %(what)s in %(year)s, so there is no self-report for that year."),
    "%(year)s 年度没有适用于“%(what)s”的考核指标体系，该年度无需填报自评报表。",
    _ORDER + 3)
NOT_YOUR_INSTITUTION = IssueType(
    "not-your-institution",
    N_("This account may not report for the institution with credit code %(value)s."),
    "当前账号无权为统一社会信用代码为 %(value)s 的机构填报。",
    _ORDER + 4)
UNKNOWN_YEAR = IssueType(
    "unknown-year",
    N_("The report year cannot be told from the file; give it with --year."),
    "无法从文件中确定报告年度，请用 --year 指定。",
    _ORDER + 5)
DUPLICATE_TENANT = IssueType(
    "duplicate-tenant",
    N_("%(label)s “%(value)s” is also reported by another carrier for %(year)s. A firm should be counted by one "
       "carrier only; the bureau will check."),
    "“%(label)s”“%(value)s”在 %(year)s 年度也由其他载体填报。同一企业只应由一个载体统计，科技局将核实。",
    _ORDER + 6)
DUPLICATE_TENANT_NAMED = IssueType(
    "duplicate-tenant-named",
    N_("%(label)s “%(value)s” is also claimed by %(others)s for %(year)s."),
    "“%(label)s”“%(value)s”在 %(year)s 年度也被 %(others)s 填报或登记。",
    _ORDER + 7)

REGISTRY_ISSUE_TYPES: tuple[IssueType, ...] = (
    WRONG_INSTITUTION, UNKNOWN_INSTITUTION, NO_CREDIT_CODE, NO_SYSTEM, NOT_YOUR_INSTITUTION, UNKNOWN_YEAR,
    DUPLICATE_TENANT, DUPLICATE_TENANT_NAMED)


def render_issue(issue: Issue) -> str:
    """The issue's message in the request's language (Flask-Babel), from its English msgid."""
    from flask_babel import get_locale, gettext

    context = issue.context()
    if str(get_locale() or "").startswith("zh"):
        # the catalogue's translations use the msgid's own placeholders (pybabel checks that);
        # in Chinese those take the Chinese variants the importers carry beside the English ones
        context.update({k[:-3]: v for k, v in list(context.items()) if k.endswith("_zh") and v is not None})
        if context.get("message") is not None:
            context["message_en"] = context["message"]
    # translate the msgid alone, then fill it: a placeholder the issue did not set renders as ""
    return gettext(issue.type.template) % _Blank(context)


class _Blank(dict):
    """Placeholder values where missing or None render as "" (a message never fails to render)."""

    def __missing__(self, key: str) -> str:
        return ""

    def __getitem__(self, key: str) -> object:
        value = super().__getitem__(key) if key in self else ""
        return "" if value is None else value


def group_issues(issues: Iterable[Issue]) -> list[tuple[str, IssueType, list[Issue]]]:
    """Errors before warnings, grouped by rule in catalogue order: [(severity, type, issues)]."""
    groups: OrderedDict[tuple[str, str], tuple[str, IssueType, list[Issue]]] = OrderedDict()
    for issue in sorted(issues, key=lambda i: i.sort_key()):
        key = (issue.severity, issue.code)
        if key not in groups:
            groups[key] = (issue.severity, issue.type, [])
        groups[key][2].append(issue)
    return list(groups.values())
