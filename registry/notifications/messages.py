"""The wording of each notice, in Chinese (the bureau's language; the inbox shows them as written).

Each names the institution and, where there is one, the deadline, as the bureau's own notices do.
"""

from __future__ import annotations

from datetime import date

SENDER = "东莞市科学技术局"


def _d(value: date) -> str:
    return f"{value.year} 年 {value.month} 月 {value.day} 日"


def season_opened(institution: str, year: int, deadline: date, instructions: str = "") -> tuple[str, str]:
    subject = f"{year} 年度创新载体填报已开启（截止 {_d(deadline)}）"
    body = (f"{institution}：{year} 年度填报已开启。请于 {_d(deadline)} 前上传 {year} 年度自评报表和年度工作总结"
            f"（.docx 或 .pdf），并点击“提交”。")
    if instructions:
        body += f"\n填报说明：{instructions}"
    return subject, body + f"\n—— {SENDER}"


def deadline_soon(institution: str, year: int, deadline: date, days: int) -> tuple[str, str]:
    subject = f"{year} 年度填报将于 {days} 天后截止"
    body = (f"{institution}：{year} 年度填报将于 {_d(deadline)} 截止，贵单位尚未提交。"
            f"逾期未提交的，须向市科技局申请重新开放。\n—— {SENDER}")
    return subject, body


def reminder(institution: str, year: int, deadline: date) -> tuple[str, str]:
    subject = f"催报：请尽快提交 {year} 年度填报"
    body = (f"{institution}：截至今日，贵单位 {year} 年度填报尚未提交，截止日期为 {_d(deadline)}。"
            f"请尽快上传自评报表和年度工作总结并提交。\n—— {SENDER}")
    return subject, body


def filing_returned(institution: str, year: int, deadline: date, comment: str, town: str) -> tuple[str, str]:
    subject = f"{year} 年度填报被退回，请修改后重新提交"
    body = (f"{institution}：贵单位 {year} 年度填报经{town}科技办初审被退回。退回意见：{comment}\n"
            f"请于 {_d(deadline)} 前修改并重新提交。\n—— {SENDER}")
    return subject, body


def run_finished(year: int, run_id: int, count: int, ok: bool, message: str | None = None) -> tuple[str, str]:
    if ok:
        return (f"{year} 年度考核运行已完成（批次 #{run_id}）",
                f"{year} 年度考核运行已完成：共评价 {count} 家机构，结果见批次 #{run_id}。")
    return f"{year} 年度考核运行失败", f"{year} 年度考核运行失败：{message or ''}\n未保存任何结果，可在考核页面重试。"


def results_published(institution: str, year: int) -> tuple[str, str]:
    return (f"{year} 年度考核结果已发布",
            f"{institution}：{year} 年度考核结果已发布，请登录系统在“我的结果”中查看。\n—— {SENDER}")
