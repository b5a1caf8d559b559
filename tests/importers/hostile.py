"""Hostile workbooks built quickly by writing the XML straight into a zip (no openpyxl).

`digits_workbook()` is the case from issue 12: two sheets of 50,000 × 256 random digits,
~18 MB on disk and ~386 MB of sheet XML (ratio ~20:1): inside every byte and ratio limit, but
25.6 million cells once loaded. Rows come from a pool of distinct random rows, each deflated once
(level 9, full flush) and its compressed bytes reused, so building the file takes about a second
instead of the ~15 s that compressing 386 MB would.
"""

from __future__ import annotations

import io
import random
import struct
import zipfile
import zlib
from collections.abc import Sequence

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '{sheets}</Types>')
_SHEET_TYPE = ('<Override PartName="/xl/worksheets/sheet{n}.xml" '
               'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>')
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="xl/workbook.xml"/></Relationships>')
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>{sheets}</sheets></workbook>')
_WB_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{rels}</Relationships>')
_REL = ('<Relationship Id="rId{n}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
        'Target="worksheets/sheet{n}.xml"/>')
_SHEET_HEAD = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
               '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
               '<dimension ref="A1:{last}"/><sheetData>')
_SHEET_TAIL = b"</sheetData></worksheet>"


def _column_letters(n: int) -> str:
    letters = ""
    while n:
        n, rem = divmod(n - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


class _ReusedDeflate:
    """Stands in for zipfile's compressor: each distinct chunk is deflated once (full flush, so the
    pieces concatenate into one valid stream) and short chunks go into stored blocks."""

    def __init__(self) -> None:
        self.cache: dict[bytes, bytes] = {}

    def compress(self, data: bytes) -> bytes:
        if len(data) < 256:
            return b"\x00" + struct.pack("<HH", len(data), len(data) ^ 0xFFFF) + data  # a stored block
        piece = self.cache.get(data)
        if piece is None:
            deflate = zlib.compressobj(9, zlib.DEFLATED, -15)
            piece = self.cache[data] = deflate.compress(data) + deflate.flush(zlib.Z_FULL_FLUSH)
        return piece

    def flush(self) -> bytes:
        return b"\x01\x00\x00\xff\xff"  # a final, empty stored block


def digits_workbook(sheets: Sequence[str] = ("Sheet1", "Sheet2"), rows: int = 50_000, columns: int = 256,
                    *, seed: int = 12, pool: int = 97, motifs: int = 6, dimension: bool = True,
                    refs: bool = False) -> bytes:
    """An .xlsx of `rows` × `columns` single digits per sheet (issue 12: 18.3 MB at the defaults).

    Each row strings together random 4-cell motifs (`motifs` distinct ones), which gives the
    issue's 20:1 compression ratio; fully random digits would compress less well (31 MB).
    Without `dimension` the sheet does not announce its size; with `refs` every cell names its
    reference (r="IV50000"), as Excel writes it.
    """
    rng = random.Random(seed)
    blocks = [b"".join(b"<c><v>%d</v></c>" % rng.randrange(10) for _ in range(4)) for _ in range(motifs)]
    bodies = [b"".join(rng.choice(blocks) for _ in range(columns // 4))
              + b"".join(b"<c><v>%d</v></c>" % rng.randrange(10) for _ in range(columns % 4)) + b"</row>"
              for _ in range(pool)]
    letters = [_column_letters(c).encode() for c in range(1, columns + 1)]
    deflate = _ReusedDeflate()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        numbers = range(1, len(sheets) + 1)
        zf.writestr("[Content_Types].xml", _CONTENT_TYPES.format(sheets="".join(_SHEET_TYPE.format(n=n) for n in numbers)))
        zf.writestr("_rels/.rels", _ROOT_RELS)
        zf.writestr("xl/workbook.xml", _WORKBOOK.format(sheets="".join(
            f'<sheet name="{name}" sheetId="{n}" r:id="rId{n}"/>' for n, name in zip(numbers, sheets))))
        zf.writestr("xl/_rels/workbook.xml.rels", _WB_RELS.format(rels="".join(_REL.format(n=n) for n in numbers)))
        for n in numbers:
            with zf.open(f"xl/worksheets/sheet{n}.xml", "w", force_zip64=True) as part:
                part._compressor = deflate  # type: ignore[attr-defined]  # see _ReusedDeflate
                head = _SHEET_HEAD.format(last=f"{_column_letters(columns)}{rows}")
                part.write((head if dimension else head.replace(f'<dimension ref="A1:{_column_letters(columns)}{rows}"/>',
                                                                  "")).encode())
                for r in range(1, rows + 1):
                    part.write(b'<row r="%d">' % r)
                    body = bodies[(r * 7 + n) % pool]
                    if refs:  # unique per row: written (and compressed) as it is
                        cells = body.split(b"<c>")[1:]
                        body = b"".join(b'<c r="%s%d">' % (letters[i], r) + cell for i, cell in enumerate(cells))
                    part.write(body)
                part.write(_SHEET_TAIL)
    return out.getvalue()
