"""Screening programmes and care gaps over a typed patient snapshot.

https://build.fhir.org/ig/HL7/cqf-measures/ (care-gap vocabulary)

* :mod:`~carehub.screening.snapshot`: the typed patient snapshot (facts in
  canonical units) every programme reads; built from FHIR resources
  (:mod:`~carehub.screening.fhir_snapshot`) or from warehouse views
  (:mod:`~carehub.screening.warehouse_facts`), with the same result.
* :mod:`~carehub.screening.programmes`: one module per programme
  (eligibility → data needed → evaluation → recommendation with due date).
* :mod:`~carehub.screening.evaluate`: runs the programmes on one snapshot.
* :mod:`~carehub.screening.messages`: every explanation as a message key and
  parameters (English templates here; front ends translate the keys).
* :mod:`~carehub.screening.population`: runs them over the whole warehouse
  and writes worklists; :mod:`~carehub.screening.writeback` turns the
  results into FHIR Task, RiskAssessment and DetectedIssue resources.
"""
