"""Static assets of the web application, served from the installed package.

https://developer.mozilla.org/en-US/docs/Web/HTTP/Caching

``/app/static/<name>`` serves the files of ``carehub/web/static/`` and
``plotly.min.js`` from the installed ``plotly`` package's ``package_data``
(the charting library ships with the distribution; nothing is fetched from
the network at run time). Only those files are served: names are looked up
in a fixed table built at start-up, never joined onto a path.

Failure modes: an unknown name is a 404; a missing plotly package leaves
charts out (the page still renders its tables).
"""

from __future__ import annotations

from importlib import resources
from importlib.util import find_spec
from pathlib import Path

from fastapi import APIRouter
from starlette.responses import Response

MEDIA_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8",
               ".svg": "image/svg+xml", ".png": "image/png", ".ico": "image/x-icon"}
PLOTLY = "plotly.min.js"


def asset_table() -> dict[str, Path]:
    """Served name → file: the package's static files and plotly's bundle.

    >>> table = asset_table(); "app.css" in table and "plotly.min.js" in table
    True
    """
    out: dict[str, Path] = {}
    folder = Path(str(resources.files("carehub.web").joinpath("static")))
    for path in sorted(folder.iterdir()):
        if path.is_file() and path.suffix in MEDIA_TYPES:
            out[path.name] = path
    spec = find_spec("plotly")
    if spec is not None and spec.origin is not None:
        bundle = Path(spec.origin).parent / "package_data" / PLOTLY
        if bundle.is_file():
            out[PLOTLY] = bundle
    return out


def static_router() -> APIRouter:
    """``GET /app/static/{name}`` over :func:`asset_table` (public, cacheable for a day)."""
    table = asset_table()
    cache: dict[str, bytes] = {}
    r = APIRouter()

    @r.get("/app/static/{name:path}", include_in_schema=False)
    async def asset(name: str) -> Response:
        path = table.get(name)
        if path is None:
            return Response("not found", status_code=404, media_type="text/plain")
        if name not in cache:
            cache[name] = path.read_bytes()
        return Response(cache[name], media_type=MEDIA_TYPES[path.suffix],
                        headers={"Cache-Control": "public, max-age=86400",
                                 "X-Content-Type-Options": "nosniff"})

    return r
