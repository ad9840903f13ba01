"""The colours that mean something besides the levels' and the RAG statuses', as data:
``standards/palettes.yaml`` (progress, a tracker's action statuses, movements between rounds).

Levels are coloured by their instrument's scale and RAG statuses by the scoring rules; this
module's :func:`palettes` holds the rest, so no writer keeps a colour that means something as a
Python literal.  Colours are returned as "RRGGBB" (no "#"), as openpyxl takes them; matplotlib
takes them with :func:`hex_colour`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from generator.errors import InstrumentFileError

PALETTES_FILE = "palettes.yaml"
_COLOUR = re.compile(r"^#?([0-9A-Fa-f]{6})$")
#: The movements a progress report colours, in the order they are shown.
MOVEMENTS = ("up", "down", "same", "new", "gone")


@dataclass(frozen=True)
class ActionStatusColours:
    fill: str
    text: str


@dataclass(frozen=True)
class Palettes:
    """The palettes of ``standards/palettes.yaml``; every colour "RRGGBB"."""

    progress_bar: str
    action_status: dict[str, ActionStatusColours]
    movement: dict[str, str]


def hex_colour(colour: str) -> str:
    """``colour`` ("RRGGBB" or "#RRGGBB") as matplotlib takes it: "#RRGGBB"."""
    return "#" + colour.lstrip("#")


@lru_cache(maxsize=1)
def palettes() -> Palettes:
    """The built-in palettes (read once)."""
    from generator.model.catalogue import builtin_standards_dir

    return read_palettes(builtin_standards_dir() / PALETTES_FILE)


def read_palettes(path: Path) -> Palettes:
    """The palettes in the YAML file at ``path``; :class:`InstrumentFileError` naming the file and
    the key when one is missing or is not a colour."""
    from generator.model.yamlfile import read_yaml

    data = read_yaml(path)

    def colour(value: Any, where: str) -> str:
        match = _COLOUR.match(str(value or ""))
        if match is None:
            raise InstrumentFileError(path, f"{where} should be a colour written #RRGGBB, not {value!r}")
        return match[1].upper()

    def mapping(value: Any, where: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise InstrumentFileError(path, f"{where} is missing, or is not a list of names and colours")
        return value

    if not isinstance(data, dict) or data.get("kind") != "palettes":
        raise InstrumentFileError(path, "is not a palettes file (it should say 'kind: palettes')")
    statuses = mapping(data.get("action_status"), "action_status")
    movement = mapping(data.get("movement"), "movement")
    missing = [name for name in MOVEMENTS if name not in movement]
    if missing:
        raise InstrumentFileError(path, f"movement has no colour for {', '.join(missing)}")
    return Palettes(
        progress_bar=colour(mapping(data.get("progress"), "progress").get("bar"), "progress: bar"),
        action_status={
            str(name): ActionStatusColours(
                colour(mapping(pair, f"action_status: {name}").get("fill"), f"action_status: {name}: fill"),
                colour(pair.get("text"), f"action_status: {name}: text"),
            )
            for name, pair in statuses.items()
        },
        movement={name: colour(movement[name], f"movement: {name}") for name in MOVEMENTS},
    )
