"""Time-zone names from forms: anything a person can type is answered, never raised."""

import pytest

from quizapp.scheduling.day import is_known_zone


@pytest.mark.parametrize("name", ["Europe/Paris", "UTC", "America/Argentina/Buenos_Aires"])
def test_real_zones_are_known(name):
    assert is_known_zone(name)


@pytest.mark.parametrize("name", [
    "", "Mars/Olympus", "../../etc/passwd", "Europe/" + "x" * 5000, "a" * 300, "Europe\x00Paris",
])
def test_unknown_or_impossible_names_are_refused_without_raising(name):
    assert is_known_zone(name) is False


def test_a_lookup_the_file_system_refuses_counts_as_unknown(monkeypatch):
    # With the tzdata package installed, a name past the file system's limit is opened as a
    # resource and raises OSError ("File name too long") instead of ZoneInfoNotFoundError.
    def too_long(name):
        raise OSError(36, "File name too long")

    monkeypatch.setattr("quizapp.scheduling.day.ZoneInfo", too_long)
    assert is_known_zone("Europe/" + "x" * 300) is False
