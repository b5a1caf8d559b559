"""Citations pinned against the published text (domain.md §2.5) and the years each regime applies.

国科发区〔2018〕300号: the recognition conditions stand in 第二章 (article numbers not checked
against the full text, so cited by chapter and condition number); 第九条 is the graduation
conditions, 第十条 the 20 % hardship relief, 第十一条 the application procedure, 第十三条
statistics, 第十四条 two failed evaluations → loss of status, 第十六条 falsification. 300号 applies
from the 2019 recognition round; earlier rounds used 国科发高〔2010〕680号 (domain.md §2.6).
"""

from __future__ import annotations

import re
from decimal import Decimal
from collections.abc import Iterator

import pytest

from assessment import all_criteria, all_systems, load_criteria, load_version

NATIONAL = ("incubator_national_comprehensive", "incubator_national_specialised")
#: what a 300号 article may be cited for: words that must appear in the citation or the item it belongs to
ARTICLE_SUBJECTS = {
    "第九条": ("毕业", "graduat"),
    "第十条": ("艰苦", "hardship"),
    "第十一条": ("申报程序", "公示"),
    "第十三条": ("统计", "stats"),
    "第十四条": ("不合格", "fail"),
    "第十五条": ("变化", "报告"),
    "第十六条": ("弄虚作假", "falsif", "诚信"),
}
UNVERIFIED = re.compile(r"未核实|\[I\]|推定|设计建议")


def _citations() -> Iterator[tuple[str, str, str]]:
    """(where, the text citing, the item's code and label) for every reference in every shipped file."""
    for category, subclass, version in all_systems():
        s = load_version(category, version, subclass)
        where = s.source
        yield where, s.reference, s.code
        yield where, s.decisions.reference, "decisions consecutive fails 不合格"
        for ind in s.indicators:
            yield where, ind.reference, f"{ind.code} {ind.label}"
            if ind.consequence is not None:
                yield where, ind.consequence.reference, f"{ind.code} {ind.label}"
        for decl in s.input_set.inputs:
            yield where, decl.reference or "", f"{decl.code} {decl.label}"
    for code, version in all_criteria():
        c = load_criteria(code, version)
        yield c.source, c.reference, c.title
        yield c.source, c.notes, c.title
        for crit in c.criteria:
            for item in (crit, *crit.alternatives):
                yield c.source, item.reference, f"{item.code} {item.label}"


def test_every_300_article_is_cited_for_what_it_says() -> None:
    checked = 0
    for where, text, item in _citations():
        for cite in re.split(r"[;；]", text or ""):
            if "300号" not in cite and "第" not in cite:
                continue
            for article, subjects in ARTICLE_SUBJECTS.items():
                if re.search(article + r"(?![一二三四五六七八九十])", cite) and ("300号" in cite or "300号" in text):
                    checked += 1
                    context = f"{cite} {item}"
                    assert any(s in context for s in subjects), f"{where}: {article} cited for {item!r}: {cite!r}"
    assert checked >= 40  # the check really ran over the shipped files


@pytest.mark.parametrize("code", NATIONAL)
def test_300_recognition_conditions_are_cited_by_chapter_not_by_the_graduation_article(code: str) -> None:
    c = load_criteria(code, 2019)
    assert c.version == 2019 and "国科发区〔2018〕300号" in c.reference and "第二章" in c.reference
    assert "第十条 艰苦边远地区放宽20%" in c.reference and c.hardship_relief == Decimal("0.2")
    for crit in c.criteria:
        for item in (crit, *crit.alternatives):
            ref = item.reference or crit.reference
            assert re.fullmatch(r"国科发区〔2018〕300号 第二章 (认定条件\([一二三四五六七]\)|专业孵化器条件)", ref), ref
            assert "第九条" not in ref and "第十条" not in ref


def test_the_specialised_conditions_and_the_unverified_area() -> None:
    c = {x.code: x for x in load_criteria("incubator_national_specialised", 2019).criteria}
    assert c["tenants"].required == 30 and c["tenant_density"].required == 2 and c["graduates_cum"].required == 15
    for code in ("tenants", "tenant_density", "graduates_cum", "sector_share", "public_tech_platform"):
        assert c[code].reference == "国科发区〔2018〕300号 第二章 专业孵化器条件"
    area = c["controlled_area"]
    assert area.required == 10000 and area.provisional and "3000" in area.note and "未核实" in area.note


@pytest.mark.parametrize("code", NATIONAL)
@pytest.mark.parametrize(("year", "version", "document"), [
    (2016, 2010, "国科发高〔2010〕680号"), (2017, 2010, "国科发高〔2010〕680号"), (2018, 2010, "国科发高〔2010〕680号"),
    (2019, 2019, "国科发区〔2018〕300号"), (2020, 2019, "国科发区〔2018〕300号"),
])
def test_300_applies_from_the_2019_round_and_680_before(code: str, year: int, version: int, document: str) -> None:
    c = load_criteria(code, year)
    assert c.version == version and c.reference.startswith(f"{document}《")
    if version == 2010:  # thresholds not retrieved from the text: all provisional
        assert c.provisional and all(x.provisional for x in c.criteria)
        assert {x.code for x in c.criteria} == {"controlled_area", "staff_college_share", "staff_trained_share"}
    else:
        assert not c.provisional


def test_every_unverified_threshold_is_provisional() -> None:
    for code, version in all_criteria():
        c = load_criteria(code, version)
        for crit in c.criteria:
            for item in (crit, *crit.alternatives):
                if UNVERIFIED.search(f"{item.reference} {item.note}"):
                    assert c.provisional or item.provisional or crit.provisional, f"{c.source}: {item.code}"
    for category, subclass, version in all_systems():
        s = load_version(category, version, subclass)
        for ind in s.indicators:
            if UNVERIFIED.search(f"{ind.reference} {ind.note}"):
                assert ind.provisional or s.provisional, f"{s.source}: {ind.code}"
            c = ind.consequence
            if c is not None and UNVERIFIED.search(c.reference):
                assert c.provisional, f"{s.source}: {ind.code} consequence"


def test_veto_consequences_follow_their_clauses() -> None:
    seen = 0
    for category, subclass, version in all_systems():
        s = load_version(category, version, subclass)
        for ind in s.indicators:
            if ind.rule != "veto":
                continue
            seen += 1
            c = ind.consequence
            assert c is not None and c.reference
            if ind.code == "veto_falsified_data" and category in ("incubator", "maker_space"):
                assert (c.kind, c.bar_years, c.provisional) == ("do_not_recognise", 2, False)
                assert "300号" in c.reference and "第十六条" in c.reference and "2年内不得再次申报" in c.reference
            if ind.code == "veto_stats_not_filed":  # a D for the year that counts towards the two-fail rule
                assert (c.kind, c.provisional) == ("grade_d", True), s.source
    assert seen == 43
