"""Build a synthetic registry in memory: institutions, dated recognitions, status history, firms, tenancies.

Everything is drawn from one `random.Random(seed)`, so a seed always yields the same dataset
(nothing iterates over a set or a dict keyed by something hash-randomised). The only public
anchor (domain.md §9) is the city scale's 23 national-level incubators in force on 31 Dec 2020;
the growth towards it from fewer in 2015 is invented, and so is everything else.

Rows are plain dicts keyed by column name, with local 1-based ids; the loader offsets them.
The invariants the registry operations enforce are kept here by construction (valid unique
credit codes, same-level recognitions never overlap, ended recognitions carry a reason, status
history in date order, tenancies end after they start, a firm at one carrier at a time).
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any, ClassVar

from registry.demo import names

FIRST_SIM_YEAR = 2014  #: tenancies start here, so 2015 already has a history
LAST_DAY = date(2020, 12, 31)
LAST_ORD = LAST_DAY.toordinal()

#: national-level incubators granted per year and revoked per year at the city scale (25 granted,
#: 2 revoked → 8, 11, 14, 17, 20, 23 in force at the end of 2015 … 2020). Invented except 2020 = 23.
NATIONAL_GRANTS = {2013: 2, 2014: 3, 2015: 3, 2016: 3, 2017: 3, 2018: 4, 2019: 3, 2020: 4}
NATIONAL_REVOKED = {2018: 1, 2020: 1}

TOWN_WEIGHTS_CARRIER = {"songshanhu": 10, "shilong": 3, "liaobu": 3, "dalingshan": 3, "dalang": 3, "shipai": 3,
                        "chashan": 3, "humen": 2, "dongcheng": 2, "nancheng": 2, "changan": 2, "huangjiang": 2,
                        "fenggang": 2, "tangxia": 2, "qingxi": 2, "changping": 2}
TOWN_WEIGHTS_RD = {"songshanhu": 24, "dalang": 2, "dalingshan": 2, "liaobu": 2, "shilong": 1, "shipai": 1,
                   "chashan": 1, "nancheng": 2, "dongcheng": 2, "humen": 1, "changan": 1}


@dataclass(frozen=True)
class Shape:
    """How big a dataset to draw. `city` is Dongguan-sized; `national` is for benchmarks."""

    name: str
    counts: dict[str, tuple[int, int]]  #: category → (min, max) number of institutions
    capacity: dict[str, tuple[int, int]]  #: category or tier → (min, max) tenants hosted at full occupancy
    national_granted: int  #: national-level incubators ever granted (city: 25, of which 2 revoked → 23)
    figure_years: tuple[int, ...]  #: years that get yearly figures (SelfReports)
    unique_firm_names: bool = True
    #: rough share of institutions per scenario (at least one each at any scale)
    scenario_share: float = 1.0

    def scaled(self, factor: float, name: str | None = None) -> Shape:
        """The same shape with fewer (or more) institutions; used for a tiny run of the national path."""
        counts = {k: (max(1, round(lo * factor)), max(1, round(hi * factor))) for k, (lo, hi) in self.counts.items()}
        inc = counts["incubator"][0]
        return replace(self, name=name or f"{self.name}×{factor}", counts=counts,
                       national_granted=max(3, min(round(self.national_granted * factor), inc // 2)),
                       scenario_share=self.scenario_share * factor)


CITY = Shape(
    name="city",
    counts={"rd_institution": (52, 58), "maker_space": (38, 44), "incubator": (80, 90), "accelerator": (10, 13),
            "industrial_park": (4, 6)},
    capacity={"national": (55, 110), "candidate": (32, 62), "near_national": (47, 54), "incubator": (14, 40),
              "maker_space": (10, 30), "accelerator": (8, 24), "industrial_park": (25, 70)},
    national_granted=25,
    figure_years=(2018, 2019, 2020),
)

NATIONAL = Shape(
    name="national",
    counts={"rd_institution": (1450, 1550), "maker_space": (5900, 6100), "incubator": (5400, 5600),
            "accelerator": (1150, 1250), "industrial_park": (750, 850)},
    capacity={"national": (25, 50), "candidate": (15, 28), "near_national": (26, 32), "incubator": (6, 16),
              "maker_space": (4, 10), "accelerator": (4, 10), "industrial_park": (8, 22)},
    national_granted=1600,
    figure_years=(2020,),
    unique_firm_names=False,
    scenario_share=60.0,
)

SHAPES = {"city": CITY, "national": NATIONAL}


@dataclass
class Carrier:
    """Working state of one institution while the dataset is drawn."""

    id: int
    category: str
    town: str
    tier: str  #: national / candidate / near_national / provincial / municipal / applicant / park / rd
    quality: float
    capacity: int = 0
    op_ord: int = 0
    end_ord: int | None = None  #: exit date (tenancies end by then)
    scenarios: list[str] = field(default_factory=list)
    row: dict[str, Any] = field(default_factory=dict)


@dataclass
class Dataset:
    shape: Shape
    seed: int
    institutions: list[dict[str, Any]]
    recognitions: list[dict[str, Any]]
    status_changes: list[dict[str, Any]]
    firms: list[dict[str, Any]]
    tenancies: list[dict[str, Any]]
    carriers: list[Carrier]
    #: (institution id, year) → registry facts the yearly figures must agree with
    facts: dict[tuple[int, int], dict[str, int]]

    def summary(self) -> dict[str, int]:
        out: dict[str, int] = defaultdict(int)
        for row in self.institutions:
            out[row["category"]] += 1
        out["recognitions"] = len(self.recognitions)
        out["firms"] = len(self.firms)
        out["tenancies"] = len(self.tenancies)
        return dict(out)


class _Docs:
    """Plausible 文号 and dates: one list notice per authority, year and batch (many recognitions share it)."""

    TEMPLATES: ClassVar[dict[str, str]] = {
        "municipal": "东科函〔{y}〕{n}号",
        "provincial": "粤科函高字〔{y}〕{n}号",
        "provincial_rd": "粤科函产字〔{y}〕{n}号",
        "national_candidate": "粤科函高字〔{y}〕{n}号",
        "national_filed": "国科火字〔{y}〕{n}号",
        "national_old": "国科发高〔{y}〕{n}号",
        "national": "国科发区〔{y}〕{n}号",
    }
    MONTHS: ClassVar[dict[str, tuple[int, ...]]] = {"municipal": (6, 12), "provincial": (11,), "provincial_rd": (9,), "national_candidate": (10,),
              "national_filed": (9,), "national": (12,), "national_old": (12,)}

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.batches: dict[tuple[str, int, int], tuple[str, date]] = {}
        self.numbers: dict[tuple[str, int], int] = {}

    def kind(self, level: str, category: str, year: int) -> str:
        if level == "provincial" and category == "rd_institution":
            return "provincial_rd"
        if level == "national":
            return "national" if year >= 2018 else "national_old"
        return level

    def batch(self, level: str, category: str, year: int, batch: int | None = None) -> tuple[str, date]:
        kind = self.kind(level, category, year)
        months = self.MONTHS[kind]
        b = self.rng.randrange(len(months)) if batch is None else min(batch, len(months) - 1)
        key = (kind, year, b)
        if key not in self.batches:
            self.batches[key] = (self.doc_no(kind, year), date(year, months[b], self.rng.randint(5, 26)))
        return self.batches[key]

    def doc_no(self, kind: str, year: int) -> str:
        template = self.TEMPLATES[kind]
        n = self.numbers.get((template, year))
        n = self.rng.randint(6, 60) if n is None else n + self.rng.randint(3, 40)
        self.numbers[(template, year)] = n
        return template.format(y=year, n=n)


def _weighted_towns(weights: dict[str, int]) -> tuple[list[str], list[int]]:
    codes = list(names.TOWN_WORDS)
    return codes, [weights.get(c, 1) for c in codes]


def _ord(y: int, m: int, d: int) -> int:
    return date(y, m, d).toordinal()


def _add_years(ordinal: int, years: int) -> int:
    d = date.fromordinal(ordinal)
    return date(d.year + years, d.month, min(d.day, 28)).toordinal()


def _first_recognised(self_: _Builder, c: Carrier) -> int:
    recs = self_.recognitions_of(c)
    return recs[0]["effective_from"].year if recs else 9999


def build_dataset(shape: Shape | str = "city", seed: int = 2020) -> Dataset:
    """Draw the whole dataset for a shape and seed (deterministic)."""
    shape = SHAPES[shape] if isinstance(shape, str) else shape
    return _Builder(shape, seed).build()


class _Builder:
    def __init__(self, shape: Shape, seed: int) -> None:
        self.shape = shape
        self.seed = seed
        self.rng = random.Random(seed)
        self.codes = names.CreditCodes(seed)
        self.docs = _Docs(self.rng)
        self.carriers: list[Carrier] = []
        self.recognitions: list[dict[str, Any]] = []
        self.status_changes: list[dict[str, Any]] = []
        self.firms: list[dict[str, Any]] = []
        self.tenancies: list[dict[str, Any]] = []
        self.used_names: set[str] = set()
        self.used_firm_names: set[str] | None = set() if shape.unique_firm_names else None
        self._by_inst: dict[int, list[dict[str, Any]]] = {}
        self._status_by_inst: dict[int, list[dict[str, Any]]] = {}

    # --- institutions -------------------------------------------------------------------------

    def build(self) -> Dataset:
        rng, shape = self.rng, self.shape
        n = {cat: rng.randint(lo, hi) for cat, (lo, hi) in shape.counts.items()}
        self._rd_institutions(n["rd_institution"])
        self._incubators(n["incubator"])
        self._maker_spaces(n["maker_space"])
        self._accelerators(n["accelerator"])
        self._parks(n["industrial_park"])
        self._special_statuses()
        self._simulate_tenancies()
        facts = self._facts()
        return Dataset(shape, self.seed, [c.row for c in self.carriers], self.recognitions, self.status_changes,
                       self.firms, self.tenancies, self.carriers, facts)

    def _new(self, category: str, tier: str, quality: float, *, town_weights: dict[str, int],
             established: date, legal_form: str = "enterprise", subclass: str | None = None,
             field_: str | None = None) -> Carrier:
        rng = self.rng
        codes, weights = _weighted_towns(town_weights)
        town = rng.choices(codes, weights)[0]
        cid = len(self.carriers) + 1
        if category == "rd_institution":
            name = names.rd_name(rng, self.used_names)
            operator = None
        else:
            name = names.carrier_name(rng, category, town, self.used_names)
            operator = names.operator_name(rng, name, category)
        operating_since = date.fromordinal(established.toordinal() + rng.randint(30, 300))
        gross, controlled = self._areas(category, tier)
        strata = category in ("incubator", "accelerator") and rng.random() < 0.12
        divisible = round(gross * rng.uniform(0.2, 0.3)) if strata else None
        row = {
            "id": cid, "name": name, "uscc": self.codes.next(legal_form), "category": category, "subclass": subclass,
            "specialised_field": field_, "legal_form": legal_form, "town": town, "operating_entity": operator,
            "parent_organisation": None, "address": f"东莞市{names.TOWN_WORDS[town][0]}{rng.randint(1, 399)}号",
            "established_on": established, "operating_since": operating_since,
            "gross_floor_area": gross, "controlled_area": controlled,
            "has_venture_model": category == "incubator" and rng.random() < 0.3,
            "has_internet_plus_model": category in ("maker_space", "incubator") and rng.random() < 0.2,
            "is_urban_renewal": category in ("incubator", "accelerator", "industrial_park") and rng.random() < 0.15,
            "is_strata_title": strata, "strata_divisible_area": divisible,
            "strata_sold_area": round(divisible * rng.uniform(0.1, 0.9)) if divisible else None,
            "is_hmt_base": category in ("maker_space", "incubator") and rng.random() < 0.04,
            "is_hardship_area": False, "status": "applicant", "is_synthetic": True,
            "notes": "合成演示数据（非真实机构）",
        }
        c = Carrier(cid, category, town, tier, quality, op_ord=operating_since.toordinal(), row=row)
        self.carriers.append(c)
        return c

    def _areas(self, category: str, tier: str) -> tuple[int | None, int | None]:
        u = self.rng.uniform
        if category == "rd_institution":
            return round(u(800, 20000)), None
        ranges = {"maker_space": (600, 5000), "accelerator": (12000, 60000), "industrial_park": (60000, 400000)}
        if category == "incubator":
            lo, hi = {"national": (14000, 60000), "candidate": (9000, 26000), "near_national": (10500, 16000)}.get(
                tier, (2500, 15000))
        else:
            lo, hi = ranges[category]
        gross = round(u(lo, hi))
        share = u(0.93, 1.0) if tier == "near_national" else u(0.72, 1.0)
        return gross, round(gross * share)

    def _quality(self, tier: str) -> float:
        rng = self.rng
        lo_hi = {"national": (0.55, 0.92), "candidate": (0.35, 0.78), "near_national": (0.55, 0.75)}
        if tier in lo_hi:
            return rng.uniform(*lo_hi[tier])
        # mean ≈ 0.71: most carriers pass, a tail is weak (national D rates run at 1–3 %, domain.md §3.3)
        return min(0.95, max(0.05, rng.betavariate(4.5, 1.8)))

    def _grant(self, c: Carrier, level: str, year: int, *, batch: int | None = None, note: str | None = None) -> int:
        """Add a recognition granted in a list notice of `year`; ends lower levels in force (upgrade)."""
        doc, on = self.docs.batch(level, c.category, year, batch)
        on_ord = max(on.toordinal(), c.op_ord + 1)
        rank = {"municipal": 1, "provincial": 2, "national_candidate": 3, "national_filed": 4, "national": 5}
        for rec in self.recognitions_of(c):
            if rec["ended_on"] is None and rank[rec["level"]] < rank[level]:
                if level == "national_candidate" or (c.category == "rd_institution"):
                    continue  # candidates stay provincial; R&D municipal status follows provincial
                self._end(rec, on_ord, "upgraded", doc)
        self.recognitions.append({"institution_id": c.id, "level": level, "effective_from": date.fromordinal(on_ord),
                                  "ended_on": None, "end_reason": None, "doc_no": doc, "end_doc_no": None,
                                  "note": note})
        self._by_inst.setdefault(c.id, []).append(self.recognitions[-1])
        if c.row["status"] == "applicant":
            self._status(c, "applicant", on_ord - self.rng.randint(60, 150), "registered")
            self._status(c, "recognised", on_ord, "recognised", doc)
        return on_ord

    def recognitions_of(self, c: Carrier) -> list[dict[str, Any]]:
        return self._by_inst.setdefault(c.id, [])

    def _end(self, rec: dict[str, Any], on_ord: int, reason: str, doc: str | None = None) -> None:
        assert rec["ended_on"] is None and on_ord > rec["effective_from"].toordinal()
        rec["ended_on"] = date.fromordinal(on_ord)
        rec["end_reason"] = reason
        rec["end_doc_no"] = doc

    def _status(self, c: Carrier, status: str, on_ord: int, reason: str, doc: str | None = None) -> None:
        on_ord = max(on_ord, c.row["established_on"].toordinal())
        prior = self._status_by_inst.setdefault(c.id, [])
        if prior:
            on_ord = max(on_ord, prior[-1]["effective_on"].toordinal())
        change = {"institution_id": c.id, "status": status, "effective_on": date.fromordinal(on_ord),
                  "reason": reason, "doc_no": doc}
        prior.append(change)
        self.status_changes.append(change)
        c.row["status"] = status

    def _established(self, latest_year: int, earliest_year: int = 2008) -> date:
        y = self.rng.randint(earliest_year, max(earliest_year, latest_year))
        return date(y, self.rng.randint(1, 12), self.rng.randint(1, 28))

    def _rd_institutions(self, count: int) -> None:
        rng = self.rng
        subclasses = ("tech_innovation", "commercialisation", "industry_cultivation", "comprehensive")
        for i in range(count):
            sub = rng.choices(subclasses, (40, 25, 20, 15))[0]
            form = rng.choices(("public_institution", "enterprise", "private_non_enterprise"), (30, 50, 20))[0]
            c = self._new("rd_institution", "rd", self._quality("rd"), town_weights=TOWN_WEIGHTS_RD,
                          established=self._established(2019, 2009), legal_form=form, subclass=sub)
            first = max(2014, c.row["established_on"].year + 1)
            if first > 2020 or (i % 25 == 24):  # applicants: registered, not yet recognised
                self._status(c, "applicant", max(c.op_ord, _ord(2020, 4, 1) + rng.randint(0, 200)), "registered")
                continue
            year = rng.randint(first, min(2020, first + 3))
            if rng.random() < 0.4 and year <= 2019:
                # provincial institutions are recognised as municipal directly; municipal follows provincial
                self._grant(c, "provincial", year)
                self._grant(c, "municipal", year, batch=1, note="省级新型研发机构直接认定为市级")
                continue
            on = self._grant(c, "municipal", year, note="有效期三年")
            while True:  # three-year validity, renewed on expiry
                rec = self.recognitions_of(c)[-1]
                expiry = _add_years(on, 3)
                if expiry > LAST_ORD:
                    break
                self._end(rec, expiry, "expired")
                on = expiry
                self.recognitions.append({"institution_id": c.id, "level": "municipal",
                                          "effective_from": date.fromordinal(expiry), "ended_on": None,
                                          "end_reason": None, "doc_no": self.docs.batch("municipal", "rd", date.fromordinal(expiry).year)[0],
                                          "end_doc_no": None, "note": "复核通过，续期三年"})
                self._by_inst[c.id].append(self.recognitions[-1])

    def _incubators(self, count: int) -> None:
        rng, shape = self.rng, self.shape
        granted = min(shape.national_granted, count)
        scale = granted / sum(NATIONAL_GRANTS.values())
        grant_years: list[int] = []
        for year, k in NATIONAL_GRANTS.items():
            grant_years += [year] * round(k * scale)
        grant_years = (grant_years + [2020] * granted)[:granted]
        revoke_plan = [y for y, k in NATIONAL_REVOKED.items() for _ in range(max(1, round(k * scale)))]
        n_candidate = round(count * 0.34)
        n_near = max(2, round(3 * shape.scenario_share)) if count >= 20 else 1
        n_provincial = round(count * 0.16)
        n_applicant = max(1, round(count * 0.025))
        tiers = (["national"] * granted + ["near_national"] * n_near + ["candidate"] * max(0, n_candidate - n_near)
                 + ["provincial"] * n_provincial + ["applicant"] * n_applicant)
        tiers += ["municipal"] * max(0, count - len(tiers))
        tiers = tiers[:count]
        nationals: list[tuple[Carrier, int]] = []
        for i, tier in enumerate(tiers):
            specialised = rng.random() < 0.35
            g = grant_years[i] if tier == "national" else None
            latest = (g - 4) if g else (2019 if tier == "applicant" else 2017)
            earliest = 2018 if tier == "applicant" else 2004
            c = self._new("incubator", tier, self._quality(tier), town_weights=TOWN_WEIGHTS_CARRIER,
                          established=self._established(latest, min(earliest, latest)),
                          subclass="specialised" if specialised else "comprehensive",
                          field_=rng.choice(names.FIELDS) if specialised else None)
            if tier == "applicant":
                self._status(c, "applicant", _ord(2020, rng.randint(3, 10), rng.randint(1, 28)), "registered")
                continue
            start = max(2010, c.row["operating_since"].year + 1)
            if g is not None:
                m_year = min(start, g - 3)
                self._grant(c, "municipal", max(2010, m_year))
                self._grant(c, "provincial", max(m_year + 1, g - 2))
                if rng.random() < 0.7 and g - 1 >= 2012:
                    self._grant(c, "national_candidate", g - 1)
                self._grant(c, "national", g)
                nationals.append((c, g))
                continue
            m_year = rng.randint(min(start, 2019), 2019) if tier != "municipal" else rng.randint(min(start, 2020), 2020)
            self._grant(c, "municipal", m_year)
            if tier in ("provincial", "candidate", "near_national") and m_year < 2020:
                p_year = rng.randint(m_year + 1, 2020)
                self._grant(c, "provincial", p_year)
                if tier != "provincial":
                    self._grant(c, "national_candidate", rng.randint(max(2016, p_year), 2020))
            elif tier in ("candidate", "near_national"):
                self._grant(c, "national_candidate", 2020)
            if tier == "near_national":
                c.scenarios.append("near_national")
        # revocations (two consecutive fails): the earliest-granted nationals of the right vintage
        for year in revoke_plan:
            pool = [(c, g) for c, g in nationals if g <= year - 3 and c.end_ord is None]
            if not pool:
                continue
            c, _ = pool[rng.randrange(len(pool))]
            doc = self.docs.doc_no("national", year)
            on = _ord(year, rng.randint(4, 9), rng.randint(1, 28))
            for rec in self.recognitions_of(c):
                if rec["ended_on"] is None:
                    self._end(rec, on, "revoked", doc)
            self._status(c, "exited", on, "连续两年评价不合格，撤销国家级科技企业孵化器资格", doc)
            c.end_ord = on
            c.scenarios.append("revoked")

    def _maker_spaces(self, count: int) -> None:
        rng = self.rng
        n_filed = round(count * 0.22)
        for i in range(count):
            applicant = i % 20 == 19
            c = self._new("maker_space", "municipal", self._quality("maker_space"), town_weights=TOWN_WEIGHTS_CARRIER,
                          established=self._established(2020 if applicant else 2018, 2013),
                          legal_form=rng.choices(("enterprise", "private_non_enterprise"), (85, 15))[0])
            if applicant:
                self._status(c, "applicant", max(c.op_ord, _ord(2020, 5, 1)), "registered")
                continue
            start = max(2015, c.row["operating_since"].year + 1)
            start = min(start, 2020)
            y = rng.randint(start, min(2020, start + 2))
            self._grant(c, "municipal", y)
            if i < n_filed and y < 2020:
                if rng.random() < 0.5 and y + 1 < 2020:
                    self._grant(c, "provincial", y + 1)
                    y += 1
                self._grant(c, "national_filed", rng.randint(y + 1, 2020))
            elif rng.random() < 0.3 and y < 2020:
                self._grant(c, "provincial", rng.randint(y + 1, 2020))

    def _accelerators(self, count: int) -> None:
        rng = self.rng
        for _ in range(count):
            c = self._new("accelerator", "municipal", self._quality("accelerator"), town_weights=TOWN_WEIGHTS_CARRIER,
                          established=self._established(2018, 2010))
            y = rng.randint(max(2016, c.row["operating_since"].year + 1), 2020) if c.row["operating_since"].year < 2020 else 2020
            self._grant(c, "municipal", y)
            if y < 2020 and rng.random() < 0.25:
                self._grant(c, "provincial", 2020)

    def _parks(self, count: int) -> None:
        rng = self.rng
        for _ in range(count):
            c = self._new("industrial_park", "park", self._quality("park"), town_weights=TOWN_WEIGHTS_CARRIER,
                          established=self._established(2016, 2005))
            # no recognition standard for parks (domain.md §7.3): listed on the chain by the bureau
            on = max(c.op_ord + 30, _ord(2015, 3, 1) + rng.randint(0, 1500))
            self._status(c, "applicant", on - 90, "registered")
            self._status(c, "recognised", on, "列入孵化链条产业园区名录（合成）")

    # --- statuses that tell a story -----------------------------------------------------------------

    def _pick(self, pred, k: int) -> list[Carrier]:
        pool = [c for c in self.carriers if pred(c) and not c.scenarios and c.end_ord is None]
        return [pool[i] for i in sorted(self.rng.sample(range(len(pool)), min(k, len(pool))))]

    def _special_statuses(self) -> None:
        rng, share = self.rng, self.shape.scenario_share

        def k(n: int) -> int:
            return max(1, round(n * share))

        def recognised(c: Carrier, *cats: str) -> bool:
            return c.category in cats and c.row["status"] == "recognised"

        def in_force(c: Carrier) -> list[dict[str, Any]]:
            return [r for r in self.recognitions_of(c) if r["ended_on"] is None]

        def settled_before(c: Carrier, month: int) -> bool:
            """Every recognition in force (and the last status change) predates 1 `month` 2020."""
            limit = _ord(2020, month, 1)
            last = self._status_by_inst.get(c.id, [])
            return all(r["effective_from"].toordinal() < limit for r in in_force(c)) and bool(last) \
                and last[-1]["effective_on"].toordinal() < limit

        # weak two years running → rectifying (2019 D → 整改 from mid-2020)
        for c in self._pick(lambda c: recognised(c, "incubator", "maker_space", "rd_institution")
                            and c.tier not in ("national", "candidate", "near_national")
                            and _first_recognised(self, c) <= 2018, k(4)):
            c.scenarios.append("weak")
            c.quality = rng.uniform(0.04, 0.15)
            self._status(c, "rectifying", _ord(2020, 7, rng.randint(1, 28)), "2019年度考核不合格（D），限期整改六个月")
        # slipping: fine until the last year, then weak (a single D → rectification, not exit)
        for c in self._pick(lambda c: recognised(c, "incubator", "maker_space")
                            and c.tier not in ("national", "near_national")
                            and _first_recognised(self, c) <= 2018, k(3)):
            c.scenarios.append("slipping")
        # rectified and back to recognised
        for c in self._pick(lambda c: recognised(c, "incubator") and c.tier in ("municipal", "provincial")
                            and _first_recognised(self, c) <= 2018, k(1)):
            c.scenarios.append("rectified")
            self._status(c, "rectifying", _ord(2019, 8, 15), "2018年度考核不合格（D），限期整改")
            self._status(c, "recognised", _ord(2020, 3, 20), "整改验收合格，恢复正常")
        # one veto: falsified statistics in the latest year
        for c in self._pick(lambda c: recognised(c, "incubator") and c.tier == "municipal"
                            and _first_recognised(self, c) <= 2018, k(1)):
            c.scenarios.append("veto")
        # one institution without yearly reports for two years
        for c in self._pick(lambda c: recognised(c, "incubator") and c.tier in ("municipal", "provincial")
                            and _first_recognised(self, c) <= 2017, k(1)):
            c.scenarios.append("unreported")
        # exits: a national-filed maker space loses its filing; an accelerator withdraws;
        # a provincial R&D institution fails the dynamic evaluation (municipal cascades); one expires unrenewed
        for c in self._pick(lambda c: recognised(c, "maker_space") and settled_before(c, 11)
                            and any(r["level"] == "national_filed" for r in in_force(c)), k(1)):
            on = _ord(2020, 11, rng.randint(2, 27))
            doc = self.docs.doc_no("national_filed", 2020)
            for rec in in_force(c):
                self._end(rec, on, "revoked", doc)
            self._status(c, "exited", on, "国家备案复核未通过，运营主体停止运营", doc)
            c.end_ord = on
            c.scenarios.append("exited")
        for c in self._pick(lambda c: recognised(c, "accelerator") and settled_before(c, 6), k(1)):
            on = _ord(2020, 6, rng.randint(2, 27))
            for rec in in_force(c):
                self._end(rec, on, "withdrawn")
            self._status(c, "exited", on, "场地用途变更，主动申请退出")
            c.end_ord = on
            c.scenarios.append("exited")
        for c in self._pick(lambda c: recognised(c, "rd_institution") and settled_before(c, 9)
                            and any(r["level"] == "provincial" for r in in_force(c)), k(1)):
            on = _ord(2020, 9, rng.randint(2, 27))
            doc = self.docs.doc_no("provincial_rd", 2020)
            for rec in in_force(c):
                self._end(rec, on, "revoked" if rec["level"] == "provincial" else "cascaded", doc)
            self._status(c, "exited", on, "省级动态评估不合格，整改期满仍未通过，资格取消（市级资格随之取消）", doc)
            c.end_ord = on
            c.scenarios.append("exited")
        for c in self._pick(lambda c: recognised(c, "rd_institution") and any(r["end_reason"] == "expired" for r in self.recognitions_of(c)), k(1)):
            recs = in_force(c)
            last = recs[-1]
            self.recognitions.remove(last)  # the renewal never happened
            self._by_inst[c.id].remove(last)
            expired = self.recognitions_of(c)[-1]
            self._status(c, "exited", expired["ended_on"].toordinal(), "认定有效期届满，复核未通过，不再续期")
            c.end_ord = expired["ended_on"].toordinal()
            c.scenarios.append("exited")

    # --- tenants ----------------------------------------------------------------------------------

    def _simulate_tenancies(self) -> None:
        rng, shape = self.rng, self.shape
        stages = ("maker_space", "incubator", "accelerator", "industrial_park")
        by_stage = {s: [c for c in self.carriers if c.category == s and c.row["status"] != "applicant"] for s in stages}
        by_stage_town: dict[str, dict[str, list[Carrier]]] = {s: defaultdict(list) for s in stages}
        for s in stages:
            for c in by_stage[s]:
                by_stage_town[s][c.town].append(c)
                lo, hi = shape.capacity.get(c.tier if c.tier in shape.capacity else s, shape.capacity[s])
                c.capacity = rng.randint(lo, hi)
        incoming: dict[int, list[tuple[int, int]]] = defaultdict(list)
        crit_codes = ("high_tech", "revenue", "investment", "merger_or_listing")
        crit_weights = (45, 25, 20, 10)
        for si, stage in enumerate(stages):
            nxt = stages[si + 1] if si + 1 < len(stages) else None
            for c in by_stage[stage]:
                first_year = max(FIRST_SIM_YEAR, date.fromordinal(c.op_ord).year)
                arrivals = sorted(incoming.pop(c.id, []), key=lambda a: a[1])
                exits: list[int] = []  # planned exit ordinals of tenancies at c (LAST_ORD + 1 = still there)
                ai = 0
                for y in range(first_year, 2021):
                    y0, y1 = _ord(y, 1, 1), _ord(y, 12, 31)
                    if c.end_ord is not None and c.end_ord <= y0:
                        break
                    while ai < len(arrivals) and arrivals[ai][1] <= y1:
                        fid, d = arrivals[ai]
                        ai += 1
                        if c.end_ord is None or d < c.end_ord:
                            exits.append(self._tenancy(c, fid, d, stage, nxt, incoming, by_stage, by_stage_town,
                                                       crit_codes, crit_weights))
                    ramp = min(1.0, 0.5 + 0.25 * (y - date.fromordinal(c.op_ord).year))
                    growth = 0.8 + 0.04 * (y - 2015)
                    target = round(c.capacity * ramp * growth)
                    exits = [e for e in exits if e > y1]
                    lo = max(y0, c.op_ord)
                    hi = y1 if c.end_ord is None else min(y1, c.end_ord - 1)
                    for _ in range(max(0, target - len(exits))):
                        d = rng.randint(lo, hi) if hi > lo else lo
                        fid = self._firm(d, stage)
                        exits.append(self._tenancy(c, fid, d, stage, nxt, incoming, by_stage, by_stage_town,
                                                   crit_codes, crit_weights))

    _STAY: ClassVar[dict[str, tuple[int, int]]] = {"maker_space": (120, 730), "incubator": (365, 1460), "accelerator": (540, 1825),
             "industrial_park": (1095, 3650)}

    def _firm(self, entry_ord: int, stage: str) -> int:
        rng = self.rng
        fid = len(self.firms) + 1
        age = rng.randint(20, 700) if stage in ("maker_space", "incubator") else rng.randint(400, 2500)
        self.firms.append({"id": fid, "name": names.firm_name(rng, self.used_firm_names), "uscc": self.codes.next(),
                           "established_on": date.fromordinal(entry_ord - age), "is_synthetic": True})
        return fid

    def _tenancy(self, c: Carrier, fid: int, d: int, stage: str, nxt: str | None, incoming, by_stage,
                 by_stage_town, crit_codes, crit_weights) -> int:
        rng = self.rng
        lo, hi = self._STAY[stage]
        if stage == "incubator" and c.row["subclass"] == "specialised":
            hi = 1825  # biomedicine, IC design …: a longer incubation period (domain.md §2.3)
        e = d + rng.randint(lo, hi)
        reason = criterion = None
        moved = False
        if c.end_ord is not None and e >= c.end_ord:
            e, reason = c.end_ord, "relocated"
        elif e > LAST_ORD:
            e = None
        else:
            r = rng.random()
            move = False
            if stage == "maker_space":
                reason = "moved_on" if r < 0.35 else ("failed" if r < 0.7 else "relocated")
                move = reason == "moved_on"
            elif stage == "incubator":
                if r < 0.45:
                    reason = "graduated"
                    criterion = rng.choices(crit_codes, crit_weights)[0]
                    move = rng.random() < 0.47
                else:
                    reason = "failed" if r < 0.73 else "relocated"
            elif stage == "accelerator":
                reason = "moved_on" if r < 0.45 else ("relocated" if r < 0.85 else "failed")
                move = reason == "moved_on"
            else:
                reason = "relocated" if r < 0.7 else "failed"
            if move and nxt is not None:
                dest = self._destination(c.town, nxt, e, by_stage, by_stage_town)
                if dest is not None:
                    incoming[dest.id].append((fid, e))
                    moved = True
                elif reason == "moved_on":
                    reason = "relocated"
        self.tenancies.append({"id": len(self.tenancies) + 1, "firm_id": fid, "carrier_id": c.id,
                               "entered_on": d, "exited_on": e, "exit_reason": reason,
                               "graduation_criterion": criterion, "moved": moved})
        return LAST_ORD + 1 if e is None else e

    def _destination(self, town: str, stage: str, on: int, by_stage, by_stage_town) -> Carrier | None:
        rng = self.rng
        local = by_stage_town[stage].get(town, [])
        pools = (local, by_stage[stage]) if local and rng.random() < 0.5 else (by_stage[stage],)
        for pool in pools:
            for _ in range(6):
                d = pool[rng.randrange(len(pool))] if pool else None
                if d is not None and d.op_ord < on and (d.end_ord is None or d.end_ord > on + 30):
                    return d
        return None

    # --- facts the figures must agree with -----------------------------------------------------------

    def _facts(self) -> dict[tuple[int, int], dict[str, int]]:
        years = self.shape.figure_years
        ends = [_ord(y, 12, 31) for y in years]
        starts = [_ord(y, 1, 1) for y in years]
        facts: dict[tuple[int, int], dict[str, int]] = {}
        for c in self.carriers:
            if c.category != "rd_institution":
                for y in years:
                    facts[(c.id, y)] = {"tenants": 0, "new_tenants": 0, "graduates_year": 0, "graduates_cum": 0,
                                        "moved_on_year": 0, "from_chain": 0, "graduates_moved_year": 0,
                                        "grad_high_tech": 0, "grad_investment": 0, "grad_revenue": 0,
                                        "grad_merger_or_listing": 0}
        prev_stage: dict[int, int] = {}
        category = {c.id: c.category for c in self.carriers}
        for t in self.tenancies:  # in creation order: a firm's earlier stage is always created first
            cid, d, e = t["carrier_id"], t["entered_on"], t["exited_on"]
            came_from_chain = t["firm_id"] in prev_stage
            prev_stage[t["firm_id"]] = cid
            for y, y0, y1 in zip(years, starts, ends):
                f = facts[(cid, y)]
                if d <= y1 and (e is None or e > y1):
                    f["tenants"] += 1
                    if came_from_chain:
                        f["from_chain"] += 1
                if y0 <= d <= y1:
                    f["new_tenants"] += 1
                if e is not None and e <= y1 and t["exit_reason"] == "graduated":
                    f["graduates_cum"] += 1
                    if e >= y0:
                        f["graduates_year"] += 1
                        f["grad_" + t["graduation_criterion"]] += 1
                        if t["moved"]:
                            f["graduates_moved_year"] += 1
                if e is not None and y0 <= e <= y1 and t["exit_reason"] in ("moved_on", "graduated"):
                    f["moved_on_year"] += 1
        del category
        # convert ordinals to dates once, at the end
        for t in self.tenancies:
            t["entered_on"] = date.fromordinal(t["entered_on"])
            if t["exited_on"] is not None:
                t["exited_on"] = date.fromordinal(t["exited_on"])
        return facts


def national_in_force(dataset: Dataset, on: date) -> int:
    """National-level incubators in force on a date, counted from the drawn rows (for checks and tests)."""
    cats = {row["id"]: row["category"] for row in dataset.institutions}
    return sum(1 for r in dataset.recognitions
               if r["level"] == "national" and cats[r["institution_id"]] == "incubator"
               and r["effective_from"] <= on and (r["ended_on"] is None or r["ended_on"] > on))


__all__ = ["CITY", "NATIONAL", "SHAPES", "Carrier", "Dataset", "Shape", "build_dataset", "national_in_force"]
