"""Anonymised names: letters in a stable order, one per organisation, and a key kept apart."""

import csv

from generator.anonymise import anonymised_names, letter, write_key


def test_letters_run_past_z():
    assert [letter(n) for n in (0, 1, 25, 26, 27, 701, 702)] == ["A", "B", "Z", "AA", "AB", "ZZ", "AAA"]


def test_one_letter_per_organisation_in_alphabetical_order_whatever_the_input_order():
    names = ["Delta Care", "alpha trust", "delta  care", "Beta Homes"]
    shown = anonymised_names(names)
    assert shown == {
        "alpha trust": "Organisation A",
        "Beta Homes": "Organisation B",
        "Delta Care": "Organisation C",
        "delta  care": "Organisation C",
    }
    assert anonymised_names(reversed(names)) == shown


def test_the_key_lists_each_name_and_cannot_run_as_a_formula(tmp_path):
    path = write_key(anonymised_names(["Zeta", "=HYPERLINK(1)"]), tmp_path / "key.csv")
    with path.open(encoding="utf-8", newline="") as stream:
        assert list(csv.reader(stream)) == [
            ["shown as", "organisation"],
            ["Organisation A", "'=HYPERLINK(1)"],
            ["Organisation B", "Zeta"],
        ]
    assert [p.name for p in tmp_path.iterdir()] == ["key.csv"]
