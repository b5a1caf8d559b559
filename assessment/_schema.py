"""Strict readers for the TOML data files: every problem becomes a SystemDefinitionError with a path."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from assessment.errors import SystemDefinitionError

_MISSING: Any = object()


class Reader:
    """Reads one file's parsed TOML; `fail` names the file and the key path of the problem."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, path: str, message: str) -> SystemDefinitionError:
        return SystemDefinitionError(self.source, path, message)

    def table(self, data: object, path: str, allowed: Iterable[str], required: Iterable[str] = ()) -> Mapping[str, Any]:
        if not isinstance(data, Mapping):
            raise self.fail(path, "expected a table")
        allowed = set(allowed)
        for key in data:
            if key not in allowed:
                raise self.fail(_join(path, key), f"unknown key (allowed: {', '.join(sorted(allowed))})")
        for key in required:
            if key not in data:
                raise self.fail(_join(path, key), "required key is missing")
        return data

    def tables(self, data: Mapping[str, Any], key: str, path: str) -> list[tuple[str, Mapping[str, Any]]]:
        """An array of tables (possibly absent), with each element's path."""
        value = data.get(key, [])
        where = _join(path, key)
        if not isinstance(value, list):
            raise self.fail(where, "expected an array of tables")
        out = []
        for i, item in enumerate(value):
            if not isinstance(item, Mapping):
                raise self.fail(f"{where}[{i}]", "expected a table")
            out.append((f"{where}[{i}]", item))
        return out

    def str(self, data: Mapping[str, Any], key: str, path: str, default: Any = _MISSING) -> Any:
        value = self._get(data, key, path, default)
        if value is default and default is not _MISSING:
            return value
        if not isinstance(value, str) or not value.strip():
            raise self.fail(_join(path, key), "expected a non-empty string")
        return value

    def num(self, data: Mapping[str, Any], key: str, path: str, default: Any = _MISSING) -> Any:
        value = self._get(data, key, path, default)
        if value is default and default is not _MISSING:
            return value
        return self.as_num(value, _join(path, key))

    def as_num(self, value: object, path: str) -> Decimal:
        if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
            raise self.fail(path, "expected a number")
        value = Decimal(value)
        if not value.is_finite():
            raise self.fail(path, "expected a finite number")
        return value

    def int(self, data: Mapping[str, Any], key: str, path: str, default: Any = _MISSING) -> Any:
        value = self._get(data, key, path, default)
        if value is default and default is not _MISSING:
            return value
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(_join(path, key), "expected an integer")
        return value

    def bool(self, data: Mapping[str, Any], key: str, path: str, default: Any = _MISSING) -> Any:
        value = self._get(data, key, path, default)
        if value is default and default is not _MISSING:
            return value
        if not isinstance(value, bool):
            raise self.fail(_join(path, key), "expected true or false")
        return value

    def strs(self, data: Mapping[str, Any], key: str, path: str, default: Any = _MISSING) -> Any:
        value = self._get(data, key, path, default)
        if value is default and default is not _MISSING:
            return value
        where = _join(path, key)
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise self.fail(where, "expected a list of strings")
        return tuple(value)

    def choice(self, data: Mapping[str, Any], key: str, path: str, options: Iterable[str], default: Any = _MISSING) -> Any:
        value = self.str(data, key, path, default)
        options = tuple(options)
        if value is default and default is not _MISSING:
            return value
        if value not in options:
            raise self.fail(_join(path, key), f"expected one of {', '.join(options)}; found {value!r}")
        return value

    def _get(self, data: Mapping[str, Any], key: str, path: str, default: Any) -> Any:
        if key in data:
            return data[key]
        if default is _MISSING:
            raise self.fail(_join(path, key), "required key is missing")
        return default


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key
