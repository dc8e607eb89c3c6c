"""ZIP codes from the data the ``zipcodes`` package ships."""

from bot.places import ZipCodes
from conversations import Place


def test_a_real_zip_code_names_its_city_state_and_time_zone() -> None:
    assert ZipCodes().lookup("30303") == Place("30303", "Atlanta", "GA", "America/New_York")


def test_an_unknown_zip_code_is_none() -> None:
    assert ZipCodes().lookup("00000") is None


def test_only_the_zip_code_asked_for_counts() -> None:
    # The package reads "303030" as 30303 and "30303-1234" as 30303: the engine asks for five
    # digits, and anything else is no ZIP code.
    assert ZipCodes().lookup("303030") is None
    assert ZipCodes().lookup("30303-1234") is None
