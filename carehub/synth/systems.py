"""Every URI the synthetic population uses: identifier systems and code systems.

https://hl7.org/fhir/R4/terminologies-systems.html

Declared once here and imported everywhere else, so a URI never drifts
between the generator, its tests and the screening code that reads the data.
The ``https://carehub.vn/...`` URIs are CareHub's own namespaces: identifier
systems under ``/id/``, local code systems under ``/fhir/CodeSystem/``.
"""

from __future__ import annotations

# Identifier systems (Patient, Practitioner, Observation).
CCCD = "https://carehub.vn/id/cccd"
"""Căn cước công dân: the 12-digit citizen identity number."""
BHYT = "https://carehub.vn/id/bhyt"
"""Bảo hiểm y tế: the 15-character health-insurance card number."""
MRN = "https://carehub.vn/id/mrn"
"""The hospital's medical record number (mã bệnh nhân)."""
CCHN = "https://carehub.vn/id/cchn"
"""Chứng chỉ hành nghề: a practitioner's practising-certificate number."""
LUNG_NODULE_ID = "https://carehub.vn/id/lung-nodule"
"""Tracks one pulmonary nodule across successive CT studies of a patient."""
DICOM_UID = "urn:dicom:uid"
"""System of DICOM study instance UIDs (values ``urn:oid:2.25.<n>``)."""

# International code systems.
LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
ICD10 = "http://hl7.org/fhir/sid/icd-10"
UCUM = "http://unitsofmeasure.org"
ATC = "http://www.whocc.no/atc"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
DICOM_DCM = "http://dicom.nema.org/resources/ontology/DCM"
BCP47 = "urn:ietf:bcp:47"
"""Language tags (``Patient.communication.language``)."""

# HL7 terminology.
V3_ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
V2_0203 = "http://terminology.hl7.org/CodeSystem/v2-0203"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
CONDITION_VER_STATUS = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
CONDITION_CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
ADMIT_SOURCE = "http://terminology.hl7.org/CodeSystem/admit-source"
DISCHARGE_DISPOSITION = "http://terminology.hl7.org/CodeSystem/discharge-disposition"
LOCATION_PHYSICAL_TYPE = "http://terminology.hl7.org/CodeSystem/location-physical-type"
ORGANIZATION_TYPE = "http://terminology.hl7.org/CodeSystem/organization-type"
PRACTITIONER_ROLE = "http://terminology.hl7.org/CodeSystem/practitioner-role"
PARTICIPATION_TYPE = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"
DIAGNOSIS_ROLE = "http://terminology.hl7.org/CodeSystem/diagnosis-role"
SUPPLY_ITEM_TYPE = "http://terminology.hl7.org/CodeSystem/supply-item-type"

# CareHub local code systems.
DEPARTMENT = "https://carehub.vn/fhir/CodeSystem/department"
"""Hospital departments (khoa); codes are ASCII slugs such as ``noi-tim-mach``."""
VISIT_TYPE = "https://carehub.vn/fhir/CodeSystem/visit-type"
"""Why an encounter happened: follow-up, acute, health check, screening..."""
SUPPLY_ITEM = "https://carehub.vn/fhir/CodeSystem/supply-item"
"""Consumable supplies (vật tư y tế), coded as in the hospital's stock list."""
SPIROMETRY = "https://carehub.vn/fhir/CodeSystem/spirometry"
"""Pre/post-bronchodilator variants of spirometry results LOINC does not split."""
LUNG_NODULE = "https://carehub.vn/fhir/CodeSystem/lung-nodule"
"""Components of a CT pulmonary-nodule finding (size, type, morphology)."""
COPD_PS_ANSWER = "https://carehub.vn/fhir/CodeSystem/copd-ps-answer"
"""Answer codes of the COPD Population Screener, as in the clinical rules."""
COPD_PS_QUESTIONNAIRE = "https://carehub.vn/fhir/Questionnaire/copd-ps"
"""Canonical URL of the COPD Population Screener questionnaire."""
