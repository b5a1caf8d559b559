"""Gap lists as rows that stand alone: what is required, what was found, how far short, from which cells.

A gap row stored with a result (or checked live) becomes a `GapLine`: the criterion's label, the
required and actual figures with their unit, the shortfall, every input the criterion read with
the self-report cell it came from (linked to that report version), the clause, and the criteria
file's name, version and sha256, so a printed or exported row needs nothing else to be checked.
Either-or criteria (the IP condition) carry one line per alternative with its own figures.
The pages, the terminal and the xlsx exports all read these lines.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _

from assessment.glossary import public_reference
from registry.i18n import fmt_figure, is_english

_OPS = {">=": "≥", "<=": "≤", "==": "="}


@dataclass(frozen=True, slots=True)
class GapInput:
    """One figure a criterion read, as supplied, and where it came from."""

    code: str
    label: str
    value: Any
    unit: str | None
    source: str | None  #: "基本情况!D12", or None when not supplied
    from_registry: bool
    url: str | None  #: the self-report version page holding the cell
    value_text: str
    source_text: str


@dataclass(frozen=True, slots=True)
class GapLine:
    """One criterion of a gap list, complete in itself (see the module docstring)."""

    code: str
    label: str
    met: bool
    op: str  #: "≥", "≤", "=", or "" for an either-or criterion
    required: Any
    actual: Any
    unit: str | None
    gap: Any  #: how far short, in `unit`; None when met or not measurable
    shortfall: Any  #: the same as a share of the requirement (0.05 = 5 %)
    required_text: str
    actual_text: str
    shortfall_text: str  #: "" when met
    inputs: tuple[GapInput, ...]
    clause: str
    provisional: bool
    relieved: bool  #: the hardship-area relief lowered the requirement
    problem: str  #: why no figure could be measured ("" when one was)
    alternatives: tuple[GapLine, ...]
    criteria_title: str  #: the criteria set's title, for people ("国家级科技企业孵化器认定条件（综合孵化器）")
    criteria_source: str  #: its file name (for exports and audits)
    criteria_version: int
    criteria_sha256: str
    sentence: str


def value_text(value: Any, unit: str | None = None) -> str:
    """A figure as people read it (thousands separators, its unit, 是/否, "—" for nothing)."""
    if isinstance(value, str) and _numeric(value):
        value = Decimal(value)
    return fmt_figure(value, unit)


def _numeric(text: str) -> bool:
    try:
        return Decimal(text).is_finite()
    except Exception:  # noqa: BLE001 — any non-number
        return False


def _share(share: Any) -> str:
    return fmt_figure(Decimal(str(share)) * 100, "%")


def gap_lines(gaps: Mapping[str, Any], *, input_labels: Mapping[str, str], input_units: Mapping[str, str | None],
              report_url: str | None = None, criteria_title: str = "") -> list[GapLine]:
    """Every row of a gap list (its stored/`to_dict` form) as a `GapLine`; `criteria_title` names the
    criteria set the list was checked against (its pinned content's title)."""
    meta = (criteria_title or "—", str(gaps.get("source") or ""), int(gaps.get("version") or 0),
            str(gaps.get("sha256") or ""))
    return [_line(r, meta, input_labels, input_units, report_url) for r in gaps.get("rows", [])]


def _line(row: Mapping[str, Any], meta: tuple[str, str, int, str], labels: Mapping[str, str],
          units: Mapping[str, str | None], report_url: str | None) -> GapLine:
    label = (row.get("label_en") if is_english() and row.get("label_en") else row.get("label")) or \
        _("(label not available: the criteria file this result used could not be read)")
    unit = row.get("unit")
    alternatives = tuple(_line(a, meta, labels, units, report_url) for a in row.get("alternatives") or ())
    inputs = tuple(_input(i, labels, units, report_url) for i in row.get("inputs") or ())
    either_or = bool(alternatives)
    op = "" if either_or else _OPS.get(row.get("op") or ">=", row.get("op") or "≥")
    required, actual = row.get("required"), row.get("actual")
    gap, share = row.get("gap"), row.get("shortfall")
    met = bool(row.get("met"))
    shortfall_text = ""
    if not met and gap is not None:
        if share is not None:
            shortfall_text = _("short by %(gap)s (%(share)s of the requirement)", gap=value_text(gap, unit),
                               share=_share(share))
        else:
            shortfall_text = _("short by %(gap)s", gap=value_text(gap, unit))
    problem = ""
    if row.get("zero_denominator"):
        problem = _("nothing to divide by (the denominator is 0)")
    elif row.get("missing"):
        names = [labels.get(c, _("the report year")) if c == "report_year" else labels.get(c, c) for c in row["missing"]]
        problem = _("figures missing: %(names)s", names="、".join(names))
    clause = public_reference(row.get("reference")) or (alternatives[0].clause if alternatives else "") or "—"
    line = GapLine(
        code=str(row.get("code") or ""), label=label, met=met, op=op, required=required, actual=actual, unit=unit,
        gap=None if met else gap, shortfall=None if met else share,
        required_text=_("any one of the alternatives") if either_or else f"{op} {value_text(required, unit)}",
        actual_text="" if either_or else value_text(actual, unit), shortfall_text=shortfall_text,
        inputs=inputs, clause=clause, provisional=bool(row.get("provisional")), relieved=bool(row.get("relieved")),
        problem=problem, alternatives=alternatives, criteria_title=meta[0], criteria_source=meta[1],
        criteria_version=meta[2], criteria_sha256=meta[3], sentence="",
    )
    return _with_sentence(line)


def _input(i: Mapping[str, Any], labels: Mapping[str, str], units: Mapping[str, str | None],
           report_url: str | None) -> GapInput:
    code = i["code"]
    source = i.get("source")
    from_registry = bool(source) and str(source).startswith("registry")
    unit = units.get(code)
    if from_registry:
        source_text = _("registry (recognition records)")
    elif source:
        source_text = str(source)
    else:
        source_text = _("not supplied")
    return GapInput(code=code, label=labels.get(code) or code, value=i.get("value"), unit=unit, source=source,
                    from_registry=from_registry, url=report_url if source and not from_registry else None,
                    value_text=value_text(i.get("value"), unit), source_text=source_text)


def _with_sentence(line: GapLine) -> GapLine:
    state = _("criterion met") if line.met else _("criterion not met")
    if line.alternatives:
        parts = "; ".join(f"{a.label} {a.required_text}, {_('actual')} {a.actual_text}" for a in line.alternatives)
        text = _("%(label)s: any one of — %(parts)s — %(state)s.", label=line.label, parts=parts, state=state)
    else:
        text = _("%(label)s: required %(required)s, actual %(actual)s — %(state)s.", label=line.label,
                 required=line.required_text, actual=line.actual_text, state=state)
        if line.shortfall_text:
            text += " " + line.shortfall_text + "."
    if line.relieved:
        text += " " + _("(requirement lowered by the hardship-area relief)")
    if line.problem:
        text += f" ({line.problem})"
    return replace(line, sentence=text)


def gap_lines_text(lines: Sequence[GapLine]) -> list[str]:
    """The lines for the terminal: sentence, the inputs with their cells, the clause and the file."""
    out = []
    for line in lines:
        out.append("  · " + line.sentence)
        for alt in line.alternatives or (line,):
            for i in alt.inputs:
                out.append("      " + _("%(label)s = %(value)s (source: %(source)s)", label=i.label, value=i.value_text,
                                        source=i.source_text))
        out.append("      " + _("Source clause: %(reference)s", reference=line.clause)
                   + (" · " + _("provisional") if line.provisional else ""))
        out.append("      " + _("Criteria %(title)s, version %(version)s, sha256 %(sha)s", title=line.criteria_title,
                                version=line.criteria_version, sha=line.criteria_sha256))
    return out
