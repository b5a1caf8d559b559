"""The assessment engine: indicator systems as versioned data, scoring, grades, recommendations.

Plain Python: no Flask, no database. `registry` orchestrates it; `importers` reads its declarations.

    >>> from assessment import load_system
    >>> load_system("incubator", 2020, "comprehensive").version
    2019
"""

from assessment.criteria import (
    Criteria,
    Criterion,
    GapList,
    GapRow,
    all_criteria,
    check_criteria,
    criteria_for,
    criteria_from_files,
    criteria_origin,
    criteria_versions,
    load_criteria,
)
from assessment.decisions import apply_quota
from assessment.diff import RuleChange, diff_criteria, diff_systems
from assessment.engine import decide, evaluate
from assessment.errors import AssessmentError, MissingInputError, SystemDefinitionError, SystemNotFoundError
from assessment.inputs import Choice, ConsistencyCheck, InputDecl, InputSet, TableDecl
from assessment.rulefiles import PACKAGE_ROOT, PinnedFileError, RuleFile
from assessment.outcome import IndicatorResult, MissingInput, Outcome, PastOutcome, Recommendation, Standing, Veto
from assessment.system import (
    CATEGORIES,
    VETO_CONSEQUENCES,
    LEVELS,
    SUBCLASSES,
    DecisionPolicy,
    GradeBand,
    Group,
    Indicator,
    IndicatorSystem,
    Quota,
    SystemRef,
    VetoConsequence,
    add_data_root,
    all_systems,
    data_roots,
    load_system,
    load_version,
    remove_data_root,
    root_label,
    system_from_files,
    system_origin,
    system_versions,
)
from assessment.trace import Input, TraceNode, flatten

__all__ = [
    "CATEGORIES", "LEVELS", "SUBCLASSES", "VETO_CONSEQUENCES", "VetoConsequence",
    "AssessmentError", "MissingInputError", "SystemDefinitionError", "SystemNotFoundError",
    "Choice", "ConsistencyCheck", "InputDecl", "InputSet", "TableDecl",
    "Criteria", "Criterion", "GapList", "GapRow",
    "DecisionPolicy", "GradeBand", "Group", "Indicator", "IndicatorSystem", "Quota", "SystemRef",
    "IndicatorResult", "MissingInput", "Outcome", "PastOutcome", "Recommendation", "Standing", "Veto",
    "Input", "TraceNode", "flatten",
    "add_data_root", "remove_data_root", "all_systems", "load_system", "load_version", "system_versions",
    "all_criteria", "check_criteria", "criteria_for", "criteria_versions", "load_criteria",
    "apply_quota", "decide", "evaluate",
    "PACKAGE_ROOT", "PinnedFileError", "RuleFile", "system_from_files", "criteria_from_files", "system_origin",
    "criteria_origin", "root_label", "data_roots", "RuleChange", "diff_systems", "diff_criteria",
]
