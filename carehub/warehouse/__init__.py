"""The clinical data warehouse: SQL-on-FHIR v2 ViewDefinitions on DuckDB and Spark.

https://build.fhir.org/ig/FHIR/sql-on-fhir-v2/

A ViewDefinition (:mod:`.viewdef`) is validated and compiled
(:mod:`.compiler`, FHIRPath in :mod:`.fhirpath`) to one intermediate
representation (:mod:`.ir`), which each engine (:mod:`.engines`) writes as
its own SQL. :func:`build` materialises CareHub's standard views
(:mod:`.views`) and marts (:mod:`.marts`) from a :class:`FhirSource` into a
DuckDB file and Parquet (:class:`Warehouse`); :func:`refresh` applies later
changes; :func:`run_view` serves ``$run``; :mod:`.docs` writes the data
dictionary; :mod:`.conformance` runs the official test suite.
"""

from carehub.warehouse.build import BuildPlan, BuildReport, build, plan_build
from carehub.warehouse.compiler import compile_view
from carehub.warehouse.engines.base import Engine, EngineRegistry, QueryResult, default_registry
from carehub.warehouse.ir import CompiledView, OutputColumn
from carehub.warehouse.refresh import RefreshReport, refresh
from carehub.warehouse.run import RunResult, run_view
from carehub.warehouse.sources import FhirSource, MemorySource, NdjsonSource
from carehub.warehouse.store import Warehouse
from carehub.warehouse.viewdef.model import ViewDefinition, parse_view
from carehub.warehouse.viewdef.validate import validate
from carehub.warehouse.views import load_view, standard_views

__all__ = [
    "BuildPlan",
    "BuildReport",
    "CompiledView",
    "Engine",
    "EngineRegistry",
    "FhirSource",
    "MemorySource",
    "NdjsonSource",
    "OutputColumn",
    "QueryResult",
    "RefreshReport",
    "RunResult",
    "ViewDefinition",
    "Warehouse",
    "build",
    "compile_view",
    "default_registry",
    "load_view",
    "parse_view",
    "plan_build",
    "refresh",
    "run_view",
    "standard_views",
    "validate",
]
