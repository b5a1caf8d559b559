"""Importer and registry issue messages render in the UI language through the catalogue."""

from __future__ import annotations

import re

import pytest

import importers
from registry.reports.issues import REGISTRY_ISSUE_TYPES, render_issue


def test_every_importer_message_is_in_the_chinese_catalogue():
    """babel.cfg extracts importers/ (N_ markers), so each issue template has a translation."""
    from pathlib import Path

    from babel.messages.pofile import read_po

    import registry

    po = Path(registry.__file__).parent / "translations" / "zh_Hans_CN" / "LC_MESSAGES" / "messages.po"
    with po.open("rb") as handle:
        catalogue = read_po(handle)
    missing = [t.template for t in importers.catalogue() if not (catalogue.get(t.template) and catalogue.get(t.template).string)]
    assert missing == []


def _sample(issue_type: importers.IssueType) -> importers.Issue:
    names = set(re.findall(r"%\((\w+)\)s", issue_type.template + issue_type.template_zh))
    params = {n: f"<{n}>" for n in names if n not in ("label", "value", "sheet", "cell", "field", "expected")}
    return importers.Issue(issue_type, sheet="基本情况", cell="D12", field="tenants", label="在孵企业数", value="二十",
                           expected="integer ≥ 0", params=params)


@pytest.mark.parametrize("issue_type", [*importers.catalogue(), *REGISTRY_ISSUE_TYPES], ids=lambda t: t.code)
def test_every_issue_type_renders_the_same_chinese_as_the_importers(app, issue_type):
    issue = _sample(issue_type)
    with app.test_request_context("/"):
        zh = render_issue(issue)
    with app.test_request_context("/?lang=en"):
        en = render_issue(issue)
    assert zh == issue.message("zh_CN")
    assert en == issue.message("en")
    assert zh != en


def test_a_missing_placeholder_renders_empty_instead_of_failing(app):
    issue = importers.Issue(importers.issue_type("corrupt-file"))  # no filename, no detail
    with app.test_request_context("/"):
        assert render_issue(issue) == "无法读取“”（），请用 Excel 打开后另存一次再上传。"
