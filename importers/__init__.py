"""Excel in and out for self-reports and the roster: templates, reading, normalising, cell-level validation.

Plain Python: no Flask, no database. The fields come from `assessment`'s declared inputs::

    spec = load_spec("incubator", 2019, "comprehensive")
    template = build_template(spec, prefill={"org_name": ..., "uscc": ...}, last_year=last_values)
    report = parse_self_report(read_workbook(data, filename), spec, previous=last_values)
    if not report.valid:
        feedback = annotate_workbook(data, report)   # red/yellow cells, Chinese comments, 问题清单
"""

from importers.annotate import annotate_workbook
from importers.budget import Budget, template_budget
from importers.issues import Issue, IssueType, N_, catalogue, issue_type, render_issues
from importers.reference import TOWNS
from importers.report import CellValue, ImportReport, ReportIdentity, RosterReport, Table
from importers.roster import build_roster_template, parse_roster
from importers.self_report import parse_self_report
from importers.spec import TemplateSpec, load_spec
from importers.stored import report_from_dict, report_to_stored
from importers.template import build_template
from importers.workbook import Sheet, Workbook, read_workbook

__all__ = [
    "Budget", "report_from_dict", "report_to_stored", "template_budget",
    "CellValue", "ImportReport", "Issue", "IssueType", "N_", "ReportIdentity", "RosterReport", "Sheet", "TOWNS",
    "Table", "TemplateSpec", "Workbook", "annotate_workbook", "build_roster_template", "build_template",
    "catalogue", "issue_type", "load_spec", "parse_roster", "parse_self_report", "read_workbook", "render_issues",
]
