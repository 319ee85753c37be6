"""Search-index rows extracted from one resource at write time.

The storage layer writes these rows into one index table per search-parameter
type (string, token, date, reference, quantity, number, uri) so that searches
never scan resource JSON. :func:`carehub.fhir_model.search_index.extract`
produces them from the R4 SearchParameter expressions.

Conventions shared by the extractor, the query parser and every store:

* ``param`` is the search parameter *code* as used in URLs (``name``, ``subject``).
* strings are stored twice: ``norm`` (lower case, diacritics removed, ``đ`` → ``d``,
  whitespace collapsed; see :func:`carehub.fhir_model.values.normalize_text`)
  for the default starts-with and ``:contains`` searches, and ``exact`` as written
  for ``:exact``.
* dates are closed ranges ``[low, high]`` of fixed-width UTC instants
  ``YYYY-MM-DDTHH:MM:SS.ffffff`` (see :func:`carehub.fhir_model.values.date_range`);
  a partial date such as ``2024-03`` covers its whole month. Text comparison of
  these strings is chronological.
* references keep the target type and id of relative (``Type/id``) references;
  anything else (absolute URLs, canonicals, ``urn:``) is kept in ``url``.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True)
class IndexRows:
    """All index rows of one resource, grouped by search-parameter type."""

    #: (param, norm, exact)
    strings: list[tuple[str, str, str]] = field(default_factory=list)
    #: (param, system or None, code or None, text_norm or None)
    tokens: list[tuple[str, str | None, str | None, str | None]] = field(default_factory=list)
    #: (param, low, high) as fixed-width UTC instants, inclusive
    dates: list[tuple[str, str, str]] = field(default_factory=list)
    #: (param, target_type or None, target_id or None, url or None)
    references: list[tuple[str, str | None, str | None, str | None]] = field(
        default_factory=list
    )
    #: (param, value, system or None, code or None, unit or None)
    quantities: list[tuple[str, float, str | None, str | None, str | None]] = field(
        default_factory=list
    )
    #: (param, value)
    numbers: list[tuple[str, float]] = field(default_factory=list)
    #: (param, uri)
    uris: list[tuple[str, str]] = field(default_factory=list)

    def params(self) -> set[str]:
        """Every parameter code that has at least one row (used for ``:missing``)."""
        out: set[str] = set()
        for rows in (
            self.strings,
            self.tokens,
            self.dates,
            self.references,
            self.quantities,
            self.numbers,
            self.uris,
        ):
            out.update(r[0] for r in rows)
        return out
