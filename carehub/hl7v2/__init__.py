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

How messages are split
======================

CareHub splits ER7 itself (:func:`~carehub.hl7v2.parse.split_segment`,
:func:`~carehub.hl7v2.parse.split_field`), into exactly the tree
**python-hl7** (PyPI ``hl7``, 0.4.5) builds — a test holds the two to the same
result — rather than with hl7apy or python-hl7 itself:

* **speed**: hl7apy builds a validated object tree from its bundled message
  structures, about 13 ms for an ORU of ``bench/hl7.py``; python-hl7 builds a
  container object for every field, repetition and component, about 0.4 ms,
  which was half of the parse workers' CPU. Cutting the segments into fields
  with ``str.split`` takes about 2 % of that, and a field is split further
  only when a mapper first reads it.
* **leniency**: real feeds carry local Z-segments, fields beyond a version's
  definition and mixed versions. ER7 is read as written (with the message's
  own delimiters), and the checks that matter here (required fields, data
  types, code tables, with the ``ERR`` location of each error) are CareHub's,
  driven by the mapping tables, rather than a version's structure
  definitions.
* **small surface**: the tree is read through
  :class:`~carehub.hl7v2.parse.Segment` and :class:`~carehub.hl7v2.parse.Rep`.

Escape sequences are undone by CareHub (:func:`~carehub.hl7v2.encoding.unescape`)
rather than by python-hl7, whose unescaping reads ``\\X..\\`` as Latin-1 code
points (so UTF-8 bytes of Vietnamese letters came out garbled) and logs
through a deprecated API. python-hl7's own MLLP helpers are not used either:
the listener needs its own queueing and ACK ordering (:mod:`~carehub.hl7v2.mllp`).
"""
