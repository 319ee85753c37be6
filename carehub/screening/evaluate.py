"""Run the screening programmes on one patient snapshot.

:data:`PROGRAMMES` lists every programme by id; :func:`evaluate_patient`
runs them (all, or those named) and returns their recommendations in
programme order. An unknown programme id raises
:class:`~carehub.errors.NotFound` with a suggestion.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from carehub.errors import NotFound, did_you_mean
from carehub.screening.programmes import (
    cancer,
    cardiovascular,
    heart_failure,
    kidney,
    liver,
    lung_cancer,
    respiratory,
)
from carehub.screening.programmes.base import DEFAULT_PROFILE, Profile, Programme
from carehub.screening.recommendation import Recommendation
from carehub.screening.snapshot import PatientSnapshot

PROGRAMMES: Mapping[str, Programme] = {
    p.id: p
    for p in (
        kidney.PROGRAMME,
        respiratory.PROGRAMME,
        lung_cancer.PROGRAMME,
        heart_failure.PROGRAMME,
        cardiovascular.PROGRAMME,
        liver.PROGRAMME,
        cancer.PROGRAMME,
    )
}
"""Every programme by id, in evaluation order."""


def programmes(ids: Sequence[str] | None = None) -> list[Programme]:
    """The programmes named by ``ids`` (all when ``None``).

    >>> [p.id for p in programmes(["kidney"])]
    ['kidney']
    >>> programmes(["kidny"])
    Traceback (most recent call last):
    carehub.errors.NotFound: unknown screening programme 'kidny' Did you mean 'kidney'?
    """
    if ids is None:
        return list(PROGRAMMES.values())
    out = []
    for pid in ids:
        if pid not in PROGRAMMES:
            raise NotFound(f"unknown screening programme {pid!r}{did_you_mean(pid, PROGRAMMES)}")
        out.append(PROGRAMMES[pid])
    return out


def evaluate_patient(
    snapshot: PatientSnapshot,
    programmes_: Sequence[str] | None = None,
    profile: Profile = DEFAULT_PROFILE,
) -> list[Recommendation]:
    """Every recommendation of the chosen programmes for one patient."""
    out: list[Recommendation] = []
    for programme in programmes(programmes_):
        out.extend(programme.evaluate(snapshot, profile))
    return out
