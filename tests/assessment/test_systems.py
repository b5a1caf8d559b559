"""Every shipped system and criteria file loads, declares complete inputs, and broken files are refused."""

from __future__ import annotations

import hashlib
from importlib.resources import files
from pathlib import Path

import pytest

from assessment import (
    CATEGORIES,
    SUBCLASSES,
    Input,
    Standing,
    SystemDefinitionError,
    SystemNotFoundError,
    add_data_root,
    all_criteria,
    all_systems,
    evaluate,
    load_criteria,
    load_system,
    load_version,
    remove_data_root,
    system_versions,
)

HEADER_CODES = {"org_name", "uscc", "legal_form", "town_or_park", "recognition_level", "recognition_year",
                "recognition_doc_no", "established_on", "operating_since", "report_year", "head", "stats_officer",
                "filer", "phone", "torch_stats_filed", "integrity_flags"}
TENANT_COLUMNS = {"name", "uscc", "established_on", "entered_on", "is_graduated", "graduated_on", "is_hte", "revenue",
                  "rd_expenditure", "employees", "valid_ip", "financing"}
SHIPPED = all_systems()


def test_every_assessed_category_and_subclass_has_a_system_from_2018():
    expected = {(c, s) for c in CATEGORIES if c != "industrial_park" for s in (SUBCLASSES.get(c) or (None,))}
    assert {(c, s) for c, s, _ in SHIPPED} == expected
    for category, subclass in expected:
        assert system_versions(category, subclass)[0] == 2018


@pytest.mark.parametrize(("category", "subclass", "version"), SHIPPED)
def test_shipped_system_loads_and_pins_its_file(category, subclass, version):
    system = load_version(category, version, subclass)
    raw = (files("assessment") / "systems" / system.source).read_bytes()
    assert system.sha256 == hashlib.sha256(raw).hexdigest()
    assert system.source == (f"{category}/{subclass}/{version}.toml" if subclass else f"{category}/{version}.toml")
    assert system.provisional  # every shipped weight set rests on [I] facts
    assert all(ind.reference for ind in system.indicators)
    decls = system.input_set.by_code()
    assert HEADER_CODES <= set(decls)
    for ind in system.indicators:
        assert set(ind.inputs) <= set(decls)
    reviewer = {d.code for d in system.input_set.reviewer_scored()}
    assert reviewer.isdisjoint(d.code for d in system.input_set.self_reported())
    tables = {t.code: t for t in system.input_set.tables}
    if category == "rd_institution":
        assert {"name", "level", "funds"} <= {c.code for c in tables["projects"].columns}
    else:
        assert TENANT_COLUMNS <= {c.code for c in tables["tenants"].columns}
        assert tables["tenants"].count_input in decls
    assert system.input_set.checks


def test_incubator_2019_follows_the_239_structure():
    for subclass in ("comprehensive", "specialised"):
        system = load_system("incubator", 2019, subclass)
        assert [(g.label, g.weight) for g in system.groups if g.weight] == [("服务能力", 30), ("孵化绩效", 55), ("可持续发展", 15)]
        assert system.bonus_cap == 5
        assert {i.rule for i in system.indicators} >= {"bonus", "veto"}
        assert system.has_fail_grade
        assert system.quota is not None and system.quota.grade == "A"


def test_comprehensive_and_specialised_weights_differ():
    comp = {i.code: i.weight for i in load_system("incubator", 2019, "comprehensive").indicators}
    spec = {i.code: i.weight for i in load_system("incubator", 2019, "specialised").indicators}
    assert comp["public_platforms"] == 4 and spec["public_platforms"] == 9


def test_rd_classes_weigh_market_oriented_operation_differently():
    weights = {s: next(g.weight for g in load_system("rd_institution", 2018, s).groups if g.code == "market_operation")
               for s in SUBCLASSES["rd_institution"]}
    assert all(w > 0 for w in weights.values())
    assert weights["commercialisation"] > weights["tech_innovation"]


def test_years_2015_to_2019_style_systems_have_no_d():
    assert not load_system("incubator", 2018, "comprehensive").has_fail_grade
    assert not load_system("maker_space", 2019).has_fail_grade
    assert load_system("maker_space", 2020).has_fail_grade


def test_version_in_force_is_the_latest_not_after_the_year():
    assert load_system("incubator", 2018, "comprehensive").version == 2018
    assert load_system("incubator", 2019, "comprehensive").version == 2019
    assert load_system("incubator", 2030, "comprehensive").version == 2019


def test_no_system_in_force_names_the_years_that_have_one():
    with pytest.raises(SystemNotFoundError) as err:
        load_system("incubator", 2017, "specialised")
    assert err.value.available == [2018, 2019]
    assert "2017" in str(err.value) and "2018, 2019" in str(err.value)


def test_industrial_parks_are_registered_but_not_assessed():
    assert "industrial_park" in CATEGORIES
    assert system_versions("industrial_park") == []
    with pytest.raises(SystemNotFoundError, match="none is defined"):
        load_system("industrial_park", 2020)


@pytest.mark.parametrize(("category", "subclass"), [("bakery", None), ("incubator", None), ("incubator", "mixed"), ("maker_space", "x")])
def test_wrong_calls_are_value_errors(category, subclass):
    with pytest.raises(ValueError):
        load_system(category, 2019, subclass)


@pytest.mark.parametrize(("code", "version"), all_criteria())
def test_criteria_load_and_read_declared_inputs(code, version):
    crit = load_criteria(code, version)
    subclasses = (crit.subclass,) if crit.subclass else (SUBCLASSES.get(crit.category) or (None,))
    for sub in subclasses:
        declared = load_system(crit.category, max(version, 2018), sub).input_set.by_code()
        assert set(crit.inputs_read) <= set(declared)
    assert all(c.reference for c in crit.criteria)
    if crit.level == "municipal":
        assert crit.provisional


# --- the extension hook, and files that must be refused ----------------------------------------

PARK = '''
category = "industrial_park"
version = 2021
code = "industrial_park"
title = "产业园区年度考核（试行）"
reference = "test"
max_score = 10
inputs = [
  { code = "firms", label = "入驻企业数", type = "int", min = 0 },
  { code = "firms_hte", label = "其中高企", type = "int", min = 0 },
  { code = "integrity_flags", label = "诚信事项", type = "multichoice", choices = [{ code = "none", label = "无" }, { code = "falsified_data", label = "弄虚作假" }] },
]

[[indicators]]
code = "hte_share"
label = "高企占比"
group = "results"
rule = "ratio_bands"
inputs = ["firms_hte", "firms"]
numerator = ["firms_hte"]
denominator = ["firms"]
weight = 10
bands = [{ min = 30, points = 10 }, { min = 10, points = 4 }]
reference = "test"

[[indicators]]
code = "veto_falsified"
label = "弄虚作假"
group = "veto"
rule = "veto"
inputs = ["integrity_flags"]
contains = "falsified_data"
reference = "test"
consequence = { kind = "do_not_recognise", bar_years = 2, reference = "test clause" }

[[grades]]
grade = "A"
label = "优秀"
min = 9
[[grades]]
grade = "C"
label = "合格"
min = 0
'''


@pytest.fixture
def data_root(tmp_path: Path):
    """A temporary data root; files written under it are seen by the loaders until the test ends."""
    (tmp_path / "systems" / "industrial_park").mkdir(parents=True)
    add_data_root(tmp_path)
    yield tmp_path
    remove_data_root(tmp_path)


def _write_park(root: Path, text: str) -> None:
    (root / "systems" / "industrial_park" / "2021.toml").write_text(text, "utf-8")


def test_adding_a_category_needs_only_a_data_file(data_root):
    _write_park(data_root, PARK)
    assert ("industrial_park", None, 2021) in all_systems()
    system = load_system("industrial_park", 2022)
    outcome = evaluate(system, 2022, {"firms": Input("firms", 10, "A1"), "firms_hte": Input("firms_hte", 3, "A2"),
                                      "integrity_flags": Input("integrity_flags", "none", "A3")},
                       standing=Standing("recognised", "municipal"))
    assert (str(outcome.score), outcome.grade) == ("10.00", "A")
    assert outcome.recommendation is not None and outcome.recommendation.kind == "keep"


def test_removing_the_root_forgets_its_systems(tmp_path):
    (tmp_path / "systems" / "industrial_park").mkdir(parents=True)
    _write_park(tmp_path, PARK)
    add_data_root(tmp_path)
    remove_data_root(tmp_path)
    assert system_versions("industrial_park") == []


@pytest.mark.parametrize(("old", "new", "path", "message"), [
    ('max_score = 10', 'max_score = 10\ncolour = "red"', "colour", "unknown key"),
    ('rule = "ratio_bands"', 'rule = "ratio_curve"', "indicators[0].rule", "unknown rule kind 'ratio_curve'"),
    ('weight = 10\nbands', 'weight = 9\nbands', "indicators[0].bands[0].points", "between 0 and the weight 9"),
    ('max_score = 10', 'max_score = 12', "indicators", "add up to 10, not max_score 12"),
    ('{ min = 30, points = 10 }, { min = 10, points = 4 }', '{ min = 10, points = 10 }, { min = 30, points = 4 }',
     "indicators[0].bands[1].min", "sorted by min"),
    ('{ min = 10, points = 4 }', '{ min = 10, points = "four" }', "indicators[0].bands[1].points", "expected a number"),
    ('inputs = ["firms_hte", "firms"]', 'inputs = ["firms_hte", "firms", "firms_total"]', "indicators[0].inputs[2]",
     "'firms_total' is read but not declared"),
    ('contains = "falsified_data"', 'contains = "lying"', "indicators[1].contains", "not a choice"),
    ('min = 9', 'min = 200', "grades[0].min", "unreachable"),
    ('grade = "C"\nlabel = "合格"\nmin = 0', 'grade = "C"\nlabel = "合格"\nmin = 5', "grades[1].min", "must start at 0"),
    ('version = 2021', 'version = 2020', "version", "stored as industrial_park/None/2021"),
    ('code = "hte_share"', 'code = "score"', "indicators[0].code", "already the name of a trace node"),
    ('code = "hte_share"', 'code = "results"\nunit = 3', "indicators[0].unit", "expected a non-empty string"),
    # a veto item declares its consequence and the clause for it
    ('consequence = { kind = "do_not_recognise", bar_years = 2, reference = "test clause" }\n', '',
     "indicators[1].consequence", "rule 'veto' needs 'consequence'"),
    ('kind = "do_not_recognise"', 'kind = "expel"', "indicators[1].consequence.kind",
     "expected one of rectify, grade_d, exit, do_not_recognise"),
    ('kind = "do_not_recognise", bar_years = 2', 'kind = "grade_d", bar_years = 2', "indicators[1].consequence.bar_years",
     "only a consequence that ends eligibility"),
    ('bar_years = 2', 'bar_years = 0', "indicators[1].consequence.bar_years", "at least 1 year"),
    (', reference = "test clause" }', ' }', "indicators[1].consequence.reference", "required key is missing"),
    ('reference = "test clause" }', 'reference = "x", why = "y" }', "indicators[1].consequence.why", "unknown key"),
    ('reference = "test"\n\n[[indicators]]', 'reference = "test"\nconsequence = { kind = "exit", reference = "x" }\n\n[[indicators]]',
     "indicators[0].consequence", "not a parameter of rule 'ratio_bands'"),
])
def test_broken_files_are_refused_with_file_and_path(data_root, old, new, path, message):
    assert old in PARK
    _write_park(data_root, PARK.replace(old, new, 1))
    with pytest.raises(SystemDefinitionError) as err:
        load_system("industrial_park", 2021)
    assert err.value.source == "industrial_park/2021.toml"
    assert err.value.path == path
    assert message in err.value.message
    assert str(err.value).startswith(f"industrial_park/2021.toml: {path}: ")


def test_invalid_toml_is_a_definition_error(data_root):
    _write_park(data_root, PARK + "\n[[grades]\n")
    with pytest.raises(SystemDefinitionError, match="not valid TOML"):
        load_system("industrial_park", 2021)
