"""Research cohorts: JSON definitions compiled to SQL and run in the warehouse engine.

https://ohdsi.github.io/TheBookOfOhdsi/Cohorts.html and https://hl7.org/fhir/R4/group.html

:func:`load_cohort` reads a definition (:mod:`.model`), :func:`plan_cohort`
compiles it to one engine-neutral SQL plan (:mod:`.compile`),
:func:`run_cohort` builds it in DuckDB or Spark with its attrition table
(:mod:`.run`), and :func:`to_group` / :func:`store_group` make it a FHIR
Group usable by Bulk ``Group/[id]/$export`` (:mod:`.group`).
"""

from carehub.research.cohort.compile import CohortPlan, plan_cohort
from carehub.research.cohort.group import group_resource, store_group, to_group
from carehub.research.cohort.model import CohortDefinition, Criterion, load_cohort, parse_cohort
from carehub.research.cohort.run import AttritionStep, CohortResult, run_cohort

__all__ = [
    "AttritionStep",
    "CohortDefinition",
    "CohortPlan",
    "CohortResult",
    "Criterion",
    "group_resource",
    "load_cohort",
    "parse_cohort",
    "plan_cohort",
    "run_cohort",
    "store_group",
    "to_group",
]
