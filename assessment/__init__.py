"""The assessment engine: indicator systems as versioned data, scoring, grades, recommendations.

Plain Python: no Flask, no database. `registry` orchestrates it; `importers` reads its declarations.
"""

from assessment.inputs import Choice, ConsistencyCheck, InputDecl, InputSet, TableDecl

__all__ = ["Choice", "ConsistencyCheck", "InputDecl", "InputSet", "TableDecl"]
