"""``CodeSystem/$lookup``: the details of one code.

https://hl7.org/fhir/R4/codesystem-operation-lookup.html

Takes ``system`` and ``code`` (or a ``coding``), optional ``version``,
``displayLanguage`` and ``property``; answers a Parameters resource with
``name``, ``version``, ``display``, a ``designation`` per other-language
display and the ``parent``/``kind`` properties the code has.
"""

from __future__ import annotations

from typing import Any

from carehub.errors import Incorrect, NotFound
from carehub.terminology.parameters import OperationInput, parameters
from carehub.terminology.registry import Terminology

Resource = dict[str, Any]


def coding_input(
    given: OperationInput, operation: str, system_param: str = "system"
) -> tuple[str, str, str | None]:
    """``(system, code, display)`` from ``system_param``/``code``/``display`` or ``coding``.

    Raises:
        Incorrect: neither form, or a coding without system or code (``required``).
    """
    coding = given.one("coding")
    if isinstance(coding, dict):
        system, code = coding.get("system"), coding.get("code")
        if not system or not code:
            raise Incorrect(f"{operation}: the coding needs a system and a code",
                            issue_code="required", expression="coding")
        return str(system), str(code), coding.get("display")
    system = given.required(system_param, operation)
    return system, given.required("code", operation), given.text("display")


def lookup(term: Terminology, given: OperationInput) -> Resource:
    """The ``$lookup`` answer.

    Raises:
        Incorrect: a required parameter is missing. NotFound: unknown system or code.
    """
    system, code, _ = coding_input(given, "$lookup")
    cs = term.code_system(system)
    concept = cs.get(code)
    if concept is None:
        raise NotFound(f"'{code}' is not a code of {cs.url}", issue_code="code-invalid",
                       expression="code")
    wanted = {str(p) for p in given.values.get("property", [])}
    parts: list[Resource] = [{"name": "name", "valueString": cs.title or cs.name}]
    if cs.version:
        parts.append({"name": "version", "valueString": cs.version})
    parts.append({"name": "display", "valueString": concept.display_in(given.text(
        "displayLanguage"))})
    for language, value in sorted(concept.designations.items()):
        parts.append({"name": "designation", "part": [
            {"name": "language", "valueCode": language},
            {"name": "value", "valueString": value},
        ]})
    props = [("parent", concept.parent), ("kind", concept.kind)]
    for name, value in props:
        if value and (not wanted or name in wanted):
            parts.append({"name": "property", "part": [
                {"name": "code", "valueCode": name}, {"name": "value", "valueCode": value},
            ]})
    return parameters(parts)
