"""Dongguan's town-level units and the plan's zone groupings (domain.md §14), and their seeding.

The registry's database is the runtime source; this module is what a new database is seeded from.
"""

from __future__ import annotations

from sqlalchemy import select

from registry.extensions import db
from registry.models import Town, Zone

#: (code, name, English name, kind) in the order the bureau lists them
TOWNS: tuple[tuple[str, str, str, str], ...] = (
    ("guancheng", "莞城街道", "Guancheng Subdistrict", "subdistrict"),
    ("nancheng", "南城街道", "Nancheng Subdistrict", "subdistrict"),
    ("dongcheng", "东城街道", "Dongcheng Subdistrict", "subdistrict"),
    ("wanjiang", "万江街道", "Wanjiang Subdistrict", "subdistrict"),
    ("shijie", "石碣镇", "Shijie", "town"),
    ("shilong", "石龙镇", "Shilong", "town"),
    ("chashan", "茶山镇", "Chashan", "town"),
    ("shipai", "石排镇", "Shipai", "town"),
    ("qishi", "企石镇", "Qishi", "town"),
    ("hengli", "横沥镇", "Hengli", "town"),
    ("qiaotou", "桥头镇", "Qiaotou", "town"),
    ("xiegang", "谢岗镇", "Xiegang", "town"),
    ("dongkeng", "东坑镇", "Dongkeng", "town"),
    ("changping", "常平镇", "Changping", "town"),
    ("liaobu", "寮步镇", "Liaobu", "town"),
    ("zhangmutou", "樟木头镇", "Zhangmutou", "town"),
    ("dalang", "大朗镇", "Dalang", "town"),
    ("huangjiang", "黄江镇", "Huangjiang", "town"),
    ("qingxi", "清溪镇", "Qingxi", "town"),
    ("tangxia", "塘厦镇", "Tangxia", "town"),
    ("fenggang", "凤岗镇", "Fenggang", "town"),
    ("dalingshan", "大岭山镇", "Dalingshan", "town"),
    ("changan", "长安镇", "Chang'an", "town"),
    ("humen", "虎门镇", "Humen", "town"),
    ("houjie", "厚街镇", "Houjie", "town"),
    ("shatian", "沙田镇", "Shatian", "town"),
    ("daojiao", "道滘镇", "Daojiao", "town"),
    ("hongmei", "洪梅镇", "Hongmei", "town"),
    ("machong", "麻涌镇", "Machong", "town"),
    ("wangniudun", "望牛墩镇", "Wangniudun", "town"),
    ("zhongtang", "中堂镇", "Zhongtang", "town"),
    ("gaobu", "高埗镇", "Gaobu", "town"),
    ("songshanhu", "松山湖高新区", "Songshan Lake High-tech Zone", "functional_area"),
    ("binhaiwan", "滨海湾新区", "Binhaiwan New Area", "functional_area"),
)

_PLAN = "东府办〔2018〕10号"

#: (code, name, English name, reference, town codes)
ZONES: tuple[tuple[str, str, str, str, tuple[str, ...]], ...] = (
    ("one_plus_six", "“1+6”统筹区", "“1+6” coordinated area", _PLAN,
     ("songshanhu", "shilong", "liaobu", "dalingshan", "dalang", "shipai", "chashan")),
    ("songshanhu_ring", "环松山湖九镇", "Nine towns around Songshan Lake", _PLAN,
     ("dalang", "dalingshan", "liaobu", "chashan", "shipai", "shilong", "hengli", "dongkeng", "qishi")),
    ("central_towns", "九个中心镇（街）", "Nine central towns joining the zone", _PLAN,
     ("humen", "dongcheng", "nancheng", "changan", "huangjiang", "fenggang", "tangxia", "qingxi", "changping")),
)

TOWN_NAMES: frozenset[str] = frozenset(t[1] for t in TOWNS)


def ensure_reference_data() -> bool:
    """Insert missing towns and zones; returns True when anything was added. Flushes, never commits."""
    existing = set(db.session.scalars(select(Town.code)))
    added = False
    for order, (code, name, name_en, kind) in enumerate(TOWNS):
        if code not in existing:
            db.session.add(Town(code=code, name=name, name_en=name_en, kind=kind, sort_order=order))
            added = True
    db.session.flush()
    towns = {t.code: t for t in db.session.scalars(select(Town))}
    zones = set(db.session.scalars(select(Zone.code)))
    for code, name, name_en, reference, members in ZONES:
        if code not in zones:
            db.session.add(Zone(code=code, name=name, name_en=name_en, reference=reference,
                                towns=[towns[m] for m in members]))
            added = True
    db.session.flush()
    return ensure_jurisdictions() or added


#: the city every town-level unit belongs to (the root of the jurisdiction tree, for now)
CITY_CODE, CITY_NAME = "dongguan", "东莞市"


def ensure_jurisdictions() -> bool:
    """The jurisdiction tree: the city, and under it one jurisdiction per town-level unit. Flushes."""
    from registry.models import Jurisdiction

    existing = {j.code: j for j in db.session.scalars(select(Jurisdiction))}
    added = False
    city = existing.get(CITY_CODE)
    if city is None:
        city = Jurisdiction(code=CITY_CODE, name=CITY_NAME, level="city")
        db.session.add(city)
        db.session.flush()
        added = True
    for town in db.session.scalars(select(Town).order_by(Town.sort_order)):
        code = f"{CITY_CODE}.{town.code}"
        if code not in existing:
            db.session.add(Jurisdiction(code=code, name=town.name, level="town", parent_id=city.id, town_id=town.id))
            added = True
    db.session.flush()
    return added
