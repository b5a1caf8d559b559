"""Shared builders for engine tests: a complete, full-marks self-report per category."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D
from typing import Any

import pytest

from assessment import Input

HEADER: dict[str, Any] = dict(
    org_name="示例机构", uscc="91110000600037341L", legal_form="enterprise", town_or_park="songshanhu",
    established_on=dt.date(2012, 3, 1), operating_since=dt.date(2013, 1, 1), report_year=2019, head="张三",
    stats_officer="李四", filer="王五", phone="0769-22220000", torch_stats_filed=True, torch_stats_years=5,
    integrity_flags="none",
)

#: every incubator indicator at full marks; bonus = 1 + 2 + 0 + 1 = 4 → score 104.00
INCUBATOR: dict[str, Any] = {**HEADER, **dict(
    incubator_type="comprehensive", has_public_tech_platform=True, public_platforms=3,
    registered_on_provincial_platform=True, has_mentor_mechanism=True, gross_floor_area=D(20000),
    controlled_incubation_area=D(15000), tenant_area=D(11000), public_service_area=D(1500), staff_total=20,
    pro_staff=17, pro_staff_prev=16, staff_college=18, staff_trained=10, mentors=9, tenants_with_mentor=40,
    incubation_fund_own=D(300), incubation_fund_partner=D(300), fund_use_cases=4, incubator_investment=D(5000),
    tenants=60, new_tenants=12, graduates_year=5, graduates_cum=25, financed_tenants=12, financing_amount=D(30000),
    tenants_with_patent_apps=35, tenants_with_ip_apps=40, tenants_with_valid_ip=20, valid_ip=120, valid_invention=20,
    tenants_hte=6, tenants_tsme=20, tenant_revenue=D(500000), tenant_revenue_prev=D(400000), tenant_tax=D(12000),
    tenant_rd=D(30000), tenant_employees=800, tenant_college=600, tenant_fresh_grads=60, inc_revenue_total=D(12000),
    inc_revenue_total_prev=D(10000), inc_rev_service=D(3000), inc_rev_property=D(8000), inc_rev_investment=D(600),
    inc_rev_other=D(400), gov_subsidy=D(500), events=30, competitions_hosted=1, public_duties=True, hmt_cooperation=0,
    graduates_to_accelerator_or_park=2, strata_project=False, unauthorised_use_change=False,
    unauthorised_strata_sale=False, expert_review_score=D(10),
)}

#: every R&D-institution indicator at full marks → 100.00 in every class
RD: dict[str, Any] = {**HEADER, **dict(
    functional_focus="industrial_tech,commercialisation", rd_class="comprehensive", has_board=True, head_fulltime=True,
    has_ip_system=True, has_fund_system=True, has_incentive_system=True, has_internal_control=True,
    has_transfer_system=True, main_business_excluded=False, employees_total=100, resident_rd_staff=50, phd_count=20,
    senior_title_count=15, high_level_talent=10, equipment_value=D(1000), research_floor_area=D(2000),
    total_revenue=D(5000), operating_revenue=D(3500), commercialisation_revenue=D(1500), gov_funding=D(1000),
    rd_expenditure=D(2500), projects_national=2, projects_provincial=3, projects_municipal=4, project_funds=D(800),
    patents_filed=30, invention_filed=15, patents_granted=20, invention_granted=10, valid_ip=50,
    valid_invention_patents=20, standards=5, papers=15, tech_contracts=30, tech_contract_value=D(1000),
    firms_served=100, spinoffs_year=5, spinoffs_cum=12, spinoffs_hte=3, investment_out=D(100), investment_in=D(2000),
    annual_report_submitted=True, expert_review_score=D(10),
)}

#: every maker-space indicator at full marks → 100.00
MAKER: dict[str, Any] = {**HEADER, **dict(
    has_operator_legal_person=True, has_standard_service_process=True, service_area=D(800), workstations=60,
    workstation_plus_public_area=D(640), fulltime_staff=4, mentors=6, contracted_service_orgs=6, teams_served=40,
    team_members=120, startups_served=15, startup_jobs=200, fresh_grads=30, new_companies_registered=10,
    financed_teams=5, financing_amount=D(20000), typical_cases=3, events=20, valid_ip=20, graduated_to_incubator=3,
    expert_review_score=D(15),
)}

#: every accelerator indicator at full marks → 100.00
ACCELERATOR: dict[str, Any] = {**HEADER, **dict(
    controlled_accel_area=D(20000), resident_area=D(16000), resident_firms=20, residents_from_incubators=10,
    resident_revenue=D(130000), resident_revenue_prev=D(100000), resident_hte=10, residents_with_ip=6,
    accel_fund=D(600), financed_firms=4, financing_amount=D(50000), tech_platforms=3, staff=10, pro_staff=8,
    mentors=4, service_types=5, incubator_docking=True, operates_incubator=True, unauthorised_use_change=False,
    unauthorised_strata_sale=False, expert_review_score=D(8),
)}

BASES = {"incubator": INCUBATOR, "rd_institution": RD, "maker_space": MAKER, "accelerator": ACCELERATOR}


def as_inputs(values: dict[str, Any]) -> dict[str, Input]:
    """Wrap plain values as engine Inputs with a made-up cell address as source."""
    return {k: Input(k, v, f"基本情况!D{i + 2}") for i, (k, v) in enumerate(values.items()) if v is not None}


@pytest.fixture
def inputs_for():
    def build(category: str, **overrides: Any) -> dict[str, Input]:
        return as_inputs({**BASES[category], **overrides})
    return build
