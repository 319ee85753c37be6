"""The warehouse's configuration: which engine, where the files go, how Spark runs.

https://spark.apache.org/docs/latest/configuration.html

:class:`WarehouseConfig` is read from the ``CAREHUB_WAREHOUSE_*`` and
``CAREHUB_SPARK_*`` settings; :func:`make_engine` builds the configured engine
through the engine registry, so ``CAREHUB_WAREHOUSE_ENGINE=spark`` runs the
same code on ``local[2]`` as on a cluster master URL.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from carehub.settings import Settings
from carehub.warehouse.engines.base import Engine, EngineRegistry, default_registry
from carehub.warehouse.store import Warehouse


@dataclass(frozen=True, slots=True)
class WarehouseConfig:
    """Warehouse settings in force."""

    engine: str
    path: Path
    parquet_dir: Path
    compact_share: float
    repeat_depth: int
    spark_master: str
    spark_shuffle_partitions: int
    spark_driver_memory: str

    @classmethod
    def from_settings(cls, settings: Settings) -> WarehouseConfig:
        """The configuration ``settings`` describe."""
        return cls(
            engine=settings["CAREHUB_WAREHOUSE_ENGINE"],
            path=settings.warehouse_path,
            parquet_dir=settings.warehouse_parquet_dir,
            compact_share=settings["CAREHUB_WAREHOUSE_COMPACT_SHARE"],
            repeat_depth=settings["CAREHUB_WAREHOUSE_REPEAT_DEPTH"],
            spark_master=settings["CAREHUB_SPARK_MASTER"],
            spark_shuffle_partitions=settings["CAREHUB_SPARK_SHUFFLE_PARTITIONS"],
            spark_driver_memory=settings["CAREHUB_SPARK_DRIVER_MEMORY"],
        )

    def warehouse(self) -> Warehouse:
        """The warehouse files this configuration names."""
        return Warehouse(self.path, self.parquet_dir, compact_share=self.compact_share)


def make_engine(
    config: WarehouseConfig,
    warehouse: Warehouse | None = None,
    *,
    name: str | None = None,
    registry: EngineRegistry | None = None,
) -> Engine:
    """The engine ``name`` (default: the configured one).

    DuckDB works directly in the warehouse file when one is given (else in
    memory); Spark gets a session for the configured master.

    Raises:
        Incorrect: unknown engine name. Unsupported: its dependency is missing.
    """
    chosen = name or config.engine
    registry = registry or default_registry()
    if chosen == "duckdb" and warehouse is not None:
        return warehouse.engine
    if chosen == "spark":
        return registry.create(
            "spark",
            master=config.spark_master,
            shuffle_partitions=config.spark_shuffle_partitions,
            conf={"spark.driver.memory": config.spark_driver_memory},
        )
    return registry.create(chosen)
