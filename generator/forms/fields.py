"""Names of the per-indicator inputs, the same in every format.

``achieved_S_N`` and ``comment_S_N`` (DESIGN.md): the indicator id with every character
other than a letter, digit or ``_`` written as ``_`` (a period in a PDF field name means a
parent/child hierarchy, and Excel names allow neither "." nor "-").  They are the PDF field
names, the Word content-control tags and the Excel defined names.
"""

from __future__ import annotations

import re
from functools import lru_cache

_UNSAFE = re.compile(r"[^A-Za-z0-9_]")


@lru_cache(maxsize=4096)  # readers ask for the same few hundred names in every file
def name_part(identifier: str) -> str:
    """``identifier`` made safe for a field name: "1.1" → "1_1", "A.1" → "A_1"."""
    return _UNSAFE.sub("_", identifier)


def answer_field_name(indicator_id: str) -> str:
    """The name of an indicator's answer input: "1.1" → "achieved_1_1"."""
    return f"achieved_{name_part(indicator_id)}"


def comment_field_name(indicator_id: str) -> str:
    """The name of an indicator's comments input: "1.1" → "comment_1_1"."""
    return f"comment_{name_part(indicator_id)}"


def tick_field_name(indicator_id: str, level_id: str) -> str:
    """The name of a matrix form's tick input for one level: ("C.1", "partly-met") →
    "achieved_C_1__partly_met" (two underscores before the level)."""
    return f"{answer_field_name(indicator_id)}__{name_part(level_id)}"


def rated_by_field_name(indicator_id: str) -> str:
    """The name of an indicator's "rated by" input (matrix forms): "C.1" → "rated_by_C_1"."""
    return f"rated_by_{name_part(indicator_id)}"


def cover_name(field_id: str) -> str:
    """The Excel defined name of a cover field's input cell: "organisation" → "cover_organisation".
    (Prefixed so that no cover id can read as a cell reference, like "org2024".)"""
    return f"cover_{name_part(field_id)}"


#: Header row of the hidden ``coproduce`` sheet of an Excel form: each row below maps an
#: input's defined name to its sheet and cell (identity rows leave sheet and cell empty).
MAP_HEADER = ("key", "value", "sheet", "cell")
