"""Assessment runs as background jobs: started from the web and the CLI, progress and outcome on the
runs page, one run per year at a time, failures that store nothing and can be retried, and a job
taken through a real broker (Redis) by a real `fuhua worker` process."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from sqlalchemy import event, func, select

from registry.extensions import db
from registry.models import AssessmentResult, AssessmentRun, Job, User
from tests.factories import login, make_user
from tests.registry.assess_helpers import add_report, declared_values, recognised

INC = ("incubator", "comprehensive")
ROOT = Path(__file__).resolve().parents[2]


def _seed(app) -> None:  # noqa: ANN001
    with app.app_context():
        for name, events in (("甲孵化器", 30), ("乙孵化器", 12)):
            inst = recognised(*INC, name=name)
            add_report(inst, 2019, declared_values(*INC, 2019, events=events))
        db.session.commit()


def _admin(app, client):  # noqa: ANN001, ANN202
    with app.app_context():
        make_user("admin", username="chief").display_name = "王科长"
        db.session.commit()
    assert login(client, "chief").status_code == 302
    return client


def _counts(app) -> tuple[int, int]:  # noqa: ANN001
    with app.app_context():
        return (db.session.scalar(select(func.count()).select_from(AssessmentRun)),
                db.session.scalar(select(func.count()).select_from(AssessmentResult)))


def test_admin_starts_a_run_from_the_runs_page_and_sees_its_outcome(app, client):
    _seed(app)
    _admin(app, client)
    page = client.get("/assessments/")
    assert 'id="start-run"' in page.text
    resp = client.post("/assessments/runs/start", data={"year": "2019", "category": "", "note": "年度评价"},
                       follow_redirects=True)
    assert "已排队" in resp.text or "job #" in resp.text.lower() or "作业" in resp.text
    with app.app_context():
        job = db.session.scalar(select(Job).where(Job.kind == "assessment_run"))
        run = db.session.scalar(select(AssessmentRun))
        chief = db.session.scalar(select(User).where(User.username == "chief"))
        assert job.status == "succeeded" and job.result["run_id"] == run.id
        assert run.started_by_id == chief.id and run.started_by_label is None and run.note == "年度评价"
        assert run.result_count == 2
    page = client.get("/assessments/").text
    row = page[page.index(f'id="job-{job.id}"'):]
    row = row[:row.index("</tr>")]
    assert "王科长" in row and "已完成" in row and f"/assessments/runs/{run.id}" in row and "2019" in row
    status = client.get(f"/assessments/jobs/{job.id}.json").get_json()
    assert status["status"] == "succeeded" and status["percent"] == 100 and status["result"]["result_count"] == 2


def test_a_second_run_for_the_same_year_is_refused_while_one_is_under_way(app, client):
    _seed(app)
    _admin(app, client)
    with app.app_context():
        db.session.add(Job(kind="assessment_run", params={"year": 2019}, status="running",
                           exclusive_key="assessment_run:2019", started_by_label="cli:test"))
        db.session.commit()
    resp = client.post("/assessments/runs/start", data={"year": "2019"}, follow_redirects=True)
    assert "2019 年的考核运行已在排队或运行中" in resp.text
    assert _counts(app) == (0, 0)
    # another year is not held up
    with app.app_context():
        from registry.models import Institution

        for inst in db.session.scalars(select(Institution)):
            add_report(inst, 2018, declared_values(*INC, 2018))
        db.session.commit()
    resp = client.post("/assessments/runs/start", data={"year": "2018"}, follow_redirects=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Job).where(
            Job.kind == "assessment_run", Job.status == "succeeded")) == 1


def test_reviewers_cannot_start_runs(app, client):
    with app.app_context():
        make_user("reviewer", username="rev")
        db.session.commit()
    login(client, "rev")
    assert 'id="start-run"' not in client.get("/assessments/").text
    assert client.post("/assessments/runs/start", data={"year": "2019"}).status_code == 403
    assert _counts(app) == (0, 0)


def _bad_maker_space_root(tmp_path: Path) -> Path:
    shipped = ROOT / "assessment" / "systems"
    for folder in ("maker_space", "common"):
        shutil.copytree(shipped / folder, tmp_path / "systems" / folder)
    text = (shipped / "maker_space" / "2020.toml").read_text(encoding="utf-8")
    bad = text.replace("max_score = 100", "max_score = 90", 1).replace("version = 2020", "version = 2021", 1)
    (tmp_path / "systems" / "maker_space" / "2021.toml").write_text(bad, encoding="utf-8")
    return tmp_path


def test_a_bad_system_file_fails_the_run_cleanly_and_it_can_be_retried(app, client, tmp_path):
    from assessment import add_data_root, remove_data_root

    with app.app_context():
        inst = recognised("maker_space", None, name="丙众创空间")
        add_report(inst, 2021, {})
        db.session.commit()
    _admin(app, client)
    root = _bad_maker_space_root(tmp_path)
    add_data_root(root)
    try:
        client.post("/assessments/runs/start", data={"year": "2021", "category": "maker_space"})
    finally:
        remove_data_root(root)
    with app.app_context():
        job = db.session.scalar(select(Job).where(Job.kind == "assessment_run"))
        assert job.status == "failed" and job.exclusive_key is None and job.finished_at is not None
        assert "maker_space/2021.toml" in job.message and "max_score" in job.message and "Traceback" not in job.message
    assert _counts(app) == (0, 0)
    page = client.get("/assessments/").text
    assert "失败" in page and "maker_space/2021.toml" in page and "重试" in page
    # the file is fixed (removed): retrying runs it with the same arguments
    client.post(f"/assessments/jobs/{job.id}/retry")
    with app.app_context():
        retry = db.session.scalar(select(Job).where(Job.retry_of_id == job.id))
        assert retry.status == "succeeded" and retry.params == {"year": 2021, "category": "maker_space", "note": None,
                                                                "force": False}
    assert _counts(app) == (1, 1)


def test_the_database_going_away_mid_run_stores_nothing_and_the_run_can_be_retried(app, client):
    _seed(app)
    _admin(app, client)
    with app.app_context():
        engine = db.engine

    def drop_connection(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001
        # the run's row is written; before its results are, the connection to the database is lost
        if statement.lstrip().upper().startswith("INSERT INTO ASSESSMENT_RUNS"):
            conn.connection.dbapi_connection.close()

    event.listen(engine, "after_cursor_execute", drop_connection)
    try:
        client.post("/assessments/runs/start", data={"year": "2019"})
    finally:
        event.remove(engine, "after_cursor_execute", drop_connection)
    with app.app_context():
        job = db.session.scalar(select(Job).where(Job.kind == "assessment_run"))
        assert job.status == "failed" and job.result == {"error": "database"}
        assert "数据库" in job.message and "未保存" in job.message
    assert _counts(app) == (0, 0)
    client.post(f"/assessments/jobs/{job.id}/retry")
    assert _counts(app) == (1, 2)


def test_cli_runs_are_jobs_too_and_foreground_runs_in_the_command(app, runner):
    _seed(app)
    queued = runner.invoke(args=["assess", "run", "--year", "2019", "--note", "经队列"])
    assert queued.exit_code == 0, queued.output
    fg = runner.invoke(args=["assess", "run", "--year", "2019", "--foreground"])
    assert fg.exit_code == 0 and "Run #2: 2 institutions assessed for 2019" in fg.output
    with app.app_context():
        jobs = list(db.session.scalars(select(Job).where(Job.kind == "assessment_run").order_by(Job.id)))
        assert [j.status for j in jobs] == ["succeeded", "succeeded"]
        assert all(j.started_by_label.startswith("cli:") for j in jobs)
        run = db.session.get(AssessmentRun, 1)
        assert run.started_by_label.startswith("cli:") and run.note == "经队列"


def test_the_sqlite_queue_is_worked_by_threads_of_the_web_process(tmp_path):
    """The quickstart's setting: no broker server, the app's own worker threads take the job."""
    from registry import create_app
    from registry.jobs import job_queue
    from registry.jobs.queue import stop_inprocess_worker
    from registry.jobs.wait import wait_for
    from tests.conftest import _database_url, reset_schema

    app = create_app({"TESTING": True, "SECRET_KEY": "t", "WTF_CSRF_ENABLED": False, "SHOW_DEMO_BANNER": False,
                      "SQLALCHEMY_DATABASE_URI": _database_url(tmp_path),
                      "JOBS_BROKER_URL": f"sqlite:///{tmp_path / 'jobs.sqlite'}"})
    with app.app_context():
        reset_schema()
        from registry.reference_data import ensure_reference_data

        ensure_reference_data()
        db.session.commit()
    _seed(app)
    client = _admin(app, app.test_client())
    queue = job_queue(app)
    assert queue.broker == "sqlite" and queue.inprocess_worker
    try:
        client.post("/assessments/runs/start", data={"year": "2019"})
        with app.app_context():
            job = wait_for(db.session.scalar(select(Job.id).where(Job.kind == "assessment_run")), timeout=60)
            assert job.status == "succeeded", job.message
            assert job.result["result_count"] == 2
    finally:
        stop_inprocess_worker(queue.huey)
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


# --- through a real broker ------------------------------------------------------------------------

REDIS_URL = os.environ.get("FUHUA_TEST_BROKER_URL", "redis://127.0.0.1:6379/0")


def _redis_reachable() -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except Exception:  # noqa: BLE001
        return False


def test_a_run_goes_through_redis_to_a_fuhua_worker_process(tmp_path):
    if not _redis_reachable():
        message = f"no job broker at {REDIS_URL} (start redis-server; CI does)"
        if os.environ.get("FUHUA_BROKER_REQUIRED"):
            pytest.fail(message)
        pytest.skip(message)
    from registry import create_app
    from registry.jobs.wait import wait_for
    from tests.conftest import _database_url, reset_schema

    queue_name = f"fuhua-test-{uuid.uuid4().hex[:10]}"
    db_url = _database_url(tmp_path)
    app = create_app({"TESTING": True, "SECRET_KEY": "t", "WTF_CSRF_ENABLED": False, "SHOW_DEMO_BANNER": False,
                      "SQLALCHEMY_DATABASE_URI": db_url, "JOBS_BROKER_URL": REDIS_URL,
                      "JOBS_QUEUE_NAME": queue_name})
    with app.app_context():
        reset_schema()
        from registry.reference_data import ensure_reference_data

        ensure_reference_data()
        db.session.commit()
    _seed(app)
    client = _admin(app, app.test_client())
    env = {**os.environ, "FUHUA_DATABASE_URL": db_url, "FUHUA_JOBS_BROKER_URL": REDIS_URL,
           "FUHUA_JOBS_QUEUE_NAME": queue_name, "FUHUA_SECRET_KEY": "worker-test", "FUHUA_AUDIT_KEY": "worker-test-audit",
           "FUHUA_AUTO_MIGRATE": "false"}
    worker = subprocess.Popen([sys.executable, "-m", "registry", "worker"], env=env, cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        client.post("/assessments/runs/start", data={"year": "2019", "note": "经 Redis"})
        with app.app_context():
            job_id = db.session.scalar(select(Job.id).where(Job.kind == "assessment_run"))
            job = wait_for(job_id, timeout=90)
            assert job.status == "succeeded", (job.status, job.message)
            run = db.session.get(AssessmentRun, job.result["run_id"])
            assert run.result_count == 2 and run.note == "经 Redis" and run.started_by_id is not None
        page = client.get("/assessments/").text
        assert "已完成" in page and f"/assessments/runs/{run.id}" in page
    finally:
        worker.terminate()
        try:
            out, _ = worker.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
            out, _ = worker.communicate()
        import redis

        conn = redis.Redis.from_url(REDIS_URL)
        for key in conn.scan_iter(f"*{queue_name}*"):
            conn.delete(key)
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    assert "fuhua.run_job" in out  # the worker announced the task it serves, and ran it
