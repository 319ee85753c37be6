"""The OMOP CDM v5.4 core tables, computed from the OMOP source views.

https://ohdsi.github.io/CommonDataModel/cdm54.html

The source ViewDefinitions (``views/omop_src_*.json``) flatten FHIR into
rows; the queries here shape those rows into the CDM tables ``person``,
``observation_period``, ``visit_occurrence``, ``condition_occurrence``,
``measurement``, ``drug_exposure`` and ``procedure_occurrence``. Like the
warehouse's marts they are written once in Spark SQL and written in each
engine's dialect by sqlglot.

* Integer ids are dense ranks of the FHIR keys (stable for one export).
* Source codes are kept in ``*_source_value``; ``*_concept_id`` columns are
  standard concept ids from the concept map (``omop_concept_map``: source
  vocabulary, source code → concept id) when one is supplied, else 0. The
  vocabulary of a code is found from its FHIR code system
  (``omop_vocabulary``, :data:`VOCABULARIES`); genders are looked up as
  vocabulary ``Gender``, encounter classes as ``Visit``, units as ``UCUM``.
* Type concepts, race and ethnicity are 0 (no mapping is assumed).
* ``observation_period`` spans each person's first to last dated record.
* Records entered in error (and cancelled or refuted ones) are left out.
"""

from __future__ import annotations

from carehub.warehouse.marts import Mart, MartColumn

VOCABULARIES: tuple[tuple[str, str], ...] = (
    ("http://hl7.org/fhir/sid/icd-10", "ICD10"),
    ("http://hl7.org/fhir/sid/icd-10-cm", "ICD10CM"),
    ("http://loinc.org", "LOINC"),
    ("http://snomed.info/sct", "SNOMED"),
    ("http://www.nlm.nih.gov/research/umls/rxnorm", "RxNorm"),
    ("http://www.whocc.no/atc", "ATC"),
    ("http://www.ama-assn.org/go/cpt", "CPT4"),
    ("http://hl7.org/fhir/sid/icd-9-cm", "ICD9CM"),
    ("http://unitsofmeasure.org", "UCUM"),
)
"""FHIR code system → OMOP vocabulary id (other systems keep their URI as vocabulary)."""

_D = "CAST(SUBSTRING({}, 1, 10) AS DATE)"
_DT = "CAST(REPLACE(SUBSTRING({}, 1, 19), 'T', ' ') AS TIMESTAMP_NTZ)"
_NULL_INT = "CAST(NULL AS BIGINT)"
_NULL_STR = "CAST(NULL AS STRING)"


def _d(col: str) -> str:
    return _D.format(col)


def _dt(col: str) -> str:
    return _DT.format(col)


def _concept(alias: str, vocabulary: str, code: str) -> str:
    """A join to the concept map under ``alias``; the id is ``COALESCE(alias.concept_id, 0)``."""
    return (
        f"LEFT JOIN omop_concept_map AS {alias} ON {alias}.source_vocabulary = {vocabulary} "
        f"AND {alias}.source_code = {code}"
    )


def _vocab(alias: str, system: str) -> str:
    return f"LEFT JOIN omop_vocabulary AS {alias} ON {alias}.system = {system}"


def _cols(*names: tuple[str, str, str]) -> tuple[MartColumn, ...]:
    return tuple(MartColumn(n, t, d) for n, t, d in names)


def _id_mart(prefix: str, source: str, resource: str, omop_id: str) -> Mart:
    """The mart numbering each ``<prefix>_key`` of ``source`` densely (an OMOP integer id)."""
    key, ident = f"{prefix}_key", f"{prefix}_id"
    return Mart(
        name=f"omop_{prefix}_ids",
        title=f"OMOP {prefix} ids",
        description=f"{omop_id} (dense rank) of each {resource} key.",
        depends_on=(source,),
        columns=_cols((key, "VARCHAR", f"{resource} key."), (ident, "BIGINT", "Id.")),
        sql=(
            f"SELECT {key}, DENSE_RANK() OVER (ORDER BY {key}) AS {ident} "
            f"FROM (SELECT DISTINCT {key} FROM {source} WHERE {key} IS NOT NULL)"
        ),
    )


PERSON_IDS = _id_mart("person", "omop_src_person", "Patient", "person_id")
VISIT_IDS = _id_mart("visit", "omop_src_visit", "Encounter", "visit_occurrence_id")

PERSON = Mart(
    name="person",
    title="OMOP person",
    description="One row per patient.",
    depends_on=("omop_src_person", "omop_person_ids"),
    columns=(),
    sql=(
        "SELECT i.person_id, COALESCE(g.concept_id, 0) AS gender_concept_id, "
        f"YEAR({_d('s.birth_date')}) AS year_of_birth, "
        f"MONTH({_d('s.birth_date')}) AS month_of_birth, "
        f"DAY({_d('s.birth_date')}) AS day_of_birth, {_dt('s.birth_date')} AS birth_datetime, "
        "0 AS race_concept_id, 0 AS ethnicity_concept_id, "
        f"{_NULL_INT} AS location_id, {_NULL_INT} AS provider_id, {_NULL_INT} AS care_site_id, "
        "s.person_key AS person_source_value, s.gender AS gender_source_value, "
        "0 AS gender_source_concept_id, "
        f"{_NULL_STR} AS race_source_value, 0 AS race_source_concept_id, "
        f"{_NULL_STR} AS ethnicity_source_value, 0 AS ethnicity_source_concept_id "
        "FROM omop_src_person AS s JOIN omop_person_ids AS i ON i.person_key = s.person_key "
        + _concept("g", "'Gender'", "s.gender") + " "
        + "WHERE s.birth_date IS NOT NULL"
    ),
)

_NOT_VOID = "COALESCE({}, '') NOT IN ('entered-in-error', 'cancelled', 'refuted', 'not-done')"

VISIT = Mart(
    name="visit_occurrence",
    title="OMOP visit_occurrence",
    description="One row per encounter with a start.",
    depends_on=("omop_src_visit", "omop_person_ids", "omop_visit_ids"),
    columns=(),
    sql=(
        "SELECT v.visit_id AS visit_occurrence_id, p.person_id, "
        "COALESCE(c.concept_id, 0) AS visit_concept_id, "
        f"{_d('s.start')} AS visit_start_date, {_dt('s.start')} AS visit_start_datetime, "
        f"{_d('COALESCE(s.end, s.start)')} AS visit_end_date, "
        f"{_dt('COALESCE(s.end, s.start)')} AS visit_end_datetime, "
        f"0 AS visit_type_concept_id, {_NULL_INT} AS provider_id, "
        f"{_NULL_INT} AS care_site_id, s.class_code AS visit_source_value, "
        "0 AS visit_source_concept_id, 0 AS admitted_from_concept_id, "
        "s.admit_source AS admitted_from_source_value, 0 AS discharged_to_concept_id, "
        "s.discharge_disposition AS discharged_to_source_value, "
        f"{_NULL_INT} AS preceding_visit_occurrence_id "
        "FROM omop_src_visit AS s JOIN omop_visit_ids AS v ON v.visit_key = s.visit_key "
        "JOIN omop_person_ids AS p ON p.person_key = s.person_key "
        + _concept("c", "'Visit'", "s.class_code") + " "
        + f"WHERE s.start IS NOT NULL AND {_NOT_VOID.format('s.status')}"
    ),
)

CONDITION = Mart(
    name="condition_occurrence",
    title="OMOP condition_occurrence",
    description="One row per condition with a date.",
    depends_on=("omop_src_condition", "omop_person_ids", "omop_visit_ids"),
    columns=(),
    sql=(
        "SELECT DENSE_RANK() OVER (ORDER BY s.condition_key) AS condition_occurrence_id, "
        "p.person_id, COALESCE(c.concept_id, 0) AS condition_concept_id, "
        f"{_d('COALESCE(s.onset, s.recorded)')} AS condition_start_date, "
        f"{_dt('COALESCE(s.onset, s.recorded)')} AS condition_start_datetime, "
        f"{_d('s.abatement')} AS condition_end_date, "
        f"{_dt('s.abatement')} AS condition_end_datetime, "
        "0 AS condition_type_concept_id, 0 AS condition_status_concept_id, "
        f"{_NULL_STR} AS stop_reason, {_NULL_INT} AS provider_id, "
        f"v.visit_id AS visit_occurrence_id, {_NULL_INT} AS visit_detail_id, "
        "s.code AS condition_source_value, 0 AS condition_source_concept_id, "
        "s.clinical_status AS condition_status_source_value "
        "FROM omop_src_condition AS s JOIN omop_person_ids AS p ON p.person_key = s.person_key "
        "LEFT JOIN omop_visit_ids AS v ON v.visit_key = s.visit_key "
        f"{_vocab('w', 's.code_system')} "
        f"{_concept('c', 'COALESCE(w.vocabulary_id, s.code_system)', 's.code')} "
        "WHERE COALESCE(s.onset, s.recorded) IS NOT NULL "
        f"AND {_NOT_VOID.format('s.verification_status')}"
    ),
)

MEASUREMENT = Mart(
    name="measurement",
    title="OMOP measurement",
    description="One row per laboratory or vital-sign observation with a date.",
    depends_on=("omop_src_measurement", "omop_person_ids", "omop_visit_ids"),
    columns=(),
    sql=(
        "SELECT DENSE_RANK() OVER (ORDER BY s.measurement_key) AS measurement_id, "
        "p.person_id, COALESCE(c.concept_id, 0) AS measurement_concept_id, "
        f"{_d('s.effective')} AS measurement_date, {_dt('s.effective')} AS measurement_datetime, "
        f"{_NULL_STR} AS measurement_time, 0 AS measurement_type_concept_id, "
        "0 AS operator_concept_id, CAST(s.value AS DOUBLE) AS value_as_number, "
        "0 AS value_as_concept_id, COALESCE(u.concept_id, 0) AS unit_concept_id, "
        "CAST(s.range_low AS DOUBLE) AS range_low, CAST(s.range_high AS DOUBLE) AS range_high, "
        f"{_NULL_INT} AS provider_id, v.visit_id AS visit_occurrence_id, "
        f"{_NULL_INT} AS visit_detail_id, s.code AS measurement_source_value, "
        "0 AS measurement_source_concept_id, s.unit AS unit_source_value, "
        "0 AS unit_source_concept_id, "
        "COALESCE(s.comparator || CAST(s.value AS STRING), CAST(s.value AS STRING), s.value_code)"
        " AS value_source_value, "
        f"{_NULL_INT} AS measurement_event_id, 0 AS meas_event_field_concept_id "
        "FROM omop_src_measurement AS s "
        "JOIN omop_person_ids AS p ON p.person_key = s.person_key "
        "LEFT JOIN omop_visit_ids AS v ON v.visit_key = s.visit_key "
        f"{_vocab('w', 's.code_system')} "
        f"{_concept('c', 'COALESCE(w.vocabulary_id, s.code_system)', 's.code')} "
        + _concept("u", "'UCUM'", "s.unit") + " "
        + f"WHERE s.effective IS NOT NULL AND {_NOT_VOID.format('s.status')}"
    ),
)

_DRUG_SOURCE = (
    "SELECT drug_key, person_key, visit_key, code_system, code, start, quantity, days_supply, "
    "{refills} AS refills, sig, route FROM {table} "
    f"WHERE start IS NOT NULL AND {_NOT_VOID.format('status')}"
)

DRUG = Mart(
    name="drug_exposure",
    title="OMOP drug_exposure",
    description="One row per medication request or dispense with a date.",
    depends_on=("omop_src_drug_request", "omop_src_drug_dispense", "omop_person_ids",
                "omop_visit_ids"),
    columns=(),
    sql=(
        "SELECT DENSE_RANK() OVER (ORDER BY s.drug_key) AS drug_exposure_id, p.person_id, "
        "COALESCE(c.concept_id, 0) AS drug_concept_id, "
        f"{_d('s.start')} AS drug_exposure_start_date, "
        f"{_dt('s.start')} AS drug_exposure_start_datetime, "
        f"CASE WHEN s.days_supply >= 1 THEN CAST(DATE_ADD({_d('s.start')}, "
        f"CAST(s.days_supply AS INT) - 1) AS DATE) ELSE {_d('s.start')} END "
        "AS drug_exposure_end_date, "
        f"CAST(NULL AS TIMESTAMP_NTZ) AS drug_exposure_end_datetime, "
        "CAST(NULL AS DATE) AS verbatim_end_date, 0 AS drug_type_concept_id, "
        f"{_NULL_STR} AS stop_reason, CAST(s.refills AS BIGINT) AS refills, "
        "CAST(s.quantity AS DOUBLE) AS quantity, CAST(s.days_supply AS BIGINT) AS days_supply, "
        "s.sig, 0 AS route_concept_id, "
        f"{_NULL_STR} AS lot_number, {_NULL_INT} AS provider_id, "
        f"v.visit_id AS visit_occurrence_id, {_NULL_INT} AS visit_detail_id, "
        "s.code AS drug_source_value, 0 AS drug_source_concept_id, "
        f"s.route AS route_source_value, {_NULL_STR} AS dose_unit_source_value "
        "FROM ("
        + _DRUG_SOURCE.format(refills="refills", table="omop_src_drug_request")
        + " UNION ALL "
        + _DRUG_SOURCE.format(refills="CAST(NULL AS BIGINT)", table="omop_src_drug_dispense")
        + ") AS s JOIN omop_person_ids AS p ON p.person_key = s.person_key "
        "LEFT JOIN omop_visit_ids AS v ON v.visit_key = s.visit_key "
        f"{_vocab('w', 's.code_system')} "
        f"{_concept('c', 'COALESCE(w.vocabulary_id, s.code_system)', 's.code')}"
    ),
)

PROCEDURE = Mart(
    name="procedure_occurrence",
    title="OMOP procedure_occurrence",
    description="One row per procedure with a date.",
    depends_on=("omop_src_procedure", "omop_person_ids", "omop_visit_ids"),
    columns=(),
    sql=(
        "SELECT DENSE_RANK() OVER (ORDER BY s.procedure_key) AS procedure_occurrence_id, "
        "p.person_id, COALESCE(c.concept_id, 0) AS procedure_concept_id, "
        f"{_d('s.start')} AS procedure_date, {_dt('s.start')} AS procedure_datetime, "
        f"{_d('s.end')} AS procedure_end_date, {_dt('s.end')} AS procedure_end_datetime, "
        "0 AS procedure_type_concept_id, 0 AS modifier_concept_id, "
        f"{_NULL_INT} AS quantity, {_NULL_INT} AS provider_id, "
        f"v.visit_id AS visit_occurrence_id, {_NULL_INT} AS visit_detail_id, "
        "s.code AS procedure_source_value, 0 AS procedure_source_concept_id, "
        f"{_NULL_STR} AS modifier_source_value "
        "FROM omop_src_procedure AS s JOIN omop_person_ids AS p ON p.person_key = s.person_key "
        "LEFT JOIN omop_visit_ids AS v ON v.visit_key = s.visit_key "
        f"{_vocab('w', 's.code_system')} "
        f"{_concept('c', 'COALESCE(w.vocabulary_id, s.code_system)', 's.code')} "
        f"WHERE s.start IS NOT NULL AND {_NOT_VOID.format('s.status')}"
    ),
)

_DATES = " UNION ALL ".join(
    f"SELECT person_id, {start} AS d0, {end} AS d1 FROM {table}"
    for table, start, end in (
        ("visit_occurrence", "visit_start_date", "visit_end_date"),
        ("condition_occurrence", "condition_start_date",
         "COALESCE(condition_end_date, condition_start_date)"),
        ("measurement", "measurement_date", "measurement_date"),
        ("drug_exposure", "drug_exposure_start_date", "drug_exposure_end_date"),
        ("procedure_occurrence", "procedure_date", "COALESCE(procedure_end_date, procedure_date)"),
    )
)

OBSERVATION_PERIOD = Mart(
    name="observation_period",
    title="OMOP observation_period",
    description="One period per person: first to last dated record.",
    depends_on=("person", "visit_occurrence", "condition_occurrence", "measurement",
                "drug_exposure", "procedure_occurrence"),
    columns=(),
    sql=(
        "SELECT DENSE_RANK() OVER (ORDER BY person_id) AS observation_period_id, person_id, "
        "MIN(d0) AS observation_period_start_date, MAX(GREATEST(d0, d1)) "
        "AS observation_period_end_date, 0 AS period_type_concept_id "
        f"FROM ({_DATES}) AS d WHERE d0 IS NOT NULL "
        "AND person_id IN (SELECT person_id FROM person) GROUP BY person_id"
    ),
)

HELPERS: tuple[Mart, ...] = (PERSON_IDS, VISIT_IDS)
"""Id maps the CDM tables join (not exported)."""

CDM_TABLES: tuple[Mart, ...] = (
    PERSON, VISIT, CONDITION, MEASUREMENT, DRUG, PROCEDURE, OBSERVATION_PERIOD,
)
"""The CDM tables, in build order."""

CDM_NAMES: tuple[str, ...] = (
    "person", "observation_period", "visit_occurrence", "condition_occurrence", "measurement",
    "drug_exposure", "procedure_occurrence",
)
"""The CDM tables an export writes."""
