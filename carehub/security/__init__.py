"""CareHub's access control: SMART on FHIR authorization, scopes and the storage guard.

http://hl7.org/fhir/smart-app-launch/ (App Launch 2.0 and Backend Services)

Framework-free core: :mod:`~carehub.security.scopes` (SMART v2 scopes),
:mod:`~carehub.security.policy` (the access-policy interface the FHIR layer
uses), :mod:`~carehub.security.guard` (enforcement at the store),
:mod:`~carehub.security.server` (the authorization server's decisions),
:mod:`~carehub.security.consent` (research opt-outs). The HTTP side lives in
:mod:`carehub.security.web`; the composition in :mod:`carehub.app.security_wiring`.
"""
