"""The glossary covers every code the code base can put in front of a user."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from assessment import glossary
from assessment.rules import KINDS
from importers.issues import _CATALOGUE

ROOT = Path(__file__).resolve().parents[2]


def _enum_values() -> list[tuple[str, str]]:
    from registry.labels import ENUM_KINDS

    return [(kind, member.value) for enum_cls, kind in ENUM_KINDS.items() for member in enum_cls]


def _recommendation_rules() -> set[str]:
    """Every rule code assessment/decisions.py passes to done(…, rule)."""
    tree = ast.parse((ROOT / "assessment" / "decisions.py").read_text(encoding="utf-8"))
    rules = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "done" and len(node.args) >= 2:
            if isinstance(node.args[1], ast.Constant):
                rules.add(node.args[1].value)
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Recommendation":
            if isinstance(node.args[0], ast.Constant):
                rules.add(("kind", node.args[0].value))
    return rules


def test_every_enum_member_has_chinese_and_english() -> None:
    for kind, code in _enum_values():
        found = glossary.term(kind, code)
        assert found is not None, f"{kind} {code} has no glossary term"
        assert re.search(r"[\u4e00-\u9fff]", found.zh), f"{kind} {code}: {found.zh!r} is not Chinese"
        assert found.en and not re.search(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]", found.en), found.en


def test_every_rule_kind_issue_code_and_recommendation_rule_has_a_term() -> None:
    missing = [f"rule_kind {k}" for k in KINDS if glossary.term("rule_kind", k) is None]
    missing += [f"issue_kind {c}" for c in _CATALOGUE if glossary.term("issue_kind", c) is None]
    from registry.reports import issues as registry_issues

    missing += [f"issue_kind {t.code}" for t in vars(registry_issues).values()
                if type(t).__name__ == "IssueType" and glossary.term("issue_kind", t.code) is None]
    for rule in _recommendation_rules():
        if isinstance(rule, tuple):
            if glossary.term("recommendation", rule[1]) is None:
                missing.append(f"recommendation {rule[1]}")
        elif glossary.term("recommendation_rule", rule) is None:
            missing.append(f"recommendation_rule {rule}")
    assert not missing, missing


def test_terms_are_consistent_wording() -> None:
    """One word per idea: 准予认定 (never 予以认定), 已满足 (never 已完成) for criteria."""
    words = [t.zh for kind in glossary.GLOSSARY.values() for t in kind.values()]
    assert not [w for w in words if "予以认定" in w or "已完成" in w]
    assert glossary.zh("recommendation", "recognise") == "准予认定"


def test_unknown_codes_are_shown_as_a_dash_not_as_themselves() -> None:
    assert glossary.text("level", "galactic") == "—"
    assert glossary.text("recommendation", "keep", "en") == "Keep"
    assert glossary.text("recommendation", "keep") == "保留"


@pytest.mark.parametrize(("reference", "expected"), [
    ("广东省国家级孵化器培育单位条件 (sinovcc.com, domain.md §5.3) [C2]", "广东省国家级孵化器培育单位条件 (sinovcc.com)"),
    ("国科火字〔2019〕239号（二级指标权重为暂定值，见 domain.md §3.2–3.4）", "国科火字〔2019〕239号（二级指标权重为暂定值）"),
    ("domain.md §3.4 加分 [I]", ""),
    ("国科发区〔2018〕300号 第十六条", "国科发区〔2018〕300号 第十六条"),
])
def test_source_notes_drop_the_projects_own_notes(reference: str, expected: str) -> None:
    assert glossary.public_reference(reference) == expected


def test_no_shipped_reference_keeps_an_internal_note() -> None:
    refs = set()
    for path in (ROOT / "assessment").rglob("*.toml"):
        refs |= set(re.findall(r'reference = "([^"]*)"', path.read_text(encoding="utf-8")))
    leaks = [r for r in refs if re.search(r"domain\.md|\[(?:C2?|I)\]", glossary.public_reference(r))]
    assert not leaks
