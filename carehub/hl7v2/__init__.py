"""HL7 v2 ingest: MLLP listener and file importer, mapped to FHIR R4 and stored through the hub.

https://www.hl7.org/implement/standards/product_brief.cfm?product_id=185 (HL7 v2.5.1) and
https://build.fhir.org/ig/HL7/v2-to-fhir/ (the HL7 v2-to-FHIR mapping IG this follows)

Messages (ER7, HL7 v2.1 to 2.9) arrive over MLLP (``carehub hl7 listen``,
:mod:`~carehub.hl7v2.listener`) or from files (``carehub hl7 import``,
:mod:`~carehub.hl7v2.files`); each is

1. parsed (:mod:`~carehub.hl7v2.parse`): character set from ``MSH-18``,
   delimiters from ``MSH-1``/``MSH-2``, escape sequences (``\\F\\ \\S\\ \\T\\
   \\R\\ \\E\\``, ``\\X..\\``) undone value by value;
2. checked and mapped (``map_adt``, ``map_oru``, ``map_orders``,
   ``map_pharmacy``) to a plan of FHIR writes, driven by the data files of
   :mod:`~carehub.hl7v2.mapping` (events, code tables, identifier systems,
   PID/PV1 field maps):

   ==========================================  ==========================================
   ADT^A01 A02 A03 A04 A08 A11 A13 A28 A31      Patient (upserted by PID-3 identifier),
                                                Encounter (by PV1-19 visit number)
   ADT^A40                                      Patient merge: ``link`` replaced-by /
                                                replaces, references moved
   ORU^R01                                      DiagnosticReport, Observation
   ORM^O01, OML^O21                             ServiceRequest
   RDE^O11 / RDS^O13                            MedicationRequest / MedicationDispense
   ==========================================  ==========================================

3. de-duplicated by control id (:mod:`~carehub.hl7v2.ledger`) and applied in
   one store session (:mod:`~carehub.hl7v2.apply`, :mod:`~carehub.hl7v2.merge`),
   so it is stored entirely or not at all;
4. acknowledged (:mod:`~carehub.hl7v2.ack`): ``AA``, or ``AE``/``AR`` with an
   ``ERR`` segment naming the segment, field and HL7 error code; a NAKed
   message is kept in the dead-letter store (:mod:`~carehub.hl7v2.dead_letter`).

:mod:`~carehub.hl7v2.ingest` ties these together; :mod:`~carehub.hl7v2.sender`
is a small MLLP client that retries until each message is acknowledged.

Why python-hl7
==============

The structure is split by **python-hl7** (PyPI ``hl7``, 0.4.5), not hl7apy:

* **speed**: on the messages of ``bench/hl7.py`` python-hl7 parses an ORU in
  about 0.4 ms, hl7apy about 13 ms (with or without group detection). hl7apy
  builds a validated object tree from its bundled message structures; at
  the 1,000 messages/s the listener aims for, that alone would take more than
  ten cores.
* **leniency**: real feeds carry local Z-segments, fields beyond a version's
  definition and mixed versions. python-hl7 reads whatever ER7 says (with the
  message's own delimiters), and the checks that matter here (required
  fields, data types, code tables, with the ``ERR`` location of each error)
  are CareHub's, driven by the mapping tables, rather than a version's
  structure definitions.
* **small surface**: pure Python, no dependencies; CareHub uses
  :func:`hl7.parse` and reads the tree through :class:`~carehub.hl7v2.parse.Segment`.

Escape sequences are undone by CareHub (:func:`~carehub.hl7v2.parse.unescape`)
rather than by python-hl7, whose unescaping reads ``\\X..\\`` as Latin-1 code
points (so UTF-8 bytes of Vietnamese letters came out garbled) and logs
through a deprecated API. python-hl7's own MLLP helpers are not used either:
the listener needs its own queueing and ACK ordering (:mod:`~carehub.hl7v2.mllp`).
"""
