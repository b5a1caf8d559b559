"""The explanation trace every result carries (style.md §H): structured facts, no prose."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from types import MappingProxyType
from typing import Any

Value = Decimal | int | str | bool | _dt.date | None


@dataclass(frozen=True, slots=True)
class Input:
    """One figure handed to the engine; `source` is opaque text such as "基本情况!D12"."""

    code: str
    value: Value
    source: str | None = None


@dataclass(frozen=True, slots=True)
class TraceNode:
    """A computed value with the inputs, parameters and intermediate values that produced it."""

    code: str
    value: Value
    rule: str | None = None
    parameters: Mapping[str, object] = field(default_factory=dict)
    inputs: tuple[Input, ...] = ()
    detail: Mapping[str, object] = field(default_factory=dict)
    children: tuple[TraceNode, ...] = field(default=())

    def find(self, code: str) -> TraceNode | None:
        """The first node with `code` in this subtree (depth first)."""
        if self.code == code:
            return self
        for child in self.children:
            hit = child.find(code)
            if hit is not None:
                return hit
        return None

    def to_dict(self, _seen: set[str] | None = None) -> dict[str, Any]:
        """Nested plain data. A node reached a second time (grade under recommendation, say)
        is written as ``{"ref": code}`` so the JSON holds each node once.

        Parameters held in a read-only mapping (every indicator's, compiled once per system
        file) are converted once and the converted dict is shared between results: treat the
        output as read-only, or copy it before changing it.
        """
        return _node_dict(self, set() if _seen is None else _seen)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], _built: dict[str, TraceNode] | None = None) -> TraceNode:
        """Rebuild a node from `to_dict` output (values stay as their JSON text)."""
        built = {} if _built is None else _built
        if "ref" in data:
            return built[data["ref"]]
        node = cls(
            code=data["code"],
            value=data.get("value"),
            rule=data.get("rule"),
            parameters=data.get("parameters") or {},
            inputs=tuple(Input(i["code"], i.get("value"), i.get("source")) for i in data.get("inputs", ())),
            detail=data.get("detail") or {},
            children=tuple(cls.from_dict(c, built) for c in data.get("children", ())),
        )
        built[node.code] = node
        return node


def flatten(root: TraceNode, year: int) -> dict[str, dict[str, object]]:
    """`{"code<year>": {"value", "rule", "parameters", "inputs", "detail", "dependencies"}}`.

    Mirrors OpenFisca's flat trace; a code reached twice is stored once.
    """
    out: dict[str, dict[str, object]] = {}

    def visit(node: TraceNode) -> str:
        key = f"{node.code}<{year}>"
        if key in out:
            return key
        entry: dict[str, object] = {"value": jsonable(node.value)}
        out[key] = entry
        if node.rule is not None:
            entry["rule"] = node.rule
        if node.parameters:
            entry["parameters"] = jsonable(node.parameters)
        if node.inputs:
            entry["inputs"] = {i.code: {"value": jsonable(i.value), "source": i.source} for i in node.inputs}
        if node.detail:
            entry["detail"] = jsonable(node.detail)
        entry["dependencies"] = [visit(c) for c in node.children]
        return key

    visit(root)
    return out


_PLAIN = frozenset({str, int, bool, type(None)})
#: id(read-only mapping) → (the mapping, its JSON form); holding the mapping keeps its id from being reused
_STATIC_JSON: dict[int, tuple[object, Any]] = {}
_STATIC_MAX = 4096


def _static_json(params: Mapping[str, object]) -> Any:
    """`jsonable(params)`, computed once per read-only mapping (see TraceNode.to_dict)."""
    if not params:
        return {}
    if type(params) is not MappingProxyType:
        return _mapping_json(params)
    hit = _STATIC_JSON.get(id(params))
    if hit is not None and hit[0] is params:
        return hit[1]
    out = _mapping_json(params)
    if len(_STATIC_JSON) >= _STATIC_MAX:  # per-result mappings churn through here; keep it bounded
        _STATIC_JSON.clear()
    _STATIC_JSON[id(params)] = (params, out)
    return out


def _mapping_json(d: Mapping[str, object]) -> dict[str, Any]:
    plain = _PLAIN
    dec = Decimal
    out: dict[str, Any] = {}
    for k, v in d.items():
        t = type(v)
        out[k if type(k) is str else str(k)] = v if t in plain else str(v) if t is dec else jsonable(v)
    return out


def _node_dict(n: TraceNode, seen: set[str], _plain: frozenset = _PLAIN, _dec: type = Decimal,
               _cache: dict = _STATIC_JSON, _proxy: type = MappingProxyType) -> dict[str, Any]:
    """One recursive pass over the tree building the JSON form directly (TraceNode.to_dict).

    Hot path (tens of nodes per result, thousands of results per run): the type tests are
    inlined, and read-only parameter mappings come from the cache without a call.
    """
    code = n.code
    if code in seen:
        return {"ref": code}
    seen.add(code)
    v = n.value
    t = type(v)
    if t is _dec:
        v = str(v)
    elif t not in _plain:
        v = jsonable(v)
    ins = n.inputs
    if ins:
        inputs = []
        for i in ins:
            iv = i.value
            it = type(iv)
            if it is _dec:
                iv = str(iv)
            elif it not in _plain:
                iv = jsonable(iv)
            inputs.append({"code": i.code, "value": iv, "source": i.source})
    else:
        inputs = []
    params = n.parameters
    if not params:
        pj: Any = {}
    elif type(params) is _proxy and (hit := _cache.get(id(params))) is not None and hit[0] is params:
        pj = hit[1]
    else:
        pj = _static_json(params)
    detail = n.detail
    if detail:
        dj = {}
        for k, dv in detail.items():
            dt = type(dv)
            dj[k if type(k) is str else str(k)] = str(dv) if dt is _dec else dv if dt in _plain else jsonable(dv)
    else:
        dj = {}
    children = n.children
    return {"code": code, "value": v, "rule": n.rule, "parameters": pj, "inputs": inputs, "detail": dj,
            "children": [_node_dict(c, seen) for c in children] if children else []}


def jsonable(value: object) -> Any:
    """Plain JSON data: Decimals and dates as strings, mappings as dicts, sequences as lists."""
    t = type(value)
    if value is None or t is str or t is bool or t is int:
        return value
    if t is Decimal:
        return str(value)
    if t is dict or isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}  # type: ignore[attr-defined]
    if t is list or t is tuple or isinstance(value, (list, tuple, set, frozenset)):
        items = sorted(value, key=str) if isinstance(value, (set, frozenset)) else value
        return [jsonable(v) for v in items]  # type: ignore[union-attr]
    if isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, _dt.date):
        return value.isoformat()
    if hasattr(value, "to_dict"):
        return value.to_dict()
    return str(value)


_NEW = object.__new__
_SETTERS = tuple(getattr(TraceNode, f).__set__ for f in ("code", "value", "rule", "parameters", "inputs", "detail", "children"))


def node(code: str, value: Value, rule: str | None, parameters: Mapping[str, object], inputs: tuple[Input, ...],
         detail: Mapping[str, object], children: tuple[TraceNode, ...] = ()) -> TraceNode:
    """`TraceNode(...)` for the engine's hot path: the same frozen object, built ~3× faster.

    A frozen dataclass's generated ``__init__`` goes through ``object.__setattr__`` field by
    field; writing the slots directly skips that. Evaluation builds ~40 nodes per
    institution-year, so this is most of the difference to the 5,000/s target.
    """
    n = _NEW(TraceNode)
    s0, s1, s2, s3, s4, s5, s6 = _SETTERS
    s0(n, code)
    s1(n, value)
    s2(n, rule)
    s3(n, parameters)
    s4(n, inputs)
    s5(n, detail)
    s6(n, children)
    return n


# --- the compact stored form (parameters that are static per system file left out) -------------

def compact_dict(root: TraceNode, statics: Mapping[str, Mapping[str, object]]) -> dict[str, Any]:
    """`to_dict` for storage: a node's parameters are left out when they equal `statics[code]` (the
    system file's own, re-joined by `expand_dict`), empty keys are left out, inputs are
    ``[code, value, source]``. Same facts, a fraction of the text.
    """
    return _compact(root, set(), statics)


def _compact(n: TraceNode, seen: set[str], statics: Mapping[str, Mapping[str, object]],
             _plain: frozenset = _PLAIN, _dec: type = Decimal) -> dict[str, Any]:
    code = n.code
    if code in seen:
        return {"ref": code}
    seen.add(code)
    v = n.value
    t = type(v)
    out: dict[str, Any] = {"code": code, "value": str(v) if t is _dec else v if t in _plain else jsonable(v)}
    if n.rule is not None:
        out["rule"] = n.rule
    params = n.parameters
    static = statics.get(code)
    if static is None:
        if params:
            out["parameters"] = _static_json(params)
    elif params is not static and params != static:
        out["parameters"] = _static_json(params) if params else {}
    if n.inputs:
        inputs = []
        for i in n.inputs:
            iv = i.value
            it = type(iv)
            inputs.append([i.code, str(iv) if it is _dec else iv if it in _plain else jsonable(iv), i.source])
        out["inputs"] = inputs
    detail = n.detail
    if detail:
        dj = {}
        for k, dv in detail.items():
            dt = type(dv)
            dj[k if type(k) is str else str(k)] = str(dv) if dt is _dec else dv if dt in _plain else jsonable(dv)
        out["detail"] = dj
    if n.children:
        out["children"] = [_compact(c, seen, statics) for c in n.children]
    return out


def expand_dict(data: Mapping[str, Any], statics: Mapping[str, Any]) -> dict[str, Any]:
    """The `to_dict` form of a `compact_dict` tree; `statics` maps codes to JSON-ready parameters."""
    if "ref" in data:
        return {"ref": data["ref"]}
    code = data["code"]
    params = data["parameters"] if "parameters" in data else statics.get(code, {})
    return {"code": code, "value": data.get("value"), "rule": data.get("rule"), "parameters": params,
            "inputs": [{"code": c, "value": v, "source": s} for c, v, s in data.get("inputs", ())],
            "detail": data.get("detail", {}), "children": [expand_dict(c, statics) for c in data.get("children", ())]}
