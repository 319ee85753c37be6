"""The inputs of ``$import``: a Parameters resource naming NDJSON files, or an upload.

https://hl7.org/fhir/uv/bulkdata/STU2/ (NDJSON) and
https://github.com/smart-on-fhir/bulk-import/blob/master/import.md (the request shape)

A kick-off body is a Parameters resource::

    {"resourceType": "Parameters", "parameter": [
      {"name": "inputFormat", "valueCode": "application/fhir+ndjson"},
      {"name": "input", "part": [
        {"name": "type", "valueCode": "Patient"},
        {"name": "url", "valueUrl": "https://example.org/Patient.ndjson"}]}]}

``url`` may be ``http(s)://`` (fetched with httpx when
``CAREHUB_IMPORT_HTTP`` allows it) or ``file://`` inside the import folder
(``CAREHUB_IMPORT_DIR``); a file URL outside it is refused (403) so a client
cannot read the server's other files. ``type`` is optional; when given (or
declared by the file name) every line must be of that type. ``inputSource``,
``storageDetail`` and ``mode`` are accepted and ignored.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import httpx

from carehub.bulk.ndjson import check_format, declared_type, split_lines
from carehub.errors import CareHubError, Forbidden, Incorrect, did_you_mean
from carehub.fhir_model.definitions import Definitions

IGNORED = ("inputSource", "storageDetail", "mode")
UPLOAD_NAME = "upload.ndjson"
HTTP_TIMEOUT_S = 60.0


@dataclass(frozen=True, slots=True)
class ImportSettings:
    """What ``$import`` may read.

    Args:
        import_dir: the only folder ``file://`` URLs may point into.
        allow_http: whether ``http(s)://`` URLs may be fetched.
        batch_size: lines per store session.
        transport: the httpx transport (tests pass a mock; None: the network).
    """

    import_dir: Path
    allow_http: bool = True
    batch_size: int = 1000
    transport: httpx.BaseTransport | None = None


@dataclass(frozen=True, slots=True)
class ImportInput:
    """One input: where it is, the name used in issues, and its declared type.

    ``location`` is an http(s) URL, or a local path (checked ``file://`` URL or upload).
    """

    url: str
    name: str
    location: str
    declared: str | None = None

    @property
    def is_http(self) -> bool:
        """Whether the input is fetched over HTTP."""
        return self.location.startswith(("http://", "https://"))


def parse_parameters(body: Any, defs: Definitions, settings: ImportSettings) -> list[ImportInput]:
    """The inputs of a ``$import`` Parameters resource.

    Raises:
        Incorrect: not a Parameters resource, no ``input``, a bad format, type or
            URL, a local file that does not exist. Forbidden: a ``file://`` URL
            outside the import folder, or an http(s) URL when those are off.
    """
    if not isinstance(body, dict) or body.get("resourceType") != "Parameters":
        raise Incorrect("$import needs a Parameters resource (or an NDJSON upload)")
    params = body.get("parameter")
    if not isinstance(params, list):
        raise Incorrect("Parameters.parameter must be an array", expression="Parameters.parameter")
    inputs: list[ImportInput] = []
    for index, param in enumerate(params):
        where = f"Parameters.parameter[{index}]"
        name = param.get("name") if isinstance(param, dict) else None
        if name == "inputFormat":
            check_format(str(_value(param) or ""), "inputFormat")
        elif name == "input":
            inputs.append(_input(param, where, defs, settings))
        elif name not in IGNORED:
            raise Incorrect(
                f"$import does not understand parameter '{name}'."
                + did_you_mean(str(name), ("input", "inputFormat", *IGNORED)),
                expression=where,
            )
    if not inputs:
        raise Incorrect("$import needs at least one 'input' parameter with a 'url'")
    return inputs


def _value(param: dict[str, Any]) -> Any:
    for key in ("valueUrl", "valueUri", "valueCode", "valueString"):
        if key in param:
            return param[key]
    return None


def _input(
    param: dict[str, Any], where: str, defs: Definitions, settings: ImportSettings
) -> ImportInput:
    parts = {p.get("name"): _value(p) for p in param.get("part") or [] if isinstance(p, dict)}
    url = parts.get("url")
    if not isinstance(url, str) or not url:
        raise Incorrect(f"{where}: an input needs a 'url' part", expression=where)
    rtype = parts.get("type")
    if rtype is not None and not (isinstance(rtype, str) and defs.is_resource_type(rtype)):
        raise Incorrect(
            f"{where}: input type '{rtype}' is not an R4 resource type."
            + did_you_mean(str(rtype), defs.resource_types()),
            expression=where,
        )
    split = urlsplit(url)
    name = Path(unquote(split.path)).name or split.netloc or url
    declared = rtype or declared_type(name, defs.is_resource_type)
    if split.scheme in ("http", "https"):
        if not settings.allow_http:
            raise Forbidden(f"{where}: http(s) inputs are switched off (CAREHUB_IMPORT_HTTP)")
        return ImportInput(url, name, url, declared)
    if split.scheme == "file":
        return ImportInput(url, name, str(local_path(url, settings.import_dir)), declared)
    raise Incorrect(f"{where}: input url '{url}' must be http(s):// or file://", expression=where)


def local_path(url: str, import_dir: Path) -> Path:
    """The file a ``file://`` URL names, which must lie inside ``import_dir``.

    Raises:
        Forbidden: the file is outside the import folder (links are resolved first).
        Incorrect: it is not an existing file.

    >>> import tempfile
    >>> root = Path(tempfile.mkdtemp())
    >>> local_path("file:///etc/passwd", root)
    Traceback (most recent call last):
    ...
    carehub.errors.Forbidden: file:///etc/passwd is outside the import folder
    """
    split = urlsplit(url)
    if split.netloc not in ("", "localhost"):
        raise Incorrect(f"{url}: file URLs must name a local file (file:///...)")
    path = Path(unquote(split.path)).resolve()
    if not path.is_relative_to(import_dir.resolve()):
        raise Forbidden(f"{url} is outside the import folder")
    if not path.is_file():
        raise Incorrect(f"{url}: no such file in the import folder")
    return path


@contextmanager
def open_lines(item: ImportInput, settings: ImportSettings) -> Iterator[Iterator[bytes]]:
    """The lines of one input, streamed (never read whole into memory).

    Raises:
        Incorrect: the download failed or answered with a status other than 200.
    """
    if not item.is_http:
        with Path(item.location).open("rb") as handle:
            yield (raw.rstrip(b"\r\n") for raw in handle)
        return
    try:
        with (
            httpx.Client(transport=settings.transport, timeout=HTTP_TIMEOUT_S) as client,
            client.stream("GET", item.location, follow_redirects=True) as response,
        ):
            if response.status_code != 200:
                raise Incorrect(f"{item.url}: the server answered HTTP {response.status_code}")
            yield (line.rstrip(b"\r") for line in split_lines(response.iter_bytes()))
    except httpx.HTTPError as exc:
        raise Incorrect(f"{item.url}: could not be fetched ({type(exc).__name__}: {exc})") from None


def is_input_failure(exc: CareHubError) -> bool:
    """Whether an error concerns one input only (the others can still be loaded)."""
    return isinstance(exc, (Incorrect, Forbidden))
