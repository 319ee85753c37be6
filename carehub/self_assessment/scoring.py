"""Scoring the self-assessments and the plain-language advice, in Vietnamese and English.

https://hl7.org/fhir/R4/questionnaire.html (the instruments) ·
COPD-PS: Martinez FJ et al., COPD 2008;5:85-95 · lung screening: USPSTF, JAMA 2021;325:962-970

:data:`SCORERS` maps each Questionnaire id to a pure function from checked
answers (:func:`carehub.self_assessment.responses.read_answers`) to an
:class:`Assessment`. COPD-PS and lung-screening eligibility are the clinical
calculators ``copd_ps`` and ``uspstf2021_lung_screening_eligible``. The
heart-and-kidney check is CareHub's own triage for the public, not a validated
risk score: points (age ≥ 40/55/65, male, smoking, diabetes ×2, high blood
pressure ×2, family history) give low (0-2), moderate (3-4) or high (≥ 5);
chest pain, breathlessness or a systolic pressure ≥ 180 mmHg make it urgent;
diabetes, high blood pressure, kidney family history, age ≥ 60, swelling or
foamy urine add kidney tests (eGFR and urine ACR, as KDIGO advises for people
at risk).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from carehub.clinical.catalog import evaluate
from carehub.self_assessment.responses import Answers


@dataclass(frozen=True, slots=True)
class Text:
    """One message in Vietnamese and English."""

    vi: str
    en: str


@dataclass(frozen=True, slots=True)
class NextStep:
    """What the person should do next; ``code`` is stable for apps."""

    code: str
    text: Text


@dataclass(frozen=True, slots=True)
class Assessment:
    """The result of one self-assessment.

    Args:
        instrument: the Questionnaire id.
        guideline: the rule and version that scored it.
        risk: ``low``, ``moderate`` or ``high`` (FHIR risk-probability codes).
        outcome: what the risk is of.
        advice: plain-language advice.
        next_step: the next step (book screening, see a doctor...).
        values: computed values (score, pack-years...).
        urgent: whether to see a doctor soon rather than book routinely.
    """

    instrument: str
    guideline: str
    risk: str
    outcome: Text
    advice: Text
    next_step: NextStep
    values: Mapping[str, Any] = field(default_factory=dict)
    urgent: bool = False


NO_STEP = NextStep("none", Text("Không cần làm gì thêm lúc này.", "Nothing more is needed now."))
SPIROMETRY = NextStep("book-spirometry", Text(
    "Đặt lịch đo chức năng hô hấp (hô hấp ký) tại phòng khám hô hấp.",
    "Book a breathing test (spirometry) at the respiratory clinic."))
LDCT = NextStep("book-lung-screening", Text(
    "Đặt lịch chụp CT ngực liều thấp để tầm soát ung thư phổi và trao đổi với bác sĩ.",
    "Book a low-dose chest CT scan for lung-cancer screening and talk it over with a doctor."))
CHECK_UP = NextStep("book-check-up", Text(
    "Đặt lịch khám sức khỏe: đo huyết áp, xét nghiệm đường huyết, mỡ máu và chức năng thận.",
    "Book a health check: blood pressure, blood sugar, cholesterol and kidney tests."))
URGENT = NextStep("see-doctor-urgently", Text(
    "Hãy đi khám bác sĩ ngay trong hôm nay. Nếu đau ngực dữ dội hoặc khó thở nặng, gọi 115.",
    "See a doctor today. If you have severe chest pain or great difficulty breathing, call 115."))
QUIT = Text(" Bỏ thuốc lá là việc tốt nhất bạn có thể làm cho phổi và tim của mình.",
            " Stopping smoking is the best thing you can do for your lungs and heart.")


def score_copd_ps(answers: Answers) -> Assessment:
    """COPD-PS: ≥ 5 suggests COPD, book spirometry.

    >>> a = score_copd_ps({"q1": "some", "q2": "few_days_month", "q3": "agree",
    ...                    "q4": "yes", "q5": 55})
    >>> a.values["score"], a.risk, a.next_step.code
    (6, 'high', 'book-spirometry')
    """
    result = evaluate("copd_ps", {
        "q1_breathless_4wk": answers["q1"], "q2_cough_up_phlegm": answers["q2"],
        "q3_do_less_because_breathing": answers["q3"], "q4_smoked_100_cigs": answers["q4"],
        "age": answers["q5"]})
    score, positive = int(result["score"]), bool(result["positive_cutoff5"])
    smoker = Text("", "") if answers["q4"] != "yes" else QUIT
    outcome = Text("Bệnh phổi tắc nghẽn mạn tính (COPD)", "Chronic obstructive pulmonary disease")
    if positive:
        advice = Text(
            f"Điểm của bạn là {score}/10 (từ 5 trở lên). Bạn có thể bị bệnh phổi tắc nghẽn mạn "
            f"tính (COPD). Đo chức năng hô hấp sẽ cho biết chắc chắn.{smoker.vi}",
            f"Your score is {score} out of 10 (5 or more). You may have COPD, a long-term lung "
            f"disease. A breathing test will tell for sure.{smoker.en}")
        return Assessment("copd-ps", result.guideline.label, "high", outcome, advice, SPIROMETRY,
                          {"score": score})
    advice = Text(
        f"Điểm của bạn là {score}/10 (dưới 5): ít khả năng bị COPD. Nếu bạn bị ho, khạc đờm "
        f"hoặc khó thở kéo dài, hãy đi khám.{smoker.vi}",
        f"Your score is {score} out of 10 (under 5): COPD is unlikely. If you have a long-lasting "
        f"cough, phlegm or breathlessness, see a doctor.{smoker.en}")
    return Assessment("copd-ps", result.guideline.label, "low", outcome, advice, NO_STEP,
                      {"score": score})


def score_lung_screening(answers: Answers) -> Assessment:
    """USPSTF 2021 eligibility; pack-years = cigarettes a day / 20 × years smoked.

    >>> a = score_lung_screening({"age": 60, "smoking-status": "current",
    ...                           "cigarettes-per-day": 20, "years-smoked": 30})
    >>> a.values["pack_years"], a.values["eligible"], a.next_step.code
    (30.0, True, 'book-lung-screening')
    """
    status = str(answers["smoking-status"])
    per_day = answers.get("cigarettes-per-day", 0)
    years = answers.get("years-smoked", 0)
    assert isinstance(per_day, (int, float)) and isinstance(years, (int, float))
    packs = round(per_day / 20 * years, 1) if status != "never" else 0.0
    inputs: dict[str, Any] = {"age": answers["age"], "pack_years": packs,
                              "smoking_status": status}
    if status == "former":
        inputs["years_since_quit"] = answers["years-since-quit"]
    result = evaluate("uspstf2021_lung_screening_eligible", inputs)
    eligible = bool(result.applicable and result.values.get("eligible"))
    outcome = Text("Ung thư phổi", "Lung cancer")
    values = {"pack_years": packs, "eligible": eligible}
    quit_ = QUIT if status == "current" else Text("", "")
    if eligible:
        advice = Text(
            f"Bạn thuộc nhóm nên tầm soát ung thư phổi mỗi năm bằng CT liều thấp (khoảng {packs:g} "
            f"bao-năm). Tầm soát giúp phát hiện ung thư sớm, khi còn chữa được.{quit_.vi}",
            f"You are in the group advised to have a yearly low-dose CT scan for lung cancer "
            f"(about {packs:g} pack-years). Screening finds cancer early, when it can still be "
            f"treated.{quit_.en}")
        return Assessment("lung-screening", result.guideline.label, "high", outcome, advice,
                          LDCT, values)
    advice = Text(
        "Hiện bạn không thuộc nhóm được khuyến cáo tầm soát ung thư phổi bằng CT liều thấp "
        f"(cần tuổi 50–80, từ 20 bao-năm, đang hút hoặc bỏ chưa quá 15 năm).{quit_.vi}",
        "You are not currently in the group advised to have low-dose CT screening for lung "
        f"cancer (age 50-80, 20 or more pack-years, smoking now or quit within 15 "
        f"years).{quit_.en}")
    return Assessment("lung-screening", result.guideline.label, "low", outcome, advice, NO_STEP,
                      values)


def heart_kidney_points(answers: Answers) -> int:
    """CareHub triage points of the heart-and-kidney check.

    >>> heart_kidney_points({"age": 58, "sex": "male", "high-bp": True, "diabetes": False,
    ...                      "smoker": True, "family-history": False})
    6
    """
    age = answers["age"]
    assert isinstance(age, (int, float))
    sbp = answers.get("systolic-bp")
    high_bp = bool(answers["high-bp"]) or (isinstance(sbp, (int, float)) and sbp >= 140)
    return (sum(age >= cut for cut in (40, 55, 65)) + (answers["sex"] == "male")
            + bool(answers["smoker"]) + 2 * bool(answers["diabetes"]) + 2 * high_bp
            + bool(answers["family-history"]))


def score_heart_kidney(answers: Answers) -> Assessment:
    """The heart-and-kidney triage (see the module docstring).

    >>> a = score_heart_kidney({"age": 35, "sex": "female", "high-bp": False,
    ...     "diabetes": False, "smoker": False, "family-history": False, "symptoms": ["none"]})
    >>> a.risk, a.next_step.code
    ('low', 'none')
    """
    points = heart_kidney_points(answers)
    symptoms = answers.get("symptoms") or []
    symptoms = symptoms if isinstance(symptoms, list) else [symptoms]
    sbp = answers.get("systolic-bp")
    age = answers["age"]
    assert isinstance(age, (int, float))
    urgent = bool({"chest-pain", "breathless"} & set(symptoms)) or (
        isinstance(sbp, (int, float)) and sbp >= 180)
    kidney = (bool(answers["diabetes"]) or bool(answers["high-bp"])
              or bool(answers["family-history"]) or age >= 60
              or bool({"swelling", "foamy-urine"} & set(symptoms)))
    risk = "high" if points >= 5 else "moderate" if points >= 3 else "low"
    level = {"low": Text("thấp", "low"), "moderate": Text("trung bình", "moderate"),
             "high": Text("cao", "high")}[risk]
    advice_vi = [f"Nguy cơ bệnh tim mạch và bệnh thận của bạn ở mức {level.vi} ({points} điểm)."]
    advice_en = [f"Your risk of heart and kidney disease is {level.en} ({points} points)."]
    if kidney:
        advice_vi.append("Bạn nên xét nghiệm chức năng thận (creatinin máu/eGFR và albumin "
                         "niệu) mỗi năm.")
        advice_en.append("You should have kidney tests (blood creatinine/eGFR and urine "
                         "albumin) every year.")
    if answers["smoker"]:
        advice_vi.append(QUIT.vi.strip())
        advice_en.append(QUIT.en.strip())
    if urgent:
        advice_vi.append("Một số dấu hiệu của bạn cần được bác sĩ khám sớm.")
        advice_en.append("Some of your answers need a doctor's attention soon.")
    step = URGENT if urgent else CHECK_UP if (risk != "low" or kidney) else NO_STEP
    return Assessment(
        "heart-kidney-check", "CareHub heart-and-kidney triage 1.0", risk,
        Text("Bệnh tim mạch và bệnh thận mạn", "Cardiovascular and chronic kidney disease"),
        Text(" ".join(advice_vi), " ".join(advice_en)), step,
        {"points": points, "kidney_tests": kidney}, urgent)


SCORERS: Mapping[str, Callable[[Answers], Assessment]] = {
    "copd-ps": score_copd_ps,
    "lung-screening": score_lung_screening,
    "heart-kidney-check": score_heart_kidney,
}
"""Questionnaire id → scorer."""
