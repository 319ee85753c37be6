"""``lowBoundary()``, ``highBoundary()`` and the CareHub ``durationIn()`` extension.

https://build.fhir.org/fhirpath.html#functions (lowBoundary/highBoundary) and
https://build.fhir.org/ig/FHIR/sql-on-fhir-v2/StructureDefinition-ViewDefinition.html#required-core-fhirpath-expressionsfunctions

A boundary widens a value to the range its precision allows: ``1.0`` spans
0.95 to 1.05, the date ``1970-06`` spans 1970-06-01 to 1970-06-30, the
dateTime ``2010-10-10`` spans ``2010-10-10T00:00:00.000+14:00`` to
``2010-10-10T23:59:59.999-12:00`` (the earliest and latest time zones when
none is given). On a Period the low boundary is that of ``start`` and the
high boundary that of ``end``. The SQL only uses string, regular-expression
and ``LAST_DAY`` functions every engine has.

``durationIn(unit)`` is not FHIRPath: on a Period it gives the time from
``start`` to ``end`` in ``seconds``, ``minutes``, ``hours`` or ``days`` (a
decimal), empty when either end is missing or not a full date.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlglot import exp

from carehub.errors import Incorrect
from carehub.warehouse import ir
from carehub.warehouse.fhirpath.types import NUMERIC
from carehub.warehouse.fhirpath.values import Value, as_scalar, scalar

if TYPE_CHECKING:
    from carehub.warehouse.fhirpath.compile import Compiler

TIME_PART = "T([0-9:.]+)"
ZONE_PART = "(Z|[+-][0-9][0-9]:[0-9][0-9])$"
UNIT_SECONDS = {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86400}
"""Units ``durationIn`` accepts, in seconds."""


def _cat(*parts: exp.Expression | str) -> exp.Expression:
    items = [ir.lit(p) if isinstance(p, str) else p for p in parts]
    out = items[0]
    for part in items[1:]:
        out = exp.DPipe(this=out, expression=part)
    return out


def _by_length(
    text: exp.Expression, cases: dict[int, exp.Expression], default: exp.Expression
) -> exp.Expression:
    length = exp.Length(this=text)
    whens = [(exp.EQ(this=length, expression=ir.lit(n)), value) for n, value in cases.items()]
    return ir.case(whens, default)


def _pad(text: exp.Expression, fill: str) -> exp.Expression:
    padded = exp.Anonymous(this="RPAD", expressions=[text, ir.lit(12), ir.lit(fill)])
    return exp.Substring(this=padded, start=ir.lit(1), length=ir.lit(12))


def date_bound(text: exp.Expression, low: bool) -> exp.Expression:
    """The first or last day a (partial) date ``YYYY[-MM[-DD]]`` covers."""
    if low:
        return _by_length(text, {4: _cat(text, "-01-01"), 7: _cat(text, "-01")}, text)
    month_end = exp.LastDay(this=ir.cast(_cat(text, "-01"), "DATE"))
    cases = {4: _cat(text, "-12-31"), 7: ir.cast(month_end, "VARCHAR")}
    return _by_length(text, cases, text)


def time_bound(text: exp.Expression, low: bool) -> exp.Expression:
    """The first or last millisecond a (partial) time ``hh[:mm[:ss[.fff]]]`` covers."""
    if low:
        cases = {2: _cat(text, ":00:00.000"), 5: _cat(text, ":00.000"), 8: _cat(text, ".000")}
        return _by_length(text, cases, _pad(text, "0"))
    cases = {2: _cat(text, ":59:59.999"), 5: _cat(text, ":59.999"), 8: _cat(text, ".999")}
    return _by_length(text, cases, _pad(text, "9"))


def datetime_bound(text: exp.Expression, low: bool) -> exp.Expression:
    """The first or last millisecond a (partial) dateTime covers, with a time zone."""
    widest_zone = "+14:00" if low else "-12:00"
    midnight = "T00:00:00.000" if low else "T23:59:59.999"
    date_only = _cat(date_bound(text, low), midnight + widest_zone)
    time = exp.RegexpExtract(this=text, expression=ir.lit(TIME_PART), group=ir.lit(1))
    zone = exp.RegexpExtract(this=text, expression=ir.lit(ZONE_PART), group=ir.lit(1))
    zone_or_widest = exp.Coalesce(
        this=exp.Nullif(this=zone, expression=ir.lit("")), expressions=[ir.lit(widest_zone)]
    )
    day = exp.Substring(this=text, start=ir.lit(1), length=ir.lit(10))
    with_time = _cat(day, "T", time_bound(time, low), zone_or_widest)
    has_time = exp.GT(this=exp.Length(this=text), expression=ir.lit(10))
    return ir.case([(has_time, with_time)], date_only)


def decimal_bound(value: exp.Expression, low: bool) -> exp.Expression:
    """Half a unit of the last written decimal place below or above ``value``."""
    text = ir.cast(value, "VARCHAR")
    dot = exp.StrPosition(this=text, substr=ir.lit("."))
    places = ir.case(
        [
            (
                exp.GT(this=dot, expression=ir.lit(0)),
                exp.Sub(this=exp.Length(this=text), expression=dot),
            )
        ],
        ir.lit(0),
    )
    half = exp.Mul(
        this=ir.lit(0.5), expression=exp.Pow(this=ir.lit(10.0), expression=exp.Neg(this=places))
    )
    number = ir.cast(value, "DOUBLE")
    return exp.Sub(this=number, expression=half) if low else exp.Add(this=number, expression=half)


def boundary(compiler: Compiler, target: Value, *, low: bool) -> Value:
    """``target.lowBoundary()`` (``low``) or ``target.highBoundary()``.

    Raises:
        Incorrect: the target's type has no boundaries.
    """
    name = "lowBoundary()" if low else "highBoundary()"
    kind = target.type
    if kind == "Period":
        end = compiler.member(target, "start" if low else "end")
        return boundary(compiler, end, low=low)
    value = as_scalar(target, name)
    if kind in NUMERIC:
        return scalar(decimal_bound(value, low), "decimal")
    if kind == "date":
        return scalar(date_bound(value, low), "date")
    if kind in ("dateTime", "instant"):
        return scalar(datetime_bound(value, low), "dateTime")
    if kind == "time":
        return scalar(time_bound(value, low), "time")
    raise Incorrect(f"{name} is not defined for {kind} values")


def duration_in(compiler: Compiler, target: Value, unit: str) -> Value:
    """``period.durationIn(unit)``: time from start to end, as a decimal number of ``unit``.

    Raises:
        Incorrect: the target is not a Period, or the unit is unknown.
    """
    if target.type != "Period":
        raise Incorrect(f"durationIn() needs a Period, not {target.type}")
    if unit not in UNIT_SECONDS:
        raise Incorrect(f"durationIn() unit must be one of {', '.join(UNIT_SECONDS)}")
    period = as_scalar(target, "durationIn()")
    start, end = (ir.json_get(period, [(key, False)]) for key in ("start", "end"))

    def seconds(text: exp.Expression) -> exp.Expression:
        full = exp.GTE(this=exp.Length(this=text), expression=ir.lit(10))
        stamp = exp.TimeToUnix(this=ir.cast(text, "TIMESTAMPTZ", safe=True))
        return ir.case([(full, ir.cast(stamp, "DOUBLE"))])

    span = exp.Sub(this=seconds(end), expression=seconds(start))
    return scalar(exp.Div(this=span, expression=ir.lit(float(UNIT_SECONDS[unit]))), "decimal")
