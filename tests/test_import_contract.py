"""The layering of ``carehub`` is enforced on its source, by walking every module's AST.

Rules (see the architecture notes, "Interfaces live in the lower layer"):

1. ``carehub.fhir_model``, ``carehub.storage`` and ``carehub.search`` never import
   the web stack (fastapi, starlette, uvicorn) nor ``carehub.fhir_api``,
   ``carehub.app`` or ``carehub.cli``.
2. ``carehub.fhir_model`` imports nothing from ``carehub.storage``.
3. Only ``carehub.app`` and ``carehub.cli`` import the concrete stores
   ``carehub.storage.sqlite`` and ``carehub.storage.postgres`` (a concrete
   store's own modules may import each other).

Every import counts, including those inside functions and ``TYPE_CHECKING`` blocks.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

PACKAGE_DIR = Path(__file__).resolve().parent.parent / "carehub"

LOWER_LAYERS = (
    "carehub.fhir_model", "carehub.storage", "carehub.search", "carehub.clinical",
    "carehub.screening",
)
WEB_AND_UPPER = (
    "fastapi",
    "starlette",
    "uvicorn",
    "carehub.fhir_api",
    "carehub.app",
    "carehub.cli",
)
#: framework-free security and audit cores; only their ``web`` modules touch HTTP
SECURITY_CORES = ("carehub.security", "carehub.audit")
SECURITY_WEB = ("carehub.security.web", "carehub.audit.web")
CONCRETE_STORES = ("carehub.storage.sqlite", "carehub.storage.postgres")
WIRING_LAYERS = ("carehub.app", "carehub.cli")


@dataclass(frozen=True, slots=True)
class Import:
    """One imported module name, where it is imported, and from which line."""

    importer: str
    target: str
    path: Path
    line: int

    def __str__(self) -> str:
        return f"{self.path.relative_to(PACKAGE_DIR.parent)}:{self.line} imports {self.target}"


def within(name: str, package: str) -> bool:
    """Whether module ``name`` is ``package`` or inside it.

    >>> within("carehub.storage.sqlite", "carehub.storage")
    True
    >>> within("carehub.storagex", "carehub.storage")
    False
    """
    return name == package or name.startswith(package + ".")


def module_name(path: Path, root: Path = PACKAGE_DIR) -> str:
    """Dotted module name of a source file under ``root`` (the ``carehub`` folder)."""
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_names(source: str, importer: str, is_package: bool) -> Iterator[tuple[str, int]]:
    """Yield ``(module, line)`` for every import in ``source``, relative ones resolved.

    ``from a import b`` yields both ``a`` and ``a.b``, since ``b`` may be a module.

    >>> sorted(imported_names("from ..storage import sqlite", "carehub.app.wiring", False))
    [('carehub.storage', 1), ('carehub.storage.sqlite', 1)]
    """
    package_parts = importer.split(".") if is_package else importer.split(".")[:-1]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                keep = len(package_parts) - (node.level - 1)
                base = ".".join(package_parts[:keep])
                module = f"{base}.{node.module}" if node.module else base
            else:
                module = node.module or ""
            yield module, node.lineno
            for alias in node.names:
                if alias.name != "*":
                    yield f"{module}.{alias.name}", node.lineno


def all_imports() -> list[Import]:
    """Every import of every module under ``carehub/``."""
    found: list[Import] = []
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        importer = module_name(path)
        source = path.read_text(encoding="utf-8")
        for target, line in imported_names(source, importer, path.name == "__init__.py"):
            found.append(Import(importer, target, path, line))
    return found


@pytest.fixture(scope="module")
def imports() -> list[Import]:
    return all_imports()


def _report(violations: list[Import]) -> str:
    return "\n".join(sorted({str(v) for v in violations}))


def test_walker_sees_the_package(imports: list[Import]) -> None:
    importers = {i.importer for i in imports}
    assert "carehub.settings" in importers
    assert any(i.importer == "carehub.settings" and i.target == "carehub.errors" for i in imports)


def test_lower_layers_do_not_import_web_or_upper_layers(imports: list[Import]) -> None:
    violations = [
        i
        for i in imports
        if any(within(i.importer, low) for low in LOWER_LAYERS)
        and any(within(i.target, up) for up in WEB_AND_UPPER)
    ]
    assert not violations, "lower layers import the web stack or upper layers:\n" + _report(
        violations
    )


def test_fhir_model_does_not_import_storage(imports: list[Import]) -> None:
    violations = [
        i
        for i in imports
        if within(i.importer, "carehub.fhir_model") and within(i.target, "carehub.storage")
    ]
    assert not violations, "carehub.fhir_model imports storage:\n" + _report(violations)


def test_only_wiring_layers_import_concrete_stores(imports: list[Import]) -> None:
    violations = [
        i
        for i in imports
        for store in CONCRETE_STORES
        if within(i.target, store)
        and not within(i.importer, store)
        and not any(within(i.importer, w) for w in WIRING_LAYERS)
    ]
    assert not violations, (
        "only carehub.app and carehub.cli may import concrete stores:\n" + _report(violations)
    )


def test_security_cores_stay_framework_free(imports: list[Import]) -> None:
    violations = [
        i
        for i in imports
        if any(within(i.importer, core) for core in SECURITY_CORES)
        and not any(within(i.importer, web) for web in SECURITY_WEB)
        and (
            any(within(i.target, up) for up in WEB_AND_UPPER)
            or any(within(i.target, web) for web in SECURITY_WEB)
        )
    ]
    assert not violations, "security/audit cores import the web stack:\n" + _report(violations)


RESOLUTION_CASES = [
    ("import fastapi", "carehub.storage.base", False, {"fastapi"}),
    (
        "from . import sqlite",
        "carehub.storage",
        True,
        {"carehub.storage", "carehub.storage.sqlite"},
    ),
    (
        "from .sqlite import Store",
        "carehub.storage.base",
        False,
        {"carehub.storage.sqlite", "carehub.storage.sqlite.Store"},
    ),
    (
        "def f():\n    from carehub.cli import main",
        "carehub.search.x",
        False,
        {"carehub.cli", "carehub.cli.main"},
    ),
]


@pytest.mark.parametrize(("source", "importer", "is_package", "expected"), RESOLUTION_CASES)
def test_import_resolution(
    source: str, importer: str, is_package: bool, expected: set[str]
) -> None:
    assert {name for name, _ in imported_names(source, importer, is_package)} == expected
