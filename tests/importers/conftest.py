from __future__ import annotations

from pathlib import Path

import pytest

from importers import build_template
from importers.spec import TemplateSpec
from tests.importers.fixtures import GOOD_INCUBATOR_VALUES, fill_template, good_tenants, incubator_spec


@pytest.fixture(scope="session")
def spec() -> TemplateSpec:
    return incubator_spec()


@pytest.fixture(scope="session")
def template(spec: TemplateSpec) -> bytes:
    return build_template(spec)


@pytest.fixture
def filled(tmp_path: Path, template: bytes):
    """make a filled incubator self-report: good values and 3 tenants, overridable per test."""

    def make(values=None, tenants=None, notes=None, percent_format=(), name: str = "report.xlsx") -> Path:
        return fill_template(template, tmp_path / name, GOOD_INCUBATOR_VALUES | dict(values or {}),
                             {"在孵企业": good_tenants() if tenants is None else tenants}, notes, percent_format)

    return make
