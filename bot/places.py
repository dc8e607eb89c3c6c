"""Real U.S. ZIP code data, from the ``zipcodes`` package, as the engine's ``Places``."""

from __future__ import annotations

import zipcodes

from conversations import Place


class ZipCodes:
    """Look ZIP codes up in the data the ``zipcodes`` package ships."""

    def lookup(self, zip_code: str) -> Place | None:
        try:
            matches = zipcodes.matching(zip_code)
        except (TypeError, ValueError):
            return None
        for match in matches:
            if match.get("timezone"):
                return Place(zip_code, match["city"].title(), match["state"], match["timezone"])
        return None
