"""`fuhua assess run` at national scale: read figures, evaluate, apply quotas, write results.

Seeds its own scratch database (bulk inserts): ~15,000 institutions across the assessable
categories with recognitions, and a current self-report per institution for two years, whose
values are generated from each system's declared inputs. Then times a run over the earlier year
(which becomes the history) and over the later one, and Outcome.to_dict alone.

    createdb -h 127.0.0.1 -U postgres fuhua_bench_assess
    PYTHONPATH=. python bench/bench_assess_run.py --db postgresql+psycopg://postgres@127.0.0.1:5432/fuhua_bench_assess
    PYTHONPATH=. python bench/bench_assess_run.py --db sqlite:////tmp/fuhua_bench_assess.sqlite

Also times explaining a stored result (read the row, parse the pinned rule files stored by the run,
render every sentence): cold (nothing parsed yet, for every result) and after a worker's start
(`warm_pinned`, which the server runs at start, has parsed the stored files once).

Targets: ≤ 30 s for the run on PostgreSQL; ≤ 50 ms to explain a stored result. THE DATABASE IS WIPED.
Prints figures and a verdict; asserts nothing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import time
from decimal import Decimal
from typing import Any

from sqlalchemy import text
from stdnum.cn import uscc as uscc_mod

#: share of institutions per (category, subclass) at national scale
MIX = {("incubator", "comprehensive"): 0.27, ("incubator", "specialised"): 0.13, ("maker_space", None): 0.40,
       ("accelerator", None): 0.07, ("rd_institution", "tech_innovation"): 0.04,
       ("rd_institution", "commercialisation"): 0.03, ("rd_institution", "industry_cultivation"): 0.03,
       ("rd_institution", "comprehensive"): 0.03}
LEVELS = {"incubator": ["municipal", "municipal", "provincial", "national_candidate", "national"],
          "maker_space": ["municipal", "municipal", "provincial", "national_filed"],
          "accelerator": ["municipal"], "rd_institution": ["municipal", "municipal", "provincial"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", required=True, help="SQLAlchemy URL of a scratch database (wiped)")
    parser.add_argument("--institutions", type=int, default=15000)
    parser.add_argument("--year", type=int, default=2019)
    parser.add_argument("--seed", type=int, default=2019)
    parser.add_argument("--no-reviews", action="store_true",
                        help="no review rounds: the reviewers' scores are missing (R&D institutions and 2018 systems "
                             "become incomplete)")
    args = parser.parse_args()

    from registry import create_app
    from registry.extensions import db

    app = create_app({"TESTING": True, "SECRET_KEY": "bench", "SQLALCHEMY_DATABASE_URI": args.db,
                      "SHOW_DEMO_BANNER": False})
    with app.app_context():
        from tests.conftest import reset_schema

        reset_schema()
        from registry.reference_data import ensure_reference_data

        ensure_reference_data()
        db.session.commit()
        started = time.perf_counter()
        counts = seed(args.institutions, (args.year - 1, args.year), random.Random(args.seed))
        print(f"{db.engine.dialect.name}: seeded {counts['institutions']:,} institutions, "
              f"{counts['recognitions']:,} recognitions, {counts['reports']:,} self-reports "
              f"in {time.perf_counter() - started:.1f} s")

        from registry.assessments.operations import run_assessment

        if not args.no_reviews:
            started = time.perf_counter()
            sheets = seed_reviews(args.institutions, (args.year - 1, args.year), random.Random(args.seed))
            print(f"seeded {sheets:,} submitted review sheets in {time.perf_counter() - started:.1f} s")
        for year in (args.year - 1, args.year):
            db.session.expunge_all()
            load = os.getloadavg()[0]
            t0, c0 = time.perf_counter(), time.process_time()
            summary = run_assessment(year, label="bench")
            db.session.commit()
            wall, cpu = time.perf_counter() - t0, time.process_time() - c0
            print(f"assess run {year}: {summary.run.result_count:,} results in {wall:.1f} s wall "
                  f"({cpu:.1f} s CPU in Python; {summary.run.result_count / wall:,.0f}/s; load average "
                  f"{load:.2f} before, {os.getloadavg()[0]:.2f} after), "
                  f"grades {dict(sorted((str(k), v) for k, v in summary.by_grade.items()))}, "
                  f"incomplete {summary.incomplete}; phases (wall/CPU) "
                  + ", ".join(f"{k} {v:.1f}/{summary.cpu.get(k, 0):.1f} s" for k, v in summary.timings.items()))
        stored = db.session.execute(text(
            "SELECT avg(length(CAST(outcome AS TEXT))), count(*) FROM assessment_results")).one()
        print(f"stored outcome JSON: {float(stored[0]):,.0f} characters on average over {stored[1]:,} results")
        bench_to_dict(args.year)
        bench_explain(app, args.year)
        db.session.remove()
        db.engine.dispose()


def seed(n: int, years: tuple[int, ...], rng: random.Random) -> dict[str, int]:
    """Bulk-insert institutions, recognitions and self-reports; no per-row queries."""
    from sqlalchemy import insert, select

    from assessment import load_system
    from registry.extensions import db
    from registry.models import Institution, Recognition, SelfReport, Town

    towns = list(db.session.scalars(select(Town.id)))
    kinds = list(MIX)
    weights = [MIX[k] for k in kinds]
    inst_rows, plan = [], []
    for i in range(n):
        category, subclass = rng.choices(kinds, weights)[0]
        body = f"9144190{i + 1:010d}"
        r = rng.random()
        status = "applicant" if r < 0.08 else "rectifying" if r < 0.12 else "recognised"
        inst_rows.append({"name": f"基准机构{i + 1:05d}", "uscc": body + uscc_mod.calc_check_digit(body),
                          "category": category, "subclass": subclass, "legal_form": "enterprise",
                          "town_id": rng.choice(towns), "status": status, "is_synthetic": True,
                          "is_hardship_area": rng.random() < 0.03})
        plan.append((category, subclass, status))
    for start in range(0, n, 2000):
        db.session.execute(insert(Institution), inst_rows[start:start + 2000])
    ids = list(db.session.scalars(select(Institution.id).order_by(Institution.id)))

    rec_rows = []
    for inst_id, (category, _sub, status) in zip(ids, plan):
        if status == "applicant":
            continue
        since = dt.date(rng.randint(2012, years[0] - 1), rng.randint(1, 12), 1)
        rec_rows.append({"institution_id": inst_id, "level": "municipal", "effective_from": since})
        level = rng.choice(LEVELS[category])
        if level != "municipal":
            rec_rows.append({"institution_id": inst_id, "level": level,
                             "effective_from": since + dt.timedelta(days=rng.randint(200, 900))})
    for start in range(0, len(rec_rows), 5000):
        db.session.execute(insert(Recognition), rec_rows[start:start + 5000])

    bases = _bases()
    reports = 0
    for year in years:
        rows = []
        for inst_id, (category, subclass, _status) in zip(ids, plan):
            if rng.random() < 0.03:  # some never report
                continue
            system = load_system(category, year, subclass)
            rows.append({"institution_id": inst_id, "year": year, "version": 1, "is_current": True, "source": "demo",
                         "system_version": system.version, "values": _values(system, bases[category], rng),
                         "tables": {}})
            if len(rows) == 2000:
                db.session.execute(insert(SelfReport), rows)
                reports += len(rows)
                rows = []
        if rows:
            db.session.execute(insert(SelfReport), rows)
            reports += len(rows)
    db.session.commit()
    return {"institutions": n, "recognitions": len(rec_rows), "reports": reports}


def seed_reviews(n: int, years: tuple[int, ...], rng: random.Random) -> int:
    """A review round per category and year, and three submitted sheets for every institution whose
    system has reviewer-scored items (bulk inserts), so the run reads them as in production."""
    from sqlalchemy import insert, select

    from assessment import SystemNotFoundError, load_system
    from registry.extensions import db
    from registry.models import Institution, ReviewAssignment, ReviewRound, Role, User

    experts = [{"username": f"bench-expert-{k}", "display_name": f"基准专家{k}", "role": Role.REVIEWER,
                "password_hash": "!", "is_enabled": True} for k in range(60)]
    db.session.execute(insert(User), experts)
    expert_ids = list(db.session.scalars(select(User.id).where(User.username.like("bench-expert-%"))))
    institutions = db.session.execute(select(Institution.id, Institution.category, Institution.subclass)).all()
    sheets = 0
    for year in years:
        rows = []
        for category in {getattr(c, "value", c) for _, c, _ in institutions}:
            db.session.add(ReviewRound(year=year, category=category, opens_on=dt.date(year + 1, 2, 1),
                                       closes_on=dt.date(year + 1, 3, 31)))
        db.session.flush()
        rounds = dict(db.session.execute(select(ReviewRound.category, ReviewRound.id).where(ReviewRound.year == year)).all())
        items: dict[tuple[str, str | None], Any] = {}
        for inst_id, category, subclass in institutions:
            category = getattr(category, "value", category)
            key = (category, subclass)
            if key not in items:
                try:
                    items[key] = [d for d in load_system(category, year, subclass).input_set.reviewer_scored()
                                  if d.type == "score"]
                except SystemNotFoundError:
                    items[key] = []
            if not items[key]:
                continue
            for reviewer in rng.sample(expert_ids, 3):
                scores = {d.code: {"value": str(rng.randint(int(d.min or 0), int(d.max or 10))), "comment": ""}
                          for d in items[key]}
                rows.append({"round_id": rounds[category], "reviewer_id": reviewer, "institution_id": inst_id,
                             "method": "auto", "status": "submitted", "scores": scores, "version": 2})
        for start in range(0, len(rows), 5000):
            db.session.execute(insert(ReviewAssignment), rows[start:start + 5000])
        sheets += len(rows)
    db.session.commit()
    return sheets


def _bases() -> dict[str, dict[str, Any]]:
    from tests.assessment.conftest import BASES

    return BASES


def _values(system: Any, base: dict[str, Any], rng: random.Random) -> dict[str, dict[str, Any]]:
    """A plausible report: the full-marks figures scaled down or up at random, as text with cells."""
    out: dict[str, dict[str, Any]] = {}
    for row, decl in enumerate(system.input_set.inputs, start=2):
        if decl.source != "self_report":
            continue
        v = base.get(decl.code)
        if v is None:
            v = _by_type(decl, rng)
            if v is None:
                continue
        elif isinstance(v, bool):
            v = v if rng.random() > 0.04 else not v
        elif isinstance(v, int):
            v = max(int(v * rng.uniform(0.2, 1.3)), 0)
        elif isinstance(v, Decimal):
            v = (v * Decimal(str(round(rng.uniform(0.2, 1.3), 2)))).quantize(Decimal("0.01"))
        if decl.max is not None and isinstance(v, (int, Decimal)) and not isinstance(v, bool) and v > decl.max:
            v = decl.max
        text = ("true" if v else "false") if isinstance(v, bool) else v.isoformat() if isinstance(v, dt.date) else str(v)
        out[decl.code] = {"value": text, "raw": text, "cell": f"{decl.section}!D{row}"}
    return out


def _by_type(decl: Any, rng: random.Random) -> Any:
    lo = int(decl.min or 0)
    hi = int(decl.max) if decl.max is not None else lo + 100
    if decl.type == "int":
        return rng.randint(lo, hi)
    if decl.type in ("decimal", "percent"):
        return Decimal(rng.randint(lo, hi))
    if decl.type == "bool":
        return rng.random() < 0.5
    if decl.type == "choice" and decl.choices:
        return rng.choice(decl.choices).code
    return None


def bench_to_dict(year: int) -> None:
    """Serialising alone over a sample of this year's figures: the full form, the stored form, and its JSON text."""
    from sqlalchemy import select

    from assessment import PastOutcome, Standing, evaluate, load_system
    from registry.assessments.operations import InstitutionFacts, build_inputs
    from registry.extensions import db
    from registry.models import Institution, SelfReport

    system = load_system("incubator", year, "comprehensive")
    rows = db.session.execute(select(SelfReport.values).join(Institution, Institution.id == SelfReport.institution_id)
                              .where(SelfReport.year == year, Institution.category == "incubator",
                                     Institution.subclass == "comprehensive").limit(1000)).scalars().all()
    facts = InstitutionFacts(0, "", "", "incubator", "comprehensive", "recognised", False, level="municipal")
    outcomes = [evaluate(system, year, build_inputs(system, v, facts), standing=Standing("recognised", "municipal"),
                         history=[PastOutcome(year - 1, "B")]) for v in rows]
    import json

    from assessment.outcome import to_stored

    for name, fn in (("Outcome.to_dict", lambda o: o.to_dict()),
                     ("to_stored (compact form)", lambda o: to_stored(o, system)),
                     ("to_stored + json.dumps (what a run stores)",
                      lambda o: json.dumps(to_stored(o, system), ensure_ascii=False, separators=(",", ":")))):
        best = 0.0
        for _ in range(5):
            c0 = time.process_time()
            for o in outcomes:
                fn(o)
            best = max(best, len(outcomes) / (time.process_time() - c0))
        print(f"{name}: best {best:,.0f}/s per core over {len(outcomes)} outcomes (CPU time)")

def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def bench_explain(app: Any, year: int, n: int = 60) -> None:
    """Explain `n` stored results of the year's latest run, as the result page and `assess explain` do."""
    from sqlalchemy import func, select

    from assessment import rulefiles
    from assessment.system import _clear_caches
    from registry.assessments.explain import explain, explanation_lines
    from registry.assessments.queries import result_with_outcome
    from registry.extensions import db
    from registry.models import AssessmentResult, AssessmentRun

    run_id = db.session.scalar(select(func.max(AssessmentRun.id)).where(AssessmentRun.year == year))
    ids = db.session.scalars(select(AssessmentResult.id).where(AssessmentResult.run_id == run_id)
                             .order_by(AssessmentResult.id)).all()
    sample = random.Random(year).sample(list(ids), min(n, len(ids)))
    from registry.assessments.pinning import warm_pinned

    for label, cold in (("cold (pinned files read from the database and parsed per result)", True),
                        ("after a worker's start (warm_pinned)", False)):
        times = []
        if not cold:
            rulefiles._SYSTEMS.clear()
            rulefiles._CRITERIA.clear()
            _clear_caches()
            t0 = time.perf_counter()
            parsed = warm_pinned()
            print(f"warm_pinned at a worker's start: {parsed} stored rule files parsed in "
                  f"{time.perf_counter() - t0:.2f} s")
        with app.test_request_context():
            for rid in sample:
                db.session.expunge_all()
                if cold:
                    rulefiles._SYSTEMS.clear()
                    rulefiles._CRITERIA.clear()
                    _clear_caches()
                t0 = time.perf_counter()
                res = result_with_outcome(rid)
                lines = explanation_lines(explain(res.outcome))
                times.append((time.perf_counter() - t0) * 1000)
                assert lines
        med, p95 = _percentile(times, 0.5), _percentile(times, 0.95)
        verdict = "OK" if med <= 50 else "OVER TARGET"
        print(f"explain a stored result, {label}: median {med:.1f} ms, p95 {p95:.1f} ms over {len(times)} results "
              f"(load average {os.getloadavg()[0]:.2f}) — target ≤ 50 ms: {verdict}")


if __name__ == "__main__":
    main()
