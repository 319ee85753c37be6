"""The codes screening reads: LOINC tests, ICD-10 diagnoses, SNOMED procedures and findings.

https://loinc.org · https://icd.who.int/browse10 · https://www.snomed.org

Each constant names one concept; programmes never spell a code inline.
Diagnoses match by ICD-10 prefix (``E11`` matches ``E11.9``).
"""

from __future__ import annotations

# --- laboratory (LOINC) --------------------------------------------------------------
CREATININE = "14682-9"
CREATININE_MASS = "2160-0"
EGFR = "98979-8"
URINE_ACR = "9318-7"
HBA1C = "4548-4"
TOTAL_CHOLESTEROL = "14647-2"
HDL_CHOLESTEROL = "14646-4"
NT_PROBNP = "33762-6"
AFP = "1834-1"
PLATELETS = "777-3"
HBSAG = "5196-1"
ANTI_HCV = "16128-1"
HPV_DNA = "44550-2"
FEV1_PRE = "20157-4"
FEV1_POST = "20155-8"
FVC_PRE = "19876-2"
FVC_POST = "19874-7"
FEV1_PCT_PRED_POST = "20152-5"

# --- vital signs (LOINC) -------------------------------------------------------------
SYSTOLIC_BP = "8480-6"
DIASTOLIC_BP = "8462-4"
BODY_HEIGHT = "8302-2"
BODY_WEIGHT = "29463-7"
BMI = "39156-5"

# --- social history ------------------------------------------------------------------
SMOKING_STATUS = "72166-2"
PACK_YEARS = "401201003"
YEARS_SINCE_QUIT = "228486009"
SMOKING_CURRENT = frozenset({"449868002", "77176002", "428041000124106", "428071000124103"})
SMOKING_FORMER = frozenset({"8517006"})
SMOKING_NEVER = frozenset({"266919005"})

POSITIVE = frozenset({"10828004", "POS", "positive"})
"""Coded values read as a positive qualitative result (SNOMED *Positive*, v2 ``POS``)."""

# --- diagnoses (ICD-10 prefixes) -----------------------------------------------------
DIABETES = ("E10", "E11", "E12", "E13", "E14")
HYPERTENSION = ("I10", "I11", "I12", "I13", "I15")
CKD = ("N18",)
COPD = ("J44", "J43")
ASTHMA = ("J45", "J46")
HEART_FAILURE = ("I50",)
CHRONIC_HBV = ("B18.0", "B18.1")
CHRONIC_HCV = ("B18.2",)
CIRRHOSIS = ("K70.3", "K74")
HIV = ("B20", "B21", "B22", "B23", "B24", "Z21")
CARDIOVASCULAR_DISEASE = ("I20", "I21", "I22", "I25", "I63", "I64", "I70")
LUNG_CANCER = ("C34",)
ANY_CANCER = ("C",)

# --- imaging procedures (SNOMED) -----------------------------------------------------
LDCT_SCREENING = "16334891000119106"
CHEST_CT = "169069000"
MAMMOGRAPHY = "71651007"
ABDOMINAL_ULTRASOUND = "45036003"
COLONOSCOPY = "73761001"
UPPER_GI_ENDOSCOPY = "386831001"
FAECAL_IMMUNOCHEMICAL_TEST = "29771-3"

# --- lung-nodule findings ------------------------------------------------------------
LUNG_NODULE = "786838002"
NODULE_MEAN_DIAMETER = "mean-diameter"
NODULE_SOLID_COMPONENT = "solid-component"
NODULE_TYPE = "nodule-type"
NODULE_SPICULATED = "spiculated"
NODULE_PERIFISSURAL = "perifissural"
NODULE_CALCIFIED = "calcified"
NODULE_LONG_AXIS = "long-axis"
NODULE_SHORT_AXIS = "short-axis"

# --- questionnaires ------------------------------------------------------------------
COPD_PS_LINK_IDS = ("q1", "q2", "q3", "q4", "q5")
