"""Real U.S. ZIP code data, from the ``zipcodes`` package, as the engine's ``Places``."""

from __future__ import annotations

from functools import cache

import zipcodes

from conversations import Place


class ZipCodes:
    """Look five-digit ZIP codes up in the data the ``zipcodes`` package ships."""

    def lookup(self, zip_code: str) -> Place | None:
        return _places_by_zip().get(zip_code)


@cache
def _places_by_zip() -> dict[str, Place]:
    # zipcodes.matching scans all 42,000 ZIPs, 2 ms a lookup: in a surge a quarter of the texts
    # are ZIPs. The index is built once per process, on the first lookup.
    places: dict[str, Place] = {}
    for entry in zipcodes.list_all():
        zip_code = entry["zip_code"]
        if entry.get("timezone") and zip_code not in places:
            places[zip_code] = Place(
                zip_code, entry["city"].title(), entry["state"], entry["timezone"]
            )
    return places
