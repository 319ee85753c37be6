"""NDJSON for bulk data: media types, line splitting, file naming and load order.

https://hl7.org/fhir/uv/bulkdata/STU2/export.html#bulk-data-output-file-request and
https://github.com/ndjson/ndjson-spec

Bulk files hold one resource per line. Export names its files ``<Type>.ndjson``;
import reads the type a file declares from the start of its name
(``Patient.ndjson``, ``Patient.000.ndjson``, ``Patient_2.ndjson``). Types that
other resources refer to are loaded first (:data:`LOAD_FIRST`), so the order of
an import is the same on every run.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator

from carehub.errors import Incorrect

NDJSON_MEDIA_TYPE = "application/fhir+ndjson"
#: the ``_outputFormat`` / ``inputFormat`` values read as FHIR NDJSON
NDJSON_FORMATS = frozenset({"application/fhir+ndjson", "application/ndjson", "ndjson"})
#: content types of an NDJSON upload
NDJSON_CONTENT_TYPES = frozenset({"application/fhir+ndjson", "application/ndjson"})
#: resource types loaded before all others, in this order
LOAD_FIRST = ("Organization", "Location", "Practitioner", "PractitionerRole", "Patient")

_LEADING_NAME = re.compile(r"^([A-Z][A-Za-z]*)(?:[._\-]|$)")


def check_format(value: str, parameter: str = "_outputFormat") -> str:
    """Return ``value`` when it names FHIR NDJSON.

    Raises:
        Incorrect: any other format (bulk data here is NDJSON only).

    >>> check_format("application/ndjson")
    'application/ndjson'
    >>> check_format("text/csv")
    Traceback (most recent call last):
    ...
    carehub.errors.Incorrect: _outputFormat 'text/csv' is not supported; use application/fhir+ndjson
    """
    if value.strip().lower() not in NDJSON_FORMATS:
        raise Incorrect(
            f"{parameter} '{value}' is not supported; use application/fhir+ndjson",
            expression=parameter,
        )
    return value


def declared_type(file_name: str, is_type: Callable[[str], bool]) -> str | None:
    """The resource type a file's name declares, or None.

    >>> known = {"Patient", "Observation"}.__contains__
    >>> declared_type("Patient.000.ndjson", known), declared_type("Observation_2.ndjson", known)
    ('Patient', 'Observation')
    >>> declared_type("log.ndjson", known), declared_type("Patients.ndjson", known)
    (None, None)
    """
    match = _LEADING_NAME.match(file_name)
    if match and is_type(match.group(1)):
        return match.group(1)
    return None


def load_rank(resource_type: str | None) -> tuple[int, str]:
    """Sort key placing referenced types first, then the rest by name (unknown last).

    >>> sorted(["Encounter", "Patient", None, "Organization"], key=load_rank)
    ['Organization', 'Patient', 'Encounter', None]
    """
    if resource_type is None:
        return (len(LOAD_FIRST) + 1, "")
    if resource_type in LOAD_FIRST:
        return (LOAD_FIRST.index(resource_type), resource_type)
    return (len(LOAD_FIRST), resource_type)


def split_lines(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """Re-cut a stream of byte chunks into lines (without their ``\\n``).

    Only one line is held at a time, so a large download is read with bounded
    memory. A last line without a newline is yielded too.

    >>> list(split_lines([b'{"a":1}\\n{"b"', b':2}\\n', b'{"c":3}']))
    [b'{"a":1}', b'{"b":2}', b'{"c":3}']
    """
    rest = b""
    for chunk in chunks:
        if not chunk:
            continue
        parts = (rest + chunk).split(b"\n")
        rest = parts.pop()
        yield from parts
    if rest:
        yield rest
