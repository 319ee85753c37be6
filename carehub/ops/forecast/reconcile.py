"""Hierarchies of series (department → hospital) and coherent forecasts.

https://nixtlaverse.nixtla.io/hierarchicalforecast/ (Wickramasuriya, Athanasopoulos &
Hyndman 2019, "Optimal forecast reconciliation ... trace minimization", JASA 114:804-819)

Series names carry the hierarchy: ``<parent>/<child>`` is a child of
``<parent>`` (``visits/cardiology`` → ``visits``), and the parent is the sum
of its children. :func:`hierarchy` finds the parents whose children are all
present; :func:`add_totals` adds each parent's history as the sum of its
children; :func:`reconcile` makes the forecasts of each parent and its
children coherent with MinTrace (OLS weights, so no in-sample fits are
needed), intervals under the normality assumption.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from carehub.ops.forecast.fit import LEVELS, _quiet, bound_columns

TOP_LEVEL = "hospital"
BOTTOM_LEVEL = "hospital/department"


@dataclass(frozen=True, slots=True)
class Hierarchy:
    """Parents and, for each, its children (sorted)."""

    children: dict[str, list[str]]

    @property
    def parents(self) -> list[str]:
        """The parent series."""
        return sorted(self.children)

    def members(self, parent: str) -> list[str]:
        """``parent`` and its children, parent first."""
        return [parent, *self.children[parent]]


def parent_of(name: str) -> str | None:
    """The parent series of ``name`` (``None`` at the top).

    >>> parent_of("visits/cardiology"), parent_of("visits")
    ('visits', None)
    """
    return name.rsplit("/", 1)[0] if "/" in name else None


def hierarchy(names: list[str]) -> Hierarchy:
    """The parents of the series in ``names`` that have at least two children.

    >>> hierarchy(["visits/a", "visits/b", "emergency", "census/x"]).children
    {'visits': ['visits/a', 'visits/b']}
    """
    children: dict[str, list[str]] = {}
    for name in names:
        parent = parent_of(name)
        if parent is not None:
            children.setdefault(parent, []).append(name)
    return Hierarchy({p: sorted(c) for p, c in children.items() if len(c) >= 2})


def add_totals(df: pd.DataFrame, tree: Hierarchy) -> pd.DataFrame:
    """``df`` plus, for each parent not already in it, the sum of its children per day.

    >>> df = pd.DataFrame({"unique_id": ["v/a", "v/b"], "ds": [1, 1], "y": [2.0, 3.0]})
    >>> add_totals(df, hierarchy(["v/a", "v/b"])).values.tolist()[-1]
    ['v', 1, 5.0]
    """
    present = set(df["unique_id"])
    parts = [df]
    for parent in tree.parents:
        if parent in present:
            continue
        kids = df[df["unique_id"].isin(tree.children[parent])]
        total = kids.groupby("ds", as_index=False)["y"].sum()
        total.insert(0, "unique_id", parent)
        parts.append(total[["unique_id", "ds", "y"]])
    return pd.concat(parts, ignore_index=True)


def reconcile(forecasts: pd.DataFrame, tree: Hierarchy) -> pd.DataFrame:
    """Coherent forecasts: each parent's and its children's rows replaced by MinTrace(OLS) ones.

    Args:
        forecasts: long forecast frame (``unique_id``, ``ds``, ``mean`` and the
            bounds of :data:`~carehub.ops.forecast.fit.LEVELS`), one model per
            series.
        tree: the hierarchy; series outside it are returned unchanged.

    Returns:
        The frame with the same columns, plus ``reconciled`` (bool).
    """
    from hierarchicalforecast.core import HierarchicalReconciliation
    from hierarchicalforecast.methods import MinTrace

    out = forecasts.copy()
    out["reconciled"] = False
    bounds = bound_columns(LEVELS)
    for parent in tree.parents:
        members = tree.members(parent)
        rows = out["unique_id"].isin(members)
        if set(out.loc[rows, "unique_id"]) != set(members):
            continue
        kids = tree.children[parent]
        s_df = pd.DataFrame(np.vstack([np.ones(len(kids)), np.eye(len(kids))]), columns=kids)
        s_df.insert(0, "unique_id", members)
        tags = {TOP_LEVEL: np.array([parent]), BOTTOM_LEVEL: np.array(kids)}
        base = out.loc[rows, ["unique_id", "ds", "mean", *bounds]].rename(
            columns={"mean": "base"} | {b: f"base-{b}" for b in bounds}
        )
        with _quiet():
            result = HierarchicalReconciliation(reconcilers=[MinTrace(method="ols")]).reconcile(
                Y_hat_df=base, tags=tags, S_df=s_df, level=list(LEVELS)
            )
        name = next(c for c in result.columns if c.startswith("base/") and "-lo-" not in c
                    and "-hi-" not in c)  # fmt: skip
        merged = out.loc[rows, ["unique_id", "ds"]].merge(
            result, on=["unique_id", "ds"], how="left"
        )
        out.loc[rows, "mean"] = merged[name].to_numpy()
        for b in bounds:
            side, level = b.split("-")
            out.loc[rows, b] = merged[f"{name}-{side}-{level}"].to_numpy()
        out.loc[rows, "reconciled"] = True
    return out
