"""Real U.S. ZIP code data, from the ``zipcodes`` package, as the engine's ``Places``."""

from __future__ import annotations

from functools import cache

import zipcodes

from conversations import Place


class ZipCodes:
    """Look five-digit ZIP codes up in the data the ``zipcodes`` package ships."""

    def lookup(self, zip_code: str) -> Place | None:
        return _place(zip_code)


@cache
def _place(zip_code: str) -> Place | None:
    # The package loads its data on a process's first lookup (~0.25 s), then answers in ~0.2 ms;
    # remembered, a surge's repeated ZIPs cost nothing. Building an index of all 42,000 instead
    # took 0.9 s, and a web process's first ZIP text waited for it (3 s under load).
    # ``matching`` raises on a letter and reads "303030" as 30303: only five digits count.
    if not (len(zip_code) == 5 and zip_code.isascii() and zip_code.isdigit()):
        return None
    for entry in zipcodes.matching(zip_code):
        if entry.get("timezone"):
            return Place(zip_code, entry["city"].title(), entry["state"], entry["timezone"])
    return None
