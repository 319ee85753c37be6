"""Warehouse engines: DuckDB (embedded default) and Spark SQL, found through a registry.

See :mod:`carehub.warehouse.engines.base`.
"""
