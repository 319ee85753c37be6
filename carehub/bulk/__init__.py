"""Bulk data: NDJSON export and import of whole populations.

https://hl7.org/fhir/uv/bulkdata/STU2/

The pieces, each in its own module:

* :mod:`carehub.bulk.ndjson` — NDJSON formats, file naming and the load order of types;
* :mod:`carehub.bulk.jobs` — background jobs with state kept on disk;
* :mod:`carehub.bulk.export` — ``$export`` (system, Patient and Group level);
* :mod:`carehub.bulk.loader` — batched NDJSON loading with per-line error reports;
* :mod:`carehub.bulk.bundle_files` — transaction Bundle files (as Synthea writes them);
* :mod:`carehub.bulk.local_files` — ``carehub import``: files and folders on this machine;
* :mod:`carehub.bulk.sources` and :mod:`carehub.bulk.import_job` — the ``$import`` operation;
* :mod:`carehub.bulk.outcomes` — OperationOutcome NDJSON error files.

These modules work on a :class:`~carehub.fhir_api.hub.Hub` and never touch HTTP
requests; the routes are in :mod:`carehub.fhir_api.operations.bulk_routes` and
the command in :mod:`carehub.cli.import_data`.
"""
