"""Mutated template files: read + parse only ever return issues, never raise."""

from __future__ import annotations

import io
import zipfile

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from importers import ImportReport, annotate_workbook, build_template, parse_self_report, read_workbook
from tests.importers.fixtures import GOOD_INCUBATOR_VALUES, good_tenants, incubator_spec

SPEC = incubator_spec()


def _valid_file() -> bytes:
    import tempfile
    from pathlib import Path

    from tests.importers.fixtures import fill_template

    with tempfile.TemporaryDirectory() as tmp:
        return fill_template(build_template(SPEC), Path(tmp) / "v.xlsx", GOOD_INCUBATOR_VALUES,
                             {"在孵企业": good_tenants()}).read_bytes()


VALID = _valid_file()
MEMBERS = zipfile.ZipFile(io.BytesIO(VALID)).namelist()


def _flip(data: bytes, flips: list[tuple[int, int]]) -> bytes:
    buf = bytearray(data)
    for pos, byte in flips:
        buf[pos % len(buf)] = byte
    return bytes(buf)


def _corrupt_member(data: bytes, member: str, cut: float, junk: bytes) -> bytes:
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for name in src.namelist():
            content = src.read(name)
            if name == member:
                content = content[: int(len(content) * cut)] + junk
            dst.writestr(name, content)
    return out.getvalue()


# Strategies draw the mutation, not the bytes, so a failing example prints as a short recipe.
member_corruption = st.tuples(st.just("member"), st.sampled_from(MEMBERS), st.floats(0, 1), st.binary(max_size=64))
mutations = st.one_of(
    st.tuples(st.just("flip"), st.lists(st.tuples(st.integers(0, len(VALID) - 1), st.integers(0, 255)),
                                        min_size=1, max_size=20)),
    st.tuples(st.just("truncate"), st.integers(0, len(VALID) - 1)),
    member_corruption,
)


def apply(mutation: tuple) -> bytes:
    kind, *args = mutation
    if kind == "flip":
        return _flip(VALID, *args)
    if kind == "truncate":
        return VALID[: args[0]]
    return _corrupt_member(VALID, *args)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutations)
def test_mutated_files_only_ever_produce_issues(mutation: tuple):
    data = apply(mutation)
    workbook = read_workbook(data, "fuzz.xlsx")
    report = parse_self_report(workbook, SPEC)
    assert isinstance(report, ImportReport)
    for issue in report.issues:
        assert issue.code and issue.message("zh_CN") and issue.message("en")
    if isinstance(workbook, ImportReport):
        assert not report.valid and len(report.issues) == 1 and report.issues[0].sheet is None


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(member_corruption)
def test_annotating_a_mutated_file_never_raises(mutation: tuple):
    data = apply(mutation)
    report = parse_self_report(read_workbook(data, "fuzz.xlsx"), SPEC)
    assert annotate_workbook(data, report)[:2] == b"PK"
