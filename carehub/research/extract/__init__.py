"""Research extracts: de-identified Parquet + CSV, data dictionary, risk report and README.

https://duckdb.org/docs/sql/statements/copy

:func:`write_extract` (:mod:`.write`) runs the policy's rules
(:mod:`.columns`) in the warehouse engine and documents the result
(:mod:`.report`).
"""

from carehub.research.extract.report import ExtractReport, Population, ViewOutput
from carehub.research.extract.write import write_extract

__all__ = ["ExtractReport", "Population", "ViewOutput", "write_extract"]
