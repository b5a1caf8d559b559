"""TemplateSpec: what a self-report template carries, derived from an indicator system's InputSet.

The InputSet is the single source of the fields (assessment/inputs.py); nothing here keeps a
second list. The template version is a short hash of those declarations, so a template built
from different declarations is recognised as outdated.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from decimal import Decimal

from assessment.inputs import ConsistencyCheck, InputDecl, InputSet, TableDecl
from importers.reference import category_label, subclass_label

#: Bump when the sheet layout written by template.py changes (it is part of the template version).
LAYOUT_VERSION = 1

#: The key/value sheet holding the header and every self-reported figure.
KV_SHEET = "基本情况"
#: Section name of the common header rows (domain.md §11.0).
HEADER_SECTION = "填报单位信息"

#: The common header every template carries unless the InputSet declares the same code itself.
HEADER_INPUTS: tuple[InputDecl, ...] = (
    InputDecl("org_name", "机构名称", "text", label_en="Institution name", section=HEADER_SECTION),
    InputDecl("uscc", "统一社会信用代码", "uscc", label_en="Unified social credit code", section=HEADER_SECTION),
    InputDecl("head", "单位负责人", "text", label_en="Head of institution", required=False, section=HEADER_SECTION),
    InputDecl("filer", "填表人", "text", label_en="Filled in by", section=HEADER_SECTION),
    InputDecl("phone", "联系电话", "text", label_en="Phone", section=HEADER_SECTION),
)


@dataclass(frozen=True, slots=True)
class TemplateSpec:
    """Everything the template builder and the reader need for one category, subclass and year."""

    category: str
    year: int
    fields: tuple[InputDecl, ...]  #: header + self-reported inputs, in template order
    tables: tuple[TableDecl, ...]
    checks: tuple[ConsistencyCheck, ...]
    plausibility_jump: Decimal | None
    template_version: str
    subclass: str | None = None
    system_version: str = ""
    system_sha256: str = ""

    @classmethod
    def from_input_set(cls, input_set: InputSet, *, category: str, year: int, subclass: str | None = None,
                       system_version: str = "", system_sha256: str = "") -> TemplateSpec:
        """Build the spec; reviewer- and registry-sourced inputs never reach the template."""
        declared = input_set.self_reported()
        codes = {d.code for d in declared}
        header = tuple(h for h in HEADER_INPUTS if h.code not in codes)
        fields = header + declared
        tables = tuple(
            TableDecl(t.code, t.label, tuple(c for c in t.columns if c.source == "self_report"), t.label_en,
                      t.key, t.count_input, t.max_rows, t.required, t.help)
            for t in input_set.tables
        )
        return cls(category=category, year=year, subclass=subclass, fields=fields, tables=tables,
                   checks=input_set.checks, plausibility_jump=input_set.plausibility_jump,
                   template_version=template_version(fields, tables),
                   system_version=system_version, system_sha256=system_sha256)

    def by_code(self) -> dict[str, InputDecl]:
        return {f.code: f for f in self.fields}

    @property
    def title(self) -> str:
        """"2019年度 科技企业孵化器（综合）" — used in messages and the template title."""
        sub = subclass_label(self.subclass)
        return f"{self.year}年度 {category_label(self.category)}" + (f"（{sub}）" if sub else "")

    def identity(self) -> dict[str, str]:
        """The template identity written into (and checked against) the workbook."""
        return {"category": self.category, "subclass": self.subclass or "", "year": str(self.year),
                "system_version": self.system_version, "template_version": self.template_version}


def _decl_fingerprint(d: InputDecl) -> list[object]:
    return [d.code, d.label, d.type, d.unit, None if d.min is None else str(d.min),
            None if d.max is None else str(d.max), d.decimals, d.required,
            [[c.code, c.label] for c in d.choices], d.section]


def template_version(fields: tuple[InputDecl, ...], tables: tuple[TableDecl, ...]) -> str:
    """Short hash of the declarations that shape the template (help texts excluded)."""
    payload = {
        "layout": LAYOUT_VERSION,
        "fields": [_decl_fingerprint(f) for f in fields],
        "tables": [[t.code, t.label, t.key, t.count_input, [_decl_fingerprint(c) for c in t.columns]]
                   for t in tables],
    }
    blob = json.dumps(payload, ensure_ascii=False, sort_keys=True).encode()
    return hashlib.sha256(blob).hexdigest()[:10]


def load_spec(category: str, year: int, subclass: str | None = None) -> TemplateSpec:
    """The TemplateSpec of the indicator system `assessment` has for this category, year and subclass."""
    import assessment  # lazy: the loader lands with the indicator systems

    system = assessment.load_system(category, year, subclass)  # type: ignore[attr-defined]
    return TemplateSpec.from_input_set(
        system.input_set, category=getattr(system, "category", category), year=year,
        subclass=getattr(system, "subclass", subclass), system_version=str(getattr(system, "version", "")),
        system_sha256=str(getattr(system, "sha256", "")))


def describe(decl: InputDecl) -> tuple[str, str]:
    """What a field expects, in English and Chinese: ("integer ≥ 0", "≥ 0 的整数")."""
    bounds_en, bounds_zh = _bounds(decl)
    unit = f" {decl.unit}" if decl.unit and decl.unit != "%" else ""
    match decl.type:
        case "int":
            return f"integer{bounds_en}{unit}", f"{bounds_zh}的整数{unit}".lstrip("的")
        case "decimal":
            return f"number{bounds_en}{unit}", f"{bounds_zh}的数值{unit}".lstrip("的")
        case "percent":
            return f"percentage{bounds_en} (35 = 35%)", f"{bounds_zh}的百分数（35 表示 35%）".lstrip("的")
        case "bool":
            return "是 / 否", "“是”或“否”"
        case "date":
            return "date (2019-05-01)", "日期（如 2019-05-01）"
        case "choice" | "multichoice":
            labels = "、".join(c.label for c in decl.choices)
            many = "one or more of " if decl.type == "multichoice" else ""
            return f"{many}{labels}", labels + ("（可多选，用顿号分隔）" if decl.type == "multichoice" else "")
        case "uscc":
            return "18-character unified social credit code", "18位统一社会信用代码"
        case _:
            return "text", "文本"


def _bounds(decl: InputDecl) -> tuple[str, str]:
    lo, hi = decl.min, decl.max
    if lo is not None and hi is not None:
        return f" between {lo} and {hi}", f"{lo}～{hi} "
    if lo is not None:
        return f" ≥ {lo}", f"≥ {lo} "
    if hi is not None:
        return f" ≤ {hi}", f"≤ {hi} "
    return "", ""
