"""Patient self-assessment: bilingual FHIR Questionnaires, scoring and RiskAssessments.

https://hl7.org/fhir/R4/questionnaire.html · https://hl7.org/fhir/R4/riskassessment.html

Modules: :mod:`~carehub.self_assessment.questionnaires` (the packaged
Questionnaires, Vietnamese with English translations),
:mod:`~carehub.self_assessment.responses` (checking answers),
:mod:`~carehub.self_assessment.scoring` (results and advice),
:mod:`~carehub.self_assessment.risk_assessment` (the FHIR output) and
:mod:`~carehub.self_assessment.router` (``self_assessment_router``).
"""
