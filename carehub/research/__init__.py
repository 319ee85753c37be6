"""The research data repository: de-identified extracts, consent, cohorts, OMOP export.

https://www.ohdsi.org/data-standardization/ (OMOP CDM) and
https://hl7.org/fhir/R4/consent.html (research opt-outs)

The path from the clinical warehouse to research-ready datasets:

* :mod:`.consent`: the patients who opted out of research use, read from the
  warehouse's ``consents`` view (or the FHIR store), and the *research views*
  (``research_<view>``) that leave them out;
* :mod:`.cohort`: cohort definitions run as SQL in the warehouse engine;
* :mod:`.deid`: de-identification policies (versioned data), pseudonyms,
  date shifting, k-anonymity and small-cell suppression;
* :mod:`.extract`: ``write_extract`` writes a cohort's de-identified
  Parquet + CSV files, data dictionary, risk report and README;
* :mod:`.omop`: the OMOP CDM v5.4 export; :mod:`.access`: access requests.
"""
