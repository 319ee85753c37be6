"""Supply settings, read once from :mod:`carehub.settings`.

``CAREHUB_OPS_INVENTORY_PATH`` (ledger file), ``CAREHUB_OPS_SERVICE_LEVELS``
(cycle service level per VEN class) and ``CAREHUB_OPS_AMC_MONTHS`` (months in
the AMC review, WHO ``RM``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from carehub.ops.supply.advice import Options
from carehub.ops.supply.safety_stock import parse_service_levels
from carehub.settings import Settings


@dataclass(frozen=True, slots=True)
class SupplyConfig:
    """Where the ledger lives and the defaults of the reorder pipeline."""

    inventory_path: Path
    service_levels: dict[str, float]
    amc_months: int

    @classmethod
    def from_settings(cls, settings: Settings) -> SupplyConfig:
        """Read the ``CAREHUB_OPS_*`` settings.

        Raises:
            Incorrect: a malformed service-level list or a non-positive AMC window.

        >>> from carehub.settings import load_settings
        >>> cfg = SupplyConfig.from_settings(load_settings({"CAREHUB_DATA_DIR": "/d"}))
        >>> str(cfg.inventory_path), cfg.service_levels["V"], cfg.amc_months
        ('/d/ops/inventory.sqlite', 0.99, 6)
        """
        from carehub.errors import Incorrect

        explicit = settings["CAREHUB_OPS_INVENTORY_PATH"]
        path = Path(explicit) if explicit else settings.data_dir / "ops" / "inventory.sqlite"
        months = int(settings["CAREHUB_OPS_AMC_MONTHS"])
        if months < 1:
            raise Incorrect(f"CAREHUB_OPS_AMC_MONTHS must be at least 1, not {months}")
        levels = parse_service_levels(settings["CAREHUB_OPS_SERVICE_LEVELS"])
        return cls(path, levels, months)

    def options(self, forecast: bool = True, n_jobs: int = 1) -> Options:
        """Pipeline options with these defaults."""
        return Options(amc_months=self.amc_months, forecast=forecast,
                       service_levels=dict(self.service_levels), n_jobs=n_jobs)
