"""Anonymised partnership views: organisations shown as "Organisation A", "Organisation B", ….

A partnership's outputs (its plan, its progress report, the consolidated workbook) can be shared
beyond the partnership with ``--anonymise``: every organisation's name is replaced by a letter,
the same letter for the same organisation in every output of one run, and the key (letter →
name) is written to a file of its own, to keep apart from what is shared.

Letters follow the names' alphabetical order (compared as merging compares them), so the same
organisations get the same letters on every run; after Z come AA, AB, ….
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from pathlib import Path

from generator.atomic import write_atomically
from generator.returns.export import spreadsheet_safe
from generator.returns.names import organisation_key

#: The file the key is written to, beside the anonymised outputs.
KEY_FILE = "anonymisation-key.csv"


def letter(number: int) -> str:
    """The letters of the ``number``-th organisation, from 0: A, B, …, Z, AA, AB, …."""
    letters = ""
    number += 1
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def anonymised_names(names: Iterable[str]) -> dict[str, str]:
    """Each of ``names`` → "Organisation A", "Organisation B", … in alphabetical order; names
    that differ only in case or spacing are one organisation, with one letter."""
    names = list(names)
    keys: dict[str, str] = {}
    for name in sorted(set(names), key=lambda n: (organisation_key(n), n)):
        keys.setdefault(organisation_key(name), f"Organisation {letter(len(keys))}")
    return {name: keys[organisation_key(name)] for name in names}


def write_key(names: dict[str, str], path: Path) -> Path:
    """Write the key of :func:`anonymised_names` to ``path`` (CSV: anonymised name, organisation),
    one row per organisation, in letter order; returns ``path``."""
    rows = sorted({(shown, name) for name, shown in names.items()}, key=lambda row: (len(row[0]), row[0], row[1]))

    def write(target: Path) -> None:
        with target.open("w", encoding="utf-8", newline="") as stream:
            writer = csv.writer(stream, lineterminator="\n")
            writer.writerow(["shown as", "organisation"])
            writer.writerows([shown, spreadsheet_safe(name)] for shown, name in rows)

    return write_atomically(path, write)
