"""``CodeSystem/$validate-code`` and ``ValueSet/$validate-code``.

https://hl7.org/fhir/R4/codesystem-operation-validate-code.html and
https://hl7.org/fhir/R4/valueset-operation-validate-code.html

The code comes as ``code`` (with ``url``, the code system, for
``CodeSystem/$validate-code``; with ``system`` for ``ValueSet/$validate-code``,
whose ``url`` names the value set), as a ``coding`` or as a
``codeableConcept`` (valid when one of its codings is). The answer is a
Parameters resource with ``result``, a ``message`` when false and the
``display``. A code that is not in the system or value set, or a ``display``
that is none of the code's displays, gives ``result = false``; an unknown
code system or value set is an error (404).
"""

from __future__ import annotations

from typing import Any

from carehub.errors import Incorrect
from carehub.terminology.codesystem import CodeSystem, Concept
from carehub.terminology.lookup import coding_input
from carehub.terminology.parameters import OperationInput, parameters
from carehub.terminology.registry import Terminology, ValueSetDef

Resource = dict[str, Any]


def _display_ok(concept: Concept, display: str | None) -> bool:
    if not display:
        return True
    names = {concept.display, *concept.designations.values()}
    return display.strip().lower() in {n.strip().lower() for n in names}


def _verdict(concept: Concept | None, code: str, display: str | None, where: str,
             language: str | None) -> Resource:
    if concept is None:
        return parameters([
            {"name": "result", "valueBoolean": False},
            {"name": "message", "valueString": f"'{code}' is not in {where}"},
        ])
    parts: list[Resource] = [{"name": "result", "valueBoolean": _display_ok(concept, display)}]
    if not parts[0]["valueBoolean"]:
        parts.append({"name": "message", "valueString":
                      f"'{display}' is not a display of '{code}' in {where}; "
                      f"expected '{concept.display}'"})
    parts.append({"name": "display", "valueString": concept.display_in(language)})
    return parameters(parts)


def _codings(given: OperationInput, operation: str, system_param: str
             ) -> list[tuple[str, str, str | None]]:
    concept = given.one("codeableConcept")
    if isinstance(concept, dict):
        out = [(str(c.get("system")), str(c.get("code")), c.get("display"))
               for c in concept.get("coding", []) if c.get("system") and c.get("code")]
        if not out:
            raise Incorrect(f"{operation}: the codeableConcept has no coding with system "
                            "and code", issue_code="required", expression="codeableConcept")
        return out
    return [coding_input(given, operation, system_param)]


def validate_in_code_system(term: Terminology, given: OperationInput) -> Resource:
    """The ``CodeSystem/$validate-code`` answer.

    Raises:
        Incorrect: a required parameter is missing. NotFound: unknown code system.
    """
    language = given.text("displayLanguage")
    answers = []
    for system, code, display in _codings(given, "CodeSystem/$validate-code", "url"):
        cs: CodeSystem = term.code_system(system)
        answers.append(_verdict(cs.get(code), code, display, cs.url, language))
    return _best(answers)


def validate_in_value_set(term: Terminology, given: OperationInput) -> Resource:
    """The ``ValueSet/$validate-code`` answer.

    Raises:
        Incorrect: a required parameter is missing. NotFound: unknown value set or system.
    """
    vs: ValueSetDef = term.value_set(given.required("url", "ValueSet/$validate-code"))
    language = given.text("displayLanguage")
    answers = []
    for system, code, display in _codings(given, "ValueSet/$validate-code", "system"):
        term.code_system(system)
        if system.split("|", 1)[0] != vs.system.url:
            answers.append(_verdict(None, code, display, vs.url, language))
            continue
        answers.append(_verdict(vs.contains(code), code, display, vs.url, language))
    return _best(answers)


def _best(answers: list[Resource]) -> Resource:
    for a in answers:
        if a["parameter"][0]["valueBoolean"]:
            return a
    return answers[0]
