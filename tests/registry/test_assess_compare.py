"""Comparing runs by content: a system file copied into the data root with one band changed (fund 500 → 600)
changes exactly the scores it should, and the comparison names the band as the reason."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from sqlalchemy import select

from assessment import add_data_root, remove_data_root
from registry.assessments.comparison import compare_runs
from registry.assessments.operations import run_assessment
from registry.extensions import db
from registry.models import AssessmentRun
from tests.registry.assess_helpers import add_report, declared_values, recognised

INC = ("incubator", "comprehensive")
SHIPPED = Path(__file__).resolve().parents[2] / "assessment"
FUNDS = (450, 520, 580, 600, 650)  # own + partner, 万元; 520 and 580 lose the top band at 600


def test_compare_finds_exactly_the_scores_a_changed_band_changes(app, runner, tmp_path):
    ids = {}
    with app.app_context():
        for fund in FUNDS:
            inst = recognised(*INC, name=f"孵化器{fund}")
            add_report(inst, 2019, declared_values(*INC, 2019, incubation_fund_own=Decimal(fund - 300),
                                                   incubation_fund_partner=Decimal(300)))
            ids[fund] = inst.id
        db.session.commit()
        before = run_assessment(2019, label="shipped").run.id
        db.session.commit()

    text = (SHIPPED / "systems/incubator/comprehensive/2019.toml").read_text(encoding="utf-8")
    edited = text.replace("  { min = 500, points = 5 },", "  { min = 600, points = 5 },")
    assert edited != text and "version = 2019" in edited  # the same version, another content
    (tmp_path / "systems/incubator/comprehensive").mkdir(parents=True)
    (tmp_path / "systems/incubator/comprehensive/2019.toml").write_text(edited, encoding="utf-8")
    add_data_root(tmp_path)
    try:
        with app.app_context():
            after = run_assessment(2019, label="bureau root").run.id
            db.session.commit()
            cmp = compare_runs(db.session.get(AssessmentRun, before), db.session.get(AssessmentRun, after))
            changed = {c.institution_id for c in cmp.changes}
            assert changed == {ids[520], ids[580]}
            assert {c.institution_id for c in cmp.file_only} == {ids[450], ids[600], ids[650]}
            assert cmp.unchanged == 0 and not cmp.only_a and not cmp.only_b
            for c in cmp.changes:
                assert c.score[0] - c.score[1] == Decimal(2)
                assert c.system is not None and c.system[0].split(" (")[0] == c.system[1].split(" (")[0]  # same version
                [ic] = c.indicators
                assert (ic.code, ic.label, ic.points) == ("incubation_fund", "孵化资金规模", ("5.00", "3.00"))
                [band] = ic.rule_changes
                assert band.field == "bands"
                assert band.before[0] == {"min": "500", "points": "5"} and band.after[0] == {"min": "600", "points": "5"}
                assert not ic.input_changes and not c.inputs  # same figures: the rule explains it
        out = runner.invoke(args=["assess", "compare", str(before), str(after), "--lang", "en"])
        assert out.exit_code == 0, out.output
        assert "2 changed, 0 unchanged, 3 with another rule file but the same results" in out.output
        assert "points incubation_fund: 5.00 → 3.00 (孵化资金规模)" in out.output
        assert "Rule changed: Indicator “孵化资金规模” · bands: ≥500→5 / ≥300→3 / ≥100→1 → ≥600→5 / ≥300→3 / ≥100→1" in out.output
        assert out.output.count("system file: incubator/comprehensive/2019.toml 2019") == 5
    finally:
        remove_data_root(tmp_path)


def test_compare_page_lists_the_band_change(app, admin_client, tmp_path):
    with app.app_context():
        inst = recognised(*INC, name="乙孵化器")
        add_report(inst, 2019, declared_values(*INC, 2019, incubation_fund_own=Decimal(250)))
        db.session.commit()
        run_assessment(2019)
        db.session.commit()
    text = (SHIPPED / "systems/incubator/comprehensive/2019.toml").read_text(encoding="utf-8")
    (tmp_path / "systems/incubator/comprehensive").mkdir(parents=True)
    (tmp_path / "systems/incubator/comprehensive/2019.toml").write_text(
        text.replace("  { min = 500, points = 5 },", "  { min = 600, points = 5 },"), encoding="utf-8")
    add_data_root(tmp_path)
    try:
        with app.app_context():
            run_assessment(2019)
            db.session.commit()
            a, b = db.session.scalars(select(AssessmentRun.id).order_by(AssessmentRun.id)).all()
        page = admin_client.get(f"/assessments/compare?a={a}&b={b}").get_data(as_text=True)
    finally:
        remove_data_root(tmp_path)
    assert "1 家有变化" in page and 'data-indicator="incubation_fund"' in page
    assert "规则变化：指标 “孵化资金规模” · 档位: ≥500→5 / ≥300→3 / ≥100→1 → ≥600→5 / ≥300→3 / ≥100→1" in page
    assert "incubation_fund</code>" not in page
