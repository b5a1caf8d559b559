"""Voided runs stay stored but leave defaults, history rules and decisions; a year must look assessable."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from registry.assessments.operations import YearNotAssessable, check_year, run_assessment, void_run
from registry.extensions import db
from registry.models import AssessmentResult, AssessmentRun, AuditEntry, RunVoid
from tests.registry.assess_helpers import add_report, declared_values, recognised
from tests.registry.test_assess_run import INC, poor, results


def test_two_consecutive_d_across_a_voided_run_do_not_trigger_exit(session):
    inst = recognised(*INC)
    add_report(inst, 2019, poor(2019))
    add_report(inst, 2020, poor(2020))
    session.commit()
    run_2019 = run_assessment(2019).run
    session.commit()
    assert results(run_2019.id)[inst.id].grade == "D"
    control = results(run_assessment(2020).run.id)[inst.id]  # with 2019's D counted: exit
    session.commit()
    assert (control.recommendation, control.recommendation_rule) == ("exit", "consecutive-fails")

    void_run(run_2019, "2019 的自评数据导入有误，作废重算", label="test")
    session.commit()
    r = results(run_assessment(2020).run.id)[inst.id]
    session.commit()
    assert (r.grade, r.recommendation, r.recommendation_rule) == ("D", "rectify", "single-fail")
    assert {"year": 2019, "grade": None, "reported": True} in r.outcome["registry"]["history"]
    # the void run and its results are untouched
    assert results(run_2019.id)[inst.id].grade == "D" and session.get(AssessmentRun, run_2019.id).result_count == 1


def test_voiding_needs_a_reason_happens_once_and_is_audited(session):
    inst = recognised(*INC)
    add_report(inst, 2019, declared_values(*INC, 2019))
    session.commit()
    run = run_assessment(2019).run
    session.commit()
    with pytest.raises(Exception, match="reason"):
        void_run(run, "   ")
    session.rollback()
    void_run(run, "年度输错", label="cli:test")
    session.commit()
    with pytest.raises(Exception, match="already void"):
        void_run(run, "again")
    session.rollback()
    entry = session.scalar(select(AuditEntry).where(AuditEntry.table_name == "assessment_run_voids"))
    assert entry.action == "insert" and entry.after["reason"] == "年度输错" and entry.after["run_id"] == run.id


def test_year_check_refuses_a_future_year_and_one_with_too_few_reports(app, session):
    reporting = recognised(*INC)
    add_report(reporting, 2019, declared_values(*INC, 2019))
    for _ in range(2):
        recognised(*INC)  # due in 2019, no report
    session.commit()
    check = check_year(2019, min_share=0.5)
    assert (check.due, check.reported, check.future) == (3, 1, False) and not check.ok

    with pytest.raises(YearNotAssessable) as info:
        run_assessment(2019)
    session.rollback()
    assert "Only 1 of the 3 institutions due for 2019" in str(info.value)
    with pytest.raises(YearNotAssessable, match="needs a note"):
        run_assessment(2019, force=True)
    session.rollback()
    assert session.scalar(select(func.count()).select_from(AssessmentRun)) == 0

    forced = run_assessment(2019, force=True, note="statistics deadline extended; assess those who reported").run
    session.commit()
    assert forced.year_check == {"due": 3, "reported": 1, "min_share": 0.5, "forced": True}
    assert forced.note.startswith("statistics deadline")
    assert run_assessment(2019, min_share=0.3).run.year_check["forced"] is False
    session.commit()

    future = dt.date.today().year + 1
    with pytest.raises(YearNotAssessable, match="has not ended yet"):
        run_assessment(future, force=True, note="typo")
    session.rollback()


def test_cli_void_runs_and_refusals(app, runner):
    with app.app_context():
        a = recognised(*INC, name="甲孵化器")
        add_report(a, 2019, poor(2019))
        recognised(*INC, name="乙孵化器")
        recognised(*INC, name="丙孵化器")
        db.session.commit()
    refused = runner.invoke(args=["assess", "run", "--year", "2019"])
    assert refused.exit_code == 1 and "Only 1 of the 3 institutions due for 2019" in refused.output
    assert "Traceback" not in refused.output
    future = runner.invoke(args=["assess", "run", "--year", str(dt.date.today().year + 9)])
    assert future.exit_code == 1 and "has not ended yet" in future.output
    ok = runner.invoke(args=["assess", "run", "--year", "2019", "--force", "--note", "only one reported in time"])
    assert ok.exit_code == 0 and "forced: only 1 of 3" in ok.output
    assert runner.invoke(args=["assess", "run", "--year", "2019", "--force", "--note", "again"]).exit_code == 0

    no_reason = runner.invoke(args=["assess", "void", "1"])
    assert no_reason.exit_code == 2 and "--reason" in no_reason.output
    voided = runner.invoke(args=["assess", "void", "1", "--reason", "输入年份错误"])
    assert voided.exit_code == 0, voided.output
    assert runner.invoke(args=["assess", "void", "1", "--reason", "x"]).exit_code == 1
    assert runner.invoke(args=["assess", "void", "9", "--reason", "x"]).exit_code == 1

    listed = runner.invoke(args=["assess", "runs"])
    assert listed.exit_code == 0, listed.output
    lines = listed.output.splitlines()
    assert lines[1].split()[:3] == ["1", "2019", "all"] and "void: 输入年份错误" in lines[1]
    assert "forced: again" in lines[2]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(RunVoid)) == 1
        assert db.session.scalar(select(func.count()).select_from(AssessmentResult).where(AssessmentResult.run_id == 1)) == 3
    # the default explanation is the latest non-void run's
    explained = runner.invoke(args=["assess", "explain", "--year", "2019", "--uscc", a_uscc(app)])
    assert explained.exit_code == 0 and "run #2" in explained.output


def a_uscc(app) -> str:
    from registry.models import Institution

    with app.app_context():
        return db.session.scalar(select(Institution.uscc).where(Institution.name == "甲孵化器"))


def test_pages_default_to_the_latest_non_void_run_of_a_year_with_reports_and_only_admins_void(app, admin_client):
    from tests.factories import login, make_user

    with app.app_context():
        inst = recognised(*INC, name="甲孵化器")
        add_report(inst, 2019, declared_values(*INC, 2019))
        db.session.commit()
        run_assessment(2019)
        db.session.commit()
        typo = run_assessment(2019, force=True, note="x").run  # a run to void
        db.session.commit()
        run_assessment(2020, force=True, note="nobody has reported yet")  # a later year without reports
        db.session.commit()
        make_user("reviewer", username="rev")
        db.session.commit()
        typo_id = typo.id
    page = admin_client.get(f"/assessments/runs/{typo_id}").get_data(as_text=True)
    assert 'id="void-run"' in page
    assert 'id="run-files"' in page and "incubator/comprehensive/2019.toml · 随 Fuhua 发布" in page
    reviewer = app.test_client()
    login(reviewer, "rev")
    assert 'id="void-run"' not in reviewer.get(f"/assessments/runs/{typo_id}").get_data(as_text=True)
    assert reviewer.post(f"/assessments/runs/{typo_id}/void", data={"reason": "no"}).status_code == 403

    empty = admin_client.post(f"/assessments/runs/{typo_id}/void", data={"reason": ""}, follow_redirects=True)
    assert "请填写作废考核批次的理由" in empty.get_data(as_text=True)
    done = admin_client.post(f"/assessments/runs/{typo_id}/void", data={"reason": "重复运行，作废"}, follow_redirects=True)
    text = done.get_data(as_text=True)
    assert 'id="run-void"' in text and "重复运行，作废" in text and 'id="void-run"' not in text

    recs = admin_client.get("/assessments/recommendations").get_data(as_text=True)
    assert "2019 年度" in recs or "2019年度" in recs  # the latest year with reports, not 2020
    with app.app_context():
        kept = db.session.scalar(select(AssessmentResult.id).where(AssessmentResult.run_id != typo_id))
        void_result = db.session.scalar(select(AssessmentResult.id).where(AssessmentResult.run_id == typo_id))
    assert f'data-result="{kept}"' in recs and f'data-result="{void_result}"' not in recs
    shown = admin_client.get(f"/assessments/results/{void_result}").get_data(as_text=True)
    assert "重复运行，作废" in shown and 'id="run-void"' in shown
    index = admin_client.get("/assessments/").get_data(as_text=True)
    assert "重复运行，作废" in index
