"""Stored outcomes (structured facts) rendered as sentences in the user's language.

The engine stores facts, not prose (style.md §H). Here each rule kind, missing-input policy and
recommendation rule becomes a sentence through the catalogue (English msgids, Chinese
translations), with labels from the pinned system file. Used by the pages and `fuhua assess explain`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _

from assessment import IndicatorSystem, glossary
from assessment.outcome import expand_stored
from registry.assessments.gap_lines import GapLine, gap_lines, gap_lines_text
from registry.assessments.pinning import FileNotice, disk_notices, pinned_for_outcome
from registry.i18n import fmt_figure, is_english
from registry.labels import current_locale, label_for, term
from registry.reports.display import shown_value


@dataclass(slots=True)
class InputView:
    code: str
    label: str
    value: Any
    source: str | None
    unit: str | None = None
    from_registry: bool = False
    problem: str | None = None  #: "missing" | "malformed" | "out-of-range"
    shown: str | None = None  #: the value as a reader understands it (choice label, 是/否, figure with unit)


@dataclass(slots=True)
class IndicatorView:
    code: str
    label: str
    group: str
    rule: str
    weight: Any
    points: Any
    status: str
    provisional: bool
    reference: str
    unit: str | None
    parameters: Mapping[str, Any]
    detail: Mapping[str, Any]
    inputs: list[InputView]
    sentence: str
    missing_sentence: str | None = None


@dataclass(slots=True)
class GroupView:
    code: str
    label: str
    weight: Any
    subtotal: Any
    indicators: list[IndicatorView] = field(default_factory=list)


@dataclass(slots=True)
class Explanation:
    outcome: Mapping[str, Any]
    system_title: str
    system_line: str
    #: how the files on disk now differ from the pinned ones used (shown beside, never used)
    notices: list[FileNotice]
    groups: list[GroupView]
    bonus: list[IndicatorView]
    vetoes: list[IndicatorView]
    score_sentence: str
    grade_sentence: str
    quota_sentence: str | None
    recommendation_sentence: str
    gaps: Mapping[str, Any] | None
    gap_lines: list[GapLine]
    missing: list[str]
    history: list[Mapping[str, Any]]


def _num(v: Any) -> str:
    if v is None:
        return "—"
    if isinstance(v, bool):
        return _("yes") if v else _("no")
    if isinstance(v, (list, tuple)):
        return join_words(_num(x) for x in v)
    if isinstance(v, (int, float)) or _is_decimal_text(v):
        from decimal import Decimal

        number = Decimal(str(v))
        if not isinstance(v, int) or abs(number) >= 10000:  # group figures; years and small counts stay as they are
            from registry.i18n import fmt_figure

            return fmt_figure(number)
    return str(v)


def _is_decimal_text(v: Any) -> bool:
    from decimal import Decimal

    return isinstance(v, Decimal) or (isinstance(v, str) and v.replace(".", "", 1).lstrip("-").isdigit())


def _ratio(v: Any) -> str:
    """A ratio or growth rate in per cent, to one decimal (78.5511 → 78.6)."""
    if v is None or isinstance(v, bool):
        return _num(v)
    try:
        from decimal import ROUND_HALF_UP, Decimal

        return f"{Decimal(str(v)).quantize(Decimal('0.1'), rounding=ROUND_HALF_UP):f}"
    except Exception:  # noqa: BLE001
        return _num(v)


def _pick(zh: str, en: str) -> str:
    return (en or zh) if is_english() else zh


def system_for(outcome: Mapping[str, Any]) -> IndicatorSystem | None:
    """The system exactly as the result used it (stored content), or None if it was never stored."""
    return pinned_for_outcome(outcome)[0]


REASONS = {"missing": "missing", "malformed": "malformed", "out-of-range": "out of the declared range"}


def reason_text(reason: str) -> str:
    if reason == "missing":
        return _("missing")
    if reason == "malformed":
        return _("malformed")
    if reason == "out-of-range":
        return _("out of the declared range")
    return term("input_problem", reason)


def missing_policy_sentence(unusable: Mapping[str, str], policy: str, labels: Mapping[str, str],
                            max_score: Any = None) -> str:
    """What the indicator's missing-input policy did with unusable figures."""
    items = "; ".join(f"{labels.get(c) or '—'} ({reason_text(r)})" for c, r in unusable.items())
    if policy == "zero":
        return _("Unusable figures: %(items)s. Policy “zero”: the indicator earns 0 points.", items=items)
    if policy == "exclude":
        return _("Unusable figures: %(items)s. Policy “exclude”: the indicator is left out and the score is rescaled to %(max)s.",
                 items=items, max=_num(max_score))
    return _("Unusable figures: %(items)s. Policy “error”: the indicator cannot be scored, so the assessment is incomplete (no score, no grade).",
             items=items)


def _band(params: Mapping[str, Any], matched: Any) -> Mapping[str, Any] | None:
    bands = params.get("bands") or []
    if isinstance(matched, int) and not isinstance(matched, bool) and 0 <= matched < len(bands):
        return bands[matched]
    return None


def rule_sentence(rule: str, params: Mapping[str, Any], detail: Mapping[str, Any], points: Any,
                  unit: str | None = None) -> str:
    """One sentence per rule kind: what was measured, against what, and the points it earned."""
    weight = _num(params.get("weight"))
    pts = _num(points)
    u = unit or ""
    if rule == "bands":
        band = _band(params, detail.get("matched"))
        if band is not None:
            return _("%(value)s%(unit)s reaches the band “at least %(min)s” → %(points)s of %(weight)s points.",
                     value=_num(detail.get("value")), unit=u, min=band["min"], points=pts, weight=weight)
        lowest = (params.get("bands") or [{"min": "—"}])[-1]["min"]
        return _("%(value)s%(unit)s is below the lowest band (at least %(min)s) → 0 of %(weight)s points.",
                 value=_num(detail.get("value")), unit=u, min=lowest, weight=weight)
    if rule.startswith("ratio_") and detail.get("zero_denominator"):
        return _("%(numerator)s ÷ %(denominator)s: the denominator is 0, so no ratio can be formed → 0 of %(weight)s points.",
                 numerator=_num(detail.get("numerator")), denominator=_num(detail.get("denominator")), weight=weight)
    if rule == "ratio_bands":
        band = _band(params, detail.get("matched"))
        ratio = _("%(numerator)s ÷ %(denominator)s × %(scale)s = %(ratio)s%(unit)s", numerator=_num(detail.get("numerator")),
                  denominator=_num(detail.get("denominator")), scale=_num(params.get("scale", 100)),
                  ratio=_ratio(detail.get("ratio")), unit=u)
        if band is not None:
            return _("Ratio %(ratio)s reaches the band “at least %(min)s” → %(points)s of %(weight)s points.",
                     ratio=ratio, min=band["min"], points=pts, weight=weight)
        lowest = (params.get("bands") or [{"min": "—"}])[-1]["min"]
        return _("Ratio %(ratio)s is below the lowest band (at least %(min)s) → 0 of %(weight)s points.",
                 ratio=ratio, min=lowest, weight=weight)
    if rule in ("linear", "ratio_linear", "growth_linear"):
        if rule == "growth_linear":
            if detail.get("zero_denominator"):
                return _("Last year's figure is 0, so growth is undefined → 0 of %(weight)s points.", weight=weight)
            measured = _("growth over last year %(growth)s%%", growth=_ratio(detail.get("growth")))
        elif rule == "ratio_linear":
            measured = _("ratio %(numerator)s ÷ %(denominator)s = %(ratio)s%(unit)s", numerator=_num(detail.get("numerator")),
                         denominator=_num(detail.get("denominator")), ratio=_ratio(detail.get("ratio")), unit=u)
        else:
            measured = f"{_num(detail.get('value'))}{u}"
        return _("Scored on a straight line from %(floor)s (0 points) to %(target)s (all %(weight)s points): %(measured)s → %(points)s points.",
                 floor=_num(params.get("floor")), target=_num(params.get("target")), weight=weight, measured=measured,
                 points=pts)
    if rule in ("threshold", "ratio_threshold"):
        value = _ratio(detail.get("ratio")) if rule == "ratio_threshold" else _num(detail.get("value"))
        if detail.get("met"):
            return _("%(value)s%(unit)s reaches the minimum %(min)s → all %(weight)s points.", value=value, unit=u,
                     min=_num(params.get("min")), weight=weight)
        return _("%(value)s%(unit)s is below the minimum %(min)s → 0 of %(weight)s points.", value=value, unit=u,
                 min=_num(params.get("min")), weight=weight)
    if rule == "boolean":
        return _("Answer “%(value)s”, expected “%(expect)s” → %(points)s of %(weight)s points.",
                 value=_num(detail.get("value")), expect=_num(params.get("expect", True)), points=pts, weight=weight)
    if rule == "reviewer":
        if detail.get("clamped"):
            return _("The reviewers' score %(score)s is outside 0 to %(weight)s and was limited to %(points)s points.",
                     score=_num(detail.get("score")), weight=weight, points=pts)
        return _("The reviewers' score %(score)s (0 to %(weight)s) → %(points)s points.", score=_num(detail.get("score")),
                 weight=weight, points=pts)
    if rule == "bonus":
        return _("%(count)s × %(per_item)s points per item, at most %(weight)s → %(points)s bonus points.",
                 count=_num(detail.get("count")), per_item=_num(params.get("per_item")), weight=weight, points=pts)
    if rule == "veto":
        if detail.get("triggered"):
            return _("Veto item triggered: %(consequence)s.", consequence=consequence_text(
                params.get("consequence"), params.get("bar_years"), long=True))
        return _("Veto item not triggered.")
    return _("Rule %(rule)s → %(points)s points.", rule=rule, points=pts)


def consequence_text(kind: Any, bar_years: Any = None, *, long: bool = False) -> str:
    """What a triggered veto item does, in words (its kind comes from the system file)."""
    if kind == "rectify":
        text = (_("rectification within the deadline; the scored grade stands") if long else _("rectification"))
    elif kind == "grade_d":
        text = (_("grade D for the year; the ordinary rules then decide (rectification after a first fail, exit after consecutive fails)")
                if long else _("grade D for the year"))
    elif kind == "do_not_recognise":
        text = (_("eligibility is lost: not recognised, or the recognition ends") if long else _("loss of eligibility"))
    else:
        text = _("the recognition ends; an applicant is not recognised") if long else _("exit")
    if bar_years:
        text += _("; no re-application for %(years)s years", years=bar_years)
    return text


def _veto_items(params: Mapping[str, Any], labels: Mapping[str, str]) -> str:
    kinds = params.get("consequences") or {}
    return join_words(f"{labels.get(c) or '—'}（{consequence_text(kinds.get(c))}）" if c in kinds else labels.get(c) or "—"
                      for c in params.get("vetoes") or [])


def recommendation_sentence(rule: str | None, kind: str | None, params: Mapping[str, Any],
                            detail: Mapping[str, Any] | None = None, labels: Mapping[str, str] | None = None,
                            criteria: Any = None) -> str:
    """Why this recommendation: the rule that fired and the numbers it read.

    `criteria` is the pinned criteria set the result used (its title and criterion labels are
    named from it, not from the files on disk); without it they are looked up by code.
    """
    detail = detail or {}
    labels = labels or {}
    if criteria is not None and criteria.code != params.get("criteria"):
        criteria = None
    level = label_for(params.get("target_level") or detail.get("target_level"), "level")
    unmet = join_words(criterion_names(params, labels, criteria))
    years = join_words(str(y) for y in params.get("years") or [])
    because = ""
    if params.get("vetoes") and rule in ("single-fail", "consecutive-fails"):
        because = " " + _("The D comes from the veto item(s): %(items)s.", items=_veto_items(params, labels))
    if rule == "veto":
        text = _("Veto item(s) triggered: %(items)s.", items=_veto_items(params, labels))
        if params.get("bar_years"):
            text += " " + _("No re-application for %(years)s years.", years=params["bar_years"])
        return text
    if rule == "veto-rectify":
        return _("Veto item(s) requiring rectification: %(items)s. The grade %(grade)s stands; rectify within %(months)s months.",
                 items=_veto_items(params, labels), grade=params.get("grade") or "—", months=params.get("deadline_months"))
    if rule == "provincial-status-lost":
        return _("The provincial recognition was revoked during the year; municipal status follows it (%(reference)s).",
                 reference=params.get("reference") or "—")
    if rule == "consecutive-unreported":
        return _("No self-report in %(n)s consecutive years (%(years)s); the limit is %(limit)s.",
                 n=len(params.get("years") or []), years=years, limit=params.get("limit"))
    if rule == "consecutive-fails":
        return _("Grade D in %(n)s consecutive years (%(years)s); the limit is %(limit)s.",
                 n=len(params.get("years") or []), years=years, limit=params.get("limit")) + because
    if rule == "single-fail":
        return _("Grade %(grade)s this year (not yet consecutive): rectify within %(months)s months.",
                 grade=params.get("grade"), months=params.get("deadline_months")) + because
    if rule == "rectified":
        return _("Passed with grade %(grade)s while rectifying: the rectification ends and the recognition is kept.",
                 grade=params.get("grade"))
    if rule == "meets-next-level":
        return _("Meets every criterion for %(level)s (criteria %(criteria)s, version %(version)s): encourage the upgrade.",
                 level=level, criteria=_pick(criteria.title, criteria.title_en) if criteria is not None else
                 glossary.criteria_title(params.get("criteria") or "", params.get("criteria_version"), current_locale()),
                 version=params.get("criteria_version"))
    if rule == "nearly-meets-next-level":
        return _("Misses only %(unmet)s for %(level)s, each within %(shortfall)s of the requirement (at most %(max_unmet)s may be missed): encourage the upgrade.",
                 unmet=unmet, level=level, shortfall=_pct(params.get("max_shortfall")), max_unmet=params.get("max_unmet"))
    if rule == "keep":
        if params.get("target_level"):
            return _("Passed; does not yet meet the criteria for %(level)s (unmet: %(unmet)s): keep.", level=level,
                     unmet=unmet or "—")
        return _("Passed with grade %(grade)s: keep.", grade=params.get("grade") or detail.get("grade") or "—")
    if rule == "criteria-met":
        return _("Meets every criterion for recognition at %(level)s: recognise.", level=level)
    if rule == "criteria-unmet":
        return _("Criteria for recognition at %(level)s not met: %(unmet)s. Do not recognise.", level=level, unmet=unmet)
    if rule == "incomplete":
        return _("No recommendation: the assessment is incomplete (figures are missing where the policy is “error”).")
    if rule == "no-criteria":
        return _("No recommendation: no recognition criteria for %(level)s are on file.", level=level)
    return _("Recommendation %(kind)s (rule %(rule)s).", kind=label_for(kind, "recommendation"),
             rule=term("recommendation_rule", rule))


def system_name(ref: Mapping[str, Any]) -> str:
    """"孵化器·综合" for a stored system reference, rather than its file path."""
    name = term("category", ref.get("category"))
    return f"{name}·{term('subclass', ref['subclass'])}" if ref.get("subclass") else name


def join_words(words: Any) -> str:
    """A list in running text: 、 between Chinese words, a comma between English ones."""
    return (", " if current_locale() == "en" else "、").join(str(w) for w in words)


def criterion_names(params: Mapping[str, Any], labels: Mapping[str, str], criteria: Any = None) -> list[str]:
    """The labels of the unmet criteria a recommendation names (codes of the pinned criteria set)."""
    code, version = params.get("criteria"), params.get("criteria_version")
    pinned = {c.code: _pick(c.label, c.label_en) for c in criteria.criteria} if criteria is not None else {}
    names = []
    for c in params.get("unmet") or []:
        if c in pinned:
            names.append(pinned[c])
        elif code:
            names.append(glossary.criterion_label(code, c, version, current_locale()))
        else:
            names.append(labels.get(c) or "—")
    return names


def _pct(share: Any) -> str:
    try:
        from decimal import Decimal

        return f"{(Decimal(str(share)) * 100).normalize():f}%"
    except Exception:  # noqa: BLE001
        return _num(share)


def quota_sentence(quota: Mapping[str, Any] | None, before: Any = None) -> str | None:
    if not quota:
        return None
    common = dict(grade=quota.get("grade"), share=_pct(quota.get("max_share")), cohort=quota.get("cohort"),
                  allowed=quota.get("allowed"), rank=quota.get("rank"), holders=quota.get("holders"))
    if quota.get("kept"):
        return _("Quota: at most %(share)s of the %(cohort)s graded institutions may hold %(grade)s (%(allowed)s places); ranked %(rank)s of %(holders)s, the grade is kept.",
                 **common)
    return _("Quota: at most %(share)s of the %(cohort)s graded institutions may hold %(grade)s (%(allowed)s places); ranked %(rank)s of %(holders)s, lowered to %(demote_to)s.",
             demote_to=quota.get("demote_to"), **common)


# --- a whole outcome ----------------------------------------------------------------------------

def _walk(node: Mapping[str, Any], out: dict[str, Mapping[str, Any]]) -> None:
    if "ref" in node:
        return
    out[node["code"]] = node
    for c in node.get("children", ()):
        _walk(c, out)


def explain(outcome: Mapping[str, Any], report_url: str | None = None) -> Explanation:
    """Everything the explanation page and the CLI show, as sentences in the current locale.

    Takes a stored outcome in either form: a compact one gets its parameters re-joined from the
    pinned system and criteria files (expand_stored) first. Labels, bands and clauses come from
    the stored content of the files the result used; the files on disk only feed the notices.
    """
    system, criteria = pinned_for_outcome(outcome)
    notices = disk_notices(outcome, system, criteria)
    outcome = expand_stored(outcome, system, criteria)
    s = outcome["system"]
    nodes: dict[str, Mapping[str, Any]] = {}
    _walk(outcome["trace"], nodes)
    ind_meta = {i.code: i for i in system.indicators} if system else {}
    decls = system.input_set.by_code() if system else {}
    group_meta = {g.code: g for g in system.groups} if system else {}
    input_labels = {c: _pick(d.label, d.label_en) for c, d in decls.items()}
    ind_labels = {c: _pick(i.label, i.label_en) for c, i in ind_meta.items()}
    max_score = system.max_score if system else None

    def view(node: Mapping[str, Any]) -> IndicatorView:
        meta = ind_meta.get(node["code"])
        params = node.get("parameters") or {}
        detail = node.get("detail") or {}
        unusable = detail.get("unusable") or {}
        policy = detail.get("policy")
        inputs = []
        for i in node.get("inputs") or []:
            d = decls.get(i["code"])
            inputs.append(InputView(i["code"], input_labels.get(i["code"]) or "—", i.get("value"), i.get("source"),
                                    d.unit if d else None, (i.get("source") or "").startswith("registry"),
                                    unusable.get(i["code"]), shown_value(d, i.get("value")) if d else None))
        status = ("scored" if not unusable else {"zero": "zeroed", "exclude": "excluded"}.get(policy, "unscored"))
        return IndicatorView(
            code=node["code"], label=ind_labels.get(node["code"]) or "—", group=str(params.get("group", "")),
            rule=node.get("rule") or "", weight=params.get("weight"), points=node.get("value"), status=status,
            provisional=bool(params.get("provisional")), reference=glossary.public_reference(meta.reference) if meta else "",
            unit=meta.unit if meta else None, parameters=params, detail=detail, inputs=inputs,
            sentence="" if unusable else rule_sentence(node.get("rule") or "", params, detail, node.get("value"),
                                                       meta.unit if meta else None),
            missing_sentence=missing_policy_sentence(unusable, policy, input_labels, max_score) if unusable else None,
        )

    groups: list[GroupView] = []
    bonus: list[IndicatorView] = []
    vetoes: list[IndicatorView] = []
    score = nodes.get("score")
    for block in (score or {}).get("children", []):
        if "ref" in block:
            continue
        views = [view(n) for n in block.get("children", []) if "ref" not in n]
        if block["code"] == "bonus":
            bonus = views
        elif block["code"] == "vetoes":
            vetoes = views
        else:
            g = group_meta.get(block["code"])
            groups.append(GroupView(block["code"], _pick(g.label, g.label_en) if g else block["code"],
                                    (block.get("parameters") or {}).get("weight"), block.get("value"), views))

    sd = (score or {}).get("detail") or {}
    if outcome.get("score") is None:
        score_sentence = _("No score: the assessment is incomplete.")
    elif sd.get("excluded_weight"):
        score_sentence = _("Indicators worth %(excluded)s points were left out; the %(raw)s points earned are rescaled to %(max)s, plus %(bonus)s bonus → %(score)s.",
                           excluded=sd.get("excluded_weight"), raw=sd.get("raw"), max=_num(max_score),
                           bonus=outcome.get("bonus"), score=outcome.get("score"))
    else:
        score_sentence = _("%(raw)s points from the indicators plus %(bonus)s bonus → score %(score)s.",
                           raw=sd.get("raw"), bonus=outcome.get("bonus"), score=outcome.get("score"))
    gnode = nodes.get("grade") or {}
    bands = ", ".join(f"{b['grade']} ≥ {b['min']}" for b in (gnode.get("parameters") or {}).get("grades", []))
    gd = gnode.get("detail") or {}
    if gd.get("veto"):
        grade_sentence = _("Grade %(grade)s because a veto item was triggered.", grade=outcome.get("grade"))
    elif outcome.get("grade") is None:
        grade_sentence = _("No grade: the assessment is incomplete.")
    elif gd.get("before_quota") and gd["before_quota"] != outcome.get("grade"):
        grade_sentence = _("Score %(score)s falls in band %(band)s (bands: %(bands)s); the quota lowered it: the final grade is %(grade)s.",
                           score=outcome.get("score"), band=gd["before_quota"], bands=bands, grade=outcome.get("grade"))
    else:
        grade_sentence = _("Score %(score)s → grade %(grade)s (bands: %(bands)s).", score=outcome.get("score"),
                           grade=outcome.get("grade"), bands=bands)
    rec = outcome.get("recommendation") or {}
    rnode = nodes.get("recommendation") or {}
    labels = {**input_labels, **ind_labels}
    gaps = rec.get("gaps")
    return Explanation(
        outcome=outcome,
        system_title=_pick(system.title, system.title_en) if system else system_name(s),
        system_line=_("System %(source)s, version %(version)s, sha256 %(sha)s%(provisional)s",
                      source=system_name(s), version=s["version"], sha=s["sha256"],
                      provisional=(" · " + _("provisional")) if s.get("provisional") else ""),
        notices=notices,
        groups=groups, bonus=bonus, vetoes=vetoes, score_sentence=score_sentence, grade_sentence=grade_sentence,
        quota_sentence=quota_sentence(outcome.get("quota")),
        recommendation_sentence=recommendation_sentence(rec.get("rule") or rnode.get("rule"),
                                                        rec.get("kind"), rec.get("params") or {}, rnode.get("detail"), labels,
                                                        criteria),
        gaps=gaps, gap_lines=gap_lines(gaps, input_labels=input_labels, input_units={c: d.unit for c, d in decls.items()},
                                       report_url=report_url,
                                       criteria_title=_pick(criteria.title, criteria.title_en) if criteria else "") if gaps else [],
        missing=[missing_policy_sentence({m["code"]: m["reason"]}, m["policy"], input_labels, max_score)
                 for m in outcome.get("missing", [])],
        history=list((outcome.get("registry") or {}).get("history", [])),
    )


def source_text(source: str | None) -> str:
    """Where a figure came from, for people: a cell, the registry, or nowhere."""
    if not source:
        return _("not supplied")
    if source.startswith("registry"):
        return _("registry (recognition records)")
    return source


def explanation_lines(e: Explanation, institution: str | None = None) -> list[str]:
    """The explanation as plain lines (for the terminal)."""
    o = e.outcome
    lines = []
    if institution:
        lines.append(institution)
    lines.append(e.system_title)
    lines.append(e.system_line)
    lines.extend(notice_lines(e.notices))
    st = o.get("standing") or {}
    lines.append(_("Standing") + ": " + " · ".join(filter(None, [
        label_for(st.get("status")), label_for(st.get("level")) if st.get("level") else _("no recognition in force"),
        _("hardship area") if st.get("hardship_area") else "",
        _("provincial status revoked") if st.get("provincial_status_lost") else ""])))
    for g in e.groups:
        lines.append("")
        lines.append(_("%(group)s: %(subtotal)s of %(weight)s points", group=g.label, subtotal=_num(g.subtotal),
                       weight=_num(g.weight)))
        lines.extend(_indicator_lines(i) for i in g.indicators)
    if e.bonus:
        lines.append("")
        lines.append(_("Bonus"))
        lines.extend(_indicator_lines(i) for i in e.bonus)
    if e.vetoes:
        lines.append("")
        lines.append(_("Veto items"))
        lines.extend(_indicator_lines(i) for i in e.vetoes)
    lines.append("")
    lines.append(e.score_sentence)
    lines.append(e.grade_sentence)
    if e.quota_sentence:
        lines.append(e.quota_sentence)
    rec = o.get("recommendation") or {}
    lines.append(_("Recommendation: %(kind)s", kind=label_for(rec.get("kind"))) + " — " + e.recommendation_sentence)
    if e.gaps and e.gaps.get("labels_joined") is False:
        lines.append(_("Warning: the criteria file this gap list used could not be read; labels and clauses are missing."))
    lines.extend(gap_lines_text(e.gap_lines))
    if e.history:
        lines.append(_("History: %(years)s", years="; ".join(
            f"{h['year']} {h['grade'] or '—'}{'' if h['reported'] else ' (' + _('not reported') + ')'}" for h in e.history)))
    return lines


def _indicator_lines(i: IndicatorView) -> str:
    head = f"  {i.label} ({term('rule_kind', i.rule)}{', ' + _('provisional') if i.provisional else ''}): {_num(i.points)} / {_num(i.weight)}"
    body = [head]
    params = {k: v for k, v in i.parameters.items() if k not in ("group", "provisional", "weight")}
    body.append("      " + _("Parameters: %(params)s", params=_params_text(params)))
    for inp in i.inputs:
        body.append("      " + _("Input %(label)s = %(value)s%(unit)s (source: %(source)s)%(problem)s", label=inp.label,
                                  value=_num(inp.value), unit=inp.unit or "", source=source_text(inp.source),
                                  problem=f" — {reason_text(inp.problem)}" if inp.problem else ""))
    if i.detail and not i.missing_sentence:
        body.append("      " + _("Intermediate values: %(detail)s", detail=_params_text(i.detail)))
    body.append("      → " + (i.missing_sentence or i.sentence))
    if i.reference:
        body.append("      " + _("Source clause: %(reference)s", reference=i.reference))
    return "\n".join(body)


def _params_text(params: Mapping[str, Any]) -> str:
    parts = []
    for k, v in params.items():
        if k == "bands" and isinstance(v, Sequence):
            v = " / ".join(f"≥{b['min']}→{b['points']}" for b in v)
        parts.append(f"{k}={_num(v)}")
    return "; ".join(parts) or "—"


# --- the files on disk now (notices beside a stored result) -------------------------------------

def _field_label(name: str) -> str:
    labels = {
        "bands": _("bands"), "weight": _("weight"), "min": _("minimum"), "floor": _("floor"), "target": _("target"),
        "required": _("required"), "op": _("comparison"), "measure": _("measure"), "inputs": _("figures read"),
        "label": _("label"), "reference": _("source clause"), "provisional": _("provisional"), "missing": _("missing-figure policy"),
        "rule": _("rule"), "group": _("group"), "unit": _("unit"), "per_item": _("points per item"), "expect": _("expected answer"),
        "numerator": _("numerator"), "denominator": _("denominator"), "scale": _("scale"), "relief": _("hardship relief"),
        "grades": _("grade bands"), "quota": _("grade quota"), "title": _("title"), "max_score": _("maximum score"),
        "bonus_cap": _("bonus cap"), "version": _("version"), "level": _("level"), "hardship_relief": _("hardship relief"),
        "consecutive_fails": _("consecutive fails before exit"), "consecutive_unreported": _("unreported years before exit"),
        "rectify_deadline_months": _("rectification deadline (months)"), "type": _("type"), "max": _("maximum"),
        "decimals": _("decimals"), "source": _("source"), "added": _("added"), "removed": _("removed"),
    }
    return labels.get(name, name)


def _value_text(v: Any) -> str:
    if v is None:
        return "—"
    if isinstance(v, bool):
        return _("yes") if v else _("no")
    if isinstance(v, list) and v and all(isinstance(b, Mapping) and "min" in b and "points" in b for b in v):
        return " / ".join(f"≥{b['min']}→{b['points']}" for b in v)
    if isinstance(v, list) and v and all(isinstance(b, Mapping) and "grade" in b for b in v):
        return ", ".join(f"{b['grade']} ≥ {b['min']}" for b in v)
    if isinstance(v, list):
        return ", ".join(_value_text(x) for x in v)
    if isinstance(v, Mapping):
        return "; ".join(f"{_field_label(k)} {_field_value(k, x)}" for k, x in v.items())
    return fmt_figure(v) if isinstance(v, (int, float, Decimal)) else str(v)


def change_sentence(c: Any) -> str:
    """One parameter change between two rule files, for people."""
    subject = {"indicator": _("Indicator"), "group": _("Group"), "input": _("Figure"), "criterion": _("Criterion"),
               "grades": _("Grades"), "quota": _("Quota"), "decisions": _("Decision rules"),
               "system": _("File")}.get(c.subject, c.subject)
    who = f"{subject} “{c.label}”" if c.label and c.subject not in ("grades", "quota", "decisions") else subject
    if c.field in ("added", "removed"):
        return f"{who}: {_field_label(c.field)}"
    return f"{who} · {_field_label(c.field)}: {_field_value(c.field, c.before)} → {_field_value(c.field, c.after)}"


def figure_text(v: Any) -> str:
    """A compared figure: 是/否 for answers, separators for amounts, a dash when absent."""
    if isinstance(v, str) and v in ("True", "False", "true", "false"):
        v = v.lower() == "true"
    return _num(v)


def _field_value(name: str, v: Any) -> str:
    """A changed parameter's value in words: levels, rule kinds and measures by name, source notes readable."""
    if v is None:
        return "—"
    if name in ("reference", "source") and isinstance(v, str):
        return glossary.public_reference(v) or "—"
    if name in ("level", "rule", "measure") and isinstance(v, str):
        return term({"level": "level", "rule": "rule_kind", "measure": "measure"}[name], v)
    return _value_text(v)


def root_text(root: str | None) -> str:
    return _("shipped with Fuhua") if root in (None, "package") else root


def notice_sentence(n: FileNotice) -> str:
    """What the file on disk now is, next to the one this result used."""
    kind = _("indicator-system file") if n.kind == "system" else _("criteria file")
    used = _("The %(kind)s this result used, %(path)s (%(root)s, sha256 %(sha)s),", kind=kind, path=n.path,
             root=root_text(n.root), sha=n.sha256[:12])
    if n.state == "changed":
        return used + " " + _("has changed on disk since (now %(path)s, %(root)s, sha256 %(sha)s). The result is explained with the file as it was used.",
                             path=n.now_path or "—", root=root_text(n.now_root), sha=(n.now_sha256 or "")[:12])
    if n.state == "gone":
        return used + " " + _("is no longer on disk. The result is explained with the stored copy.")
    if n.state == "stored-unreadable":
        return _("The %(kind)s this result used (%(path)s, sha256 %(sha)s) is stored, but this version of Fuhua cannot read its format (%(problem)s): its parameters and labels cannot be shown.",
                 kind=kind, path=n.path, sha=n.sha256[:12], problem=n.problem or "—")
    if n.state == "unreadable":
        return used + " " + _("can no longer be read on disk (%(problem)s). The result is explained with the stored copy.",
                             problem=n.problem or "—")
    return _("The %(kind)s this result used (%(path)s, sha256 %(sha)s) was not stored with its run and no file on disk has that content: its parameters and labels cannot be shown.",
             kind=kind, path=n.path, sha=n.sha256[:12])


def notice_lines(notices: Sequence[FileNotice]) -> list[str]:
    lines = []
    for n in notices:
        lines.append(_("Notice: %(text)s", text=notice_sentence(n)))
        lines.extend("    · " + change_sentence(c) for c in n.changes)
    return lines
