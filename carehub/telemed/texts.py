"""The Vietnamese and English texts of the telemedicine pages (keys ``telemed.*``).

They live in the web application's area catalogues
``carehub/web/i18n/telemed.<lang>.json``; :func:`texts` falls back to
Vietnamese for an unknown language.
"""

from __future__ import annotations

from carehub.web.i18n import LANGUAGES, catalogue


def texts(lang: str) -> dict[str, str]:
    """The ``telemed.*`` texts of ``lang`` (``vi`` or ``en``; anything else gives ``vi``).

    >>> texts("en")["telemed.room.leave"], texts("fr")["telemed.room.leave"]
    ('Leave', 'Rời phòng')
    """
    chosen = lang if lang in LANGUAGES else LANGUAGES[0]
    return {k: v for k, v in catalogue(chosen).items() if k.startswith("telemed.")}
