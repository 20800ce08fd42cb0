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


@pytest.mark.parametrize(
    "raw",
    [
        "QA1 1AA",  # Q, V and X never start a postcode
        "VE1 1AA",
        "XM4 5HQ",
        "DT1 1CA",  # C, I, K, M, O and V are never inward letters
        "DT1 1AI",
        "DT1 1KA",
        "DT1 1AM",
        "DT1 1OA",
        "DT1 1AV",
        "AI1 1AA",  # I, J and Z are never second
        "EJ1 1AA",
        "CZ1 1AA",
        "W1L 1AA",  # L is not a third-position letter (A9A)
        "SW1C 1AA",  # C is not a fourth-position letter (AA9A)
        "QA1",  # nor as an outward-only district
        "XX",
    ],
)
def test_a_postcode_the_uk_never_issues_is_refused(raw):
    with pytest.raises(InvalidPostcode, match="Enter a real UK postcode"):
        parse_postcode(raw)


@pytest.mark.parametrize(
    "raw", ["M1 1AE", "B33 8TH", "CR2 6XH", "W1A 0AX", "EC1A 1BB", "EC1V 9LT", "N1P 2NG", "M1"]
)
def test_every_shape_of_real_postcode_is_accepted(raw):
    assert str(parse_postcode(raw)) == raw
