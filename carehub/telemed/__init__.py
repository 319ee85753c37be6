"""Telemedicine and patient support: scheduling, video rooms, case conferences,
secure messaging, education and home monitoring, all kept as FHIR R4 resources.

https://hl7.org/fhir/R4/appointment.html, https://hl7.org/fhir/R4/communication.html,
https://www.w3.org/TR/webrtc/

The back-end modules are framework-free and work on a
:class:`~carehub.telemed.records.Records` (a resource store plus its search
parser); :mod:`carehub.telemed.router` and :mod:`carehub.telemed.signalling_web`
are the HTTP and WebSocket faces, mounted by :mod:`carehub.app.wiring`.
"""
