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
INSECURE_HELP = "Development only: no authorization (CAREHUB_AUTH=off); loopback hosts only."

_HELP = {s.name: s for s in SETTINGS}


def _option_help(name: str) -> str:
    setting = _HELP[name]
    return f"{setting.help} Default: ${name}, else {setting.default}."


def settings_for_serve(
    host: str | None, port: int | None, insecure_dev: bool = False
) -> Settings:
    """Read the settings, letting command-line values replace their variables.

    A command-line value wins over the environment, so a bad ``CAREHUB_PORT``
    does not matter when ``--port`` is given. ``insecure_dev`` turns
    authorization off (``CAREHUB_AUTH=off``), which only a loopback host allows.

    Raises:
        Incorrect: a setting cannot be parsed, the log level is unknown, or
            authorization is off on a non-loopback host.
    """
    overrides: dict[str, Any] = {}
    if insecure_dev:
        overrides["CAREHUB_AUTH"] = False
    if host is not None:
        overrides["CAREHUB_HOST"] = host
    if port is not None:
        overrides["CAREHUB_PORT"] = port
    environ = {k: v for k, v in os.environ.items() if k not in overrides}
    settings = load_settings(environ, **overrides)
    _check_log_level(settings["CAREHUB_LOG_LEVEL"])
    from carehub.app.security_wiring import check_auth_setting

    check_auth_setting(settings)
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
    insecure_dev: Annotated[
        bool, typer.Option("--insecure-dev", help=INSECURE_HELP, show_default=False)
    ] = False,
) -> None:
    """Run the FHIR R4 API server (FHIR base /fhir) until interrupted."""
    settings = settings_for_serve(host, port, insecure_dev)

    import uvicorn

    from carehub.app.wiring import build_app

    api = build_app(settings)
    bound_host = settings["CAREHUB_HOST"]
    bound_port = settings["CAREHUB_PORT"]
    shown_host = f"[{bound_host}]" if ":" in bound_host else bound_host
    typer.echo(
        f"carehub: FHIR R4 API at http://{shown_host}:{bound_port}{FHIR_BASE_PATH}"
        f" (storage: {settings['CAREHUB_STORAGE']}, authorization: "
        f"{'on' if settings['CAREHUB_AUTH'] else 'OFF (insecure development mode)'})",
        err=True,
    )
    typer.echo(f"carehub: web application at http://{shown_host}:{bound_port}/app/", err=True)
    uvicorn.run(
        api,
        host=bound_host,
        port=bound_port,
        log_level=settings["CAREHUB_LOG_LEVEL"].lower(),
        access_log=False,  # its lines carry URLs (ids, search values); the middleware logs
    )
