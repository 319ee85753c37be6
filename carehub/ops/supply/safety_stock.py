"""Safety stock from quantiles of lead-time demand, at a service level set by VEN class.

Silver EA, Pyke DF, Thomas DJ. *Inventory and Production Management in Supply
Chains*, 4th ed. (2017), ch. 6-7:

* SS = z · σ_d · √L (constant lead time);
* SS = z · √(L · σ_d² + d̄² · σ_L²) (variable lead time);
* for count and intermittent data, quantiles of lead-time demand (LTD) replace
  the normal approximation (operations spec §4.3).

Here the LTD distribution is simulated: the forecast path over the lead time
plus in-sample one-step forecast errors drawn with replacement (a residual
bootstrap; cf. Willemain, Smart & Schwarz, *IJF* 2004;20:375-387), each month
clipped at zero. SS = Q_p(LTD) − E[LTD]. A variable lead time adds the
d̄²·σ_L² term in quadrature. With fewer than :data:`MIN_RESIDUALS` errors the
normal formula is used.

Service levels (cycle service, WHO/MSH practice for critical medicines): vital
0.99 (z 2.326), essential 0.95 (z 1.645), non-essential 0.90 (z 1.282); the
``CAREHUB_OPS_SERVICE_LEVELS`` setting overrides them.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from carehub.errors import Incorrect

SERVICE_LEVELS: dict[str, float] = {"V": 0.99, "E": 0.95, "N": 0.90}
MIN_RESIDUALS = 6
DRAWS = 4000


@dataclass(frozen=True, slots=True)
class SafetyStock:
    """Safety stock and the lead-time demand it comes from."""

    value: float
    ltd_mean: float
    ltd_quantile: float
    service_level: float
    z: float
    method: str

    def explain(self, lead_months: float, lead_sd_months: float) -> str:
        """The calculation in words.

        >>> SafetyStock(10, 50, 60, 0.95, 1.645, "normal").explain(1, 0)[:40]
        'safety stock 10.0 = z 1.645 × σ_d × √L ('
        """
        if self.method == "bootstrap":
            text = (
                f"safety stock {self.value:.1f} = {self.service_level:.0%} quantile of "
                f"lead-time demand {self.ltd_quantile:.1f} − mean lead-time demand "
                f"{self.ltd_mean:.1f} (forecast over {lead_months:g} months plus "
                f"{DRAWS} bootstrap draws of its one-step errors)"
            )
        elif self.method == "normal":
            text = (
                f"safety stock {self.value:.1f} = z {self.z:.3f} × σ_d × √L "
                f"(L = {lead_months:g} months; normal approximation, short history)"
            )
        else:
            return "safety stock 0: no demand, no forecast"
        if lead_sd_months > 0:
            text += f", combined with z × d̄ × σ_L for a lead-time sd of {lead_sd_months:g} months"
        return text


def parse_service_levels(text: str) -> dict[str, float]:
    """Parse ``V=0.99,E=0.95,N=0.90``.

    Raises:
        Incorrect: a class other than V/E/N, or a level outside (0, 1).

    >>> parse_service_levels("V=0.995, E=0.95, N=0.8")["V"]
    0.995
    """
    out = dict(SERVICE_LEVELS)
    for part in filter(None, (p.strip() for p in text.split(","))):
        key, _, raw = part.partition("=")
        key = key.strip().upper()
        try:
            level = float(raw)
        except ValueError:
            level = -1.0
        if key not in SERVICE_LEVELS or not 0 < level < 1:
            raise Incorrect(f"service level {part!r}: expected V|E|N=<level between 0 and 1>")
        out[key] = level
    return out


def z_value(level: float) -> float:
    """The standard normal quantile for a cycle service ``level``.

    >>> round(z_value(0.95), 3), round(z_value(0.99), 3)
    (1.645, 2.326)
    """
    return statistics.NormalDist().inv_cdf(level)


def path_sum(path: Sequence[float], months: float) -> float:
    """Demand over the first ``months`` (fractional) months of a monthly path.

    The last value repeats beyond the path.

    >>> path_sum([10, 20], 1.5), path_sum([10], 3)
    (20.0, 30.0)
    """
    total, m = 0.0, 0
    while months - m > 1e-9:
        value = path[min(m, len(path) - 1)] if path else 0.0
        total += value * min(1.0, months - m)
        m += 1
    return total


def safety_stock(
    path: Sequence[float],
    residuals: Sequence[float],
    lead_months: float,
    level: float,
    lead_sd_months: float = 0.0,
    seed: int = 0,
) -> SafetyStock:
    """Safety stock for one item.

    Args:
        path: monthly mean forecast (empty: no demand, safety stock 0).
        residuals: in-sample one-step forecast errors.
        lead_months: lead time L in months.
        level: cycle service level in (0, 1).
        lead_sd_months: standard deviation of the lead time.
        seed: random seed of the bootstrap (results are reproducible).

    >>> ss = safety_stock([10.0] * 3, [-4, 4] * 10, 2, 0.95)
    >>> ss.method, ss.ltd_mean, ss.value > 0
    ('bootstrap', 20.0, True)
    >>> round(safety_stock([10.0], [-1, 1, -1], 4, 0.95).value, 2)
    3.8
    """
    z = z_value(level)
    if not path:
        return SafetyStock(0.0, 0.0, 0.0, level, z, "none")
    mean = path_sum(path, lead_months)
    d_bar = mean / lead_months if lead_months > 0 else (path[0] if path else 0.0)
    if len(residuals) >= MIN_RESIDUALS and lead_months > 0:
        whole = math.ceil(lead_months - 1e-9)
        weights = np.minimum(1.0, lead_months - np.arange(whole))
        months = np.array([path[min(i, len(path) - 1)] for i in range(whole)])
        rng = np.random.default_rng(seed)
        errors = rng.choice(np.asarray(residuals, dtype=float), size=(DRAWS, whole))
        sims = (np.clip(months + errors, 0.0, None) * weights).sum(axis=1)
        quantile = float(np.quantile(sims, level))
        base = max(0.0, quantile - mean)
        method = "bootstrap"
    else:
        sigma = statistics.stdev(residuals) if len(residuals) >= 2 else 0.0
        base = z * sigma * math.sqrt(max(lead_months, 0.0))
        method = "normal"
    value = math.sqrt(base**2 + (z * d_bar * lead_sd_months) ** 2)
    return SafetyStock(value, mean, mean + value, level, z, method)


def service_level(ven: str, levels: Mapping[str, float] = SERVICE_LEVELS) -> float:
    """The cycle service level of a VEN class.

    Raises:
        Incorrect: ``ven`` is not V, E or N.

    >>> service_level("V")
    0.99
    """
    if ven not in levels:
        raise Incorrect(f"VEN class {ven!r} is not V, E or N")
    return levels[ven]
