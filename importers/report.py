"""What a parse returns: values with their cells, tables, the issues found, and the file's identity."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from importers.issues import Issue


@dataclass(frozen=True, slots=True)
class CellValue:
    """A normalised value and where it came from: the original text, the sheet and the cell."""

    value: object
    raw: str | None
    sheet: str
    cell: str

    def to_dict(self) -> dict[str, object]:
        return {"value": jsonable(self.value), "raw": self.raw, "sheet": self.sheet, "cell": self.cell}


def raw_text(raw: object) -> str | None:
    """The original cell content as text (None for an empty cell), as kept beside each value."""
    if raw is None or raw == "":
        return None
    if isinstance(raw, bool):
        return "TRUE" if raw else "FALSE"
    if isinstance(raw, float):
        return str(int(raw)) if raw.is_integer() and abs(raw) < 1e15 else repr(raw)
    if isinstance(raw, (dt.date, dt.datetime, dt.time)):
        return raw.isoformat()
    return str(raw)


def jsonable(value: object) -> object:
    """JSON-friendly form: Decimal → str, dates → ISO text, tuples → lists."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, tuple):
        return [jsonable(v) for v in value]
    return value


class Table(Sequence[Mapping[str, CellValue]]):
    """The rows of a table sheet, stored column-wise; each row is built as a mapping on access.

    Validation works on whole columns (cheap); CellValue objects for a row are only created when
    a caller looks at that row.
    """

    __slots__ = ("code", "label", "sheet", "columns", "letters", "row_numbers", "values", "raws")

    def __init__(self, code: str, label: str, sheet: str, columns: Sequence[str], letters: Mapping[str, str],
                 row_numbers: list[int], values: dict[str, list[object]], raws: dict[str, list[object]]) -> None:
        self.code = code
        self.label = label
        self.sheet = sheet
        self.columns = tuple(columns)
        self.letters = dict(letters)  #: column code → Excel column letter
        self.row_numbers = row_numbers  #: Excel row number of each row
        self.values = values  #: column code → normalised values (None when empty or invalid)
        self.raws = raws  #: column code → the cell contents as read

    def __len__(self) -> int:
        return len(self.row_numbers)

    def __getitem__(self, index):  # type: ignore[override]
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        row = self.row_numbers[index]
        return {c: CellValue(self.values[c][index], raw_text(self.raws[c][index]), self.sheet, f"{self.letters[c]}{row}")
                for c in self.columns}

    def __iter__(self) -> Iterator[Mapping[str, CellValue]]:
        for i in range(len(self)):
            yield self[i]

    def column(self, code: str) -> list[object]:
        """All normalised values of one column."""
        return self.values[code]

    def records(self) -> list[dict[str, object]]:
        """Rows as plain {column: value} dicts."""
        cols = [(c, self.values[c]) for c in self.columns]
        return [{c: vals[i] for c, vals in cols} for i in range(len(self))]

    def to_dict(self) -> dict[str, object]:
        return {"code": self.code, "label": self.label, "sheet": self.sheet,
                "rows": [{c: v.to_dict() for c, v in row.items()} for row in self]}


@dataclass(frozen=True, slots=True)
class ReportIdentity:
    """Whose report this is and which template it was filled in."""

    category: str | None = None
    subclass: str | None = None
    year: int | None = None
    uscc: str | None = None
    org_name: str | None = None
    system_version: str | None = None
    template_version: str | None = None


def _flatten(issues: Sequence[Issue], keys: tuple[str, ...]) -> list[tuple[object, ...]]:
    return [tuple(getattr(i, k) for k in keys) for i in issues]


@dataclass
class ImportReport:
    """The outcome of reading one self-report: valid only when no issue is an error."""

    filename: str
    sha256: str
    issues: list[Issue] = field(default_factory=list)
    values: dict[str, CellValue] = field(default_factory=dict)  #: field code → value with its cell
    tables: dict[str, Table] = field(default_factory=dict)
    identity: ReportIdentity = field(default_factory=ReportIdentity)
    notes: dict[str, CellValue] = field(default_factory=dict)  #: field code → the filer's note

    @property
    def valid(self) -> bool:
        return not any(i.severity == "error" for i in self.issues)

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "error"]

    @property
    def warnings(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "warning"]

    def flatten(self, *keys: str) -> list[tuple[object, ...]]:
        """Rows of selected issue attributes, for compact assertions (frictionless's Report.flatten)."""
        return _flatten(self.issues, keys)

    def data(self) -> dict[str, object]:
        """Field code → value for every value that was read successfully (what the engine consumes)."""
        return {k: v.value for k, v in self.values.items() if v.value is not None}

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready form for storing or transport."""
        return {
            "filename": self.filename, "sha256": self.sha256, "valid": self.valid,
            "identity": {k: getattr(self.identity, k) for k in ReportIdentity.__slots__},
            "issues": [i.to_dict() for i in self.issues],
            "values": {k: v.to_dict() for k, v in self.values.items()},
            "notes": {k: v.to_dict() for k, v in self.notes.items()},
            "tables": {k: t.to_dict() for k, t in self.tables.items()},
        }


@dataclass
class RosterReport:
    """The outcome of reading the bureau's roster: one row per institution, keyed by credit code."""

    filename: str
    sha256: str
    issues: list[Issue] = field(default_factory=list)
    rows: Table | None = None

    @property
    def valid(self) -> bool:
        return not any(i.severity == "error" for i in self.issues)

    def flatten(self, *keys: str) -> list[tuple[object, ...]]:
        return _flatten(self.issues, keys)

    def institutions(self) -> list[dict[str, object]]:
        """One plain dict per roster row (column code → value)."""
        return self.rows.records() if self.rows is not None else []

    def by_uscc(self) -> dict[str, Mapping[str, CellValue]]:
        """Rows keyed by their (normalised) credit code; rows whose code is invalid are left out."""
        if self.rows is None or "uscc" not in self.rows.values:
            return {}
        return {code: self.rows[i] for i, code in enumerate(self.rows.values["uscc"])
                if isinstance(code, str)}

    def to_dict(self) -> dict[str, object]:
        return {"filename": self.filename, "sha256": self.sha256, "valid": self.valid,
                "issues": [i.to_dict() for i in self.issues],
                "rows": self.rows.to_dict()["rows"] if self.rows is not None else []}
