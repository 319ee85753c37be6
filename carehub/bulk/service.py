"""The bulk data service of a running server: its job registry and import rules.

https://hl7.org/fhir/uv/bulkdata/STU2/

Built once by the composition root (:func:`carehub.app.wiring.build_app`) and
closed when the application stops, which stops its jobs.
"""

from __future__ import annotations

from dataclasses import dataclass

from carehub.bulk.jobs import JobManager
from carehub.bulk.sources import ImportSettings


@dataclass(frozen=True, slots=True)
class BulkService:
    """The job registry and what ``$import`` may read."""

    jobs: JobManager
    imports: ImportSettings

    def close(self) -> None:
        """Stop the jobs (running ones end as failed, see :meth:`JobManager.close`)."""
        self.jobs.close()
