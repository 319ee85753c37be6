"""The COPD Population Screener (COPD-PS): questionnaire, answers, score.

Martinez FJ et al., COPD 2008;5:85-95; item scoring as in the CareHub
clinical rules (section 2.4). Five items: breathlessness, phlegm, activity
limitation, lifetime smoking of 100 cigarettes, and age; the total is 0-10
and 5 or more suggests COPD.

:func:`copd_ps_answers` draws answers that depend on the planted physiology
(people with COPD answer worse, smokers cough more), so a positive screen
is likelier, but not certain, for those who have the disease.
:func:`questionnaire_resource` is the Questionnaire the responses point to
(:data:`carehub.synth.systems.COPD_PS_QUESTIONNAIRE`).
"""

from __future__ import annotations

import random
from typing import Any

from carehub.synth import systems
from carehub.synth.clinical import Health
from carehub.synth.sampling import Weighted

Q1 = ("none", "little", "some", "most", "all")
Q2 = ("never", "only_colds", "few_days_month", "most_days_week", "every_day")
Q3 = ("strongly_disagree", "disagree", "unsure", "agree", "strongly_agree")
Q4 = ("no", "dont_know", "yes")
QUESTIONS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("q1", "During the past 4 weeks, how much of the time did you feel short of breath?", Q1),
    ("q2", "Do you ever cough up any stuff, such as mucus or phlegm?", Q2),
    ("q3", "I do less than I used to because of my breathing problems.", Q3),
    ("q4", "Have you smoked at least 100 cigarettes in your entire life?", Q4),
    ("q5", "How old are you?", ()),
)
_POINTS = {
    "none": 0, "little": 0, "some": 1, "most": 2, "all": 2,
    "never": 0, "only_colds": 0, "few_days_month": 1, "most_days_week": 1, "every_day": 2,
    "strongly_disagree": 0, "disagree": 0, "unsure": 0, "agree": 1, "strongly_agree": 2,
    "no": 0, "dont_know": 0, "yes": 2,
}  # fmt: skip

_BREATH = {
    "copd": Weighted(zip(Q1, (0.1, 0.2, 0.35, 0.25, 0.1), strict=True)),
    "smoker": Weighted(zip(Q1, (0.45, 0.3, 0.18, 0.05, 0.02), strict=True)),
    "other": Weighted(zip(Q1, (0.6, 0.28, 0.1, 0.02, 0.0), strict=True)),
}
_PHLEGM = {
    "copd": Weighted(zip(Q2, (0.1, 0.2, 0.3, 0.25, 0.15), strict=True)),
    "smoker": Weighted(zip(Q2, (0.3, 0.35, 0.2, 0.1, 0.05), strict=True)),
    "other": Weighted(zip(Q2, (0.5, 0.35, 0.1, 0.04, 0.01), strict=True)),
}
_LESS = {
    "copd": Weighted(zip(Q3, (0.05, 0.15, 0.2, 0.4, 0.2), strict=True)),
    "smoker": Weighted(zip(Q3, (0.3, 0.4, 0.15, 0.12, 0.03), strict=True)),
    "other": Weighted(zip(Q3, (0.35, 0.4, 0.15, 0.09, 0.01), strict=True)),
}

Answers = tuple[str, str, str, str, int]


def copd_ps_score(answers: Answers) -> int:
    """The COPD-PS total (0-10).

    >>> copd_ps_score(("some", "few_days_month", "agree", "yes", 55))
    6
    >>> copd_ps_score(("little", "only_colds", "unsure", "yes", 65))
    4
    """
    q1, q2, q3, q4, age = answers
    age_points = 0 if age < 50 else 1 if age < 60 else 2
    return _POINTS[q1] + _POINTS[q2] + _POINTS[q3] + _POINTS[q4] + age_points


def copd_ps_answers(rng: random.Random, health: Health, age: int) -> Answers:
    """Draw the answers of a person with ``health`` aged ``age``."""
    group = "copd" if health.has("copd") else "other" if health.smoking == "never" else "smoker"
    if health.smoking == "never":
        smoked = "dont_know" if rng.random() < 0.05 else "no"
    else:
        smoked = "dont_know" if rng.random() < 0.03 else "yes"
    return (_BREATH[group].pick(rng), _PHLEGM[group].pick(rng), _LESS[group].pick(rng), smoked, age)


def _answer(code: str) -> dict[str, Any]:
    return {"system": systems.COPD_PS_ANSWER, "code": code, "display": code.replace("_", " ")}


_ANSWER_CODINGS = {code: _answer(code) for code in _POINTS}


def questionnaire_resource() -> dict[str, Any]:
    """The COPD-PS Questionnaire (status active)."""
    items: list[dict[str, Any]] = []
    for link_id, text, options in QUESTIONS:
        item: dict[str, Any] = {"linkId": link_id, "text": text, "required": True}
        if options:
            item["type"] = "choice"
            item["answerOption"] = [{"valueCoding": _ANSWER_CODINGS[o]} for o in options]
        else:
            item["type"] = "integer"
        items.append(item)
    return {
        "resourceType": "Questionnaire",
        "id": "copd-ps",
        "url": systems.COPD_PS_QUESTIONNAIRE,
        "name": "COPDPopulationScreener",
        "title": "COPD Population Screener (COPD-PS)",
        "status": "active",
        "subjectType": ["Patient"],
        "item": items,
    }


def response_items(answers: Answers) -> list[dict[str, Any]]:
    """``QuestionnaireResponse.item`` for ``answers``."""
    out: list[dict[str, Any]] = []
    for (link_id, text, _), value in zip(QUESTIONS, answers, strict=True):
        if isinstance(value, str):
            answer: dict[str, Any] = {"valueCoding": _ANSWER_CODINGS[value]}
        else:
            answer = {"valueInteger": value}
        out.append({"linkId": link_id, "text": text, "answer": [answer]})
    return out
