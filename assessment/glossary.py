"""The glossary: every code a user may meet, with the Chinese and English words shown for it.

Codes (enum values, rule kinds, issue codes, recommendation rules) are stable machine words and
never reach a page, an export or a message; this one table says what to show instead. It lives in
`assessment/` (plain Python, the bottom layer) so the engine, the importers (whose workbooks and
CLI speak Chinese without Flask) and the registry all read the same words. Inputs, indicators and
criteria carry their labels in the system and criteria files; `input_label`, `criteria_title` and
`criterion_label` read them from there.

`tests/assessment/test_glossary.py` fails when a code the code base can produce has no term here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType


@dataclass(frozen=True, slots=True)
class Term:
    """What a code is called: Chinese (the default) and English."""

    zh: str
    en: str

    def text(self, locale: str | None = "zh") -> str:
        return self.en if locale and str(locale).startswith("en") else self.zh


def _kind(pairs: Mapping[str, tuple[str, str]]) -> Mapping[str, Term]:
    return MappingProxyType({code: Term(zh, en) for code, (zh, en) in pairs.items()})


GLOSSARY: Mapping[str, Mapping[str, Term]] = MappingProxyType({
    "category": _kind({
        "rd_institution": ("新型研发机构", "New-type R&D institution"),
        "maker_space": ("众创空间·前孵化器", "Maker space / pre-incubator"),
        "incubator": ("孵化器", "Incubator"),
        "accelerator": ("加速器", "Accelerator"),
        "industrial_park": ("产业园区", "Industrial park"),
    }),
    "subclass": _kind({
        "comprehensive": ("综合", "Comprehensive"),
        "specialised": ("专业", "Specialised"),
        "tech_innovation": ("技术创新类", "Technology innovation"),
        "commercialisation": ("成果转化类", "Commercialisation of results"),
        "industry_cultivation": ("产业培育类", "Industry cultivation"),
    }),
    "level": _kind({
        "municipal": ("市级", "Municipal"),
        "provincial": ("省级", "Provincial"),
        "national_candidate": ("国家级孵化器培育单位", "National candidate unit"),
        "national_filed": ("国家备案众创空间", "National-filed maker space"),
        "national": ("国家级", "National"),
    }),
    "status": _kind({
        "applicant": ("申报中", "Applicant"),
        "recognised": ("已认定", "Recognised"),
        "rectifying": ("整改中", "Rectifying"),
        "exited": ("已退出", "Exited"),
    }),
    "legal_form": _kind({
        "enterprise": ("企业", "Enterprise"),
        "public_institution": ("事业单位", "Public institution"),
        "private_non_enterprise": ("民办非企业单位", "Private non-enterprise unit"),
    }),
    "end_reason": _kind({
        "revoked": ("撤销", "Revoked"),
        "expired": ("到期", "Expired"),
        "upgraded": ("升级", "Upgraded"),
        "withdrawn": ("主动退出", "Withdrawn"),
        "cascaded": ("随上级资格取消", "Ended with the higher-level status"),
    }),
    "tenancy_exit": _kind({
        "graduated": ("毕业", "Graduated"),
        "moved_on": ("进入链条下一载体", "Moved on along the chain"),
        "failed": ("经营失败", "Failed"),
        "relocated": ("迁出", "Relocated"),
    }),
    "graduation_criterion": _kind({
        "high_tech": ("经认定的高新技术企业", "Recognised high-tech enterprise"),
        "investment": ("累计获得天使或风险投资超过500万元", "Angel or venture investment over RMB 5 million"),
        "revenue": ("连续2年营业收入累计超过1000万元", "Revenue over RMB 10 million in two consecutive years"),
        "merger_or_listing": ("被兼并、收购或挂牌上市", "Acquired, merged or listed"),
    }),
    "role": _kind({
        "admin": ("科技局管理员", "Bureau administrator"),
        "reviewer": ("评审专家", "Reviewer"),
        "institution": ("机构", "Institution"),
    }),
    "grade": _kind({
        "A": ("A 优秀", "A Excellent"),
        "B": ("B 良好", "B Good"),
        "C": ("C 合格", "C Pass"),
        "D": ("D 不合格", "D Fail"),
    }),
    #: what the assessment recommends; 准予认定 is the bureau's word for a granted recognition
    "recommendation": _kind({
        "recognise": ("准予认定", "Recognise"),
        "do_not_recognise": ("不予认定", "Do not recognise"),
        "keep": ("保留", "Keep"),
        "upgrade": ("鼓励升级", "Encourage upgrade"),
        "rectify": ("限期整改", "Rectify within a deadline"),
        "exit": ("退出", "Exit"),
    }),
    #: the rule that produced a recommendation (assessment/decisions.py)
    "recommendation_rule": _kind({
        "veto": ("触发一票否决", "Veto item triggered"),
        "veto-rectify": ("一票否决项须限期整改", "Veto item requires rectification"),
        "no-criteria": ("无适用的认定条件", "No recognition criteria apply"),
        "criteria-met": ("已满足认定条件", "Recognition criteria met"),
        "criteria-unmet": ("未满足认定条件", "Recognition criteria not met"),
        "provincial-status-lost": ("省级资格已取消", "Provincial status lost"),
        "consecutive-unreported": ("连续未报送", "Not reported in consecutive years"),
        "incomplete": ("数据不完整", "Incomplete data"),
        "consecutive-fails": ("连续考核不合格", "Failed in consecutive years"),
        "single-fail": ("考核不合格", "Failed this year"),
        "rectified": ("整改后合格", "Passed after rectification"),
        "meets-next-level": ("已满足上一级条件", "Meets the next level's criteria"),
        "nearly-meets-next-level": ("接近上一级条件", "Nearly meets the next level's criteria"),
        "keep": ("考核合格", "Passed"),
    }),
    #: how an indicator turns figures into points (assessment/rules.py KINDS)
    "rule_kind": _kind({
        "bands": ("分档计分", "Points by band"),
        "ratio_bands": ("按比例分档计分", "Points by band of a ratio"),
        "linear": ("线性计分", "Points in proportion"),
        "ratio_linear": ("按比例线性计分", "Points in proportion to a ratio"),
        "growth_linear": ("按增长率线性计分", "Points in proportion to growth"),
        "threshold": ("达标计分", "All points when the minimum is reached"),
        "ratio_threshold": ("按比例达标计分", "All points when the ratio reaches the minimum"),
        "boolean": ("是否计分", "Points for a yes/no answer"),
        "reviewer": ("专家评分", "Scored by the reviewers"),
        "bonus": ("加分项", "Bonus points"),
        "veto": ("一票否决", "Veto item"),
    }),
    #: how a recognition criterion measures its inputs (assessment/criteria.py)
    "measure": _kind({
        "value": ("数值", "Value"),
        "sum": ("合计", "Sum"),
        "ratio": ("比例", "Ratio"),
        "years_since": ("年限", "Years since"),
        "months_since": ("月数", "Months since"),
        "bool": ("是否具备", "Yes or no"),
    }),
    #: why an input could not be used for scoring
    "input_problem": _kind({
        "missing": ("未提供", "Not provided"),
        "malformed": ("格式有误", "Malformed"),
        "out-of-range": ("超出允许范围", "Out of range"),
        "all-excluded": ("全部指标均无法计分", "No indicator could be scored"),
    }),
    #: a kind of problem found in an uploaded file (importers/issues.py); the headings of grouped lists
    "issue_kind": _kind({
        "not-a-spreadsheet": ("不是电子表格文件", "Not a spreadsheet"),
        "encrypted-file": ("文件设有密码", "Password-protected file"),
        "corrupt-file": ("文件无法读取", "Unreadable file"),
        "too-large": ("文件过大", "File too large"),
        "too-many-rows": ("行数过多", "Too many rows"),
        "too-many-columns": ("列数过多", "Too many columns"),
        "empty-file": ("空文件", "Empty file"),
        "uncompressed-too-large": ("解压后过大", "Too large unpacked"),
        "compression-ratio": ("压缩比异常", "Suspicious compression ratio"),
        "part-too-large": ("文件组成部分过大", "Oversized part of the file"),
        "too-many-cells": ("单元格过多", "Too many cells"),
        "not-a-template": ("不是系统模板", "Not a template from the system"),
        "wrong-template": ("模板类别不符", "Wrong template"),
        "outdated-template": ("模板版本过旧", "Outdated template"),
        "missing-sheet": ("缺少工作表", "Missing sheet"),
        "roster-not-found": ("未找到名录表", "Roster not found"),
        "missing-field": ("缺少填报项", "Missing row"),
        "missing-column": ("缺少列", "Missing column"),
        "required": ("必填项未填写", "Required value missing"),
        "excel-error": ("单元格显示错误值", "Excel error in a cell"),
        "formula-without-value": ("公式无计算结果", "Formula without a value"),
        "merged-input-cell": ("填报单元格被合并", "Merged input cells"),
        "not-a-number": ("不是数字", "Not a number"),
        "not-an-integer": ("不是整数", "Not a whole number"),
        "out-of-range": ("超出允许范围", "Out of range"),
        "wrong-unit": ("单位不符", "Wrong unit"),
        "percent-as-fraction": ("百分数按小数填写", "Percentage typed as a fraction"),
        "not-a-date": ("不是日期", "Not a date"),
        "ambiguous-date": ("日期含义不明", "Ambiguous date"),
        "date-outside-year": ("日期超出报告年度", "Date outside the report year"),
        "not-a-boolean": ("应填“是”或“否”", "Not yes or no"),
        "not-a-choice": ("不在可选项中", "Not one of the choices"),
        "uscc-format": ("统一社会信用代码格式有误", "Malformed credit code"),
        "uscc-checksum": ("统一社会信用代码校验位错误", "Wrong credit-code check digit"),
        "duplicate-row-key": ("重复行", "Duplicate row"),
        "row-count-mismatch": ("行数与填报数不符", "Row count differs from the reported number"),
        "table-required": ("表格未填写", "Table left empty"),
        "more-issues": ("同列其余问题", "More problems in the column"),
        "unchecked-rest": ("错误过多未再逐一检查", "Too many errors to check further"),
        "check-failed": ("数据核对不一致", "Figures that do not add up"),
        "invalid-combination": ("填报内容相互矛盾", "Contradictory answers"),
        "implausible-jump": ("与上年相比变化异常", "Unusual change from last year"),
        "wrong-year": ("报告年度不符", "Wrong report year"),
        "wrong-institution": ("机构不符", "Another institution's file"),
        "no-credit-code": ("缺少统一社会信用代码", "No credit code"),
        "unknown-institution": ("未登记的机构", "Institution not registered"),
        "tenant-claimed": ("在孵企业被其他载体填报", "Tenant also reported by another carrier"),
    }),
    #: audited tables (the audit log page)
    "table": _kind({
        "institutions": ("机构", "Institutions"),
        "recognitions": ("认定记录", "Recognitions"),
        "status_changes": ("状态变更", "Status changes"),
        "firms": ("企业", "Firms"),
        "tenancies": ("在孵关系", "Tenancies"),
        "self_reports": ("自评报表", "Self-reports"),
        "uploads": ("上传文件", "Uploaded files"),
        "users": ("账号", "Accounts"),
        "assessment_runs": ("考核批次", "Assessment runs"),
        "assessment_results": ("考核结果", "Assessment results"),
        "review_rounds": ("评审轮次", "Review rounds"),
        "review_assignments": ("评审任务", "Review assignments"),
        "review_decisions": ("评审决定", "Review decisions"),
        "conflicts_of_interest": ("利益冲突", "Conflicts of interest"),
        "reported_tenants": ("填报的在孵企业", "Reported tenants"),
        "towns": ("镇街", "Towns"),
        "zones": ("园区", "Zones"),
        "api_tokens": ("接口令牌", "API tokens"),
    }),
    #: columns of the audited tables (the audit log's before/after)
    "field": _kind({
        "name": ("名称", "Name"), "uscc": ("统一社会信用代码", "Credit code"), "category": ("类别", "Category"),
        "subclass": ("分类", "Subclass"), "specialised_field": ("专业领域", "Specialised field"),
        "legal_form": ("法人类型", "Legal form"), "town_id": ("镇街", "Town"), "operating_entity": ("运营主体", "Operating entity"),
        "parent_organisation": ("依托单位", "Parent organisation"), "address": ("地址", "Address"),
        "established_on": ("成立日期", "Established on"), "operating_since": ("运营起始日期", "Operating since"),
        "gross_floor_area": ("场地总面积", "Gross floor area"), "controlled_area": ("可自主支配面积", "Self-controlled area"),
        "has_venture_model": ("创业投资模式", "Venture model"), "has_internet_plus_model": ("互联网+模式", "Internet-plus model"),
        "is_urban_renewal": ("城市更新项目", "Urban renewal"), "is_strata_title": ("分割产权", "Strata title"),
        "strata_divisible_area": ("可分割面积", "Divisible area"), "strata_sold_area": ("已分割销售面积", "Sold area"),
        "is_hmt_base": ("港澳台创业基地", "Hong Kong, Macao and Taiwan base"), "is_hardship_area": ("艰苦边远地区", "Hardship area"),
        "status": ("状态", "Status"), "is_synthetic": ("演示数据", "Synthetic"), "notes": ("备注", "Notes"),
        "note": ("备注", "Note"), "created_at": ("创建时间", "Created at"), "updated_at": ("更新时间", "Updated at"),
        "firm_id": ("企业", "Firm"), "carrier_id": ("载体", "Carrier"), "entered_on": ("入孵日期", "Entered on"),
        "exited_on": ("离孵日期", "Left on"), "exit_reason": ("离孵原因", "Reason for leaving"),
        "graduation_criterion": ("毕业条件", "Graduation criterion"), "username": ("用户名", "Username"),
        "display_name": ("姓名", "Name"), "password_hash": ("密码", "Password"), "role": ("角色", "Role"),
        "institution_id": ("机构", "Institution"), "affiliation_id": ("所属单位", "Affiliation"),
        "is_enabled": ("启用", "Enabled"), "failed_logins": ("登录失败次数", "Failed logins"),
        "locked_until": ("锁定至", "Locked until"), "last_login_at": ("最近登录", "Last login"),
        "session_version": ("会话版本", "Session version"), "year": ("年度", "Year"),
        "started_by_id": ("发起人", "Started by"), "started_by_label": ("发起人", "Started by"),
        "started_at": ("开始时间", "Started at"), "finished_at": ("完成时间", "Finished at"),
        "systems": ("指标体系", "Indicator systems"), "result_count": ("结果数", "Results"),
        "reviewer_id": ("评审专家", "Reviewer"), "reason": ("原因", "Reason"), "declared_at": ("申报时间", "Declared at"),
        "waived_at": ("豁免时间", "Waived at"), "waived_by_id": ("豁免人", "Waived by"), "waived_reason": ("豁免理由", "Reason for waiving"),
        "level": ("级别", "Level"), "effective_from": ("生效日期", "Effective from"), "ended_on": ("终止日期", "Ended on"),
        "end_reason": ("终止原因", "Reason for ending"), "doc_no": ("文号", "Document number"),
        "end_doc_no": ("终止文号", "Document ending it"), "recorded_by_id": ("录入人", "Recorded by"),
        "opens_on": ("开始日期", "Opens on"), "closes_on": ("截止日期", "Closes on"),
        "cap_per_reviewer": ("每位专家上限", "Cap per reviewer"), "reviewers_per_institution": ("每家机构专家数", "Reviewers per institution"),
        "published_at": ("发布时间", "Published at"), "published_by_id": ("发布人", "Published by"),
        "effective_on": ("生效日期", "Effective on"), "recorded_at": ("录入时间", "Recorded at"),
        "filename": ("文件名", "File name"), "kind": ("文件类型", "File type"), "size": ("大小", "Size"),
        "sha256": ("文件指纹", "Fingerprint"), "content": ("文件内容", "File content"), "uploaded_by_id": ("上传人", "Uploaded by"),
        "uploaded_at": ("上传时间", "Uploaded at"), "outcome": ("处理结果", "Outcome"), "report": ("检查报告", "Check report"),
        "round_id": ("评审轮次", "Review round"), "method": ("分配方式", "Assigned by method"),
        "assigned_by_id": ("分配人", "Assigned by"), "assigned_at": ("分配时间", "Assigned at"), "scores": ("评分", "Scores"),
        "saved_at": ("保存时间", "Saved at"), "submitted_at": ("提交时间", "Submitted at"), "version": ("版本", "Version"),
        "is_current": ("当前版本", "Current version"), "source": ("来源", "Source"), "upload_id": ("上传文件", "Uploaded file"),
        "supersedes_id": ("替代的版本", "Replaces"), "system_version": ("指标体系版本", "System version"),
        "template_version": ("模板版本", "Template version"), "values": ("填报数据", "Figures"), "tables": ("填报表格", "Tables"),
        "submitted_by_id": ("提交人", "Submitted by"), "run_id": ("考核批次", "Run"), "system_sha256": ("指标体系指纹", "System fingerprint"),
        "self_report_id": ("自评报表", "Self-report"), "score": ("得分", "Score"), "grade": ("等级", "Grade"),
        "recommendation": ("建议", "Recommendation"), "recommendation_rule": ("建议依据", "Rule of the recommendation"),
        "missing_count": ("缺失数据项", "Missing figures"), "is_provisional": ("暂定", "Provisional"),
        "decision": ("决定", "Decision"), "assessment_result_id": ("考核结果", "Assessment result"),
        "reviewer_scores": ("专家评分", "Reviewer scores"), "signed_by_id": ("签发人", "Signed by"), "signed_at": ("签发时间", "Signed at"),
        "cell": ("单元格", "Cell"), "id": ("编号", "Id"), "code": ("代码", "Code"), "name_en": ("英文名称", "English name"),
        "token_hash": ("令牌指纹", "Token fingerprint"), "revoked_at": ("吊销时间", "Revoked at"),
        "created_by_id": ("创建人", "Created by"), "last_used_at": ("最近使用", "Last used"), "scope": ("权限范围", "Scope"),
    }),
    #: the bureau's decision in a review round (registry/models/reviews.py)
    "decision": _kind({
        "entry": ("准予认定", "Recognise"),
        "keep": ("保留", "Keep"),
        "upgrade": ("鼓励升级", "Encourage upgrade"),
        "rectify": ("限期整改", "Rectify within a deadline"),
        "exit": ("退出", "Exit"),
    }),
    "assignment_status": _kind({"draft": ("草稿", "Draft"), "submitted": ("已提交", "Submitted")}),
    "assignment_method": _kind({"manual": ("手动分配", "Assigned by hand"), "auto": ("自动分配", "Assigned automatically")}),
    "upload_outcome": _kind({"accepted": ("已接收", "Accepted"), "rejected": ("已拒收", "Rejected"),
                             "pending": ("待确认", "Awaiting confirmation")}),
    "report_source": _kind({"upload": ("上传文件", "Uploaded file"), "demo": ("演示数据", "Synthetic demo data"),
                            "manual": ("手工录入", "Entered by hand"), "cli": ("命令行导入", "Imported on the command line")}),
    "action": _kind({
        "insert": ("新增", "Added"),
        "update": ("修改", "Changed"),
        "delete": ("删除", "Deleted"),
    }),
})


def term(kind: str, code: object) -> Term | None:
    """The term for `code` of `kind` ("level", "recommendation" …), or None when there is none."""
    code = getattr(code, "value", code)
    return GLOSSARY.get(kind, {}).get(str(code)) if code is not None else None


def text(kind: str, code: object, locale: str | None = "zh") -> str:
    """The word shown for `code`; an unknown code is shown as a dash, never as itself."""
    found = term(kind, code)
    return found.text(locale) if found is not None else "—"


def zh(kind: str, code: object) -> str:
    return text(kind, code, "zh")


def find(code: object, kinds: tuple[str, ...] = ("category", "subclass", "level", "status", "recommendation",
                                                 "grade", "role")) -> Term | None:
    """The term of a bare code when its kind is not known (the first kind that has it)."""
    for kind in kinds:
        found = term(kind, code)
        if found is not None:
            return found
    return None


# --- labels kept in the system and criteria files -------------------------------------------

def criteria_title(code: str, version: int | None = None, locale: str | None = "zh") -> str:
    """The title of a criteria set ("国家级科技企业孵化器认定条件（综合孵化器）"), not its code."""
    from assessment.criteria import load_criteria

    try:
        crit = load_criteria(code, version if version is not None else 9999)
    except Exception:  # noqa: BLE001 — an unknown set still gets a readable word, never its code
        return "认定条件" if not _en(locale) else "recognition criteria"
    return (getattr(crit, "title_en", None) or crit.title) if _en(locale) else crit.title


def criterion_label(criteria_code: str, code: str, version: int | None = None, locale: str | None = "zh") -> str:
    """The label of one condition of a criteria set ("可自主支配孵化场地面积"), not its code."""
    from assessment.criteria import load_criteria

    try:
        crit = load_criteria(criteria_code, version if version is not None else 9999)
    except Exception:  # noqa: BLE001
        return code_free(code)
    for c in crit.criteria:
        if c.code == code:
            return (c.label_en or c.label) if _en(locale) else c.label
    return code_free(code)


def _en(locale: str | None) -> bool:
    return bool(locale) and str(locale).startswith("en")


# --- references ------------------------------------------------------------------------------

_INTERNAL_REFERENCE = re.compile(
    r"\s*(?:[;,；，、]\s*)?(?:参?见\s*)?domain\.md(?:\s*§\s*[\d.–-]+)?(?:\s*(?:proposal|否决项|加分|chain KPI))?"  # the project's notes
    r"|\s*\[(?:C2?|I)\]"  # confidence tags of the notes
)
_EMPTY_BRACKETS = re.compile(r"\s*[（(]\s*[;,；，、]?\s*[)）]")


def public_reference(reference: str | None) -> str:
    """A source note as a reader may see it: the documents and sites, without the project's notes.

    "国科发区〔2018〕300号 第九条 (sinovcc.com, domain.md §5.3) [C2]" → "国科发区〔2018〕300号 第九条 (sinovcc.com)".
    Whether a figure is inferred is shown separately (the *provisional* mark), not as a tag.
    """
    if not reference:
        return ""
    cleaned = _INTERNAL_REFERENCE.sub("", reference)
    cleaned = re.sub(r"[（(]\s*[;,；，、]\s*", lambda m: m.group(0)[0], cleaned)
    cleaned = _EMPTY_BRACKETS.sub("", cleaned)
    return re.sub(r"\s{2,}", " ", cleaned).strip(" ;,；，、")


def code_free(code: str) -> str:
    """Last resort for a code without a label: a dash, so no machine word reaches a reader."""
    return "—"
