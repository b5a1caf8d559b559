"""The demo's reporting season: a realistic spread of states, town officers with work, and every demo
role with something to do on first login."""

from __future__ import annotations

from sqlalchemy import func, select

from registry.demo.cli import load_demo
from registry.extensions import db
from registry.models import Filing, ReportingSeason, Role, User
from tests.factories import login


def test_the_demo_season_is_in_its_working_weeks_and_every_role_has_work(app, client):
    with app.app_context():
        load_demo("city", 2020, progress=False)
        season = db.session.scalar(select(ReportingSeason))
        assert season.year == 2020
        states = dict(db.session.execute(select(Filing.state, func.count()).group_by(Filing.state)).all())
        late = db.session.scalar(select(func.count()).where(Filing.is_late.is_(True)))
        due = sum(states.values())
        filed = states.get("submitted", 0) + states.get("accepted", 0) + states.get("returned", 0)
        assert 0.5 <= filed / due <= 0.7, states
        assert states.get("returned", 0) >= 3 and states.get("not_started", 0) >= 5 and late >= 2
        officers = db.session.scalar(select(func.count()).where(User.role == Role.TOWN_OFFICER))
        assert officers >= 10
    # the institution: returned and reopened, a task on its home page
    login(client, "institution", "fuhua-institution-2020")
    home = client.get("/reports/mine").text
    assert 'id="season-task-2020"' in home and "镇街已退回" in home and "已为贵单位重新开放至" in home
    client.post("/auth/logout")
    # the town officer of 松山湖: its own institutions to review, and none of another town
    login(client, "town-songshanhu", "fuhua-town-2020")
    with app.app_context():
        season_id = db.session.scalar(select(ReportingSeason.id))
    tracker = client.get(f"/seasons/{season_id}/").text
    assert "松山湖高新区" in tracker and 'data-state="submitted"' in tracker
    assert "大朗镇</td>" not in tracker
    client.post("/auth/logout")
    # the reviewer: unscored sheets in an open round
    login(client, "reviewer", "fuhua-reviewer-2020")
    reviews = client.get("/reviews/").text
    assert "2020" in reviews
    client.post("/auth/logout")
    # the admin: the recommendations page explains why it is empty before any run
    login(client, "admin", "fuhua-admin-2020")
    recs = client.get("/assessments/recommendations").text
    assert 'id="no-runs-hint"' in recs and "无。" not in recs
