"""What an extract records about itself: the report, the data dictionary and the README.

https://www.go-fair.org/fair-principles/ (provenance and documentation of research data)

:class:`ExtractReport` is returned by
:func:`~carehub.research.extract.write_extract` and written as
``deidentification_report.json``; :func:`data_dictionary` lists every
released column (``data_dictionary.json`` / ``.csv``); :func:`readme` states
the exact policy (name, version, SHA-256 and every rule) and the provenance.
None of them holds a patient value or the project key (only its fingerprint).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml  # type: ignore[import-untyped]

from carehub.research.deid.kanon import KAnonymity
from carehub.research.deid.policy import DeidPolicy
from carehub.research.deid.rare import RareCodeOutcome
from carehub.research.extract.columns import describe_rule


@dataclass(frozen=True, slots=True)
class ViewOutput:
    """One extracted view: rows written, its files, its columns and those dropped."""

    view: str
    rows: int
    parquet: Path
    csv: Path
    columns: tuple[dict[str, str], ...]
    dropped: dict[str, str]


@dataclass(frozen=True, slots=True)
class Population:
    """Patients at each stage: the cohort, minus opt-outs, minus k-anonymity suppression."""

    selected: int
    opted_out: int
    suppressed: int
    released: int
    top_coded: int


@dataclass(frozen=True, slots=True)
class ExtractReport:
    """The outcome of an extract; paths are inside :attr:`out_dir`."""

    out_dir: Path
    policy: DeidPolicy
    provenance: dict[str, Any]
    population: Population
    k_anonymity: KAnonymity
    rare_codes: tuple[RareCodeOutcome, ...]
    views: dict[str, ViewOutput]
    aggregates: tuple[Path, ...]
    seconds: float

    @property
    def rows(self) -> int:
        """Rows written over every view."""
        return sum(v.rows for v in self.views.values())

    @property
    def rows_per_second(self) -> float:
        """Throughput of the whole extract."""
        return self.rows / self.seconds if self.seconds > 0 else 0.0

    @property
    def files(self) -> list[Path]:
        """Every file the extract wrote (data, aggregates, documentation)."""
        return sorted(p for p in self.out_dir.rglob("*") if p.is_file())

    def to_json(self) -> dict[str, Any]:
        """The de-identification (risk) report as JSON-ready data."""
        p = self.population
        return {
            "policy": {
                "name": self.policy.name,
                "version": self.policy.version,
                "sha256": self.policy.digest,
            },
            "provenance": self.provenance,
            "patients": {
                "selected": p.selected,
                "excluded_opt_out": p.opted_out,
                "suppressed_k_anonymity": p.suppressed,
                "released": p.released,
                "ages_top_coded": p.top_coded,
            },
            "k_anonymity": self.k_anonymity.to_json(),
            "generalised": {
                "dates": (
                    f"shifted per patient by 1 to {self.policy.max_shift_days} days either way"
                    if self.policy.dates == "shift" else "generalised to the year"
                ),
                "age_top_code": self.policy.top_code,
                "address": "province only"
                + (" (region)" if self.k_anonymity.levels.get("province") == "region" else ""),
                "rare_codes": [r.to_json() for r in self.rare_codes],
            },
            "views": {
                name: {
                    "rows": v.rows,
                    "columns": [c["name"] for c in v.columns],
                    "dropped": v.dropped,
                }
                for name, v in self.views.items()
            },
            "seconds": round(self.seconds, 3),
        }


def data_dictionary(views: dict[str, ViewOutput]) -> list[dict[str, str]]:
    """One entry per released column: view, column, type, rule, description."""
    return [dict(view=v.view, **column) for v in views.values() for column in v.columns]


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]
    return lines


def readme(report: ExtractReport) -> str:
    """The extract's README (Markdown): provenance, policy, rules, risk report, files."""
    policy, p, k = report.policy, report.population, report.k_anonymity
    prov = report.provenance
    lines = [
        f"# Research extract ({policy.name} {policy.version})",
        "",
        "De-identified extract of the CareHub clinical warehouse. Research ids are keyed "
        "pseudonyms of this project; they cannot be linked to other projects' extracts.",
        "",
        "## Provenance",
        "",
        *[f"- {key.replace('_', ' ')}: `{value}`" for key, value in prov.items()],
        "",
        "## Policy",
        "",
        f"- name: `{policy.name}`, version: `{policy.version}`",
        f"- SHA-256 of the rules (canonical JSON): `{policy.digest}`",
        f"- {policy.description}" if policy.description else "",
        f"- dates: {report.to_json()['generalised']['dates']}",
        f"- ages of {policy.top_code} and over are reported as `{policy.top_code}+`",
        f"- k-anonymity: k = {policy.k} over {', '.join(policy.quasi_identifiers)}; "
        f"at most {policy.max_suppression:.1%} of patients suppressed before generalising further",
        f"- rare codes: held by fewer than {policy.rare_min_patients} patients are generalised "
        "or suppressed",
        f"- aggregates: counts under {policy.min_cell} are suppressed",
        "",
        "## De-identification report",
        "",
        f"- patients selected: {p.selected}",
        f"- excluded (research opt-out Consent): {p.opted_out}",
        f"- suppressed for k-anonymity: {p.suppressed}",
        f"- released: {p.released}",
        f"- ages top-coded: {p.top_coded}",
        "- generalisation chosen: "
        + ", ".join(f"{qi} = {level}" for qi, level in k.levels.items()),
        f"- equivalence classes: {k.classes}, smallest: {k.smallest_class}",
        "- class sizes: " + ", ".join(f"{s}: {n}" for s, n in k.class_sizes.items()),
        "",
    ]
    if report.rare_codes:
        rows = [
            [r.rule.view, r.rule.column, r.rule.method, str(r.codes), str(r.generalised),
             str(r.suppressed)]
            for r in report.rare_codes
        ]
        lines += [
            *_table(["view", "column", "method", "codes", "generalised", "suppressed"], rows),
            "",
        ]
    lines += ["## Files and columns", ""]
    for view in report.views.values():
        lines += [
            f"### {view.view} ({view.rows} rows)",
            "",
            f"Files: `{view.parquet.name}`, `{view.csv.name}`.",
            "",
        ]
        lines += _table(
            ["column", "type", "rule"],
            [[c["name"], c["type"], describe_rule(c["rule"])] for c in view.columns],
        )
        if view.dropped:
            lines += ["", "Dropped: " + ", ".join(
                f"`{name}` ({why})" for name, why in sorted(view.dropped.items())
            )]
        lines.append("")
    if report.aggregates:
        lines += ["### Aggregates", ""]
        lines += [f"- `aggregates/{a.name}`" for a in report.aggregates]
        lines.append("")
    lines += [
        "## The exact rules",
        "",
        "```yaml",
        yaml.safe_dump(policy.raw, allow_unicode=True, sort_keys=False).rstrip(),
        "```",
        "",
    ]
    return "\n".join(line for line in lines if line is not None)
