"""The charts embedded in the action plans, drawn with matplotlib as PNG bytes.

:func:`section_points_chart` draws one organisation's points per section, each bar in the
colour of the section's tier; :func:`section_levels_chart` draws, per section, how many of
an organisation's statements are at each level (with the section's status beside it), for
plans of statements; :func:`partnership_tiers_chart` draws, per section, how the
partnership's answers spread across the levels.  Both take the plan contexts of
:mod:`generator.plans.context`, so level colours and labels come from the instrument, never from here.

Never a colour alone (colour-blind readers, black-and-white prints): a bar in a tier's colour
has the tier's word beside it, and each part of a split bar its level's word where it is wide
enough ("3 Met"), else its count, the legend naming the rest.

The PNGs are byte-stable: fixed size and dpi, matplotlib's default style whatever the
user's matplotlibrc says, its bundled DejaVu Sans font, and no date or software stamp.
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Callable, Sequence
from typing import Any

import matplotlib
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from generator.sheets import text_colour_on

#: Neutral colours; the colours that mean something are the levels' own.
_TRACK = "#E6E6E6"  # the most a section can score, behind its bar
_NOT_ASSESSED = "#F2F2F2"
_EDGE = "#595959"  # outline of every bar, so a level without a colour still shows
_TEXT = "#262626"
_NO_COLOUR = "#FFFFFF"

_NOT_ASSESSED_LABEL = "Not assessed"
_STATEMENTS_AXIS = "Statements"

#: How much of a bar's axis (in percent) a character of a part's label takes, about, on the narrower chart.
_PERCENT_PER_CHARACTER = 1.25
_DPI = 150
_FONT_SIZE = 8
#: Width of the charts in inches (16 cm in the portrait plan, 24 cm in the landscape one).
_PORTRAIT_WIDTH, _LANDSCAPE_WIDTH = 6.3, 9.45


def section_points_chart(context: dict[str, Any]) -> bytes:
    """A horizontal bar per section of an organisation's plan context: its points, in the
    colour of its tier, over a grey bar of the most it can score; labelled "points of max"."""
    sections = context["sections"]
    height = 0.55 + 0.32 * len(sections)
    with chart_style():
        figure = Figure(figsize=(_PORTRAIT_WIDTH, height), dpi=_DPI)
        axes = figure.add_subplot()
        positions = range(len(sections))
        most = max((s["max_points"] for s in sections), default=0) or 1
        axes.barh(positions, [s["max_points"] for s in sections], height=0.62, color=_TRACK, zorder=1)
        axes.barh(
            positions,
            [s["points"] for s in sections],
            height=0.62,
            color=[_fill(s["colour"]) for s in sections],
            edgecolor=_EDGE,
            linewidth=0.6,
            zorder=2,
        )
        for y, section in zip(positions, sections, strict=True):
            axes.text(
                section["max_points"] + most * 0.015,
                y,
                f"{section['points']} of {section['max_points']} · {section['label']}",
                va="center",
                fontsize=_FONT_SIZE - 0.5,
                color=_TEXT,
            )
        axes.set_yticks(list(positions), _section_labels(sections, 32))
        axes.set_xlim(0, most * 1.3)
        axes.xaxis.get_major_locator().set_params(integer=True)
        axes.set_xlabel("Points")
        _legend_above(axes, [(_fill(level["colour"]), level["label"]) for level in context["levels"]])
        _tidy(axes)
        return png_of(figure)


def section_levels_chart(context: dict[str, Any]) -> bytes:
    """A horizontal bar per section of an organisation's plan context, split by level: how many
    of its statements are at each level (and not assessed), each part in its level's colour
    with its count; beside the bar, the section's status and share at the top level."""
    sections = context["sections"]
    levels = context["levels"]
    rows = [[c["count"] for c in s["counts"]] + [s["blank"]] for s in sections]
    colours = [_fill(level["colour"]) for level in levels] + [_NOT_ASSESSED]
    labels = [level["label"] for level in levels] + [_NOT_ASSESSED_LABEL]
    top = levels[-1]["label"] if levels else ""
    most = max((sum(row) for row in rows), default=0) or 1
    height = 0.7 + 0.36 * len(sections)
    with chart_style():
        figure = Figure(figsize=(_PORTRAIT_WIDTH, height), dpi=_DPI)
        axes = figure.add_subplot()
        positions = _stacked_bars(
            axes, rows, colours, lambda row, part: row[part], lambda width: width / most >= 0.035, labels, most / 100
        )
        for y, section in enumerate(sections):
            status = section["status"]["label"]
            note = f"{section['top_percent']}% {top}" + (f" · RAG {status}" if status else "")
            axes.text(sum(rows[y]) + most * 0.015, y, note, va="center", fontsize=_FONT_SIZE - 0.5, color=_TEXT)
        axes.set_yticks(positions, _section_labels(sections, 32))
        axes.set_xlim(0, most * 1.3)
        axes.xaxis.get_major_locator().set_params(integer=True)
        axes.set_xlabel(_STATEMENTS_AXIS)
        used = [i for i in range(len(colours)) if i < len(levels) or any(row[i] for row in rows)]
        _legend_above(axes, [(colours[i], labels[i]) for i in used])
        _tidy(axes)
        return png_of(figure)


def partnership_tiers_chart(context: dict[str, Any]) -> bytes:
    """A bar per section of the partnership plan context, split by tier: of every indicator
    of the section for every organisation, the share at each tier (and not assessed),
    with the count written in each part wide enough to hold it."""
    sections = context["sections"]
    levels = context["levels"]
    rows = []
    for section in sections:
        counts = [0] * len(levels)
        blank = 0
        for indicator in section["indicators"]:
            for i, count in enumerate(indicator["counts"]):
                counts[i] += count["count"]
            blank += len(indicator["not_assessed"])
        rows.append([*counts, blank])
    colours = [_fill(level["colour"]) for level in levels] + [_NOT_ASSESSED]
    labels = [level["label"] for level in levels] + [_NOT_ASSESSED_LABEL]
    height = 0.6 + 0.3 * len(sections)
    with chart_style():
        figure = Figure(figsize=(_LANDSCAPE_WIDTH, height), dpi=_DPI)
        axes = figure.add_subplot()
        positions = _stacked_bars(
            axes,
            rows,
            colours,
            lambda row, part: row[part] / (sum(row) or 1) * 100,
            lambda width: width >= 3.5,
            labels,
            1.0,
        )
        axes.set_yticks(positions, _section_labels(sections, 48))
        axes.set_xlim(0, 100)
        axes.set_xticks([0, 25, 50, 75, 100], ["0%", "25%", "50%", "75%", "100%"])
        used = [i for i in range(len(colours)) if any(row[i] for row in rows) or i < len(levels)]
        _legend_above(axes, [(colours[i], labels[i]) for i in used])
        _tidy(axes)
        return png_of(figure)


def _stacked_bars(
    axes,
    rows: list[list[int]],
    colours: list[str],
    width: Callable[[list[int], int], float],
    shown: Callable[[float], bool],
    words: Sequence[str] = (),
    unit: float = 1.0,
) -> list[int]:
    """A horizontal bar per row of counts, split into a part per colour, each ``width(row, part)``
    wide and its count written in it when ``shown(width)`` — with the part's word from ``words``
    ("3 Met") when the part is wide enough for it, ``unit`` being one percent of the axis;
    returns the bars' positions."""
    positions = list(range(len(rows)))
    left = [0.0] * len(rows)
    for part, colour in enumerate(colours):
        widths = [width(row, part) for row in rows]
        axes.barh(positions, widths, left=left, height=0.62, color=colour, edgecolor=_EDGE, linewidth=0.6)
        for y, (row, start, size) in enumerate(zip(rows, left, widths, strict=True)):
            if row[part] and shown(size):
                text = str(row[part])
                if part < len(words) and size >= _PERCENT_PER_CHARACTER * unit * (len(text) + 1 + len(words[part])):
                    text = f"{text} {words[part]}"
                ink = "#FFFFFF" if _dark(colour) else _TEXT
                axes.text(start + size / 2, y, text, ha="center", va="center", fontsize=_FONT_SIZE - 1, color=ink)
        left = [a + b for a, b in zip(left, widths, strict=True)]
    return positions


def _legend_above(axes, entries: list[tuple[str, str]]) -> None:
    """A one-line legend above the plot: a swatch of each (colour, label)."""
    axes.legend(
        handles=[Patch(facecolor=colour, edgecolor=_EDGE, linewidth=0.6, label=label) for colour, label in entries],
        loc="lower center",
        bbox_to_anchor=(0.5, 1.0),
        ncol=len(entries),
        frameon=False,
        fontsize=_FONT_SIZE - 0.5,
        handlelength=1.2,
    )


def chart_style():
    """matplotlib's defaults (not the user's matplotlibrc), with small type."""
    return matplotlib.rc_context(
        {
            **_DEFAULTS,
            "font.family": "DejaVu Sans",
            "font.size": _FONT_SIZE,
            "axes.edgecolor": _EDGE,
            "axes.labelcolor": _TEXT,
            "xtick.color": _TEXT,
            "ytick.color": _TEXT,
            "svg.hashsalt": "coproduce",
        }
    )


#: matplotlib's own defaults, minus the settings that are not about looks.
_DEFAULTS = {
    key: value
    for key, value in matplotlib.rcParamsDefault.items()
    if key not in {"backend", "backend_fallback", "interactive", "webagg.port", "toolbar", "timezone"}
    and not key.startswith(("savefig.directory",))
}


def _dark(colour: str) -> bool:
    """Whether ``colour`` ("#RRGGBB") needs white text on it."""
    return text_colour_on(colour.lstrip("#")) is not None if colour.startswith("#") and len(colour) == 7 else False


def _fill(colour: str) -> str:
    return colour if colour else _NO_COLOUR


def _section_labels(sections: Sequence[dict[str, Any]], width: int) -> list[str]:
    """Each section's number and title, on at most two lines of ``width`` characters."""
    return [
        "\n".join(textwrap.wrap(f"{s['number']}. {s['title']}", width=width, max_lines=2, placeholder="…"))
        for s in sections
    ]


def _tidy(axes) -> None:
    axes.invert_yaxis()  # first section at the top, as in the table above the chart
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    axes.tick_params(axis="y", length=0)
    axes.grid(axis="x", color=_TRACK, linewidth=0.6, zorder=0)
    axes.set_axisbelow(True)
    axes.figure.tight_layout(pad=0.4)


def png_of(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    FigureCanvasAgg(figure).print_png(buffer, metadata={"Software": None})
    return buffer.getvalue()
