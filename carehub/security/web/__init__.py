"""The HTTP side of CareHub's security: middleware, OAuth endpoints, sign-in page.

http://hl7.org/fhir/smart-app-launch/

Only this sub-package (and :mod:`carehub.audit.web`) imports the web stack;
the rest of :mod:`carehub.security` is framework-free.
"""
