"""The SQL-on-FHIR v2 ViewDefinition: its model (:mod:`.model`) and its rules (:mod:`.validate`)."""
