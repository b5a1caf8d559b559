"""The demo's reporting season for its latest year, in the middle of its work.

The deadline passed two days ago: about 60 % of institutions submitted on time (the towns have
accepted some and are reviewing the rest), some were returned by their town, a few were reopened
by the bureau and filed late, and the rest are drafts or never started. The demo institution
account was returned and reopened, so it has a task on first login; each town used by the demo
gets a town-officer account (镇街科技办) with filings to review.
"""

from __future__ import annotations

import hashlib
import random
from datetime import date, datetime, time, timedelta

from sqlalchemy import insert, select, update

from registry.extensions import db
from registry.models import Filing, Institution, Jurisdiction, ReportingSeason, Role, SelfReport, Town, User, WorkSummary
from registry.models.seasons import ACCEPTED, DRAFT, NOT_STARTED, RETURNED, SUBMITTED
from registry.seasons.operations import add_due_filings

TOWN_PASSWORD = "fuhua-town-2020"
RETURN_COMMENTS = ("在孵企业名单缺少统一社会信用代码，请补充。", "年度工作总结未加盖公章，请重新上传。",
                   "孵化场地面积与上年差异较大，请说明原因。", "研发投入数据与财务报表不一致，请核实。")
INSTRUCTIONS = ("请于截止日期前上传本年度自评报表（使用系统模板）和年度工作总结（.docx 或 .pdf，加盖公章），"
                "并点击“提交”。镇街科技办初审后报市科技局。")


def town_username(town_code: str) -> str:
    return f"town-{town_code}"


def _pdf(text: str) -> bytes:
    """A small, valid one-page PDF standing for a scanned work summary."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode("latin-1", "replace")
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
               b"/Resources << /Font << /F1 5 0 R >> >> >>",
               b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def simulate_season(year: int, categories: list[str], seed: int, demo_institution_id: int | None,
                    notes: list[str], today: date | None = None) -> dict[str, int]:
    """Open the season, spread the filings over the states, add town-officer accounts. Flushes."""
    rng = random.Random(f"season-{seed}")
    today = today or date.today()
    deadline = today - timedelta(days=2)
    season = ReportingSeason(year=year, categories=categories, opens_on=deadline - timedelta(days=60),
                             deadline=deadline, instructions=INSTRUCTIONS)
    db.session.add(season)
    db.session.flush()
    add_due_filings(season)
    filings = db.session.execute(select(Filing.id, Filing.institution_id, Institution.name, Institution.town_id)
                                 .join(Institution, Institution.id == Filing.institution_id)
                                 .where(Filing.season_id == season.id).order_by(Filing.id)).all()
    reports = dict(db.session.execute(select(SelfReport.institution_id, SelfReport.id).where(
        SelfReport.year == year, SelfReport.is_current.is_(True))).all())
    readme_town = db.session.scalar(select(Town.id).where(Town.code == "songshanhu"))  # README's demo account
    officers = _town_officers({t for _f, _i, _n, t in filings} | {readme_town})
    on_time = datetime.combine(deadline, time(17, 0))
    counts: dict[str, int] = {}
    summaries: list[dict] = []
    updates: list[dict] = []
    for filing_id, inst_id, name, town_id in filings:
        r = rng.random()
        if inst_id == demo_institution_id:
            state = "demo"
        elif r < 0.60:
            state = "submitted"
        elif r < 0.67:
            state = RETURNED
        elif r < 0.72:
            state = "late"
        elif r < 0.85:
            state = DRAFT
        else:
            state = NOT_STARTED
        counts[state] = counts.get(state, 0) + 1
        row = {"fid": filing_id, "state": NOT_STARTED if state == NOT_STARTED else DRAFT, "is_late": False,
               "self_report_id": None, "work_summary_id": None, "submitted_at": None, "town_decision": None,
               "town_comment": None, "town_decided_by_id": None, "town_decided_at": None, "reopened_until": None,
               "reopen_reason": None}
        if state == NOT_STARTED or inst_id not in reports:
            updates.append(row)
            continue
        summary_id = _next_summary_id(summaries)
        data = _pdf(f"{year} annual work summary #{inst_id}")
        summaries.append({"id": summary_id, "institution_id": inst_id, "year": year,
                          "filename": f"{name}{year}年度工作总结.pdf", "kind": "pdf", "size": len(data),
                          "sha256": hashlib.sha256(data).hexdigest(), "content": data,
                          "uploaded_at": on_time - timedelta(days=rng.randint(1, 40))})
        if state == DRAFT:
            updates.append(row)
            continue
        officer = officers.get(town_id)
        submitted = on_time - timedelta(days=rng.randint(0, 40), hours=rng.randint(0, 8))
        row.update(self_report_id=reports[inst_id], work_summary_id=summary_id, submitted_at=submitted,
                   state=SUBMITTED)
        if state == "submitted" and officer is not None and rng.random() < 0.55:
            row.update(state=ACCEPTED, town_decision=ACCEPTED, town_decided_by_id=officer,
                       town_decided_at=submitted + timedelta(days=rng.randint(1, 5)))
        elif state in (RETURNED, "demo"):
            row.update(state=RETURNED, town_decision=RETURNED, town_comment=rng.choice(RETURN_COMMENTS),
                       town_decided_by_id=officer, town_decided_at=submitted + timedelta(days=2))
            if state == "demo":
                row.update(reopened_until=today + timedelta(days=14),
                           reopen_reason="镇街退回时已临近截止日期，给予补正时间。")
        elif state == "late":
            row.update(is_late=True, submitted_at=datetime.combine(today - timedelta(days=1), time(10, 30)),
                       reopened_until=today + timedelta(days=5), reopen_reason="单位负责人变更，申请延期提交。")
        updates.append(row)
    if summaries:
        db.session.execute(insert(WorkSummary), summaries)
    stmt = (update(Filing).where(Filing.id == db.bindparam("fid"))
            .values({k: db.bindparam(k) for k in updates[0] if k != "fid"})) if updates else None
    if stmt is not None:
        db.session.connection().execute(stmt, updates)
    notes.append(f"reporting season {year}: deadline {deadline}, {len(filings)} institutions due, "
                 + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    db.session.flush()
    return counts


def _next_summary_id(summaries: list[dict]) -> int:
    if not summaries:
        from sqlalchemy import func

        return (db.session.scalar(select(func.max(WorkSummary.id))) or 0) + 1
    return summaries[-1]["id"] + 1


def _town_officers(town_ids: set[int]) -> dict[int, int]:
    """One town-officer account per town with institutions due: town id → user id."""
    out: dict[int, int] = {}
    towns = db.session.execute(select(Town.id, Town.code, Town.name, Jurisdiction.id)
                               .join(Jurisdiction, Jurisdiction.town_id == Town.id)
                               .where(Town.id.in_(town_ids)).order_by(Town.sort_order)).all()
    for town_id, code, name, jurisdiction_id in towns:
        username = town_username(code)
        user = db.session.scalar(select(User).where(User.username == username))
        if user is None:
            user = User(username=username, role=Role.TOWN_OFFICER, jurisdiction_id=jurisdiction_id,
                        display_name=f"{name}科技办")
            user.set_password(TOWN_PASSWORD)
            db.session.add(user)
            db.session.flush()
        out[town_id] = user.id
    return out
