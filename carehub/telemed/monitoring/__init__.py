"""Home monitoring: patients and devices send readings; thresholds raise care-team alerts.

https://hl7.org/fhir/R4/observation-vitalsigns.html, https://hl7.org/fhir/R4/goal.html,
https://hl7.org/fhir/R4/flag.html and https://hl7.org/fhir/R4/task.html

Design
======

* :mod:`~carehub.telemed.monitoring.measures`: the measures (blood pressure,
  glucose, weight, SpO2, peak flow, symptoms) with LOINC codes, UCUM units and
  plausible ranges, from ``data/measures.json``;
* :mod:`~carehub.telemed.monitoring.readings`: input (short JSON form or FHIR
  Observation) checked into a :class:`~carehub.telemed.monitoring.readings.Reading`,
  then the stored Observation (category ``vital-signs``/``laboratory``/``survey``
  plus ``home-monitoring``); impossible values and wrong units are issues
  naming the element;
* :mod:`~carehub.telemed.monitoring.thresholds`: per-programme defaults
  (``data/programmes.json``) and the per-patient Goal
  ``home-monitoring-<patient id>`` whose targets replace them;
* :mod:`~carehub.telemed.monitoring.trends`: per-programme trend rules
  (``data/trends.json``: heart-failure weight gain, sustained high blood
  pressure, falling peak flow), once per episode;
* :mod:`~carehub.telemed.monitoring.alerts`: Flag + Task per patient and
  measure, one open at a time; acknowledge and resolve;
* :mod:`~carehub.telemed.monitoring.care_team`: a new alert is sent to the
  patient's care team (CareTeam members, general practitioners) and recorded
  as Communications;
* :mod:`~carehub.telemed.monitoring.service`: the rules on the caller and
  the all-or-nothing submission;
* :mod:`~carehub.telemed.monitoring.router`: ``/telemed/monitoring/...``.

The web screens are :mod:`carehub.web.screens.home_monitoring` (patient) and
:mod:`carehub.web.screens.home_monitoring_team` (care team).
"""
