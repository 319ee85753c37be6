"""De-identification: policies as data, pseudonyms, date shifting, k-anonymity, small cells.

https://www.hhs.gov/hipaa/for-professionals/privacy/special-topics/de-identification/

* :mod:`.config`: :class:`DeidConfig`, the settings (secret, default policy);
* :mod:`.policy`: :func:`load_policy` reads a versioned policy (YAML/JSON or a
  shipped name) into a :class:`DeidPolicy`;
* :mod:`.pseudonym`: keyed research ids and per-patient date offsets
  (HMAC-SHA256, one key per project, :func:`project_key`);
* :mod:`.kanon`: k-anonymity over the declared quasi-identifiers, generalising
  first and then suppressing the fewest patients;
* :mod:`.rare`: rare codes generalised (ICD-10 category) or suppressed;
* :mod:`.aggregate`: counts with small-cell suppression.
"""

from carehub.research.deid.config import DeidConfig
from carehub.research.deid.kanon import KAnonymity
from carehub.research.deid.policy import DeidPolicy, RareCodeRule, load_policy, shipped_policies
from carehub.research.deid.pseudonym import key_fingerprint, project_key, research_id, shift_days

__all__ = [
    "DeidConfig",
    "DeidPolicy",
    "KAnonymity",
    "RareCodeRule",
    "key_fingerprint",
    "load_policy",
    "project_key",
    "research_id",
    "shift_days",
    "shipped_policies",
]
