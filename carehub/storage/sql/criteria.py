"""Compile search criteria (:mod:`carehub.search.model`) to SQL predicates.

https://hl7.org/fhir/R4/search.html

Each criterion becomes a predicate over an alias of the ``resources`` table,
answered from the index tables (never from resource JSON). Comparison rules
follow the R4 search page: dates compare the range of the search value with the
range of the stored value; numbers and quantities honour implicit precision.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from carehub.errors import Unsupported
from carehub.search.model import (
    ChainClause,
    Clause,
    Criterion,
    HasClause,
    RangeValue,
    ReferenceValue,
    StringValue,
    TokenValue,
    UriValue,
    Value,
)
from carehub.storage.sql.index_params import param_sql
from carehub.storage.sql.schema import TYPE_TABLES

MAX_TEXT = "\U0010ffff"


def like_escape(text: str) -> str:
    r"""Escape LIKE wildcards with backslash.

    >>> like_escape("50%_off")
    '50\\%\\_off'
    """
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class CriteriaCompiler:
    """Builds SQL text and parameters for search criteria."""

    def __init__(self) -> None:
        self.params: list[object] = []

    def p(self, value: object) -> str:
        """Add a parameter, return its placeholder."""
        self.params.append(value)
        return "?"

    def param(self, row: str, resource_type: str | None, code: str) -> str:
        """The predicate selecting ``row``'s index rows of ``code`` (aliases included)."""
        sql, params = param_sql(row, resource_type, code)
        self.params.extend(params)
        return sql

    # -- entry points ------------------------------------------------------------------
    def criterion(self, alias: str, crit: Criterion, driving: bool = True) -> str:
        """A predicate over ``alias`` (a ``resources`` row) for one criterion.

        A ``driving`` clause is written as ``rid IN (index lookup)`` so that the
        database starts from its matches; the others are correlated ``EXISTS``
        probes of the index by ``rid``, checked only on candidate rows (no large
        intermediate result is built for a weak criterion such as a date range).
        """
        # placeholders are positional: build every SQL fragment in textual order
        if isinstance(crit, ChainClause):
            head = (
                f"{alias}.rid IN (SELECT ref.rid FROM idx_reference ref WHERE "
                f"ref.type = {self.p(crit.resource_type)} "
                f"AND {self.param('ref', crit.resource_type, crit.code)} "
                f"AND ref.target_type = {self.p(crit.target_type)} AND ref.target_id IN "
                f"(SELECT t.id FROM resources t WHERE t.type = {self.p(crit.target_type)} AND "
            )
            return head + self.criterion("t", crit.inner) + "))"
        if isinstance(crit, HasClause):
            head = (
                f"{alias}.rid IN (SELECT h.rid FROM resources h WHERE "
                f"h.type = {self.p(crit.resource_type)} AND h.id IN ("
                f"SELECT ref.target_id FROM idx_reference ref "
                f"JOIN resources s ON s.rid = ref.rid WHERE "
                f"ref.type = {self.p(crit.source_type)} "
                f"AND {self.param('ref', crit.source_type, crit.ref_code)} "
                f"AND ref.target_type = {self.p(crit.resource_type)} AND "
            )
            return head + self.criterion("s", crit.inner) + "))"
        return self.clause(alias, crit, driving)

    def clause(self, alias: str, c: Clause, driving: bool = True) -> str:
        """A predicate for one simple clause (see :meth:`criterion` for ``driving``)."""
        if c.param_type == "id":
            return self._id(alias, c)
        if c.param_type == "lastUpdated":
            ors = [self._date(f"{alias}.lu", f"{alias}.lu", v) for v in _ranges(c.values)]
            return "(" + " OR ".join(ors) + ")"
        table = TYPE_TABLES[c.param_type]
        if c.modifier == "missing":
            sub = (
                f"SELECT 1 FROM {table} x WHERE x.rid = {alias}.rid "
                f"AND {self.param('x', c.resource_type, c.code)}"
            )
            return f"NOT EXISTS ({sub})" if c.missing else f"EXISTS ({sub})"
        if not driving or c.modifier == "not":
            head = (
                f"SELECT 1 FROM {table} x WHERE x.rid = {alias}.rid "
                f"AND {self.param('x', c.resource_type, c.code)} AND ("
            )
            probe = head + " OR ".join(self.value_predicate(c, v) for v in c.values) + ")"
            return f"NOT EXISTS ({probe})" if c.modifier == "not" else f"EXISTS ({probe})"
        head = (
            f"SELECT x.rid FROM {table} x WHERE x.type = {self.p(c.resource_type)} "
            f"AND {self.param('x', c.resource_type, c.code)} AND {self._codes_in(c)}("
        )
        ors = [self.value_predicate(c, v) for v in c.values]
        return f"{alias}.rid IN ({head}" + " OR ".join(ors) + "))"

    def _codes_in(self, c: Clause) -> str:
        """``x.code IN (…) AND`` for a token clause of several codes, else nothing.

        The OR of several ``(code AND system)`` values cannot use the index
        on ``(type, param, code, system)`` by itself; the IN list lets the
        database seek each code and test the ORed values on those rows only.
        """
        if c.param_type != "token" or c.modifier is not None or len(c.values) < 2:
            return ""
        codes = [v.code for v in c.values if isinstance(v, TokenValue)]
        if len(codes) != len(c.values) or any(code is None for code in codes):
            return ""
        return f"x.code IN ({', '.join(self.p(code) for code in codes)}) AND "

    # -- per type ----------------------------------------------------------------------
    def value_predicate(self, c: Clause, v: Value) -> str:
        """The predicate on index row ``x`` for one value."""
        if isinstance(v, StringValue):
            if c.modifier == "exact":
                return f"x.exact = {self.p(v.exact)}"
            if c.modifier == "contains":
                return f"x.norm LIKE {self.p('%' + like_escape(v.norm) + '%')} ESCAPE '\\'"
            return f"(x.norm >= {self.p(v.norm)} AND x.norm < {self.p(v.norm + MAX_TEXT)})"
        if isinstance(v, TokenValue):
            if c.modifier == "text":
                code = v.code or ""
                return f"(x.text >= {self.p(code)} AND x.text < {self.p(code + MAX_TEXT)})"
            parts = []
            if v.code is not None:
                parts.append(f"x.code = {self.p(v.code)}")
            if v.system == "":
                parts.append("x.system IS NULL")
            elif v.system is not None:
                parts.append(f"x.system = {self.p(v.system)}")
            return "(" + " AND ".join(parts) + ")"
        if isinstance(v, RangeValue):
            if c.param_type == "date":
                return self._date("x.low", "x.high", v)
            return self._number(v)
        if isinstance(v, ReferenceValue):
            if v.url is not None:
                return f"x.url = {self.p(v.url)}"
            if v.type is None:
                return f"x.target_id = {self.p(v.id)}"
            return f"(x.target_type = {self.p(v.type)} AND x.target_id = {self.p(v.id)})"
        if isinstance(v, UriValue):
            if c.modifier == "below":
                return f"(x.uri >= {self.p(v.uri)} AND x.uri < {self.p(v.uri + MAX_TEXT)})"
            if c.modifier == "above":
                return f"{self.p(v.uri)} LIKE (x.uri || '%')"
            return f"x.uri = {self.p(v.uri)}"
        raise Unsupported(f"cannot search {c.code} with {type(v).__name__}")

    def _id(self, alias: str, c: Clause) -> str:
        op = "NOT IN" if c.modifier == "not" else "IN"
        ids = [v.code for v in c.values if isinstance(v, TokenValue)]
        if not c.resource_type:
            return f"{alias}.id {op} ({', '.join(self.p(i) for i in ids)})"
        head = (
            f"{alias}.rid {op} (SELECT i.rid FROM resources i "
            f"WHERE i.type = {self.p(c.resource_type)} "
        )
        return head + f"AND i.id IN ({', '.join(self.p(i) for i in ids)}))"

    def _date(self, low: str, high: str, v: RangeValue) -> str:
        p, pre = self.p, v.prefix
        if pre == "eq":
            return f"({low} >= {p(v.low)} AND {high} <= {p(v.high)})"
        if pre == "ne":
            return f"NOT ({low} >= {p(v.low)} AND {high} <= {p(v.high)})"
        if pre == "gt":
            return f"{high} > {p(v.high)}"
        if pre == "lt":
            return f"{low} < {p(v.low)}"
        if pre == "ge":
            return f"({high} > {p(v.high)} OR ({low} >= {p(v.low)} AND {high} <= {p(v.high)}))"
        if pre == "le":
            return f"({low} < {p(v.low)} OR ({low} >= {p(v.low)} AND {high} <= {p(v.high)}))"
        if pre == "sa":
            return f"{low} > {p(v.high)}"
        if pre == "eb":
            return f"{high} < {p(v.low)}"
        # ap: overlap with the value widened by 10% of its distance from now
        wl, wh = approx_window(str(v.low), str(v.high))
        return f"({low} <= {p(wh)} AND {high} >= {p(wl)})"

    def _number(self, v: RangeValue) -> str:
        pre = v.prefix
        num = v.number if v.number is not None else float(v.low)
        if pre == "eq":
            cond = f"(x.value >= {self.p(v.low)} AND x.value < {self.p(v.high)})"
        elif pre == "ne":
            cond = f"NOT (x.value >= {self.p(v.low)} AND x.value < {self.p(v.high)})"
        elif pre in ("gt", "sa"):
            cond = f"x.value > {self.p(num)}"
        elif pre in ("lt", "eb"):
            cond = f"x.value < {self.p(num)}"
        elif pre == "ge":
            cond = f"x.value >= {self.p(num)}"
        elif pre == "le":
            cond = f"x.value <= {self.p(num)}"
        else:  # ap: within 10%
            lo, hi = sorted((num * 0.9, num * 1.1))
            cond = f"(x.value >= {self.p(lo)} AND x.value <= {self.p(hi)})"
        if v.system is not None:
            cond += f" AND x.system = {self.p(v.system)}"
            if v.code is not None:
                cond += f" AND x.code = {self.p(v.code)}"
        elif v.code is not None:
            cond += f" AND (x.code = {self.p(v.code)} OR x.unit = {self.p(v.code)})"
        return "(" + cond + ")"


def _ranges(values: tuple[Value, ...]) -> list[RangeValue]:
    return [v for v in values if isinstance(v, RangeValue)]


_FMT = "%Y-%m-%dT%H:%M:%S.%f"


def approx_window(low: str, high: str, now: datetime | None = None) -> tuple[str, str]:
    """Widen ``[low, high]`` by 10% of the gap to ``now`` (at least one day) for ``ap``.

    >>> n = datetime(2024, 1, 11, tzinfo=UTC)
    >>> approx_window("2024-01-01T00:00:00.000000", "2024-01-01T23:59:59.999999", n)
    ('2023-12-31T00:00:00.000000', '2024-01-02T23:59:59.999999')
    """
    now = now or datetime.now(UTC)
    lo = datetime.strptime(low, _FMT).replace(tzinfo=UTC)
    hi = datetime.strptime(high, _FMT).replace(tzinfo=UTC)
    gap = max(abs(now - lo), abs(now - hi)) * 0.1
    gap = max(gap, timedelta(days=1))
    return (
        (lo - gap).strftime(_FMT) if lo.year > 1 else low,
        (hi + gap).strftime(_FMT) if hi.year < 9999 else high,
    )
