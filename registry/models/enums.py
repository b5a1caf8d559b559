"""Enumerations of the registry. Values are stable machine codes; labels come from the catalogue."""

from __future__ import annotations

import enum


class CarrierType(str, enum.Enum):
    """The five kinds of institution along the chain (domain.md §7.3)."""

    RD_INSTITUTION = "rd_institution"  # 新型研发机构
    MAKER_SPACE = "maker_space"  # 众创空间 / 前孵化器
    INCUBATOR = "incubator"  # 科技企业孵化器
    ACCELERATOR = "accelerator"  # 科技企业加速器
    INDUSTRIAL_PARK = "industrial_park"  # 产业园区

    @property
    def chain_position(self) -> int | None:
        """Position on the incubation chain; R&D institutions stand beside it."""
        return CHAIN.index(self) if self in CHAIN else None


CHAIN = (CarrierType.MAKER_SPACE, CarrierType.INCUBATOR, CarrierType.ACCELERATOR, CarrierType.INDUSTRIAL_PARK)


class LegalForm(str, enum.Enum):
    ENTERPRISE = "enterprise"  # 企业
    PUBLIC_INSTITUTION = "public_institution"  # 事业单位
    PRIVATE_NON_ENTERPRISE = "private_non_enterprise"  # 民办非企业单位 / 社会服务机构


class Level(str, enum.Enum):
    """Recognition levels; rank orders them for 'highest level in force'."""

    MUNICIPAL = "municipal"  # 市级
    PROVINCIAL = "provincial"  # 省级
    NATIONAL_CANDIDATE = "national_candidate"  # 国家级孵化器培育单位
    NATIONAL_FILED = "national_filed"  # 国家备案众创空间
    NATIONAL = "national"  # 国家级

    @property
    def rank(self) -> int:
        return LEVEL_RANK[self]


LEVEL_RANK = {
    Level.MUNICIPAL: 1,
    Level.PROVINCIAL: 2,
    Level.NATIONAL_CANDIDATE: 3,
    Level.NATIONAL_FILED: 4,
    Level.NATIONAL: 5,
}


class EndReason(str, enum.Enum):
    REVOKED = "revoked"  # 撤销
    EXPIRED = "expired"  # 到期
    UPGRADED = "upgraded"  # 升级
    WITHDRAWN = "withdrawn"  # 主动退出
    CASCADED = "cascaded"  # 随上级资格取消 (provincial exit → municipal exit)


class Status(str, enum.Enum):
    """Lifecycle: applicant → recognised → rectifying (整改) → exited (退出)."""

    APPLICANT = "applicant"
    RECOGNISED = "recognised"
    RECTIFYING = "rectifying"
    EXITED = "exited"


class TenancyExit(str, enum.Enum):
    GRADUATED = "graduated"  # 毕业
    MOVED_ON = "moved_on"  # 进入链条下一载体
    FAILED = "failed"  # 经营失败 / 注销
    RELOCATED = "relocated"  # 迁出


class GraduationCriterion(str, enum.Enum):
    """国科发区〔2018〕300号 Art. 9 (domain.md §2.4): a graduate meets at least one."""

    HIGH_TECH = "high_tech"  # 经国家备案的高新技术企业
    INVESTMENT = "investment"  # 累计获得天使或风险投资 > 500 万元
    REVENUE = "revenue"  # 连续 2 年营业收入累计 > 1000 万元
    MERGER_OR_LISTING = "merger_or_listing"  # 被兼并、收购或在国内外资本市场挂牌、上市


class Role(str, enum.Enum):
    ADMIN = "admin"  # bureau staff: everything
    REVIEWER = "reviewer"  # scores what is assigned
    INSTITUTION = "institution"  # bound to one institution
    TOWN_OFFICER = "town_officer"  # 镇街科技办: bound to one jurisdiction (a town or functional area)


class Subclass(str, enum.Enum):
    """Classified-assessment subclasses (domain.md §3.1 for incubators, §6.3 for R&D institutions)."""

    COMPREHENSIVE = "comprehensive"  # 综合 (incubators) / 综合发展类 (R&D)
    SPECIALISED = "specialised"  # 专业孵化器
    TECH_INNOVATION = "tech_innovation"  # 技术创新类
    COMMERCIALISATION = "commercialisation"  # 成果转化类
    INDUSTRY_CULTIVATION = "industry_cultivation"  # 产业培育类


SUBCLASSES_BY_CATEGORY = {
    CarrierType.INCUBATOR: (Subclass.COMPREHENSIVE, Subclass.SPECIALISED),
    CarrierType.RD_INSTITUTION: (
        Subclass.TECH_INNOVATION,
        Subclass.COMMERCIALISATION,
        Subclass.INDUSTRY_CULTIVATION,
        Subclass.COMPREHENSIVE,
    ),
}
