"""ImagingStudy resources and CT pulmonary-nodule findings.

https://hl7.org/fhir/R4/imagingstudy.html

* **Low-dose CT** lung screening (SNOMED 16334891000119106) and diagnostic
  chest CT (169069000) carry one Observation per nodule found (SNOMED
  786838002 *Nodule of lung*, ``derivedFrom`` the study) with components for
  long and short axis, mean diameter (mm, to 0.1), attenuation type (solid,
  part-solid, ground-glass), solid-component size, spiculation,
  perifissural/juxtapleural morphology and benign calcification; the lobe is
  ``bodySite``. A nodule keeps its ``identifier`` across a patient's
  studies, so growth and new nodules can be told apart. Each CT also gets a
  nodule-count Observation (0 when clear).
* Sizes are drawn to span the Fleischner 2017 and Lung-RADS v2022 classes:
  solid nodules below 6, 6-8, 8-15 and 15 mm and over; part-solid nodules
  with solid components below 4, 4-6, 6-8 and 8 mm and over; ground-glass
  nodules now and then 30 mm or more.
* Mammography (71651007) and abdominal ultrasound (45036003, liver-cancer
  surveillance) are studies without findings.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from carehub.synth import systems
from carehub.synth.facility import DEPARTMENTS
from carehub.synth.measures import LUNG_LOBES, NODULE_COMPONENTS, NODULE_TYPES, measures
from carehub.synth.record import Record
from carehub.synth.sampling import Weighted

SCREENING_NODULES = Weighted([(0, 0.5), (1, 0.3), (2, 0.13), (3, 0.07)])
INCIDENTAL_NODULES = Weighted([(0, 0.72), (1, 0.2), (2, 0.06), (3, 0.02)])
NODULE_TYPE = Weighted([("solid", 0.75), ("part-solid", 0.12), ("ground-glass", 0.13)])
SOLID_SIZE = Weighted(
    [((2.5, 5.9), 0.52), ((6.0, 7.9), 0.2), ((8.0, 14.9), 0.18), ((15.0, 30.0), 0.1)]
)
SOLID_PART = Weighted(
    [((1.5, 3.9), 0.35), ((4.0, 5.9), 0.25), ((6.0, 7.9), 0.2), ((8.0, 12.0), 0.2)]
)
LOBE = Weighted([("RUL", 0.27), ("RML", 0.1), ("RLL", 0.2), ("LUL", 0.25), ("LLL", 0.18)])
_IMAGING = DEPARTMENTS["chan-doan-hinh-anh"].loc_ref


def _snomed(code: str, display: str) -> dict[str, Any]:
    return {
        "coding": [{"system": systems.SNOMED, "code": code, "display": display}],
        "text": display,
    }


PROCEDURES = {
    "ldct": (_snomed("16334891000119106", "Low dose computed tomography of thorax"), "CT"),
    "chest_ct": (_snomed("169069000", "Computed tomography of chest"), "CT"),
    "mammography": (_snomed("71651007", "Mammography"), "MG"),
    "abdominal_us": (_snomed("45036003", "Ultrasonography of abdomen"), "US"),
}
_MODALITY = {
    code: {"system": systems.DICOM_DCM, "code": code, "display": display}
    for code, display in (
        ("CT", "Computed Tomography"),
        ("MG", "Mammography"),
        ("US", "Ultrasound"),
    )
}
_THORAX = {"system": systems.SNOMED, "code": "51185008", "display": "Thoracic structure"}


@dataclass(slots=True)
class Nodule:
    """One pulmonary nodule as last measured (sizes in mm)."""

    number: int
    lobe: str
    kind: str
    mean: float
    solid: float
    spiculated: bool
    perifissural: bool
    calcified: bool


def new_nodule(rng: random.Random, number: int, new_on_follow_up: bool = False) -> Nodule:
    """Draw a nodule (smaller when it appears on a follow-up scan)."""
    kind = NODULE_TYPE.pick(rng)
    solid = 0.0
    if kind == "solid":
        mean = rng.uniform(2.0, 10.0) if new_on_follow_up else rng.uniform(*SOLID_SIZE.pick(rng))
    elif kind == "part-solid":
        mean = rng.uniform(5.0, 25.0)
        low, high = SOLID_PART.pick(rng)
        solid = min(rng.uniform(low, high), mean - 1.0)
    else:
        mean = rng.uniform(30.0, 40.0) if rng.random() < 0.1 else rng.uniform(4.0, 25.0)
    return Nodule(
        number=number,
        lobe=LOBE.pick(rng),
        kind=kind,
        mean=mean,
        solid=solid,
        spiculated=kind != "ground-glass" and mean >= 8 and rng.random() < 0.2,
        perifissural=kind == "solid" and mean < 10 and rng.random() < 0.12,
        calcified=kind == "solid" and rng.random() < 0.1,
    )


def evolve(rng: random.Random, nodules: list[Nodule], next_number: int) -> list[Nodule]:
    """The nodules a year later: most stable, some growing, a few gone, maybe a new one."""
    out: list[Nodule] = []
    for n in nodules:
        draw = rng.random()
        if draw < 0.07:
            continue
        if draw < 0.2:
            n.mean += rng.uniform(1.6, 4.0)
            if n.kind == "part-solid":
                n.solid = min(n.mean - 1.0, n.solid + rng.uniform(1.0, 4.0))
        else:
            n.mean = max(2.0, n.mean + rng.uniform(-0.5, 0.5))
        out.append(n)
    if rng.random() < 0.1:
        out.append(new_nodule(rng, next_number, new_on_follow_up=True))
    return out


def _uid(rng: random.Random) -> str:
    return f"2.25.{rng.getrandbits(120)}"


def study(
    rec: Record,
    rng: random.Random,
    encounter: dict[str, str],
    when: str,
    procedure: str,
    reason: dict[str, Any] | None = None,
) -> dict[str, str]:
    """Add an ImagingStudy of ``procedure`` (a key of :data:`PROCEDURES`); return its reference."""
    concept, modality_code = PROCEDURES[procedure]
    modality = _MODALITY[modality_code]
    instances = rng.randint(150, 400) if modality_code == "CT" else rng.randint(2, 40)
    series: dict[str, Any] = {
        "uid": _uid(rng),
        "number": 1,
        "modality": modality,
        "description": concept["text"],
        "numberOfInstances": instances,
    }
    if modality_code == "CT":
        series["bodySite"] = _THORAX
    resource: dict[str, Any] = {
        "resourceType": "ImagingStudy",
        "id": rec.new_id("ImagingStudy"),
        "identifier": [{"system": systems.DICOM_UID, "value": f"urn:oid:{_uid(rng)}"}],
        "status": "available",
        "modality": [modality],
        "subject": rec.subject,
        "encounter": encounter,
        "started": when,
        "numberOfSeries": 1,
        "numberOfInstances": instances,
        "procedureCode": [concept],
        "location": _IMAGING,
        "description": concept["text"],
        "series": [series],
    }
    if reason:
        resource["reasonCode"] = [reason]
    rec.add(resource)
    return {"reference": f"ImagingStudy/{resource['id']}"}


def _mm(concept: dict[str, Any], value: float) -> dict[str, Any]:
    return {
        "code": concept,
        "valueQuantity": {"value": value, "unit": "mm", "system": systems.UCUM, "code": "mm"},
    }


def nodule_findings(
    rec: Record,
    rng: random.Random,
    encounter: dict[str, str],
    when: str,
    study_ref: dict[str, str],
    nodules: list[Nodule],
) -> None:
    """Add the nodule-count Observation and one Observation per nodule."""

    def observation(key: str) -> dict[str, Any]:
        return {
            "resourceType": "Observation",
            "id": rec.new_id("Observation"),
            "status": "final",
            "category": measures()[key].category,
            "code": measures()[key].concept,
            "subject": rec.subject,
            "encounter": encounter,
            "effectiveDateTime": when,
        }

    count = observation("nodule_count")
    count["valueInteger"] = len(nodules)
    count["derivedFrom"] = [study_ref]
    rec.add(count)
    for n in nodules:
        spread = rng.uniform(0.0, 0.2)
        long_axis = round(n.mean * (1 + spread), 1)
        short_axis = round(n.mean * (1 - spread), 1)
        components = [
            _mm(NODULE_COMPONENTS["long_axis"], long_axis),
            _mm(NODULE_COMPONENTS["short_axis"], short_axis),
            _mm(NODULE_COMPONENTS["mean_diameter"], round((long_axis + short_axis) / 2, 1)),
            {"code": NODULE_COMPONENTS["type"], "valueCodeableConcept": NODULE_TYPES[n.kind]},
        ]
        if n.kind == "part-solid":
            components.append(_mm(NODULE_COMPONENTS["solid_component"], round(n.solid, 1)))
        for flag in ("spiculated", "perifissural", "calcified"):
            components.append({"code": NODULE_COMPONENTS[flag], "valueBoolean": getattr(n, flag)})
        obs = observation("lung_nodule")
        obs["identifier"] = [
            {"system": systems.LUNG_NODULE_ID, "value": f"{rec.patient_id}-n{n.number}"}
        ]
        obs["bodySite"] = LUNG_LOBES[n.lobe]
        obs["derivedFrom"] = [study_ref]
        obs["component"] = components
        rec.add(obs)
