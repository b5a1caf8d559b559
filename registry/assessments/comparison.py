"""Comparing two runs by content: per institution, the score, each indicator's points, the grade, the
recommendation and the rule files' hashes, with the rule, file or figure change that explains each difference.

Files are compared by content: the same version with another sha256 is a change. The rules are read
from the pinned files (registry.assessments.pinning), never from the files on disk.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from assessment import Criteria, IndicatorSystem, PinnedFileError, RuleChange, diff_criteria, diff_systems
from registry.assessments.pinning import load_pinned_criteria, load_pinned_system
from registry.extensions import db
from registry.models import AssessmentResult, AssessmentRun, Institution

CHUNK = 500


@dataclass(slots=True)
class Facts:
    """What one stored result says, as far as a comparison needs it."""

    result_id: int
    score: Any
    grade: str | None
    recommendation: str | None
    rule: str | None
    system: tuple[str, str | None]  #: (sha256, inputs_sha256)
    system_label: str  #: "incubator/comprehensive/2019.toml 2019"
    criteria: str | None  #: sha256 of the criteria file its gap list used
    criteria_label: str | None
    points: dict[str, Any]
    inputs: dict[str, Any]
    history: list[Any]
    standing: Mapping[str, Any]
    quota: Mapping[str, Any] | None


@dataclass(slots=True)
class IndicatorChange:
    code: str
    label: str
    points: tuple[Any, Any]
    rule_changes: list[RuleChange] = field(default_factory=list)  #: the indicator's parameters that changed
    input_changes: list[tuple[str, str, Any, Any]] = field(default_factory=list)  #: (code, label, a, b)


@dataclass(slots=True)
class Change:
    institution_id: int
    uscc: str
    name: str
    score: tuple[Any, Any]
    grade: tuple[str | None, str | None]
    recommendation: tuple[str | None, str | None]
    rule: tuple[str | None, str | None]
    system: tuple[str, str] | None = None  #: "file version (sha…)" before/after when the content differs
    criteria: tuple[str, str] | None = None  #: the same for the criteria file of the gap list
    indicators: list[IndicatorChange] = field(default_factory=list)
    inputs: list[tuple[str, Any, Any]] = field(default_factory=list)  #: every figure that differs (code, a, b)
    #: structured reasons for the grade and recommendation: ("grade-bands" | "quota" | "history" | "standing" |
    #: "criteria" | "score", payload)
    reasons: list[tuple[str, Any]] = field(default_factory=list)
    result_ids: tuple[int | None, int | None] = (None, None)

    @property
    def results_differ(self) -> bool:
        return (self.score[0] != self.score[1] or self.grade[0] != self.grade[1]
                or self.recommendation[0] != self.recommendation[1] or self.rule[0] != self.rule[1]
                or bool(self.indicators))


@dataclass(slots=True)
class Comparison:
    a: AssessmentRun
    b: AssessmentRun
    changes: list[Change]  #: results differ (score, points, grade or recommendation)
    file_only: list[Change]  #: same results, but another rule file's content
    only_a: list[tuple[int, str, str]]
    only_b: list[tuple[int, str, str]]
    unchanged: int


def _walk(node: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    if "ref" in node:
        return
    yield node
    for c in node.get("children", ()):
        yield from _walk(c)


def facts_of(result_id: int, outcome: Mapping[str, Any], row: Any) -> Facts:
    """The comparable facts of a stored outcome (compact or full form)."""
    trace = outcome.get("trace") or {}
    score = next((c for c in trace.get("children", ()) if c.get("code") == "score"), None)
    points: dict[str, Any] = {}
    for block in (score or {}).get("children", ()):
        if "ref" in block:
            continue
        for node in block.get("children", ()):
            if "ref" not in node:
                points[node["code"]] = node.get("value")
    inputs: dict[str, Any] = {}
    for node in _walk(trace):
        for i in node.get("inputs", ()):
            code, value = (i[0], i[1]) if isinstance(i, list) else (i["code"], i.get("value"))
            inputs.setdefault(code, value)
    s = outcome.get("system") or {}
    gaps = (outcome.get("recommendation") or {}).get("gaps") or None
    return Facts(
        result_id, row.score, row.grade, row.recommendation, row.recommendation_rule,
        (s.get("sha256", row.system_sha256), s.get("inputs_sha256")), f"{s.get('source', '')} {row.system_version}",
        gaps["sha256"] if gaps else None, f"{gaps['source']} {gaps['version']}" if gaps else None,
        points, inputs, list((outcome.get("registry") or {}).get("history", [])), outcome.get("standing") or {},
        outcome.get("quota"))


def _run_facts(run_id: int, scope: Any = None) -> tuple[dict[int, Facts], dict[int, tuple[str, str]]]:
    rows = db.session.execute(
        select(AssessmentResult.id, AssessmentResult.institution_id, AssessmentResult.score, AssessmentResult.grade,
               AssessmentResult.recommendation, AssessmentResult.recommendation_rule, AssessmentResult.system_version,
               AssessmentResult.system_sha256, AssessmentResult.outcome, Institution.uscc, Institution.name)
        .join(Institution, Institution.id == AssessmentResult.institution_id)
        .where(AssessmentResult.run_id == run_id, *(() if scope is None else (scope,)))
        .execution_options(yield_per=CHUNK))
    facts: dict[int, Facts] = {}
    names: dict[int, tuple[str, str]] = {}
    for r in rows:
        facts[r.institution_id] = facts_of(r.id, r.outcome or {}, r)
        names[r.institution_id] = (r.uscc, r.name)
    return facts, names


def _short(label: str | None, sha: str | None) -> str:
    return f"{label or '—'} ({(sha or '')[:12]})"


class _Rules:
    """Pinned systems and criteria, and the diffs between pairs of them, each computed once."""

    def __init__(self) -> None:
        self.systems: dict[tuple[str, str | None], IndicatorSystem | None] = {}
        self.criteria: dict[str, Criteria | None] = {}
        self.diffs: dict[tuple[Any, Any], list[RuleChange]] = {}

    def system(self, key: tuple[str, str | None]) -> IndicatorSystem | None:
        if key not in self.systems:
            try:
                self.systems[key] = load_pinned_system(*key)
            except PinnedFileError:
                self.systems[key] = None
        return self.systems[key]

    def crit(self, sha: str | None) -> Criteria | None:
        if sha is None:
            return None
        if sha not in self.criteria:
            try:
                self.criteria[sha] = load_pinned_criteria(sha)
            except PinnedFileError:
                self.criteria[sha] = None
        return self.criteria[sha]

    def system_diff(self, a: tuple[str, str | None], b: tuple[str, str | None]) -> list[RuleChange]:
        if (a, b) not in self.diffs:
            sa, sb = self.system(a), self.system(b)
            self.diffs[(a, b)] = diff_systems(sa, sb) if sa is not None and sb is not None else []
        return self.diffs[(a, b)]

    def criteria_diff(self, a: str, b: str) -> list[RuleChange]:
        if (a, b) not in self.diffs:
            ca, cb = self.crit(a), self.crit(b)
            self.diffs[(a, b)] = diff_criteria(ca, cb) if ca is not None and cb is not None else []
        return self.diffs[(a, b)]


def _explain(c: Change, fa: Facts, fb: Facts, rules: _Rules) -> None:
    """Fill in what differs and why: per indicator the rule change and the figures, then grade and recommendation."""
    system_changes = rules.system_diff(fa.system, fb.system) if fa.system != fb.system else []
    sys_b = rules.system(fb.system) or rules.system(fa.system)
    reads = {i.code: i.inputs for i in sys_b.indicators} if sys_b is not None else {}
    labels = {i.code: i.label for i in sys_b.indicators} if sys_b is not None else {}
    input_labels = {d.code: d.label for d in sys_b.input_set.inputs} if sys_b is not None else {}
    c.inputs = [(code, fa.inputs.get(code), fb.inputs.get(code)) for code in dict.fromkeys([*fa.inputs, *fb.inputs])
                if fa.inputs.get(code) != fb.inputs.get(code)]
    changed_inputs = {code for code, _a, _b in c.inputs}
    for code in dict.fromkeys([*fa.points, *fb.points]):
        pa, pb = fa.points.get(code), fb.points.get(code)
        if pa == pb:
            continue
        ic = IndicatorChange(code, labels.get(code, code), (pa, pb))
        ic.rule_changes = [ch for ch in system_changes if ch.subject == "indicator" and ch.code == code]
        ic.input_changes = [(i, input_labels.get(i, i), fa.inputs.get(i), fb.inputs.get(i))
                            for i in reads.get(code, ()) if i in changed_inputs]
        c.indicators.append(ic)
    if fa.grade != fb.grade:
        bands = [ch for ch in system_changes if ch.subject == "grades"]
        if bands:
            c.reasons.append(("grade-bands", bands))
        if (fa.quota or {}).get("kept") != (fb.quota or {}).get("kept") or bool(fa.quota) != bool(fb.quota):
            c.reasons.append(("quota", (fa.quota, fb.quota)))
        if fa.score != fb.score:
            c.reasons.append(("score", (fa.score, fb.score)))
    if (fa.recommendation, fa.rule) != (fb.recommendation, fb.rule):
        if fa.history != fb.history:
            c.reasons.append(("history", (fa.history, fb.history)))
        if fa.standing != fb.standing:
            c.reasons.append(("standing", (fa.standing, fb.standing)))
        decisions = [ch for ch in system_changes if ch.subject == "decisions"]
        if decisions:
            c.reasons.append(("decision-rules", decisions))
    if fa.criteria and fb.criteria and fa.criteria != fb.criteria:
        c.reasons.append(("criteria", rules.criteria_diff(fa.criteria, fb.criteria)))
    if system_changes and not c.results_differ:
        c.reasons.append(("file-only", system_changes))


def compare_runs(a: AssessmentRun, b: AssessmentRun, scope: Any = None) -> Comparison:
    """Every institution (within `scope`, a registry.access.scoped clause) assessed by both runs whose results or rule files differ, and why.

    Reads both runs' stored outcomes in chunks; the rules come from the pinned files.
    """
    fa_all, names_a = _run_facts(a.id, scope)
    fb_all, names_b = _run_facts(b.id, scope)
    rules = _Rules()
    changes: list[Change] = []
    file_only: list[Change] = []
    unchanged = 0
    for inst_id in sorted(set(fa_all) & set(fb_all)):
        fa, fb = fa_all[inst_id], fb_all[inst_id]
        system_differs = fa.system != fb.system
        criteria_differs = fa.criteria != fb.criteria
        same = (fa.score == fb.score and fa.grade == fb.grade and fa.recommendation == fb.recommendation
                and fa.rule == fb.rule and fa.points == fb.points)
        if same and not system_differs and not criteria_differs:
            unchanged += 1
            continue
        uscc, name = names_a[inst_id]
        c = Change(inst_id, uscc, name, (fa.score, fb.score), (fa.grade, fb.grade),
                   (fa.recommendation, fb.recommendation), (fa.rule, fb.rule),
                   (_short(fa.system_label, fa.system[0]), _short(fb.system_label, fb.system[0])) if system_differs else None,
                   (_short(fa.criteria_label, fa.criteria), _short(fb.criteria_label, fb.criteria)) if criteria_differs else None,
                   result_ids=(fa.result_id, fb.result_id))
        _explain(c, fa, fb, rules)
        (changes if not same else file_only).append(c)
    only = lambda x, y, names: [(i, *names[i]) for i in sorted(set(x) - set(y))]  # noqa: E731
    return Comparison(a, b, changes, file_only, only(fa_all, fb_all, names_a), only(fb_all, fa_all, names_b), unchanged)


# --- for people -------------------------------------------------------------------------------

def _history_text(history: list[Any]) -> str:
    return "; ".join(f"{h['year']} {h.get('grade') or '—'}" for h in history) or "—"


def indicator_sentences(ic: IndicatorChange) -> list[str]:
    """Why one indicator's points differ: the rule change and the figures it read."""
    from flask_babel import gettext as _

    from registry.assessments.explain import _value_text, change_sentence

    out = [_("Rule changed: %(change)s", change=change_sentence(ch)) for ch in ic.rule_changes]
    out += [_("Figure %(label)s: %(a)s → %(b)s", label=label, a=_value_text(a), b=_value_text(b))
            for _code, label, a, b in ic.input_changes]
    if not out:
        out.append(_("Neither this indicator's rule nor its figures changed (see the figures above)."))
    return out


def reason_sentences(c: Change) -> list[str]:
    """Why the grade or recommendation differs, or what differs in the files when the results do not."""
    from flask_babel import gettext as _

    from registry.assessments.explain import _value_text, change_sentence

    out: list[str] = []
    for kind, payload in c.reasons:
        if kind in ("grade-bands", "decision-rules", "file-only", "criteria"):
            head = {"grade-bands": _("Grade bands changed"), "decision-rules": _("Decision rules changed"),
                    "file-only": _("The indicator-system file changed; these results did not"),
                    "criteria": _("The criteria file changed")}[kind]
            details = "; ".join(change_sentence(ch) for ch in payload) or _("the content differs")
            out.append(f"{head}: {details}")
        elif kind == "quota":
            qa, qb = payload
            state = lambda q: "—" if not q else (_("kept") if q.get("kept") else _("lowered"))  # noqa: E731
            out.append(_("Grade quota: %(a)s → %(b)s", a=state(qa), b=state(qb)))
        elif kind == "score":
            out.append(_("Score %(a)s → %(b)s", a=_value_text(payload[0]), b=_value_text(payload[1])))
        elif kind == "history":
            out.append(_("Earlier years read by the history rules: %(a)s → %(b)s", a=_history_text(payload[0]),
                         b=_history_text(payload[1])))
        elif kind == "standing":
            out.append(_("Standing before the assessment differs"))
    return out
