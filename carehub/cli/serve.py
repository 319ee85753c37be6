"""``carehub serve``: run the FHIR R4 API under uvicorn.

The application is built by :func:`carehub.app.wiring.build_app` from the
settings in force; ``--host`` and ``--port`` override ``CAREHUB_HOST`` and
``CAREHUB_PORT``. The FHIR base is ``/fhir``.
"""

from __future__ import annotations

import os
from typing import Annotated, Any

import typer

from carehub.errors import Incorrect
from carehub.settings import SETTINGS, Settings, load_settings

FHIR_BASE_PATH = "/fhir"

_HELP = {s.name: s for s in SETTINGS}


def _option_help(name: str) -> str:
    setting = _HELP[name]
    return f"{setting.help} Default: ${name}, else {setting.default}."


def settings_for_serve(host: str | None, port: int | None) -> Settings:
    """Read the settings, letting command-line values replace their variables.

    A command-line value wins over the environment, so a bad ``CAREHUB_PORT``
    does not matter when ``--port`` is given.

    Raises:
        Incorrect: a setting cannot be parsed, or the log level is unknown.
    """
    overrides: dict[str, Any] = {}
    if host is not None:
        overrides["CAREHUB_HOST"] = host
    if port is not None:
        overrides["CAREHUB_PORT"] = port
    environ = {k: v for k, v in os.environ.items() if k not in overrides}
    settings = load_settings(environ, **overrides)
    _check_log_level(settings["CAREHUB_LOG_LEVEL"])
    return settings


def _check_log_level(level: str) -> None:
    from uvicorn.config import LOG_LEVELS

    if level.lower() not in LOG_LEVELS:
        choices = ", ".join(LOG_LEVELS)
        raise Incorrect(f"CAREHUB_LOG_LEVEL={level!r} is not one of: {choices}")


def serve(
    host: Annotated[
        str | None, typer.Option(help=_option_help("CAREHUB_HOST"), show_default=False)
    ] = None,
    port: Annotated[
        int | None,
        typer.Option(help=_option_help("CAREHUB_PORT"), min=1, max=65535, show_default=False),
    ] = None,
) -> None:
    """Run the FHIR R4 API server (FHIR base /fhir) until interrupted."""
    settings = settings_for_serve(host, port)

    import uvicorn

    from carehub.app.wiring import build_app

    api = build_app(settings)
    bound_host = settings["CAREHUB_HOST"]
    bound_port = settings["CAREHUB_PORT"]
    shown_host = f"[{bound_host}]" if ":" in bound_host else bound_host
    typer.echo(
        f"carehub: FHIR R4 API at http://{shown_host}:{bound_port}{FHIR_BASE_PATH}"
        f" (storage: {settings['CAREHUB_STORAGE']})",
        err=True,
    )
    uvicorn.run(
        api,
        host=bound_host,
        port=bound_port,
        log_level=settings["CAREHUB_LOG_LEVEL"].lower(),
    )
