"""Plain-text views of instruments for a terminal: the catalogue table and the criteria."""

from __future__ import annotations

import textwrap
from collections.abc import Iterable, Sequence

from generator.model.instrument import MATRIX_LAYOUT, Instrument, Part, Section


def instruments_table(instruments: Iterable[Instrument]) -> str:
    """One line per instrument: id, title, version, language (and, for a translation, the
    instrument it translates), section and indicator counts, file."""
    header = ("ID", "TITLE", "VERSION", "LANGUAGE", "SECTIONS", "INDICATORS", "FILE")
    rows = [header] + [
        (
            i.id,
            i.title,
            i.version,
            f"{i.language} (translates {i.translation_of})" if i.translation_of else i.language,
            str(len(i.sections)),
            str(len(i.indicators)),
            str(i.source or ""),
        )
        for i in instruments
    ]
    widths = [max(len(row[c]) for row in rows) for c in range(len(header))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows)


def instrument_text(instrument: Instrument, sections: Sequence[Section] | None = None, width: int = 88) -> str:
    """The instrument's heading, then each section's prompt, indicators and criteria, wrapped to ``width``.

    Sub-headings, guidance and context items appear in their places among the indicators;
    the preamble, the heading over the sections and the closing text only when every section is shown.
    """
    width = max(width, 40)
    shown = list(sections) if sections is not None else list(instrument.sections)
    whole = [s.number for s in shown] == [s.number for s in instrument.sections]
    lines = [instrument.title]
    if instrument.subtitle:
        lines.append(instrument.subtitle)
    lines.append(f"({instrument.id}, version {instrument.version})")
    if instrument.layout == MATRIX_LAYOUT:
        lines.append(f"Rate each statement: {' / '.join(level.label for level in instrument.scale.levels)}")
    if instrument.intro:
        lines += ["", *textwrap.wrap(instrument.intro, width)]
    if whole:
        for paragraph in instrument.preamble:
            lines += ["", *textwrap.wrap(paragraph, width)]
        if instrument.sections_heading:
            lines += ["", instrument.sections_heading.upper()]
    for section in shown:
        lines += ["", f"{section.number}. {section.title}"]
        if section.prompt:
            lines += textwrap.wrap(section.prompt, width, initial_indent="   ", subsequent_indent="   ")
        for part in section.parts:
            lines += _part_text(instrument, part, width)
    if whole:
        for paragraph in instrument.closing:
            lines += ["", *textwrap.wrap(paragraph, width)]
        if instrument.glossary:
            lines += ["", *glossary_text(instrument, width)]
    return "\n".join(lines)


def _part_text(instrument: Instrument, part: Part, width: int) -> list[str]:
    lines: list[str] = []
    if part.heading:
        note = "  (for context, not rated)" if part.context and not part.indicators else ""
        heading = textwrap.wrap(part.heading + note, width, initial_indent="   ", subsequent_indent="   ")
        lines += ["", *heading, "   " + "-" * (max(len(line) for line in heading) - 3)]
    for paragraph in part.guidance:
        lines += ["", *textwrap.wrap(paragraph, width, initial_indent="   ", subsequent_indent="   ")]
    if part.context:
        lines.append("")
        for item in part.context:
            lines += textwrap.wrap(item, width, initial_indent="      - ", subsequent_indent="        ")
    for indicator in part.indicators:
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
    return lines


def errata_text(instrument: Instrument) -> str:
    """The suggested corrections of the published text, one block each."""
    if not instrument.errata:
        return f"{instrument.id} lists no errata."
    corrections = [erratum for erratum in instrument.errata if erratum.is_correction]
    notes = [erratum for erratum in instrument.errata if not erratum.is_correction]
    lines = []
    if corrections:
        lines.append(f"Suggested corrections to {instrument.id} (not applied unless asked):")
    for erratum in corrections:
        lines += ["", f"  {erratum.id}:", f"    published: {erratum.original}", f"    suggested: {erratum.suggested}"]
        if erratum.note:
            lines += textwrap.wrap(erratum.note, 88, initial_indent="    note: ", subsequent_indent="          ")
    if notes:
        lines += [*([""] if lines else []), f"Notes on the published text of {instrument.id} (nothing to correct):"]
    for erratum in notes:
        lines += [
            "",
            f"  {erratum.id}:",
            *textwrap.wrap(erratum.note, 88, initial_indent="    ", subsequent_indent="    "),
        ]
    return "\n".join(lines)


def glossary_text(instrument: Instrument, width: int = 88) -> list[str]:
    """The lines of the instrument's glossary ("   JSNA  Joint Strategic …"), wrapped to
    ``width``, a heading first; no lines when it has none."""
    if not instrument.glossary:
        return []
    terms = max(len(entry.term) for entry in instrument.glossary)
    lines = [GLOSSARY_TITLE]
    for entry in instrument.glossary:
        lead = f"   {entry.term.ljust(terms)}  "
        lines += textwrap.wrap(entry.meaning, width, initial_indent=lead, subsequent_indent=" " * len(lead))
    return lines


#: The heading over an instrument's glossary, in every form and in `show`.
GLOSSARY_TITLE = "Glossary: the short forms used in the standards"
#: The headings of a form's glossary table.
GLOSSARY_HEADINGS = ("Short form", "Stands for")
