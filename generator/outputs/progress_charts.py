"""The charts of the progress reports, drawn with matplotlib as PNG bytes in the plans' style
(:mod:`generator.plans.charts`): level colours and labels come from the report contexts
(:mod:`generator.outputs.progress_report`), never from here.

:func:`section_tiers_chart` draws each section's tier then and now, two bars a section;
:func:`partnership_movement_chart` draws, per organisation, how many indicators moved each way.
"""

from __future__ import annotations

import textwrap
from typing import Any

from matplotlib.figure import Figure

from generator.outputs.palettes import hex_colour, palettes
from generator.plans import charts

#: The fills of the movements, from standards/palettes.yaml (the words are written beside them:
#: never a colour alone).
MOVEMENT_COLOURS = {change: hex_colour(colour) for change, colour in palettes().movement.items()}
MOVEMENT_LABELS = {"up": "Up", "down": "Down", "same": "Same", "new": "Newly answered", "gone": "No longer answered"}


def section_tiers_chart(context: dict[str, Any]) -> bytes:
    """Two bars a section of an organisation's progress context: its tier in the last round (hatched,
    above) and this round (below), as long as the tier's place on the scale, in the tier's colour;
    an incomplete section has a short outlined bar, each bar labelled with its tier."""
    sections = context["sections"]
    levels = context["levels"]
    height = 0.75 + 0.5 * len(sections)
    with charts.chart_style():
        figure = Figure(figsize=(charts._PORTRAIT_WIDTH, height), dpi=charts._DPI)
        axes = figure.add_subplot()
        for y, section in enumerate(sections):
            for offset, when, hatch in ((-0.19, "before", "///"), (0.19, "after", None)):
                rank = section[f"{when}_rank"]
                width = rank + 1 if rank >= 0 else 0.25
                colour = section[f"{when}_colour"] or charts._NO_COLOUR
                axes.barh(
                    y + offset,
                    width,
                    height=0.36,
                    color=colour if rank >= 0 else charts._NOT_ASSESSED,
                    edgecolor=charts._EDGE,
                    linewidth=0.6,
                    hatch=hatch,
                )
                word = "then" if when == "before" else "now"
                axes.text(
                    width + 0.05,
                    y + offset,
                    f"{word}: {section[when]}",
                    va="center",
                    fontsize=charts._FONT_SIZE - 1,
                    color=charts._TEXT,
                )
        axes.set_yticks(range(len(sections)), charts._section_labels(sections, 32))
        axes.set_xlim(0, len(levels) + 1.6)
        axes.set_xticks(range(1, len(levels) + 1), [level["label"] for level in levels])
        charts._legend_above(
            axes,
            [(charts._fill(level["colour"]), level["label"]) for level in levels]
            + [(charts._NOT_ASSESSED, "Incomplete")],
        )
        charts._tidy(axes)
        return charts.png_of(figure)


def partnership_movement_chart(context: dict[str, Any]) -> bytes:
    """A bar per organisation of the partnership progress context, split by movement: how many of
    its indicators went up, down, stayed, were newly answered or no longer answered."""
    rows = context["grid"]
    order = list(MOVEMENT_COLOURS)
    counts = [[row["counts"][change] for change in order] for row in rows]
    height = 0.8 + 0.32 * max(len(rows), 1)
    with charts.chart_style():
        figure = Figure(figsize=(charts._LANDSCAPE_WIDTH, height), dpi=charts._DPI)
        axes = figure.add_subplot()
        positions = charts._stacked_bars(
            axes,
            counts,
            [MOVEMENT_COLOURS[c] for c in order],
            lambda row, part: row[part],
            lambda width: width >= 1,
            [MOVEMENT_LABELS[c] for c in order],
            max((sum(row) for row in counts), default=1) / 100,
        )
        labels = ["\n".join(textwrap.wrap(row["organisation"], 40, max_lines=2, placeholder="…")) for row in rows]
        axes.set_yticks(positions, labels)
        axes.xaxis.get_major_locator().set_params(integer=True)
        axes.set_xlabel("Indicators")
        charts._legend_above(axes, [(MOVEMENT_COLOURS[c], MOVEMENT_LABELS[c]) for c in order])
        charts._tidy(axes)
        return charts.png_of(figure)
