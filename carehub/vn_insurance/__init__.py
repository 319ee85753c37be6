"""Viet Nam health-insurance XML (QĐ 130/QĐ-BYT as amended by QĐ 4750/QĐ-BYT).

https://thuvienphapluat.vn/van-ban/The-thao-Y-te/Quyet-dinh-4750-QD-BYT-2023-sua-doi-Quyet-dinh-130-QD-BYT-594371.aspx

Export of treatment episodes from FHIR (:mod:`.export`), the validator
(:mod:`.validate`), import back into FHIR (:mod:`.import_xml`), the GIAMDINHHS
envelope (:mod:`.envelope`), the appraisal-portal client (:mod:`.portal_client`),
CCCD/BHYT checks (:mod:`.identifiers`) and the 2025 provinces (:mod:`.provinces`).
Field definitions come from CareHub's own ``data/tables.json``.
"""
