"""The OMOP CDM v5.4 export: FHIR through SQL-on-FHIR ViewDefinitions into the core CDM tables.

https://ohdsi.github.io/CommonDataModel/cdm54.html

:func:`export_omop` builds ``person``, ``observation_period``,
``visit_occurrence``, ``condition_occurrence``, ``measurement``,
``drug_exposure`` and ``procedure_occurrence`` (:mod:`.cdm`) from the source
views in ``views/`` (:func:`omop_views`), with standard concept ids from a
concept map file when one is given (:func:`read_concept_map`).
"""

from carehub.research.omop.cdm import CDM_NAMES
from carehub.research.omop.export import (
    OmopReport,
    export_omop,
    omop_views,
    plan_omop,
    read_concept_map,
)

__all__ = ["CDM_NAMES", "OmopReport", "export_omop", "omop_views", "plan_omop",
           "read_concept_map"]
