"""Export treatment episodes from FHIR to the health-insurance XML, validated.

QĐ 130/QĐ-BYT as amended by QĐ 4750/QĐ-BYT, and guide 1245/BHXH-CNTT:
https://thuvienphapluat.vn/van-ban/The-thao-Y-te/Quyet-dinh-4750-QD-BYT-2023-sua-doi-Quyet-dinh-130-QD-BYT-594371.aspx

:func:`export_episode` builds every table of one MA_LK (XML1-5 and the papers
7, 8, 11, 13, 14) plus its check-in record, then runs the validator on the
result: an export that does not pass is never returned.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from carehub.vn_insurance.context import ExportContext
from carehub.vn_insurance.envelope import Episode as Hoso
from carehub.vn_insurance.envelope import build_envelope
from carehub.vn_insurance.episode import Episode
from carehub.vn_insurance.export_clinical import progress_records, result_records
from carehub.vn_insurance.export_costs import drug_lines, service_lines
from carehub.vn_insurance.export_papers import papers
from carehub.vn_insurance.export_summary import checkin_record, summary_record
from carehub.vn_insurance.tables import table
from carehub.vn_insurance.validate import Record, raise_if_invalid, validate_hoso
from carehub.vn_insurance.xml_files import write_table


@dataclass(frozen=True, slots=True)
class Exported:
    """One exported episode: its tables and its check-in record."""

    ma_lk: str
    hoso: Hoso
    checkin: Record


def build_hoso(ep: Episode, ctx: ExportContext) -> Exported:
    """Every table of ``ep``, not yet validated.

    Raises:
        NotFound: an item the tariff does not price.
        Incorrect: the episode cannot be claimed (not finished, no diagnosis, no name).
    """
    drugs = drug_lines(ep, ctx)
    services = service_lines(ep, ctx)
    summary = summary_record(ep, ctx, drugs, services)
    results = result_records(ep, ctx)
    hoso: Hoso = {"XML1": [summary]}
    for key, records in (("XML2", drugs), ("XML3", services), ("XML4", results),
                         ("XML5", progress_records(ep))):
        if records:
            hoso[key] = records
    hoso.update(papers(ep, ctx, summary, results))
    first = services[0] if services else None
    return Exported(ep.ma_lk, hoso, checkin_record(ep, ctx, first))


def export_episode(ep: Episode, ctx: ExportContext) -> Exported:
    """Build and validate the tables of ``ep``.

    Raises:
        Invalid: the tables break a rule of the decision (every problem listed).
        NotFound, Incorrect: as :func:`build_hoso`.
    """
    done = build_hoso(ep, ctx)
    problems = validate_hoso(done.hoso) + validate_hoso({"CHECKIN": [done.checkin]})
    raise_if_invalid(problems, f"the export of MA_LK {ep.ma_lk}")
    return done


def envelope_bytes(done: Sequence[Exported], ctx: ExportContext) -> bytes:
    """The GIAMDINHHS file of exported episodes (NGAYLAP from the context)."""
    return build_envelope(ctx.facility_code, ctx.created[:8], [d.hoso for d in done])


def checkin_bytes(done: Sequence[Exported]) -> bytes:
    """The check-in XML file (table CHECKIN) of exported episodes, STT renumbered."""
    records = [{**d.checkin, "STT": str(n)} for n, d in enumerate(done, start=1)]
    return write_table(table("CHECKIN"), records)
