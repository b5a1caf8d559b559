"""Evaluations per second per core, each including the stored form of its trace (target: ≥ 15,000/s, median).

What a run does per institution: `evaluate` (full trace), then `to_stored` (the compact stored
form) and its JSON text as the run writes it (`registry.assessments.operations._json`). Timed in
CPU seconds per round of `--institutions` synthetic self-reports; the headline is the MEDIAN round,
with collections off as in a run (`bulk_phase`), and the same with the collector on beside it.

    .venv/bin/python bench/bench_engine.py [--seconds 5] [--json /tmp/engine.json]
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import random
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).absolute().parent.parent))

from assessment import Input, PastOutcome, Standing, apply_quota, decide, evaluate, load_system

HEADER: dict[str, Any] = dict(
    org_name="示例", uscc="91110000600037341L", legal_form="enterprise", town_or_park="songshanhu",
    established_on=dt.date(2012, 3, 1), operating_since=dt.date(2013, 1, 1), report_year=2019, head="甲",
    stats_officer="乙", filer="丙", phone="0769", torch_stats_filed=True, torch_stats_years=5, integrity_flags="none",
)


def incubator(rng: random.Random) -> dict[str, Any]:
    tenants = rng.randint(0, 120)
    return {**HEADER, **dict(
        incubator_type="comprehensive", has_public_tech_platform=rng.random() < 0.5, public_platforms=rng.randint(0, 4),
        registered_on_provincial_platform=True, has_mentor_mechanism=True, gross_floor_area=Decimal(rng.randint(3000, 40000)),
        controlled_incubation_area=Decimal(rng.randint(2000, 30000)), tenant_area=Decimal(rng.randint(1000, 20000)),
        public_service_area=Decimal(rng.randint(100, 3000)), staff_total=20, pro_staff=rng.randint(5, 20), pro_staff_prev=15,
        staff_college=15, staff_trained=8, mentors=rng.randint(0, 20), tenants_with_mentor=min(tenants, 30),
        incubation_fund_own=Decimal(rng.randint(0, 600)), incubation_fund_partner=Decimal(rng.randint(0, 300)),
        fund_use_cases=rng.randint(0, 6), incubator_investment=Decimal(rng.randint(0, 8000)), tenants=tenants,
        new_tenants=min(tenants, 10), graduates_year=rng.randint(0, 8), graduates_cum=rng.randint(8, 40),
        financed_tenants=rng.randint(0, tenants), financing_amount=Decimal(rng.randint(0, 90000)),
        tenants_with_patent_apps=rng.randint(0, tenants), tenants_with_ip_apps=rng.randint(0, tenants),
        tenants_with_valid_ip=rng.randint(0, tenants), valid_ip=rng.randint(0, 300), valid_invention=rng.randint(0, 40),
        tenants_hte=rng.randint(0, min(tenants, 10)), tenants_tsme=rng.randint(0, tenants),
        tenant_revenue=Decimal(rng.randint(0, 900000)), tenant_revenue_prev=Decimal(rng.randint(0, 800000)),
        tenant_tax=Decimal(rng.randint(0, 20000)), tenant_rd=Decimal(rng.randint(0, 60000)), tenant_employees=rng.randint(tenants, 1500),
        tenant_college=rng.randint(0, 600), tenant_fresh_grads=rng.randint(0, 80), inc_revenue_total=Decimal(rng.randint(0, 30000)),
        inc_revenue_total_prev=Decimal(rng.randint(0, 30000)), inc_rev_service=Decimal(rng.randint(0, 5000)),
        inc_rev_property=Decimal(rng.randint(0, 9000)), inc_rev_investment=Decimal(rng.randint(0, 2000)),
        inc_rev_other=Decimal(rng.randint(0, 500)), gov_subsidy=Decimal(500), events=rng.randint(0, 40),
        competitions_hosted=rng.randint(0, 3), public_duties=rng.random() < 0.3, hmt_cooperation=rng.randint(0, 2),
        graduates_to_accelerator_or_park=rng.randint(0, 4), strata_project=False, unauthorised_use_change=False,
        unauthorised_strata_sale=rng.random() < 0.01,
    )}


TARGET = 15_000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=4.0, help="how long to run each scenario")
    parser.add_argument("--institutions", type=int, default=500, help="distinct synthetic self-reports")
    parser.add_argument("--json", type=Path, help="write the figures here (bench_all.py reads them)")
    args = parser.parse_args()
    from assessment.outcome import to_stored
    from registry.assessments.operations import _json

    rng = random.Random(2019)
    system = load_system("incubator", 2019, "comprehensive")
    reports = [{k: Input(k, v, f"基本情况!D{i + 2}") for i, (k, v) in enumerate(incubator(rng).items())}
               for _ in range(args.institutions)]
    levels = ["municipal", "provincial", "national_candidate", "national"]
    standings = [Standing(rng.choice(["recognised", "recognised", "rectifying", "applicant"]), rng.choice(levels))
                 for _ in reports]
    history = [PastOutcome(2018, rng.choice("ABCD"), True)]

    def evaluate_only(inputs: Any, standing: Standing) -> None:
        evaluate(system, 2019, inputs, standing=standing, history=history)

    def evaluate_and_store(inputs: Any, standing: Standing) -> None:
        _json(to_stored(evaluate(system, 2019, inputs, standing=standing, history=history), system))

    print(f"system {system.source} sha256 {system.sha256[:12]}…, {len(system.indicators)} indicators, "
          f"{len(reports)} synthetic institutions (standings mixed: applicants and upgrade checks read criteria)")
    figures = {}
    for label, fn, collector in (("evaluate + stored form + JSON, collections off (as a run)", evaluate_and_store, False),
                                 ("evaluate + stored form + JSON, collector on", evaluate_and_store, True),
                                 ("evaluate alone, collections off", evaluate_only, False)):
        rates = []
        deadline = time.perf_counter() + args.seconds
        if not collector:
            gc.disable()
        try:
            while time.perf_counter() < deadline or len(rates) < 5:
                cpu_start = time.process_time()
                for inputs, standing in zip(reports, standings):
                    fn(inputs, standing)
                rates.append(len(reports) / (time.process_time() - cpu_start))
        finally:
            gc.enable()
        figures[label] = {"median": statistics.median(rates), "p5": sorted(rates)[len(rates) // 20], "rounds": len(rates)}
        print(f"{label}: median {statistics.median(rates):,.0f}/s per core (slowest 5 %: "
              f"{figures[label]['p5']:,.0f}/s; {len(rates)} rounds of {len(reports)}; {1e6 / statistics.median(rates):.0f} µs each)")
    headline = figures["evaluate + stored form + JSON, collections off (as a run)"]["median"]
    verdict = "OK" if headline >= TARGET else "SLOW"
    print(f"\n| job | median /s per core | target | verdict |\n|---|---:|---|---|\n"
          f"| engine: evaluate + stored trace | {headline:,.0f} | ≥ {TARGET:,} | {verdict} |")
    cohort = [evaluate(system, 2019, inputs, standing=s, history=history, decide=False) for inputs, s in zip(reports, standings)]
    start = time.perf_counter()
    cohort = [decide(o) for o in apply_quota(cohort, system)]
    print(f"apply_quota, then decide, over {len(cohort)}: {(time.perf_counter() - start) * 1e3:.1f} ms")
    if args.json:
        load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
        args.json.write_text(json.dumps({"median": headline, "verdict": verdict, "figures": figures, "load": load},
                                        indent=1))


if __name__ == "__main__":
    main()
