"""ZIP codes from the data the ``zipcodes`` package ships."""

import pytest

from bot.lib.places import ZipCodes
from conversations import Place


def test_a_real_zip_code_names_its_city_state_and_time_zone() -> None:
    assert ZipCodes().lookup("30303") == Place("30303", "Atlanta", "GA", "America/New_York")


def test_an_unknown_zip_code_is_none() -> None:
    assert ZipCodes().lookup("00000") is None


@pytest.mark.parametrize("asked", ["303030", "30303-1234", "3030a", "", "３０３０３"])
def test_only_five_digits_are_a_zip_code(asked: str) -> None:
    # The package reads "303030" and "30303-1234" as 30303, and raises on a letter.
    assert ZipCodes().lookup(asked) is None
