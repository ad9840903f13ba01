"""Plain-text views of instruments for a terminal: the catalogue table and the criteria."""

from __future__ import annotations

import textwrap
from collections.abc import Iterable, Sequence

from .instrument import Instrument, Section


def instruments_table(instruments: Iterable[Instrument]) -> str:
    """One line per instrument: id, title, version, section and indicator counts, file."""
    header = ("ID", "TITLE", "VERSION", "SECTIONS", "INDICATORS", "FILE")
    rows = [header] + [
        (i.id, i.title, i.version, str(len(i.sections)), str(len(i.indicators)), str(i.source or ""))
        for i in instruments
    ]
    widths = [max(len(row[c]) for row in rows) for c in range(len(header))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows)


def instrument_text(instrument: Instrument, sections: Sequence[Section] | None = None, width: int = 88) -> str:
    """The instrument's heading, then each section's prompt, indicators and criteria, wrapped to ``width``."""
    width = max(width, 40)
    lines = [instrument.title]
    if instrument.subtitle:
        lines.append(instrument.subtitle)
    lines.append(f"({instrument.id}, version {instrument.version})")
    if instrument.intro:
        lines += ["", *textwrap.wrap(instrument.intro, width)]
    for section in sections if sections is not None else instrument.sections:
        lines += ["", f"{section.number}. {section.title}"]
        if section.prompt:
            lines += textwrap.wrap(section.prompt, width, initial_indent="   ", subsequent_indent="   ")
        for indicator in section.indicators:
            lines += [
                "",
                *textwrap.wrap(
                    f"{indicator.id}  {indicator.title}", width, initial_indent="   ", subsequent_indent="        "
                ),
            ]
            for level_id, bullets in indicator.criteria.items():
                lines.append(f"      {instrument.scale.level(level_id).label}:")
                for bullet in bullets:
                    lines += textwrap.wrap(bullet, width, initial_indent="        • ", subsequent_indent="          ")
    return "\n".join(lines)


def errata_text(instrument: Instrument) -> str:
    """The suggested corrections of the published text, one block each."""
    if not instrument.errata:
        return f"{instrument.id} lists no errata."
    lines = [f"Suggested corrections to {instrument.id} (not applied unless asked):"]
    for erratum in instrument.errata:
        lines += ["", f"  {erratum.id}:", f"    published: {erratum.original}", f"    suggested: {erratum.suggested}"]
    return "\n".join(lines)
