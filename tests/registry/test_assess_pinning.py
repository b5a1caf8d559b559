"""Runs are pinned by content: the rule files a run used are stored, and every stored result is
explained from them, whatever later happens to the files on disk (edited, renamed, deleted)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from sqlalchemy import select

from assessment import add_data_root, remove_data_root
from assessment import rulefiles
from registry.extensions import db
from registry.models import AssessmentResult, Institution, RunRuleFile, StoredRuleFile
from tests.registry.assess_helpers import add_report, applicant, declared_values, recognised

INC = ("incubator", "comprehensive")
SHIPPED = Path(__file__).resolve().parents[2] / "assessment"
FUND_BAND = "  { min = 500, points = 5 },"


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


@pytest.fixture
def data_root(tmp_path: Path):
    """The bureau's own root: the incubator system with the fund band at 600, an edited national-candidate
    criteria file (same version) and a municipal criteria version the package does not have (2019)."""
    root = tmp_path / "bureau"
    system = (SHIPPED / "systems/incubator/comprehensive/2019.toml").read_text(encoding="utf-8")
    assert FUND_BAND in system
    _write(root / "systems/incubator/comprehensive/2019.toml", system.replace(FUND_BAND, "  { min = 600, points = 5 },"))
    national = (SHIPPED / "criteria/incubator_national_candidate_comprehensive-2018.toml").read_text(encoding="utf-8")
    _write(root / "criteria/incubator_national_candidate_comprehensive-2018.toml",
           national.replace('title = "', 'title = "（局内版）', 1))
    municipal = (SHIPPED / "criteria/incubator_municipal-2018.toml").read_text(encoding="utf-8")
    assert "required = 2000" in municipal
    _write(root / "criteria/incubator_municipal-2019.toml",
           municipal.replace("version = 2018", "version = 2019", 1).replace("required = 2000", "required = 2500", 1))
    add_data_root(root)
    yield root
    remove_data_root(root)


@pytest.fixture
def seeded(app, data_root):
    with app.app_context():
        a = recognised(*INC, name="甲孵化器")  # fund 600: 5 points at the 600 band
        add_report(a, 2019, declared_values(*INC, 2019))
        b = recognised(*INC, name="乙孵化器")  # fund 550: 3 points at 600, 5 at 550
        add_report(b, 2019, declared_values(*INC, 2019, incubation_fund_own=250))
        c = applicant(*INC, name="丙孵化器")  # checked against the municipal criteria of 2019 (the root's)
        add_report(c, 2019, declared_values(*INC, 2019, controlled_incubation_area=2200))
        db.session.commit()
        return {"甲": a.uscc, "乙": b.uscc, "丙": c.uscc}


def _forget_parsed() -> None:
    """Drop every parse this process remembers, so what follows must read the database."""
    rulefiles._SYSTEMS.clear()
    rulefiles._CRITERIA.clear()
    from assessment.system import _clear_caches

    _clear_caches()


CSRF = re.compile(r'name="csrf_token" value="[^"]*"')
NOTICE_HTML = re.compile(r'<div class="flash flash-warning file-notice".*?</div>', re.S)


def _render(app, runner, client, seeded) -> dict[str, str]:
    """Every view of the stored results: CLI explanations (zh, en), result pages, the comparison."""
    _forget_parsed()
    out = {}
    for name, uscc in seeded.items():
        for run in (1, 2):
            for lang in ("zh_CN", "en"):
                r = runner.invoke(args=["assess", "explain", "--year", "2019", "--uscc", uscc, "--run", str(run),
                                        "--lang", lang])
                assert r.exit_code == 0, r.output
                out[f"cli {name} {run} {lang}"] = r.output
    with app.app_context():
        ids = db.session.scalars(select(AssessmentResult.id).order_by(AssessmentResult.id)).all()
    for rid in ids:
        page = client.get(f"/assessments/results/{rid}")
        assert page.status_code == 200
        out[f"page {rid}"] = page.get_data(as_text=True)
    cmp = runner.invoke(args=["assess", "compare", "1", "2"])
    assert cmp.exit_code == 0, cmp.output
    out["compare"] = cmp.output
    out["compare page"] = client.get("/assessments/compare?a=1&b=2").get_data(as_text=True)
    return out


def _without_notices(views: dict[str, str]) -> dict[str, str]:
    clean = {}
    for key, text in views.items():
        if "page" in key:
            clean[key] = CSRF.sub("", NOTICE_HTML.sub("", text))  # the token carries the second it was made
        else:
            lines, skip = [], False
            for line in text.splitlines():
                if line.startswith(("注意：", "Notice: ")):
                    skip = True
                    continue
                if skip and line.startswith("    · "):
                    continue
                skip = False
                lines.append(line)
            clean[key] = "\n".join(lines)
    return clean


def test_old_results_render_exactly_as_before_after_the_files_are_edited_renamed_and_deleted(
        app, runner, admin_client, seeded, data_root):
    assert runner.invoke(args=["assess", "run", "--year", "2019"]).exit_code == 0
    system_file = data_root / "systems/incubator/comprehensive/2019.toml"
    system_file.write_text(system_file.read_text(encoding="utf-8").replace("{ min = 600, points = 5 }",
                                                                          "{ min = 550, points = 5 }"), encoding="utf-8")
    _forget_parsed()
    assert runner.invoke(args=["assess", "run", "--year", "2019"]).exit_code == 0

    with app.app_context():  # every file each run used is stored once, with its text, and linked to the run
        stored = {r.path: r for r in db.session.scalars(select(StoredRuleFile))}
        assert {"incubator/comprehensive/2019.toml", "incubator/inputs-2018.toml", "common/header-2018.toml",
                "incubator_municipal-2019.toml", "incubator_national_candidate_comprehensive-2018.toml"} <= set(stored)
        assert len([r for r in db.session.scalars(select(StoredRuleFile))
                    if r.path == "incubator/comprehensive/2019.toml"]) == 2  # 600 and 550: two contents
        assert stored["incubator_municipal-2019.toml"].root == str(data_root)
        assert "required = 2500" in stored["incubator_municipal-2019.toml"].content
        assert stored["common/header-2018.toml"].root == "package"
        links = db.session.scalars(select(RunRuleFile.sha256).where(RunRuleFile.run_id == 1)).all()
        assert set(links) == {r.sha256 for r in db.session.scalars(select(StoredRuleFile))
                              if r.first_run_id == 1} and len(links) >= 5

    before = _render(app, runner, admin_client, seeded)
    assert "550万元 达到“不低于 300”档" in before["cli 乙 1 zh_CN"]  # 600 band: not reached
    assert "550万元 达到“不低于 550”档" in before["cli 乙 2 zh_CN"]
    assert "要求 ≥ 2,500m²" in before["cli 丙 1 zh_CN"]  # the municipal requirement of the root's 2019 criteria
    assert "注意：" not in before["cli 甲 2 zh_CN"]  # run 2 used the files now on disk
    assert "注意：" in before["cli 甲 1 zh_CN"]  # run 1 used the 600 band, since edited

    # 1. edit: another band, a changed label, a changed criteria requirement and clause
    text = system_file.read_text(encoding="utf-8")
    system_file.write_text(text.replace("{ min = 550, points = 5 }", "{ min = 700, points = 5 }")
                           .replace('label = "孵化资金规模"', 'label = "孵化基金规模"'), encoding="utf-8")
    municipal = data_root / "criteria/incubator_municipal-2019.toml"
    municipal.write_text(municipal.read_text(encoding="utf-8").replace("required = 2500", "required = 3000")
                         .replace('reference = "惠州 [C]"', 'reference = "东莞 [C]"', 1), encoding="utf-8")
    edited = _render(app, runner, admin_client, seeded)
    assert _without_notices(edited) == _without_notices(before)
    out = edited["cli 乙 2 zh_CN"]
    assert "注意：" in out and "孵化基金规模" in out  # the notice names the change …
    assert "≥550→5 / ≥300→3 / ≥100→1 → ≥700→5 / ≥300→3 / ≥100→1" in out
    assert "达到“不低于 550”档" in out and "达到“不低于 700”档" not in out  # … the explanation uses what was used
    assert "2500 → 3000" in edited["cli 丙 1 zh_CN"]
    assert 'data-state="changed"' in edited[f"page {_result_id(app, seeded['乙'], 2)}"]

    # 2. rename: the root's files no longer match; the shipped system (and criteria 2018) are found instead
    system_file.rename(system_file.with_suffix(".toml.bak"))
    municipal.rename(municipal.with_suffix(".toml.bak"))
    renamed = _render(app, runner, admin_client, seeded)
    assert _without_notices(renamed) == _without_notices(before)
    assert "≥550→5 / ≥300→3 / ≥100→1 → ≥500→5 / ≥300→3 / ≥100→1" in renamed["cli 乙 2 zh_CN"]
    assert "shipped with Fuhua" in renamed["cli 乙 2 en"]
    assert "is no longer on disk" in renamed["cli 丙 1 en"]  # no municipal 2019 criteria anywhere now

    # 3. delete the whole root
    shutil.rmtree(data_root)
    deleted = _render(app, runner, admin_client, seeded)
    assert _without_notices(deleted) == _without_notices(before)


def _result_id(app, uscc: str, run: int) -> int:
    with app.app_context():
        return db.session.scalar(select(AssessmentResult.id).join(Institution, Institution.id == AssessmentResult.institution_id)
                                 .where(Institution.uscc == uscc, AssessmentResult.run_id == run))


def test_a_result_whose_file_was_never_stored_says_so_and_keeps_its_facts(app, runner, seeded, data_root):
    """Results stored before files were pinned: if no file has their content any more, nothing is invented."""
    assert runner.invoke(args=["assess", "run", "--year", "2019"]).exit_code == 0
    with app.app_context():
        db.session.execute(RunRuleFile.__table__.delete())
        db.session.execute(StoredRuleFile.__table__.delete())
        db.session.commit()
    shutil.rmtree(data_root / "systems")
    _forget_parsed()
    r = runner.invoke(args=["assess", "explain", "--year", "2019", "--uscc", seeded["乙"], "--lang", "en"])
    assert r.exit_code == 0, r.output
    assert "was not stored with its run and no file on disk has that content" in r.output
    assert "Input " in r.output and "孵化资金!D" in r.output  # the stored figures and cells are still shown



def test_a_worker_start_parses_the_stored_files_of_past_runs(app, runner, seeded, data_root):
    from registry.assessments.pinning import warm_pinned

    assert runner.invoke(args=["assess", "run", "--year", "2019"]).exit_code == 0
    with app.app_context():
        run_systems = db.session.scalar(select(AssessmentResult.outcome).where(AssessmentResult.run_id == 1))["system"]
    shutil.rmtree(data_root)  # nothing left on disk with the root's content
    _forget_parsed()
    assert rulefiles.known_system(run_systems["sha256"], run_systems["inputs_sha256"]) is None
    with app.app_context():
        assert warm_pinned() >= 3  # the root's system, and the two criteria files
    pinned = rulefiles.known_system(run_systems["sha256"], run_systems["inputs_sha256"])
    assert pinned is not None and "{ min = 600, points = 5 }" in pinned.files[0].text
