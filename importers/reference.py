"""Reference lists the importers validate against and `registry` also reads (domain.md §14)."""

from __future__ import annotations

from assessment.system import CATEGORIES, LEVELS, SUBCLASSES

#: 4 sub-districts (街道) of Dongguan.
STREETS: tuple[str, ...] = ("莞城街道", "南城街道", "东城街道", "万江街道")

#: 28 towns (镇) of Dongguan.
TOWNSHIPS: tuple[str, ...] = (
    "石碣镇", "石龙镇", "茶山镇", "石排镇", "企石镇", "横沥镇", "桥头镇", "谢岗镇", "东坑镇", "常平镇",
    "寮步镇", "樟木头镇", "大朗镇", "黄江镇", "清溪镇", "塘厦镇", "凤岗镇", "大岭山镇", "长安镇", "虎门镇",
    "厚街镇", "沙田镇", "道滘镇", "洪梅镇", "麻涌镇", "望牛墩镇", "中堂镇", "高埗镇",
)

#: Dongguan's 33 town-level units: 4 街道 + 28 镇 + the Songshan Lake high-tech zone.
TOWNS: tuple[str, ...] = STREETS + TOWNSHIPS + ("松山湖高新区",)

#: Functional areas (功能区). 滨海湾新区 was carved out of 虎门, 长安 and 沙田; it is not one of the
#: 33 units but institutions there name it as their location, so the roster accepts it too.
FUNCTIONAL_AREAS: tuple[str, ...] = ("松山湖高新区", "滨海湾新区")

#: What the roster's town column accepts, in display order.
TOWN_CHOICES: tuple[str, ...] = TOWNS + ("滨海湾新区",)


def _town_aliases() -> dict[str, str]:
    """Short forms people type ("虎门", "松山湖") mapped to the official name."""
    aliases: dict[str, str] = {}
    for name in TOWN_CHOICES:
        aliases[name] = name
        for suffix in ("街道", "镇", "高新区", "新区"):
            if name.endswith(suffix) and len(name) > len(suffix) + 1:
                aliases.setdefault(name[: -len(suffix)], name)
    aliases.update({"松山湖园区": "松山湖高新区", "松山湖高新技术产业开发区": "松山湖高新区", "滨海湾": "滨海湾新区"})
    return aliases


#: Accepted spelling → official town name.
TOWN_ALIASES: dict[str, str] = _town_aliases()

#: Carrier categories: stable code → Chinese label. The codes follow `assessment`'s system folders.
CATEGORY_LABELS: dict[str, str] = {
    "rd_institution": "新型研发机构",
    "maker_space": "众创空间",
    "incubator": "科技企业孵化器",
    "accelerator": "科技企业加速器",
    "industrial_park": "产业园区",
}

#: Subclasses: stable code → Chinese label (incubators: 综合/专业; R&D institutions: four classes).
SUBCLASS_LABELS: dict[str, str] = {
    "comprehensive": "综合",
    "specialised": "专业",
    "tech_innovation": "技术创新类",
    "commercialisation": "成果转化类",
    "industry_cultivation": "产业培育类",
}

#: Every accepted subclass label: R&D institutions call their comprehensive class 综合发展类.
SUBCLASS_CHOICES: tuple[tuple[str, str], ...] = (*SUBCLASS_LABELS.items(), ("comprehensive", "综合发展类"))

#: Which subclasses each category may carry (domain.md §11.0).
SUBCLASSES_BY_CATEGORY: dict[str, tuple[str, ...]] = dict(SUBCLASSES)

#: Legal forms (法人类型).
LEGAL_FORM_LABELS: dict[str, str] = {
    "public_institution": "事业单位",
    "enterprise": "企业",
    "private_non_enterprise": "民办非企业",
}

#: Recognition levels (级别).
RECOGNITION_LEVEL_LABELS: dict[str, str] = {
    "municipal": "市级",
    "provincial": "省级",
    "national": "国家级",
    "national_filed": "国家备案",
    "national_candidate": "培育单位",
}
assert set(RECOGNITION_LEVEL_LABELS) == set(LEVELS), "level codes must follow assessment.LEVELS"
assert set(CATEGORY_LABELS) == set(CATEGORIES), "category codes must follow assessment.CATEGORIES"


def category_label(code: str | None) -> str:
    """The Chinese name of a category code, or the code itself when unknown."""
    if code is None:
        return ""
    return CATEGORY_LABELS.get(code, code)


def subclass_label(code: str | None) -> str:
    """The Chinese name of a subclass code ("" for none)."""
    if not code:
        return ""
    return SUBCLASS_LABELS.get(code, code)
