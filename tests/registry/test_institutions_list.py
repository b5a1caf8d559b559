"""The registry list: filters, search, sort, pagination, the level column, and bad query args."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from registry.extensions import db
from registry.institutions import operations as ops
from registry.models import CarrierType, Town, Zone
from tests.registry.test_institutions_support import (  # noqa: F401 — stats_placeholder is an autouse fixture
    institution,
    listed_ids,
    stats_placeholder,
)


@pytest.fixture
def registry(session):
    """Six institutions with distinct categories, towns, levels, statuses, dates and flags."""
    made = {
        "alpha": institution(name="Alpha 孵化器", category=CarrierType.INCUBATOR, subclass="specialised",
                             town="dalang", established_on=date(2012, 1, 1), has_venture_model=True,
                             operating_entity="东莞Alpha运营有限公司"),
        "bravo": institution(name="Bravo 众创空间", category=CarrierType.MAKER_SPACE, subclass=None,
                             town="songshanhu", established_on=date(2015, 1, 1), has_internet_plus_model=True),
        "charlie": institution(name="Charlie 加速器", category=CarrierType.ACCELERATOR, subclass=None,
                               town="humen", established_on=date(2010, 1, 1), is_urban_renewal=True,
                               is_strata_title=True, strata_divisible_area=100),
        "delta": institution(name="Delta 研究院", category=CarrierType.RD_INSTITUTION, subclass="tech_innovation",
                             town="dongcheng", established_on=date(2018, 1, 1), is_hmt_base=True),
        "echo": institution(name="Echo 产业园", category=CarrierType.INDUSTRIAL_PARK, subclass=None,
                            town="changan", established_on=None, operating_entity="100%_精确 运营"),
        "foxtrot": institution(name="Foxtrot 孵化器", category=CarrierType.INCUBATOR, subclass="comprehensive",
                               town="dalang", established_on=date(2012, 1, 1)),
    }
    ops.record_recognition(made["alpha"], level="provincial", effective_from=date(2018, 1, 1))
    ops.record_recognition(made["alpha"], level="national", effective_from=date(2020, 1, 1))
    ops.record_recognition(made["bravo"], level="national_filed", effective_from=date(2017, 1, 1))
    revoked = ops.record_recognition(made["charlie"], level="national", effective_from=date(2016, 1, 1))
    ops.end_recognition(revoked, ended_on=date(2019, 12, 31), reason="revoked")
    ops.record_recognition(made["charlie"], level="municipal", effective_from=date(2014, 1, 1))
    ops.record_recognition(made["foxtrot"], level="provincial", effective_from=date(2019, 1, 1))
    ops.change_status(made["foxtrot"], "rectifying", effective_on=date(2022, 1, 1), reason="考核不合格")
    session.commit()
    return {key: inst.id for key, inst in made.items()}


def _ids(registry, *keys):  # noqa: ANN001, ANN002, ANN202
    return [registry[k] for k in keys]


@pytest.mark.parametrize(("query", "expected"), [
    ("", ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot"]),
    ("category=incubator", ["alpha", "foxtrot"]),
    ("category=incubator&subclass=specialised", ["alpha"]),
    ("level=national", ["alpha"]),
    ("level=provincial", ["foxtrot"]),  # alpha is provincial too, but its highest level is national
    ("level=municipal", ["charlie"]),  # its national recognition was revoked
    ("level=national_filed", ["bravo"]),
    ("level=none", ["delta", "echo"]),
    ("status=rectifying", ["foxtrot"]),
    ("status=applicant", ["delta", "echo"]),
    ("town={dalang}", ["alpha", "foxtrot"]),
    ("zone={one_plus_six}", ["alpha", "bravo", "foxtrot"]),  # 大朗, 松山湖 are in the "1+6" area
    ("venture=y", ["alpha"]),
    ("internet_plus=y", ["bravo"]),
    ("urban_renewal=y&strata_title=y", ["charlie"]),
    ("hmt_base=y", ["delta"]),
    ("q=alpha", ["alpha"]),  # case-insensitive on the name and the operating entity
    ("q=ALPHA运营", ["alpha"]),
    ("q={charlie_uscc_lower}", ["charlie"]),  # credit codes match whatever the case
    ("q=100%25_", ["echo"]),  # % and _ are matched literally
    ("q=%25", ["echo"]),
    ("q=孵化器&category=incubator&town={dalang}&level=provincial", ["foxtrot"]),
])
def test_filters_and_search(admin_client, session, registry, query, expected):
    dalang = session.scalar(select(Town.id).where(Town.code == "dalang"))
    zone = session.scalar(select(Zone.id).where(Zone.code == "one_plus_six"))
    from registry.models import Institution

    charlie_uscc = session.get(Institution, registry["charlie"]).uscc
    query = query.format(dalang=dalang, one_plus_six=zone, charlie_uscc_lower=charlie_uscc[-6:].lower())
    response = admin_client.get(f"/institutions/?{query}")
    assert response.status_code == 200
    assert listed_ids(response) == _ids(registry, *expected)
    assert f"共 {len(expected)} 家机构符合条件。" in response.get_data(as_text=True)


@pytest.mark.parametrize(("sort", "asc"), [
    ("name", ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot"]),
    ("category", ["delta", "bravo", "alpha", "foxtrot", "charlie", "echo"]),  # R&D first, then the chain
    ("town", ["delta", "alpha", "foxtrot", "echo", "charlie", "bravo"]),  # 东城, 大朗, 长安, 虎门, 松山湖: the bureau's order
    ("level", ["delta", "echo", "charlie", "foxtrot", "bravo", "alpha"]),
    ("status", ["delta", "echo", "alpha", "bravo", "charlie", "foxtrot"]),
    ("established", ["charlie", "alpha", "foxtrot", "bravo", "delta", "echo"]),  # undated last
])
def test_sorting_is_stable_both_ways(admin_client, registry, sort, asc):
    ascending = listed_ids(admin_client.get(f"/institutions/?sort={sort}"))
    assert ascending == _ids(registry, *asc)
    descending = listed_ids(admin_client.get(f"/institutions/?sort={sort}&dir=desc"))
    # ties keep id order in both directions; undated stay last
    assert sorted(descending) == sorted(ascending) and descending != ascending
    if sort == "established":
        assert descending == _ids(registry, "delta", "bravo", "alpha", "foxtrot", "charlie", "echo")
    if sort == "level":
        assert descending == _ids(registry, "alpha", "bravo", "foxtrot", "charlie", "delta", "echo")


def test_level_column_shows_the_highest_level_in_force(admin_client, registry):
    page = admin_client.get("/institutions/?q=Alpha").get_data(as_text=True)
    assert '<span class="badge badge-national">国家级</span>' in page
    page = admin_client.get("/institutions/?q=Charlie").get_data(as_text=True)
    assert '<span class="badge badge-municipal">市级</span>' in page and "国家级</span>" not in page
    page = admin_client.get("/institutions/?q=Delta").get_data(as_text=True)
    assert "未认定" in page


def test_pagination_walks_every_row_once(app, admin_client, registry):
    app.config["PAGE_SIZE"] = 4
    first = admin_client.get("/institutions/?sort=name")
    second = admin_client.get("/institutions/?sort=name&page=2")
    assert listed_ids(first) + listed_ids(second) == sorted(registry.values(), key=lambda i: i)
    assert "第 1 页，共 2 页" in first.get_data(as_text=True)
    assert "page=2" in first.get_data(as_text=True)
    beyond = admin_client.get("/institutions/?sort=name&page=99999999999999999999")
    assert beyond.status_code == 200 and listed_ids(beyond) == listed_ids(second)


@pytest.mark.parametrize("query", [
    "page=abc&sort=evil&town=999", "level=cosmic", "category=<script>", "status=dead&zone=x", "page=-3",
    "dir=sideways", "town=1.5", "q=" + "x" * 500, "venture=maybe",
])
def test_bad_query_args_never_fail(admin_client, registry, query):
    response = admin_client.get(f"/institutions/?{query}")
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "<script>" not in text.split("<main>")[1]
    if query != "dir=sideways" and query != "venture=maybe" and query != "page=-3":
        assert "部分查询条件无法识别，已忽略" in text


def test_bad_filter_is_ignored_but_good_ones_apply(admin_client, registry):
    response = admin_client.get("/institutions/?town=999&category=incubator")
    assert listed_ids(response) == _ids(registry, "alpha", "foxtrot")
    assert "已忽略：镇街" in response.get_data(as_text=True)


def test_list_issues_a_fixed_number_of_queries(app, admin_client, registry):
    """No N+1: the page costs the same number of statements with 6 rows as with 1."""
    from sqlalchemy import event

    def statements(query: str) -> int:
        seen: list[str] = []
        with app.app_context():
            engine = db.engine
        listener = lambda *args: seen.append(args[2])  # noqa: E731 — (conn, cursor, statement, …)
        event.listen(engine, "before_cursor_execute", listener)
        try:
            assert admin_client.get(f"/institutions/?{query}").status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        return len([s for s in seen if "recognitions" in s or "institutions" in s])

    assert statements("") == statements("q=Alpha")
