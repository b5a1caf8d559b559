"""A1 helpers: the grid is 0-based in Python, issues cite Excel's 1-based ``C12`` coordinates."""

from __future__ import annotations

from functools import lru_cache

from openpyxl.utils.cell import column_index_from_string, coordinate_from_string, get_column_letter


@lru_cache(maxsize=1024)
def column_letter(col: int) -> str:
    """Letter of a 0-based column index: 0 → "A"."""
    return get_column_letter(col + 1)


def ref(row: int, col: int) -> str:
    """Excel reference of a 0-based grid position.

    >>> ref(11, 2)
    'C12'
    """
    return f"{column_letter(col)}{row + 1}"


def split_ref(cell: str) -> tuple[int, int]:
    """1-based (row, column) of an Excel reference.

    >>> split_ref("C12")
    (12, 3)
    """
    letters, row = coordinate_from_string(cell)
    return row, column_index_from_string(letters)


def to_grid(cell: str) -> tuple[int, int]:
    """0-based grid position of an Excel reference: "C12" → (11, 2)."""
    row, col = split_ref(cell)
    return row - 1, col - 1


def range_ref(r0: int, c0: int, r1: int, c1: int) -> str:
    """Excel range of 0-based inclusive bounds.

    >>> range_ref(0, 0, 1, 2)
    'A1:C2'
    """
    return f"{ref(r0, c0)}:{ref(r1, c1)}"
