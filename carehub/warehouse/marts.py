"""Marts: tables derived from the flattened views (unit normalisation, daily census).

https://sqlglot.com/sqlglot/transpile.html

A view turns each resource into rows; a mart combines rows of views (and
small reference tables shipped with CareHub). Each mart's query is written
once, in Spark SQL, parsed by sqlglot into one syntax tree and written in the
engine's dialect, so there is no SQL text per engine.

* ``labs``: ``lab_results`` with each value converted to the canonical unit of
  its LOINC code, after ``reference/lab_units.json``; codes or units not in
  that table are kept as reported (``normalized`` is false).
* ``daily_census``: per day and department, the inpatients (``IMP``
  encounters) present that day, admitted that day and discharged that day.
  A stay counts on every day from its first to its last, both included;
  stays still in progress count up to the build's ``as_of`` date.
* ``screening_facts``: one long table of the data the screening programmes
  read (diagnoses, canonical-unit labs, vitals, social history, medications,
  imaging studies, nodule components, questionnaire answers), patient by
  patient (:mod:`carehub.screening`).
"""

from __future__ import annotations

import datetime
import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import orjson
import sqlglot
from sqlglot import exp

from carehub.errors import Incorrect

MART_DIALECT = "spark"
"""The dialect mart queries are written in."""


@dataclass(frozen=True, slots=True)
class ReferenceTable:
    """A small table shipped with CareHub: column ``(name, sql_type)`` pairs and rows."""

    name: str
    columns: tuple[tuple[str, str], ...]
    rows: tuple[tuple[Any, ...], ...]


@dataclass(frozen=True, slots=True)
class MartColumn:
    """One documented column of a mart."""

    name: str
    sql_type: str
    description: str


GROUP_SEPARATOR = "\x1f"
"""Separates the columns of a group value (the ASCII unit separator)."""


def group_value(columns: Sequence[str]) -> exp.Expression:
    """The one text value that stands for a row's group: its ``columns`` joined.

    A NULL and an empty string give the same value, which can only merge two
    groups into one: a refresh then recomputes a little more, never less.

    >>> group_value(["patient_id", "code"]).sql("duckdb").replace("\x1f", "|")
    "COALESCE(CAST(patient_id AS TEXT), '') || '|' || COALESCE(CAST(code AS TEXT), '')"

    Raises:
        Incorrect: no columns.
    """
    value: exp.Expression | None = None
    for column in columns:
        text = exp.cast(exp.column(column), "string")
        part = exp.Coalesce(this=text, expressions=[exp.Literal.string("")])
        if value is None:
            value = part
        else:
            joined = exp.DPipe(this=value, expression=exp.Literal.string(GROUP_SEPARATOR))
            value = exp.DPipe(this=joined, expression=part)
    if value is None:
        raise Incorrect("a group needs at least one column")
    return value


@dataclass(frozen=True, slots=True)
class Mart:
    """A table computed from views (and reference tables) by one query.

    ``group_key`` names columns that split the mart into groups such that
    each mart row depends only on source rows of its own group (one source
    resource's rows, or one patient's values of one code); a view's columns
    for them are in ``group_sources`` (default: the same names). Refresh then
    recomputes only the groups whose source rows changed; a mart without a
    group key is recomputed whole.
    """

    name: str
    title: str
    description: str
    depends_on: tuple[str, ...]
    columns: tuple[MartColumn, ...]
    sql: str
    references: tuple[str, ...] = ()
    group_key: tuple[str, ...] = ()
    group_sources: Mapping[str, tuple[str, ...]] = field(default_factory=dict, compare=False)

    def query(self, as_of: datetime.date) -> exp.Expression:
        """The mart's query as a sqlglot tree, for the build date ``as_of``."""
        text = self.sql.replace("{as_of}", as_of.isoformat())
        tree = sqlglot.parse_one(text, read=MART_DIALECT)
        assert isinstance(tree, exp.Expression)
        return tree

    def source_columns(self, view: str) -> tuple[str, ...]:
        """The columns of ``view`` that give a row's group (empty without a group key).

        >>> Mart("m", "", "", ("v",), (), "", group_key=("p",)).source_columns("v")
        ('p',)
        """
        return tuple(self.group_sources.get(view, self.group_key))

    def source_group(self, view: str) -> exp.Expression:
        """The group value of a row of ``view`` (see :func:`group_value`)."""
        return group_value(self.source_columns(view))

    def query_for_groups(self, as_of: datetime.date, groups: str) -> exp.Expression:
        """The mart's query restricted to the groups listed in table ``groups`` (column ``g``).

        Every read of a view the mart depends on becomes a read of that
        view's rows whose group value is in ``groups``, so the database
        computes only those groups.

        >>> mart = Mart("m", "", "", ("v",), (), "SELECT p, count(*) AS n FROM v GROUP BY p",
        ...             group_key=("p",))
        >>> sql = mart.query_for_groups(datetime.date(2024, 1, 1), "_g").sql("duckdb")
        >>> sql.split(" WHERE ")[1]
        "COALESCE(CAST(p AS TEXT), '') IN (SELECT g FROM _g)) AS v GROUP BY p"

        Raises:
            Incorrect: the mart has no ``group_key``.
        """
        if not self.group_key:
            raise Incorrect(f"mart '{self.name}' has no group key")
        views = set(self.depends_on)

        def restrict(node: exp.Expression) -> exp.Expression:
            if not (isinstance(node, exp.Table) and node.name in views and not node.db):
                return node
            wanted = exp.select("g").from_(groups)
            select = (
                exp.select("*")
                .from_(node.name)
                .where(self.source_group(node.name).isin(query=wanted))
            )
            return exp.Subquery(
                this=select, alias=exp.TableAlias(this=exp.to_identifier(node.alias_or_name))
            )

        return self.query(as_of).transform(restrict)


@functools.cache
def lab_units() -> ReferenceTable:
    """``ref_lab_units``: one row per (LOINC code, reported unit) with its conversion.

    Every canonical unit also converts to itself.

    >>> table = lab_units()
    >>> ("14682-9", "mg/dL", "umol/L", 88.4, 0.0) in table.rows
    True
    """
    raw = orjson.loads((resources.files(__package__) / "reference" / "lab_units.json").read_bytes())
    rows: list[tuple[Any, ...]] = []
    for code in raw["codes"]:
        rows.append((code["loinc"], code["unit"], code["unit"], 1.0, 0.0))
        for conversion in code.get("from", []):
            factor = float(conversion["factor"])
            rows.append(
                (
                    code["loinc"],
                    conversion["unit"],
                    code["unit"],
                    factor,
                    float(conversion.get("offset", 0.0)),
                )
            )
    columns = (
        ("loinc_code", "VARCHAR"),
        ("from_unit", "VARCHAR"),
        ("to_unit", "VARCHAR"),
        ("factor", "DOUBLE"),
        ("addend", "DOUBLE"),
    )
    return ReferenceTable("ref_lab_units", columns, tuple(rows))


REFERENCE_TABLES: Mapping[str, Any] = {"ref_lab_units": lab_units}
"""Reference tables by name, each built by a function of no arguments."""

_CONVERT = "CASE WHEN u.to_unit IS NULL THEN {v} ELSE {v} * u.factor + u.addend END"

LABS = Mart(
    name="labs",
    title="Laboratory results (one unit per LOINC code)",
    description=(
        "lab_results with values converted to the canonical unit of their LOINC code "
        "(reference table ref_lab_units). Results whose code or unit is not in that table "
        "keep their reported unit and are flagged normalized = false."
    ),
    depends_on=("lab_results",),
    references=("ref_lab_units",),
    group_key=("_resource_id",),
    columns=(
        MartColumn("observation_id", "VARCHAR", "Observation key."),
        MartColumn("patient_id", "VARCHAR", "Key of the patient."),
        MartColumn("encounter_id", "VARCHAR", "Key of the encounter."),
        MartColumn("loinc_code", "VARCHAR", "LOINC code of the test."),
        MartColumn("test_name", "VARCHAR", "Name of the test."),
        MartColumn("effective", "VARCHAR", "When the specimen was taken."),
        MartColumn("status", "VARCHAR", "Observation status."),
        MartColumn("value", "DOUBLE", "Result in the canonical unit."),
        MartColumn("unit", "VARCHAR", "Canonical unit of the LOINC code (or the reported one)."),
        MartColumn("normalized", "BOOLEAN", "Whether a conversion rule applied."),
        MartColumn("reported_value", "DOUBLE", "Result as reported."),
        MartColumn("reported_unit", "VARCHAR", "Unit as reported."),
        MartColumn("reference_low", "DOUBLE", "Lower reference limit, in the canonical unit."),
        MartColumn("reference_high", "DOUBLE", "Upper reference limit, in the canonical unit."),
        MartColumn("value_code", "VARCHAR", "Coded result."),
        MartColumn("value_text", "VARCHAR", "Textual result."),
        MartColumn("interpretation", "VARCHAR", "Interpretation code."),
        MartColumn("_resource_id", "VARCHAR", "Id of the source Observation."),
    ),
    sql=f"""
SELECT l.observation_id, l.patient_id, l.encounter_id, l.loinc_code, l.test_name,
       l.effective, l.status,
       {_CONVERT.format(v="l.value")} AS value,
       COALESCE(u.to_unit, l.unit) AS unit,
       u.to_unit IS NOT NULL AS normalized,
       l.value AS reported_value, l.unit AS reported_unit,
       {_CONVERT.format(v="l.reference_low")} AS reference_low,
       {_CONVERT.format(v="l.reference_high")} AS reference_high,
       l.value_code, l.value_text, l.interpretation, l._resource_id
FROM lab_results AS l
LEFT JOIN ref_lab_units AS u ON u.loinc_code = l.loinc_code AND u.from_unit = l.unit
""",
)

DAILY_CENSUS = Mart(
    name="daily_census",
    title="Daily inpatient census",
    description=(
        "Per day and department: inpatients present (IMP encounters whose stay covers the day, "
        "first and last day included), admissions and discharges. Stays in progress count up "
        "to the build date."
    ),
    depends_on=("encounters",),
    columns=(
        MartColumn("census_date", "DATE", "The day (local date of the encounter times)."),
        MartColumn("department_code", "VARCHAR", "Department code."),
        MartColumn("department", "VARCHAR", "Department name."),
        MartColumn("inpatients", "BIGINT", "Inpatient stays covering the day."),
        MartColumn("admissions", "BIGINT", "Stays that started that day."),
        MartColumn("discharges", "BIGINT", "Finished stays that ended that day."),
    ),
    sql="""
WITH stays AS (
  SELECT department_code, department,
         CAST(SUBSTRING(period_start, 1, 10) AS DATE) AS first_day,
         CAST(COALESCE(SUBSTRING(period_end, 1, 10), '{as_of}') AS DATE) AS last_day,
         period_end IS NULL AS ongoing
  FROM encounters
  WHERE class = 'IMP' AND status <> 'cancelled' AND status <> 'entered-in-error'
    AND period_start IS NOT NULL
),
days AS (
  SELECT department_code, department, first_day, last_day, ongoing,
         EXPLODE(SEQUENCE(first_day, GREATEST(first_day, last_day), INTERVAL 1 DAY)) AS day
  FROM stays
)
SELECT CAST(day AS DATE) AS census_date, department_code, MAX(department) AS department,
       COUNT(*) AS inpatients,
       CAST(SUM(CASE WHEN CAST(day AS DATE) = first_day THEN 1 ELSE 0 END) AS BIGINT) AS admissions,
       CAST(SUM(CASE WHEN CAST(day AS DATE) = last_day AND NOT ongoing THEN 1 ELSE 0 END)
            AS BIGINT) AS discharges
FROM days
GROUP BY CAST(day AS DATE), department_code
""",
)

_FACT_COLUMNS = (
    MartColumn("patient_id", "VARCHAR", "Key of the patient."),
    MartColumn(
        "kind", "VARCHAR", "condition, lab, vital, social, medication, study, nodule, answer."
    ),
    MartColumn("code", "VARCHAR", "ICD-10, LOINC or SNOMED CT code, nodule component or linkId."),
    MartColumn("fact_date", "DATE", "When it was diagnosed, observed, prescribed or done."),
    MartColumn("value", "DOUBLE", "Numeric value, in the canonical unit for laboratory codes."),
    MartColumn("unit", "VARCHAR", "Unit of value."),
    MartColumn("value_code", "VARCHAR", "Coded value (result, answer, nodule type)."),
    MartColumn("ref", "VARCHAR", "Key of the source resource (Type/id)."),
    MartColumn(
        "grp", "VARCHAR", "What groups facts: the nodule finding, the questionnaire response."
    ),
    MartColumn("text", "VARCHAR", "Display text (diagnosis, nodule body site, questionnaire)."),
    MartColumn("ident", "VARCHAR", "Identifier following a finding across studies."),
    MartColumn("flag", "BOOLEAN", "Yes/no value."),
)

SCREENING_FACTS = Mart(
    name="screening_facts",
    title="Screening facts (one row per datum the screening programmes read)",
    description=(
        "Diagnoses (active ICD-10 conditions), laboratory results in canonical units, vital "
        "signs, social history, medication requests, imaging studies, lung-nodule components "
        "and questionnaire answers in one long table, keeping the three most recent laboratory, "
        "vital-sign and social-history values per patient and code. carehub.screening reads it "
        "patient by patient."
    ),
    depends_on=(
        "conditions",
        "lab_results",
        "vitals",
        "social_history",
        "medications_requested",
        "imaging_studies",
        "imaging_findings",
        "questionnaire_answers",
    ),
    references=("ref_lab_units",),
    group_key=("patient_id", "code"),
    group_sources={
        "lab_results": ("patient_id", "loinc_code"),
        "vitals": ("patient_id", "loinc_code"),
        "medications_requested": ("patient_id", "medication_code"),
        "imaging_studies": ("patient_id", "procedure_code"),
        "imaging_findings": ("patient_id", "component_code"),
        "questionnaire_answers": ("patient_id", "link_id"),
    },
    columns=_FACT_COLUMNS,
    sql=f"""
WITH facts AS (
  SELECT patient_id, 'condition' AS kind, code,
         TRY_CAST(SUBSTRING(COALESCE(onset, recorded_date), 1, 10) AS DATE) AS fact_date,
         CAST(NULL AS DOUBLE) AS value, CAST(NULL AS STRING) AS unit,
         CAST(NULL AS STRING) AS value_code, condition_id AS ref,
         CAST(NULL AS STRING) AS grp, display AS text, CAST(NULL AS STRING) AS ident,
         CAST(NULL AS BOOLEAN) AS flag
  FROM conditions
  WHERE code_system = 'http://hl7.org/fhir/sid/icd-10' AND code IS NOT NULL
    AND COALESCE(clinical_status, 'active') IN ('active', 'recurrence', 'relapse')
    AND COALESCE(verification_status, 'confirmed') NOT IN ('refuted', 'entered-in-error')
  UNION ALL
  SELECT l.patient_id, 'lab', l.loinc_code, TRY_CAST(SUBSTRING(l.effective, 1, 10) AS DATE),
         CAST({_CONVERT.format(v="l.value")} AS DOUBLE), COALESCE(u.to_unit, l.unit),
         l.value_code, l.observation_id, NULL, NULL, NULL, NULL
  FROM lab_results AS l
  LEFT JOIN ref_lab_units AS u ON u.loinc_code = l.loinc_code AND u.from_unit = l.unit
  WHERE l.loinc_code IS NOT NULL AND COALESCE(l.status, 'final') NOT IN
        ('entered-in-error', 'cancelled', 'registered')
  UNION ALL
  SELECT patient_id, 'vital', loinc_code, TRY_CAST(SUBSTRING(effective, 1, 10) AS DATE),
         CAST(value AS DOUBLE), unit, NULL, observation_id,
         NULL, NULL, NULL, NULL
  FROM vitals WHERE loinc_code IS NOT NULL
  UNION ALL
  SELECT patient_id, 'social', code, TRY_CAST(SUBSTRING(effective, 1, 10) AS DATE),
         CAST(value AS DOUBLE), unit, value_code, observation_id,
         NULL, NULL, NULL, NULL
  FROM social_history
  WHERE code IS NOT NULL AND COALESCE(status, 'final') NOT IN ('entered-in-error', 'cancelled')
  UNION ALL
  SELECT patient_id, 'medication', medication_code,
         TRY_CAST(SUBSTRING(authored_on, 1, 10) AS DATE), NULL, NULL, status,
         request_id, NULL, medication, NULL, NULL
  FROM medications_requested WHERE medication_code IS NOT NULL
  UNION ALL
  SELECT patient_id, 'study', procedure_code, TRY_CAST(SUBSTRING(started, 1, 10) AS DATE),
         NULL, NULL, modality, study_id, NULL, NULL, NULL, NULL
  FROM imaging_studies
  WHERE procedure_code IS NOT NULL AND COALESCE(status, 'available') <> 'entered-in-error'
  UNION ALL
  SELECT patient_id, 'nodule', component_code, TRY_CAST(SUBSTRING(effective, 1, 10) AS DATE),
         CAST(component_value AS DOUBLE), component_unit, component_code_value,
         study_id, finding_id, body_site,
         finding_identifier, component_flag
  FROM imaging_findings
  WHERE finding_code = '786838002' AND component_code IS NOT NULL
  UNION ALL
  SELECT patient_id, 'answer', link_id, TRY_CAST(SUBSTRING(authored, 1, 10) AS DATE),
         CAST(COALESCE(CAST(answer_integer AS DOUBLE), CAST(answer_decimal AS DOUBLE)) AS DOUBLE),
         NULL, COALESCE(answer_code, answer_string),
         response_id,
         response_id, questionnaire, NULL, answer_boolean
  FROM questionnaire_answers
  WHERE link_id IS NOT NULL AND COALESCE(status, 'completed') IN ('completed', 'amended')
),
ranked AS (
  SELECT facts.*, ROW_NUMBER() OVER (
           PARTITION BY patient_id, kind, code
           ORDER BY fact_date DESC NULLS LAST, ref DESC) AS recency
  FROM facts
)
SELECT patient_id, kind, code, fact_date, value, unit, value_code, ref, grp, text, ident, flag
FROM ranked
WHERE kind NOT IN ('lab', 'vital', 'social') OR recency <= 3
""",
)

MARTS: tuple[Mart, ...] = (LABS, DAILY_CENSUS, SCREENING_FACTS)
"""The standard marts, in build order."""


def mart_names() -> list[str]:
    """Names of the standard marts."""
    return [m.name for m in MARTS]


def select_marts(names: Sequence[str] | None, built_views: Sequence[str]) -> list[Mart]:
    """The marts to build: those named (all when ``None``) whose views are all built.

    Raises:
        Incorrect: an unknown mart name.
    """
    known = {m.name: m for m in MARTS}
    for name in names or ():
        if name not in known:
            raise Incorrect(f"unknown mart '{name}'")
    wanted = [m for m in MARTS if names is None or m.name in names]
    return [m for m in wanted if all(d in built_views for d in m.depends_on)]


def check_as_of(text: str) -> datetime.date:
    """Parse a build date ``YYYY-MM-DD``.

    Raises:
        Incorrect: not a date.
    """
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
        raise Incorrect(f"as-of date must be YYYY-MM-DD, not {text!r}")
    return datetime.date.fromisoformat(text)
