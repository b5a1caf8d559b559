"""`fuhua systems check|list` and `fuhua assess run|explain|compare` through the real CLI runner."""

from __future__ import annotations

from pathlib import Path

import shutil

import pytest
from sqlalchemy import func, select

from registry.extensions import db
from registry.models import AssessmentResult, AssessmentRun
from tests.registry.assess_helpers import add_report, declared_values, recognised

INC = ("incubator", "comprehensive")


def test_systems_check_passes_on_the_shipped_files(runner):
    result = runner.invoke(args=["systems", "check"])
    assert result.exit_code == 0, result.output
    assert "all valid" in result.output


def test_systems_check_names_the_file_and_path_of_a_bad_one(runner, tmp_path: Path):
    from assessment import add_data_root, remove_data_root

    shipped = Path(__file__).resolve().parents[2] / "assessment" / "systems"
    for folder in ("maker_space", "common"):  # the shared inputs files a system includes live beside it
        shutil.copytree(shipped / folder, tmp_path / "systems" / folder)
    target = tmp_path / "systems" / "maker_space"
    text = (shipped / "maker_space" / "2020.toml").read_text(encoding="utf-8")
    bad = text.replace('max_score = 100', 'max_score = 90', 1)
    assert bad != text
    (target / "2021.toml").write_text(bad.replace("version = 2020", "version = 2021", 1), encoding="utf-8")
    add_data_root(tmp_path)
    try:
        result = runner.invoke(args=["systems", "check"])
    finally:
        remove_data_root(tmp_path)
    assert result.exit_code == 1
    assert "maker_space/2021.toml" in result.output and "max_score" in result.output


def test_systems_list_shows_carry_forward_and_provisional_marks(runner):
    result = runner.invoke(args=["systems", "list", "--year", "2020", "--year", "2017"])
    assert result.exit_code == 0, result.output
    assert "incubator/comprehensive" in result.output
    assert "system 2019 (in force for 2020)" in result.output
    assert "system 2020  sha256" in result.output  # maker spaces have their own 2020 file
    assert "[provisional]" in result.output
    assert "no system in force; first 2018" in result.output  # 2017


@pytest.fixture
def seeded(app):
    with app.app_context():
        a = recognised(*INC, name="甲孵化器")
        add_report(a, 2019, declared_values(*INC, 2019))
        b = recognised(*INC, name="乙孵化器")
        add_report(b, 2019, declared_values(*INC, 2019, events=12))
        db.session.commit()
        return {"a": (a.id, a.uscc), "b": (b.id, b.uscc)}


def test_assess_run_explain_and_compare(app, runner, seeded):
    result = runner.invoke(args=["assess", "run", "--year", "2019", "--note", "first pass"])
    assert result.exit_code == 0, result.output
    assert "Run #1: 2 institutions assessed for 2019" in result.output
    assert "incubator/comprehensive" in result.output and "system 2019" in result.output

    uscc = seeded["a"][1]
    zh = runner.invoke(args=["assess", "explain", "--year", "2019", "--uscc", uscc])
    assert zh.exit_code == 0, zh.output
    out = zh.output
    assert "甲孵化器" in out and "sha256" in out
    assert "孵化资金规模" in out  # indicator label from the pinned system file
    assert "孵化资金!D" in out  # the source cell of an input
    assert "达到“不低于 500”档 → 得 5.00 分" in out  # the bands rule as a Chinese sentence
    assert "建议：" in out
    en = runner.invoke(args=["assess", "explain", "--year", "2019", "--uscc", uscc, "--lang", "en"])
    assert en.exit_code == 0 and "reaches the band" in en.output and "Recommendation:" in en.output

    # new figures for b: a second run differs, and compare says why
    with app.app_context():
        from sqlalchemy import update

        from registry.models import SelfReport

        inst_b = seeded["b"][0]
        db.session.execute(update(SelfReport).where(SelfReport.institution_id == inst_b).values(is_current=False))
        from registry.models import Institution

        add_report(db.session.get(Institution, inst_b), 2019,
                   declared_values(*INC, 2019, events=12, tenants=0), version=2)
        db.session.commit()
    assert runner.invoke(args=["assess", "run", "--year", "2019"]).exit_code == 0
    cmp = runner.invoke(args=["assess", "compare", "1", "2"])
    assert cmp.exit_code == 0, cmp.output
    assert "1 changed, 1 unchanged" in cmp.output
    assert seeded["b"][1] in cmp.output and "input tenants: 60 → 0" in cmp.output
    assert "points tenants: 8.00 → 0.00" in cmp.output

    missing = runner.invoke(args=["assess", "compare", "1", "99"])
    assert missing.exit_code == 1 and "No assessment run #99" in missing.output
    unknown = runner.invoke(args=["assess", "explain", "--year", "2019", "--uscc", "91440000000000000X"])
    assert unknown.exit_code == 1 and "No institution" in unknown.output


def test_assess_run_for_a_year_without_a_system_fails_cleanly(app, runner, seeded):
    result = runner.invoke(args=["assess", "run", "--year", "2012"])
    assert result.exit_code == 1
    assert "2012" in result.output and "2018" in result.output and "Traceback" not in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AssessmentRun)) == 0
        assert db.session.scalar(select(func.count()).select_from(AssessmentResult)) == 0


def test_assess_run_for_one_category(runner, seeded):
    result = runner.invoke(args=["assess", "run", "--year", "2019", "--category", "maker_space"])
    assert result.exit_code == 0, result.output
    assert "0 institutions assessed" in result.output
    bad = runner.invoke(args=["assess", "run", "--year", "2019", "--category", "spaceport"])
    assert bad.exit_code == 1 and "spaceport" in bad.output




def test_the_bureaus_data_root_overrides_and_adds_and_check_and_list_name_the_root(tmp_path: Path):
    """FUHUA_SYSTEMS_ROOT (Config SYSTEMS_ROOT): its files override or add to the shipped ones."""
    from assessment import data_roots, remove_data_root
    from registry import create_app

    shipped = Path(__file__).resolve().parents[2] / "assessment"
    text = (shipped / "systems/maker_space/2020.toml").read_text(encoding="utf-8")
    (tmp_path / "systems/maker_space").mkdir(parents=True)
    (tmp_path / "systems/maker_space/2022.toml").write_text(text.replace("version = 2020", "version = 2022", 1),
                                                            encoding="utf-8")
    (tmp_path / "criteria").mkdir()
    crit = (shipped / "criteria/incubator_municipal-2018.toml").read_text(encoding="utf-8")
    (tmp_path / "criteria/incubator_municipal-2018.toml").write_text(crit.replace("required = 2000", "required = 2100", 1),
                                                                     encoding="utf-8")
    app = create_app({"TESTING": True, "SECRET_KEY": "test", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'db.sqlite'}",
                      "SYSTEMS_ROOT": str(tmp_path)})
    try:
        assert tmp_path in data_roots()
        runner = app.test_cli_runner()
        check = runner.invoke(args=["systems", "check"])
        assert check.exit_code == 0, check.output
        lines = check.output.splitlines()
        assert any("systems/maker_space/2022.toml" in ln and ln.endswith(str(tmp_path)) for ln in lines)
        assert any("systems/maker_space/2020.toml" in ln and ln.endswith("shipped") for ln in lines)
        assert any("criteria/incubator_municipal-2018.toml" in ln and ln.endswith(str(tmp_path)) for ln in lines)
        listed = runner.invoke(args=["systems", "list", "--year", "2022"])
        assert listed.exit_code == 0, listed.output
        row = next(ln for ln in listed.output.splitlines() if ln.strip().startswith("maker_space"))
        assert "system 2022" in row and str(tmp_path) in row
        muni = next(ln for ln in listed.output.splitlines() if "incubator_municipal" in ln)
        assert str(tmp_path) in muni
    finally:
        remove_data_root(tmp_path)
    with pytest.raises(RuntimeError, match="FUHUA_SYSTEMS_ROOT"):
        create_app({"TESTING": True, "SECRET_KEY": "test", "SYSTEMS_ROOT": str(tmp_path / "nowhere")})
