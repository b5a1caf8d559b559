"""Plausible yearly figures for a synthetic institution, over whatever inputs a system declares.

The generator knows nothing about any particular indicator system. It is given the declared
inputs (`InputSet`), a `Profile` (category, year, a latent quality between 0 and 1, the scenarios
the demo wants to show, and the facts the registry already holds), and draws:

1. a latent "world" of well-known figures for the category (domain.md §11 codes), each with a
   realistic distribution driven by quality and size, and each part drawn as a share of its total;
2. the declared inputs from that world, the registry facts (tenants, graduates, areas …) exactly,
   and a sensible default by type, unit and bounds for any code it has never heard of;
3. bounds, then consistency: built-in part ≤ total rules plus the system's own ConsistencyChecks,
   repaired by moving the value that is not a registry fact.

Reviewer- and registry-sourced inputs are never drawn: they are not the institution's to report.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

#: codes that must never exceed another code (part, total); both must be declared to apply
PARTS: tuple[tuple[str, str], ...] = (
    ("pro_staff", "staff_total"), ("staff_college", "staff_total"), ("pro_staff", "staff"),
    ("tenants_with_mentor", "tenants"), ("financed_tenants", "tenants"), ("tenants_with_patent_apps", "tenants"),
    ("tenants_with_valid_ip", "tenants"), ("tenants_hte", "tenants"), ("tenants_tsme", "tenants"),
    ("valid_invention", "valid_ip"), ("graduates_year", "graduates_cum"),
    ("graduates_to_accelerator_or_park", "graduates_year"),
    ("tenant_college", "tenant_employees"), ("tenant_fresh_grads", "tenant_employees"),
    ("tenants", "tenant_employees"),
    ("controlled_incubation_area", "gross_floor_area"),
    ("resident_rd_staff", "employees_total"), ("phd_count", "employees_total"),
    ("senior_title_count", "employees_total"), ("operating_revenue", "total_revenue"),
    ("commercialisation_revenue", "operating_revenue"), ("gov_funding", "total_revenue"),
    ("spinoffs_year", "spinoffs_cum"), ("spinoffs_hte", "spinoffs_cum"), ("patents_granted", "patents_filed"),
    ("valid_invention_patents", "valid_ip"),
    ("financed_teams", "teams_served"), ("new_companies_registered", "teams_served"),
    ("startups_served", "teams_served"), ("workstation_plus_public_area", "service_area"),
    ("fresh_grads", "startup_jobs"),
    ("residents_from_incubators", "resident_firms"), ("resident_hte", "resident_firms"),
    ("residents_with_ip", "resident_firms"), ("financed_firms", "resident_firms"),
    ("firms_above_scale", "firms"), ("firms_hte", "firms"), ("firms_from_chain", "firms"),
    ("built_area", "planned_area"), ("strata_sold_area", "gross_floor_area"),
)
#: (parts, total): the parts together never exceed the total
SUMS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("tenant_area", "public_service_area"), "gross_floor_area"),
    (("tenant_area", "public_service_area"), "controlled_incubation_area"),
    (("inc_rev_service", "inc_rev_property", "inc_rev_investment", "inc_rev_other"), "inc_revenue_total"),
)
#: percent inputs derived from two declared figures, when both are declared
DERIVED: dict[str, tuple[str, str]] = {
    "resident_rd_ratio": ("resident_rd_staff", "employees_total"),
    "rd_intensity": ("rd_expenditure", "total_revenue"),
}

#: a bool whose code contains one of these is bad news (a veto item): demo institutions answer "no"
_NEGATIVE_WORDS = ("violat", "falsif", "fraud", "dishonest", "misuse", "illegal", "overdue", "veto", "penalt",
                   "unauthori", "excluded", "revoked")


@dataclass(frozen=True)
class Profile:
    """What the generator knows about one institution-year."""

    category: str
    year: int
    quality: float  #: 0 (weakest) … 1 (strongest); drives every "more is better" figure
    subclass: str | None = None
    scenarios: tuple[str, ...] = ()  #: "veto", "near_national", "weak" …
    #: exact values the registry holds, by input code (they are copied, never drawn)
    registry: Mapping[str, Any] = field(default_factory=dict)
    #: tenants / residents / firms hosted (or employees of an R&D institution), for scaling
    size: float = 30.0
    #: last year's typed values, if drawn: `<code>_prev` inputs repeat them, so years agree
    previous: Mapping[str, Any] = field(default_factory=dict)


class _Draw:
    def __init__(self, rng: random.Random, q: float) -> None:
        self.rng, self.q = rng, q

    def f(self, lo: float, hi: float) -> float:
        """A quality-driven value between lo and hi (with noise)."""
        t = min(1.0, max(0.0, self.q + self.rng.gauss(0, 0.12)))
        return lo + (hi - lo) * t

    def g(self, lo: float, hi: float) -> float:
        """A value between lo and hi, independent of quality."""
        return self.rng.uniform(lo, hi)


def _world(p: Profile, d: _Draw) -> dict[str, Any]:
    """Well-known figures for the category (domain.md §11), before selecting the declared ones."""
    f, g, r = d.f, d.g, p.registry
    w: dict[str, Any] = {}
    cat = p.category
    if cat == "incubator":
        t = int(r.get("tenants", p.size))
        area = float(r.get("controlled_incubation_area") or r.get("gross_floor_area") or 5000)
        s = max(0.3, t / 50)
        near = "near_national" in p.scenarios
        w["tenant_area"] = area * f(0.55, 0.78)
        w["public_service_area"] = area * g(0.08, 0.15)
        w["staff_total"] = max(4, round(t / 6 + g(2, 8)))
        w["pro_staff"] = round(w["staff_total"] * f(0.55, 0.95))
        w["staff_college"] = round(w["staff_total"] * f(0.7, 1.0))
        w["mentors"] = round(t / 10 * (g(0.9, 1.3) if near else f(0.5, 2.2))) + 1
        w["tenants_with_mentor"] = round(t * f(0.3, 0.9))
        w["incubation_fund_own"] = (g(420, 520) if near else f(60, 900) * (0.5 + 0.5 * s))
        w["incubation_fund_partner"] = w["incubation_fund_own"] * g(0, 0.8)
        w["incubation_fund"] = w["incubation_fund_own"] + w["incubation_fund_partner"]
        w["fund_use_cases"] = round(g(2, 4) if near else f(0, 8))
        w["financed_tenants"] = round(t * (g(0.08, 0.12) if near else f(0.02, 0.25)))
        w["financing_amount"] = w["financed_tenants"] * g(800, 6000)
        w["incubator_investment"] = f(0, 5000) * s
        w["tenants_with_patent_apps"] = round(t * (g(0.4, 0.55) if near else f(0.2, 0.75)))
        w["tenants_with_valid_ip"] = round(t * (g(0.26, 0.34) if near else f(0.15, 0.6)))
        w["valid_ip"] = round(t * f(0.5, 4))
        w["valid_invention"] = round(w["valid_ip"] * g(0.05, 0.25))
        w["tenants_hte"] = round(t * f(0.02, 0.2))
        w["tenants_tsme"] = round(t * f(0.2, 0.7))
        w["tenant_revenue"] = t * f(1500, 9000)
        w["tenant_profit"] = w["tenant_revenue"] * g(-0.05, 0.12)
        w["tenant_tax"] = w["tenant_revenue"] * g(0.02, 0.06)
        w["tenant_rd"] = w["tenant_revenue"] * f(0.03, 0.12)
        w["tenant_employees"] = max(t, round(t * g(8, 25)))
        w["tenant_college"] = round(w["tenant_employees"] * f(0.4, 0.85))
        w["tenant_fresh_grads"] = round(w["tenant_employees"] * g(0.03, 0.12))
        w["inc_rev_service"] = f(300, 3000) * s
        w["inc_rev_property"] = g(800, 6000) * s
        w["inc_rev_investment"] = f(0, 1500) * s
        w["inc_rev_other"] = g(0, 300) * s
        w["inc_revenue_total"] = sum(w[k] for k in ("inc_rev_service", "inc_rev_property", "inc_rev_investment",
                                                    "inc_rev_other"))
        w["gov_subsidy"] = g(0, 2000) * s
        w["events"] = round(f(4, 40))
        w["incubator_type"] = p.subclass
        specialised = p.subclass == "specialised"
        w["sector_share"] = g(76, 95) if specialised else g(20, 60)
        w["has_public_tech_platform"] = specialised or p.quality > 0.6
        w["public_platforms"] = round(f(1, 4)) if w["has_public_tech_platform"] else 0
        w["registered_on_provincial_platform"] = p.quality > 0.2
        w["has_mentor_mechanism"] = p.quality > 0.15
        w["staff_trained"] = round(w["staff_total"] * f(0.2, 0.8))
        w["tenants_with_ip_apps"] = round(t * (g(0.3, 0.4) if near else f(0.25, 0.8)))
        w["competitions_hosted"] = round(f(0, 3))
        w["public_duties"] = g(0, 1) < p.quality * 0.5
        w["hmt_cooperation"] = round(g(0, 1) * 3 * p.quality)
    elif cat == "maker_space":
        t = int(r.get("startups_served", p.size))
        area = float(r.get("service_area") or 1500)
        w["workstations"] = max(10, round(area / g(8, 15)))
        w["workstation_plus_public_area"] = area * f(0.6, 0.95)
        w["fulltime_staff"] = round(f(2, 10))
        w["mentors"] = round(f(2, 15))
        w["contracted_service_orgs"] = round(f(2, 12))
        w["teams_served"] = t + round(int(r.get("new_tenants", 0)) / 2 + f(0, 10))
        w["team_members"] = round(w["teams_served"] * g(3, 7))
        w["startup_jobs"] = round(t * g(4, 10))
        w["fresh_grads"] = round(w["startup_jobs"] * g(0.1, 0.3))
        w["new_companies_registered"] = round(w["teams_served"] * f(0.1, 0.5))
        w["financed_teams"] = round(w["teams_served"] * f(0.02, 0.25))
        w["financing_amount"] = w["financed_teams"] * g(300, 3000)
        w["typical_cases"] = round(f(0, 6))
        w["events"] = round(f(3, 30))
        w["valid_ip"] = round(t * f(0.2, 2))
    elif cat == "accelerator":
        n = int(r.get("resident_firms", p.size))
        w["resident_area_ratio"] = f(60, 95)
        w["resident_revenue"] = n * f(8000, 40000)
        w["resident_growth"] = f(-10, 40)
        w["resident_hte"] = round(n * f(0.1, 0.6))
        w["residents_with_ip"] = round(n * f(0.2, 0.8))
        w["accel_fund"] = f(100, 2000)
        w["financed_firms"] = round(n * f(0.02, 0.3))
        w["financing_amount"] = w["financed_firms"] * g(2000, 10000)
        w["tech_platforms"] = round(f(0, 5))
        w["staff"] = round(f(4, 20))
        w["pro_staff"] = round(w["staff"] * f(0.5, 0.95))
        w["mentors"] = round(f(1, 10))
        w["service_types"] = round(f(1, 8))
        w["incubator_docking"] = p.quality > 0.3
        w["operates_incubator"] = p.quality > 0.4
        area = float(r.get("controlled_accel_area") or 20000)
        w["resident_area"] = area * w["resident_area_ratio"] / 100
    elif cat == "industrial_park":
        n = int(r.get("firms", p.size))
        built = float(r.get("built_area") or 100000)
        w["planned_area"] = built * g(1.0, 1.6)
        w["firms_above_scale"] = round(n * f(0.1, 0.5))
        w["firms_hte"] = round(n * f(0.05, 0.4))
        w["output_value"] = n * f(2000, 20000)
        w["tax"] = w["output_value"] * g(0.02, 0.06)
        w["rd_units"] = round(n * f(0.05, 0.3))
    elif cat == "rd_institution":
        e = max(12, round(p.size))
        w["employees_total"] = e
        w["resident_rd_staff"] = round(e * f(0.25, 0.75))
        w["phd_count"] = round(w["resident_rd_staff"] * g(0.05, 0.3))
        w["senior_title_count"] = round(w["resident_rd_staff"] * g(0.1, 0.35))
        w["high_level_talent"] = round(f(0, 15))
        w["equipment_value"] = f(150, 5000)
        w["total_revenue"] = e * g(20, 80)
        w["operating_revenue"] = w["total_revenue"] * g(0.5, 0.9)
        w["commercialisation_revenue"] = w["operating_revenue"] * f(0.1, 0.7)
        shares = [g(0.1, 1) for _ in range(5)]
        for code, share in zip(("rev_tech_development", "rev_tech_transfer", "rev_tech_licensing", "rev_tech_service",
                                "rev_tech_consulting"), shares):
            w[code] = w["commercialisation_revenue"] * share / sum(shares) * g(0.9, 1.0)
        w["head_fulltime"] = p.quality > 0.1
        for code in ("has_ip_system", "has_fund_system", "has_incentive_system", "has_internal_control",
                     "has_transfer_system"):
            w[code] = g(0, 1) < 0.5 + p.quality
        w["gov_funding"] = w["total_revenue"] * g(0.05, 0.4)
        w["rd_expenditure"] = w["total_revenue"] * f(0.1, 0.6)
        w["projects_national"] = round(f(0, 3))
        w["projects_provincial"] = round(f(0, 6))
        w["projects_municipal"] = round(f(0, 10))
        w["project_funds"] = (w["projects_national"] * 300 + w["projects_provincial"] * 100
                              + w["projects_municipal"] * 30) * g(0.5, 1.5)
        w["patents_filed"] = round(e * f(0.05, 0.5))
        w["patents_granted"] = round(w["patents_filed"] * g(0.3, 0.8))
        w["invention_filed"] = round(w["patents_filed"] * g(0.2, 0.5))
        w["invention_granted"] = round(w["invention_filed"] * g(0.2, 0.6))
        w["valid_ip"] = round(e * f(0.1, 1.0))
        w["valid_invention_patents"] = round(w["valid_ip"] * g(0.1, 0.4))
        w["standards"] = round(f(0, 5))
        w["papers"] = round(f(0, 40))
        w["tech_contracts"] = round(f(2, 60))
        w["tech_contract_value"] = w["tech_contracts"] * g(10, 100)
        w["firms_served"] = round(f(5, 300))
        w["spinoffs_year"] = round(f(0, 6))
        w["spinoffs_cum"] = w["spinoffs_year"] + round(g(0, 20))
        w["spinoffs_hte"] = round(w["spinoffs_cum"] * f(0, 0.4))
        w["investment_out"] = f(0, 3000)
        w["investment_in"] = f(0, 5000)
        w["has_board"] = p.quality > 0.15
        w["annual_report_submitted"] = True
        w["rd_class"] = p.subclass
    # common to every category
    w["torch_stats_filed"] = True
    w["integrity_flags"] = ("none",)
    w["head"], w["stats_officer"], w["filer"] = (_person(d.rng) for _ in range(3))
    w["phone"] = f"0769-{d.rng.randint(22000000, 89999999)}"
    w["has_operator_legal_person"] = True
    w["has_standard_service_process"] = p.quality > 0.15
    # last year's figure, when last year was drawn; else back from a quality-driven growth rate
    for code in list(w):
        if isinstance(w[code], (int, float)) and not isinstance(w[code], bool):
            prev = p.previous.get(code)
            w[code + "_prev"] = prev if prev is not None else w[code] / (1 + f(-0.1, 0.35))
    return w


_SURNAMES = "陈李张黄王林刘叶何罗郑梁谢周吴钟莫邓杨蔡"
_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰涛明超秀霞平刚华建文斌辉健"


def _person(rng: random.Random) -> str:
    return rng.choice(_SURNAMES) + "".join(rng.choice(_GIVEN) for _ in range(1 + rng.randrange(2)))


def generate(inputs: Sequence[Any], profile: Profile, rng: random.Random,
             checks: Sequence[Any] = ()) -> dict[str, Any]:
    """Typed values (int, Decimal, bool, date, str, tuple for multichoice) for the self-reported inputs."""
    d = _Draw(rng, profile.quality)
    world = _world(profile, d)
    decls = {i.code: i for i in inputs if i.source == "self_report" and i.type != "score"}
    anchored = {c for c in decls if c in profile.registry}
    values: dict[str, Any] = {}
    for code, decl in decls.items():
        if code in profile.registry:
            raw = profile.registry[code]
        elif code in world:
            raw = world[code]
        else:
            raw = _default(decl, profile, d)
        values[code] = _fit(decl, raw, profile, d)
    if "veto" in profile.scenarios:
        _apply_veto(decls, values)
    for _ in range(3):  # repairs can cascade (a part lowered below its own part); three passes settle it
        _repair(decls, values, anchored)
        for code, (num, den) in DERIVED.items():
            if code in decls and num in values and den in values and values[den]:
                values[code] = _fit(decls[code], Decimal(values[num]) * 100 / Decimal(values[den]), profile, d)
        _apply_checks(decls, values, anchored, checks)
        for code, decl in decls.items():
            values[code] = _fit(decl, values[code], profile, d)
    return values


def _apply_veto(decls: Mapping[str, Any], values: dict[str, Any]) -> None:
    """Falsified statistics (domain.md §3.4 veto): say so in whichever declared field can carry it."""
    flags = decls.get("integrity_flags")
    if flags is not None and "falsified_data" in flags.choice_codes():
        values["integrity_flags"] = ("falsified_data",) if flags.type == "multichoice" else "falsified_data"
    elif "torch_stats_filed" in decls:
        values["torch_stats_filed"] = False


def _default(decl: Any, p: Profile, d: _Draw) -> Any:
    """A plausible value for a code the generator has never heard of, from its type, unit and bounds."""
    t, unit = decl.type, (decl.unit or "")
    lo = float(decl.min) if decl.min is not None else None
    hi = float(decl.max) if decl.max is not None else None
    if t in ("int", "decimal", "percent", "score"):
        if lo is not None and hi is not None and hi - lo <= 1000:
            return d.f(lo, hi)
        if t == "percent":
            return d.f(5, 80)
        span = {"万元": (10, 2000), "千元": (100, 20000), "元": (10000, 2000000), "m²": (100, 10000),
                "人": (3, 60), "年": (1, 10), "月": (6, 60)}.get(unit)
        if span is None:
            span = (0, 30) if t == "int" else (0, 100)
        return d.f(*span) * (1 if unit in ("年", "月", "人") else max(0.3, p.size / 30))
    if t == "bool":
        return not any(word in decl.code for word in _NEGATIVE_WORDS) and p.quality > 0.1
    if t == "date":
        return date(p.year, 1 + d.rng.randrange(12), 1 + d.rng.randrange(28))
    if t == "choice":
        codes = decl.choice_codes()
        return codes[d.rng.randrange(len(codes))] if codes else ""
    if t == "multichoice":
        codes = decl.choice_codes()
        if "none" in codes:
            return ("none",)
        k = min(len(codes), 1 + d.rng.randrange(3))
        return tuple(sorted(d.rng.sample(codes, k), key=codes.index)) if codes else ()
    if t == "uscc":
        return p.registry.get("uscc", "")
    return f"{decl.label}（合成演示数据）"


def _places(decl: Any) -> int:
    if decl.decimals is not None:
        return int(decl.decimals)
    return 0 if decl.type == "int" else (1 if decl.type == "percent" else 2)


def _fit(decl: Any, raw: Any, p: Profile, d: _Draw) -> Any:
    """Coerce to the declared type and bounds (the engine would refuse anything else)."""
    t = decl.type
    if t in ("int", "decimal", "percent", "score"):
        if isinstance(raw, bool) or raw is None:
            raw = 0
        x = Decimal(str(raw)) if not isinstance(raw, Decimal) else raw
        if not x.is_finite():
            x = Decimal(0)
        if decl.min is not None and x < decl.min:
            x = Decimal(decl.min)
        if decl.max is not None and x > decl.max:
            x = Decimal(decl.max)
        if t == "int":
            n = int(x.to_integral_value(ROUND_HALF_UP))
            if decl.max is not None and n > decl.max:
                n = math.floor(decl.max)
            if decl.min is not None and n < decl.min:
                n = math.ceil(decl.min)
            return n
        q = Decimal(1).scaleb(-_places(decl))
        x = x.quantize(q, ROUND_HALF_UP)
        if decl.max is not None and x > decl.max:
            x -= q
        if decl.min is not None and x < decl.min:
            x += q
        return x
    if t == "bool":
        return bool(raw)
    if t == "date":
        return raw if isinstance(raw, date) else date(p.year, 12, 31)
    if t == "choice":
        codes = decl.choice_codes()
        return raw if raw in codes else (codes[0] if codes else str(raw or ""))
    if t == "multichoice":
        codes = decl.choice_codes()
        items = tuple(raw) if isinstance(raw, (tuple, list)) else (raw,)
        kept = tuple(c for c in items if c in codes)
        return kept or (("none",) if "none" in codes else tuple(codes[:1]))
    return "" if raw is None else str(raw)


def _num(v: Any) -> Decimal:
    return Decimal(v) if not isinstance(v, Decimal) else v


def _as(decl: Any, x: Decimal) -> Any:
    return int(x) if decl.type == "int" else x.quantize(Decimal(1).scaleb(-_places(decl)), rounding="ROUND_DOWN")


def _lower_parts(decls: Mapping[str, Any], values: dict[str, Any], parts: Sequence[str], limit: Decimal,
                 anchored: set[str]) -> bool:
    """Scale the non-anchored parts down (never below their minimum) so they sum to at most `limit`."""
    fixed = sum((_num(values[c]) for c in parts if c in anchored), Decimal(0))
    free = [c for c in parts if c not in anchored]
    free_sum = sum((_num(values[c]) for c in free), Decimal(0))
    room = limit - fixed
    if free_sum <= room:
        return True
    if room < 0 or not free:
        return False
    ratio = room / free_sum
    for c in free:
        floor = _num(decls[c].min) if decls[c].min is not None else Decimal(0)
        values[c] = _as(decls[c], max(floor, _num(values[c]) * ratio))
    return sum((_num(values[c]) for c in parts), Decimal(0)) <= limit


def _keep_within(decls: Mapping[str, Any], values: dict[str, Any], parts: Sequence[str], total: str,
                 anchored: set[str]) -> None:
    """Make sum(parts) <= total: lower the parts that are not registry facts, else raise the total."""
    if sum((_num(values[c]) for c in parts), Decimal(0)) <= _num(values[total]):
        return
    if not all(c in anchored for c in parts) and _lower_parts(decls, values, parts, _num(values[total]), anchored):
        return
    if total in anchored:
        return  # both sides are registry facts: nothing honest to change
    s = sum((_num(values[c]) for c in parts), Decimal(0))
    new = min(s, _num(decls[total].max)) if decls[total].max is not None else s
    values[total] = math.ceil(new) if decls[total].type == "int" else new
    _lower_parts(decls, values, parts, _num(values[total]), anchored)


def _repair(decls: Mapping[str, Any], values: dict[str, Any], anchored: set[str]) -> None:
    numeric = {c for c, dcl in decls.items() if dcl.type in ("int", "decimal", "percent")}
    for part, total in PARTS:
        if part in numeric and total in numeric:
            _keep_within(decls, values, (part,), total, anchored)
    for parts, total in SUMS:
        present = tuple(c for c in parts if c in numeric)
        if present and total in numeric:
            _keep_within(decls, values, present, total, anchored)


def _apply_checks(decls: Mapping[str, Any], values: dict[str, Any], anchored: set[str], checks: Sequence[Any]) -> None:
    """The system's own cross-field rules (sum(left) op sum(right)), repaired the same way."""
    for chk in checks:
        left = tuple(c for c in chk.left if c in values)
        right = tuple(c for c in chk.right if c in values)
        if len(left) != len(chk.left) or len(right) != len(chk.right):
            continue
        if chk.op == "<=" and len(right) == 1:
            _keep_within(decls, values, left, right[0], anchored)
        elif chk.op == ">=" and len(left) == 1:
            _keep_within(decls, values, right, left[0], anchored)
        elif chk.op == "==":
            target = next((c for c in (*right, *left) if c not in anchored), None)
            if target is None:
                continue
            others = sum((_num(values[c]) for c in (right if target in right else left) if c != target), Decimal(0))
            goal = sum((_num(values[c]) for c in (left if target in right else right)), Decimal(0)) - others
            values[target] = int(goal) if decls[target].type == "int" else goal


def holds(check: Any, values: Mapping[str, Any]) -> bool | None:
    """Whether a ConsistencyCheck holds for typed values (None when a term is missing)."""
    if any(c not in values for c in (*check.left, *check.right)):
        return None
    left = sum((_num(values[c]) for c in check.left), Decimal(0))
    right = sum((_num(values[c]) for c in check.right), Decimal(0))
    return {"<=": left <= right, ">=": left >= right, "==": left == right}[check.op]


def stored(values: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """SelfReport.values: text in canonical form (Decimal as is, ISO dates, true/false, codes joined by commas)."""
    out = {}
    for code, v in values.items():
        if isinstance(v, bool):
            text = "true" if v else "false"
        elif isinstance(v, date):
            text = v.isoformat()
        elif isinstance(v, tuple):
            text = ",".join(v)
        else:
            text = str(v)
        out[code] = {"value": text, "raw": None, "cell": None}
    return out
