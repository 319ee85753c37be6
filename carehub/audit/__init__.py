"""CareHub's audit trail: FHIR AuditEvents, hash-chained in their own SQLite file.

https://hl7.org/fhir/R4/auditevent.html
"""
