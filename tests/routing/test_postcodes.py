"""UK postcodes are validated and normalised before they route anything."""

import pytest

from routing.postcodes import InvalidPostcode, parse_postcode


@pytest.mark.parametrize(
    ("raw", "normalised", "outward"),
    [
        ("DT1 1XJ", "DT1 1XJ", "DT1"),
        (" dt11xj ", "DT1 1XJ", "DT1"),
        ("bh23  1aa", "BH23 1AA", "BH23"),
        ("SW1A1AA", "SW1A 1AA", "SW1A"),
        ("dt11", "DT11", "DT11"),
        ("BH19", "BH19", "BH19"),
        ("gir 0aa", "GIR 0AA", "GIR"),
    ],
)
def test_a_valid_postcode_is_normalised_to_upper_case_with_one_space(raw, normalised, outward):
    postcode = parse_postcode(raw)
    assert str(postcode) == normalised
    assert postcode.outward == outward


@pytest.mark.parametrize("raw", ["", "   ", "XX", "12345", "DT1 1X", "DTT1 1XJ", "DT1 1XJJ", "D"])
def test_a_malformed_postcode_is_refused_with_a_clear_message(raw):
    with pytest.raises(InvalidPostcode, match="Enter a real UK postcode"):
        parse_postcode(raw)
