"""The statistics page: who may open it, the chart, the grouped table and the plan's targets."""

from __future__ import annotations

import re
from datetime import date

import pytest

from registry.extensions import db
from registry.institutions.operations import end_recognition, record_recognition
from registry.models import CarrierType, Level
from registry.stats.chart import bar_chart
from registry.stats.targets import PLAN_TARGETS
from tests.factories import login, make_user
from tests.factories import make_institution as _make_institution


def make_institution(**fields):  # noqa: ANN003, ANN201
    return _make_institution(status_on=date(2010, 1, 1), **fields)


@pytest.fixture
def data(app):  # noqa: ANN001, ANN201
    with app.app_context():
        record_recognition(make_institution(town="songshanhu"), level=Level.NATIONAL, effective_from=date(2016, 1, 1))
        revoked = record_recognition(make_institution(town="dalang"), level=Level.NATIONAL,
                                     effective_from=date(2017, 1, 1))
        end_recognition(revoked, ended_on=date(2018, 12, 31), reason="revoked")
        for i in range(3):
            rd = make_institution(category=CarrierType.RD_INSTITUTION, subclass="tech_innovation", town="humen")
            record_recognition(rd, level=Level.MUNICIPAL, effective_from=date(2019, 1, 1 + i))
        db.session.commit()


def login_as(app, client, role: str):  # noqa: ANN001, ANN201
    with app.app_context():
        inst = make_institution() if role == "institution" else None
        make_user(role, username=f"u-{role}", institution=inst)
        db.session.commit()
    assert login(client, f"u-{role}").status_code == 302
    return client


@pytest.mark.parametrize(("role", "status"), [("admin", 200), ("reviewer", 200), ("institution", 403)])
def test_access_per_role(app, client, role, status):
    login_as(app, client, role)
    assert client.get("/stats/").status_code == status


def test_anonymous_is_sent_to_login(client):
    response = client.get("/stats/")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_institution_account_gets_no_statistics_menu(app, client):
    login_as(app, client, "institution")
    assert "/stats/" not in client.get("/institutions/").get_data(as_text=True)


def test_page_shows_chart_targets_and_town_table(app, admin_client, data):
    page = admin_client.get("/stats/").get_data(as_text=True)
    assert "历年国家级科技企业孵化器数量" in page
    # chart: one bar per year from 2015 to this year, with its value as text
    bars = re.findall(r'<rect class="bar"[^>]*>\s*<title>(\d{4}): (\d+)</title>', page)
    assert bars[:6] == [("2015", "0"), ("2016", "1"), ("2017", "2"), ("2018", "1"), ("2019", "1"), ("2020", "1")]
    assert len(bars) == date.today().year - 2015 + 1
    assert 'class="target"' in page and "2020年目标：20家以上 · 暂定" in page
    # the town table: 大朗 counted 2017 only (revoked on 31 Dec 2018)
    row = re.search(r'<tr data-group="dalang"><th scope="row">大朗镇</th>(.*?)</tr>', page, re.S).group(1)
    assert re.findall(r">(\d+)</td>", row)[:5] == ["0", "0", "1", "0", "0"]
    # targets: R&D institutions [C2] (not provisional), incubator targets [I] provisional
    rd_row = re.search(r'data-target="rd_institutions">(.*?)</tr>', page, re.S).group(1)
    assert "新型研发机构" in rd_row and "[C2]" in rd_row and "暂定" not in rd_row
    assert "完成目标的6%" in rd_row  # 3 of 50
    nat_row = re.search(r'data-target="national_incubators">(.*?)</tr>', page, re.S).group(1)
    assert "[I]" in nat_row and 'badge-provisional' in nat_row
    assert "&gt; 20" in nat_row
    assert "<script>" not in page and "style=" not in page  # CSP: no inline script or style


def test_zone_and_subclass_views(admin_client, data):
    page = admin_client.get("/stats/?by=zone").get_data(as_text=True)
    assert "按片区统计的国家级孵化器" in page
    row = re.search(r'<tr data-group="one_plus_six">(.*?)</tr>', page, re.S).group(1)
    assert re.findall(r">(\d+)</td>", row)[:4] == ["0", "1", "2", "1"]
    assert "片区相互重叠" in page
    page = admin_client.get("/stats/?by=subclass").get_data(as_text=True)
    assert 'data-group="comprehensive"' in page


def test_unknown_grouping_falls_back_to_towns(admin_client):
    page = admin_client.get("/stats/?by=planet").get_data(as_text=True)
    assert 'data-group="songshanhu"' in page


def test_download_form_points_at_the_export(admin_client):
    page = admin_client.get("/stats/").get_data(as_text=True)
    assert 'action="/exports/national-incubators"' in page
    for name in ('name="from"', 'name="to"', 'name="by"', 'name="as_of"', 'name="format"'):
        assert name in page


def test_chart_geometry_scales_to_the_target():
    chart = bar_chart([("2019", 0), ("2020", 10)], target=20)
    assert chart.ticks[-1].value >= 20
    zero, ten = chart.bars
    assert zero.height == 0 and zero.y == chart.bottom
    assert ten.y + ten.height == pytest.approx(chart.bottom)
    assert chart.target_y < ten.y  # the target line is above a bar of half its value


def test_target_arithmetic():
    national = next(t for t in PLAN_TARGETS if t.code == "national_incubators")
    assert not national.is_met(20) and national.is_met(21)  # "more than 20"
    assert national.progress(21) == 1.0 and national.progress(0) == 0.0
    rd = next(t for t in PLAN_TARGETS if t.code == "rd_institutions")
    assert rd.is_met(50) and not rd.is_provisional


def test_target_label_stands_beside_the_bars_and_the_chart_fills_its_card(app, admin_client, data):
    import re

    chart = bar_chart([(str(y), 20 + y % 7) for y in range(2015, 2027)], target=30)
    assert all(bar.x + bar.width <= chart.right for bar in chart.bars)  # the plot ends before the label's room
    assert chart.width - chart.right >= 150
    html = admin_client.get("/stats/").get_data(as_text=True)
    svg = re.search(r"<svg [^>]*class=\"bar-chart\"[^>]*>", html).group(0)
    assert 'width="100%"' in svg and "height=" not in svg.replace("viewBox", "")
    label_x = float(re.search(r'<text x="([\d.]+)"[^>]*class="target-label"', html).group(1))
    bar_ends = [float(x) + float(w) for x, w in re.findall(r'<rect class="bar" x="([\d.]+)" y="[\d.]+" width="([\d.]+)"', html)]
    assert bar_ends and label_x > max(bar_ends)
