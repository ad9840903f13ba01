"""What consolidated.xlsx shows for each instrument (:class:`Look`): titles, sections, level
labels and colours, statuses, and a tier as a cell (:class:`Shade`: its label on its colour)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from generator.model.instrument import Instrument
from generator.model.results import InstrumentSummary, SectionResult, Status

#: How a tier of ``None`` (a section or organisation with blank answers) is shown.
INCOMPLETE = "Incomplete"
#: How a blank or unreadable answer is shown.
NO_ANSWER = "—"
MUTED_FILL = "EDEDED"


class Shade(NamedTuple):
    """A cell value shown on a fill: a tier, or a fate to notice."""

    text: str
    fill: str | None = None
    muted: bool = False


class Percent(float):
    """A share (0 to 1) shown as a percentage."""


@dataclass(frozen=True)
class Look:
    """What the workbook shows for one instrument: titles, sections, level labels and colours."""

    id: str
    title: str
    version: str
    sections: tuple[tuple[int, str], ...]
    levels: tuple[str, ...]  # level ids, lowest first
    labels: dict[str, str]
    colours: dict[str, str | None]  # "RRGGBB", or None for a level without a colour
    cumulative: bool = True
    #: The statuses a section can be given, best first, as label and "RRGGBB" (or None); empty
    #: when the instrument's scoring rules give none.
    statuses: tuple[tuple[str, str | None], ...] = ()
    _shades: dict[str, Shades] = field(default_factory=dict, compare=False, repr=False)

    def label(self, tier: str | None) -> str:
        return INCOMPLETE if tier is None else self.labels.get(tier, tier)

    @property
    def top(self) -> str:
        """The label of the top level."""
        return self.label(self.levels[-1]) if self.levels else ""

    def status_shade(self, status: Status | None) -> Shade:
        """A section's status as a cell: its label on its colour; Incomplete greyed when None."""
        if status is None:
            return self.shade(None)
        return Shade(status.label, (status.colour or "").lstrip("#").upper() or None)

    def section_shade(self, section: SectionResult) -> Shade:
        """What colours a section's bar in a chart: its status where sections have statuses, else its tier."""
        if self.statuses and section.rated:
            return self.status_shade(section.status)
        return self.shade(section.tier)

    def shade(self, tier: str | None, blank: str = INCOMPLETE) -> Shade:
        """A tier as a cell: its label on its colour; ``blank`` greyed when ``tier`` is None."""
        return self.shades(blank)[tier]

    def shades(self, blank: str = INCOMPLETE) -> Mapping[str | None, Shade]:
        """Every tier's :meth:`shade`, by tier."""
        shades = self._shades.get(blank)
        if shades is None:
            shades = self._shades[blank] = Shades(self, blank)
        return shades


class Shades(dict):
    """A look's shades by tier (``blank`` for None), each made when first asked for."""

    def __init__(self, look: Look, blank: str) -> None:
        super().__init__()
        self.look, self.blank = look, blank

    def __missing__(self, tier: str | None) -> Shade:
        if tier is None:
            shade = Shade(self.blank, MUTED_FILL, muted=True)
        else:
            shade = Shade(self.look.labels.get(tier, tier), self.look.colours.get(tier))
        self[tier] = shade
        return shade


def statuses_of(rules: Mapping[str, Any], instrument_id: str) -> tuple[tuple[str, str | None], ...]:
    """The statuses the scoring ``rules`` (of results.json) give sections of ``instrument_id``, best first."""
    rules = (rules.get("instruments") or {}).get(instrument_id, rules)
    return tuple(
        (str(s["label"]), (s.get("colour") or "").lstrip("#").upper() or None) for s in rules.get("status") or []
    )


def look_of(summary: InstrumentSummary, instrument: Instrument | None, statuses: tuple = ()) -> Look:
    """The look of the instrument ``summary`` describes, coloured as ``instrument`` (if installed) colours it."""
    colours: dict[str, str | None] = {}
    for level in summary.scale:
        colour = None
        if instrument is not None and level.id in instrument.scale.ids:
            colour = instrument.scale.level(level.id).colour
        colours[level.id] = colour.lstrip("#").upper() if colour else None
    return Look(
        id=summary.id,
        title=summary.title,
        version=str(summary.version),
        sections=tuple((s.number, s.title) for s in summary.sections),
        levels=tuple(level.id for level in summary.scale),
        labels={level.id: level.label for level in summary.scale},
        colours=colours,
        cumulative=instrument.scale.cumulative if instrument is not None else True,
        statuses=statuses,
    )
