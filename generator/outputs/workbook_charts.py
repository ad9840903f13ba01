"""The native Excel charts of consolidated.xlsx, built with openpyxl's chart API from the tables
the workbook writes on its Charts data sheet: per instrument, how many organisations are at each
tier in each section (stacked bars), and each organisation's profile (points per section, each
bar in the section tier's colour — or its status's — against the most the section could score).

Never a colour alone (colour-blind readers, black-and-white prints): every coloured bar is
labelled with its word — "2 Bronze" in a distribution's part (a part of none is not labelled),
"5 Amber" over a profile's bar — by a number format on its data label, which both Excel and
LibreOffice show."""

from __future__ import annotations

import math

from openpyxl.chart import BarChart, Reference
from openpyxl.chart.data_source import AxDataSource, NumFmt, StrRef
from openpyxl.chart.label import DataLabel, DataLabelList
from openpyxl.chart.layout import Layout, ManualLayout
from openpyxl.chart.marker import DataPoint
from openpyxl.chart.shapes import GraphicalProperties
from openpyxl.chart.text import RichText
from openpyxl.chart.title import Title, title_maker
from openpyxl.descriptors import Typed
from openpyxl.drawing.fill import ColorChoice, PatternFillProperties
from openpyxl.drawing.line import LineProperties
from openpyxl.drawing.text import CharacterProperties, Paragraph, ParagraphProperties
from openpyxl.utils import get_column_letter, quote_sheetname

from generator.model.results import OrganisationResult
from generator.outputs.workbook_look import Look, Shade
from generator.sheets import NOT_IN_XML, text_colour_on

DISTRIBUTION_TITLE = "Organisations at each {level}, per section"
#: What a step of the scale is called: a tier of a cumulative scale, a level otherwise.
TIER, LEVEL = "tier", "level"
_DISTRIBUTION_AXIS = "Organisations"
_PROFILE_TITLE = "{name}: {tier}, {points} / {max_points} points"
_PROFILE_AXIS = "Points"
SECTION_AXIS = "Section"

_MUTED_TEXT = "7F7F7F"
_NO_COLOUR_LINE = "595959"  # outline of a chart bar whose level has no colour (white bar)
_MAXIMUM_FILL = "E7E6E6"

# Sizes, in centimetres.
DISTRIBUTION_WIDTH = 25.0
PROFILE_WIDTH = 12.5
PROFILE_HEIGHT = 7.5
_TITLE_SIZE = 12
_PROFILE_TITLE_SIZE = 10


def distribution_chart(sheet, look: Look, organisations: int, header: int, last: int, tiers: int) -> BarChart:  # noqa: ANN001
    """The stacked bars of the table on ``sheet`` from ``header`` to ``last``: a row per section,
    its title in column B, the count at each of ``tiers`` tiers from column C."""
    chart = BarChart()
    chart.type, chart.grouping, chart.overlap, chart.gapWidth = "bar", "stacked", 100, 60
    chart.title = _chart_title(DISTRIBUTION_TITLE.format(level=TIER if look.cumulative else LEVEL), _TITLE_SIZE)
    data = Reference(sheet, min_col=3, max_col=2 + tiers, min_row=header, max_row=last)
    chart.add_data(data, titles_from_data=True)
    _text_categories(chart, sheet, 2, header + 1, last)
    for series, tier in zip(chart.series, [*look.levels, None], strict=True):
        shade = look.shade(tier)
        series.graphicalProperties = _bar_look(shade)
        series.dLbls = _labels(_worded(shade.text, zero=False), shade)
    chart.x_axis.scaling.orientation = "maxMin"  # sections top to bottom, as on the Summary
    chart.y_axis.title = _DISTRIBUTION_AXIS
    chart.y_axis.scaling.min, chart.y_axis.scaling.max = 0, max(1, organisations)
    chart.y_axis.majorUnit = max(1, math.ceil(organisations / 10))
    chart.y_axis.number_format = "0"
    chart.legend.position = "b"
    chart.width = DISTRIBUTION_WIDTH
    chart.height = max(7.0, 0.9 * len(look.sections) + 3.5)
    _show_axes(chart)
    return chart


def profile_chart(
    sheet,  # noqa: ANN001 - an openpyxl worksheet
    look: Look,
    organisation: OrganisationResult,
    n: int,
    header: int,
    last: int,
    top: int,
) -> BarChart:
    """The profile chart of ``organisation``, the ``n``-th in the table on ``sheet`` from ``header``
    to ``last`` (the most possible in column C, its points in column D + ``n``); ``top`` the axis's."""
    chart = BarChart()
    chart.type, chart.grouping, chart.overlap, chart.gapWidth = "col", "clustered", 100, 40
    chart.title = _chart_title(profile_title(look, organisation), _PROFILE_TITLE_SIZE)
    # The maximum first, so the points are drawn over it.
    chart.add_data(Reference(sheet, min_col=3, min_row=header, max_row=last), titles_from_data=True)
    chart.add_data(Reference(sheet, min_col=4 + n, min_row=header, max_row=last), titles_from_data=True)
    maximum, points = chart.series
    maximum.graphicalProperties = GraphicalProperties(solidFill=_MAXIMUM_FILL, ln=LineProperties(noFill=True))
    points.dPt = [
        DataPoint(idx=i, spPr=_bar_look(look.section_shade(section))) for i, section in enumerate(organisation.sections)
    ]
    points.dLbls = _WordedLabels(
        dLbl=[
            _WordedLabel(idx=i, numFmt=_worded(look.section_shade(section).text), **_SHOW_VALUE)
            for i, section in enumerate(organisation.sections)
        ],
        **_SHOW_VALUE,
    )
    _text_categories(chart, sheet, 1, header + 1, last)
    chart.x_axis.title = SECTION_AXIS
    chart.y_axis.title = _PROFILE_AXIS
    chart.y_axis.scaling.min, chart.y_axis.scaling.max = 0, top
    chart.y_axis.majorUnit = max(1, math.ceil(top / 5))
    chart.y_axis.majorGridlines = None
    chart.legend = None  # the bars' colours are the tiers: the key is on the Summary
    chart.width, chart.height = PROFILE_WIDTH, PROFILE_HEIGHT
    chart.layout = Layout(manualLayout=ManualLayout(x=0.02, y=0.14, w=0.96, h=0.72))
    _show_axes(chart)
    return chart


def profile_title(look: Look, organisation: OrganisationResult) -> str:
    return _PROFILE_TITLE.format(
        name=organisation.title,
        tier=look.label(organisation.tier),
        points=organisation.points,
        max_points=organisation.max_points,
    )


def _text_categories(chart: BarChart, sheet, column: int, first: int, last: int) -> None:  # noqa: ANN001
    """Label the category axis with the text in ``column`` (openpyxl would refer to it as numbers)."""
    letter = get_column_letter(column)
    reference = f"{quote_sheetname(sheet.title)}!${letter}${first}:${letter}${last}"
    for series in chart.series:
        series.cat = AxDataSource(strRef=StrRef(f=reference))


def _chart_title(text: str, size: int) -> Title:
    # What XML cannot hold is taken out of chart titles (the text itself is in the cells).
    title = title_maker(NOT_IN_XML.sub("", text.replace("\r\n", "\n").replace("\r", "\n")))
    for paragraph in title.tx.rich.paragraphs:
        paragraph.pPr.defRPr = CharacterProperties(sz=size * 100, b=True)
    title.overlay = False
    return title


def _bar_look(shade: Shade) -> GraphicalProperties:
    """A bar in a tier's colour; white with an outline for a level without a colour; hatched for Incomplete."""
    if shade.muted:
        hatch = PatternFillProperties(
            prst="wdUpDiag", fgClr=ColorChoice(srgbClr=_MUTED_TEXT), bgClr=ColorChoice(srgbClr="FFFFFF")
        )
        return GraphicalProperties(pattFill=hatch, ln=LineProperties(solidFill=_NO_COLOUR_LINE, w=9525))
    if shade.fill:
        return GraphicalProperties(solidFill=shade.fill, ln=LineProperties(solidFill=_NO_COLOUR_LINE, w=3175))
    return GraphicalProperties(solidFill="FFFFFF", ln=LineProperties(solidFill=_NO_COLOUR_LINE, w=9525))


_SHOW_VALUE = {"showVal": True, "showSerName": False, "showCatName": False, "showLegendKey": False}


# openpyxl writes a data label's number format without sourceLinked="0", and LibreOffice then
# shows the bare number: these write it in full, as Excel does.
class _WordedLabel(DataLabel):
    tagname = "dLbl"
    numFmt = Typed(expected_type=NumFmt, allow_none=True)
    __elements__ = DataLabel.__elements__
    __attrs__ = DataLabel.__attrs__
    __nested__ = tuple(name for name in DataLabel.__nested__ if name != "numFmt")


class _WordedLabels(DataLabelList):
    tagname = "dLbls"
    numFmt = Typed(expected_type=NumFmt, allow_none=True)
    __elements__ = DataLabelList.__elements__
    __attrs__ = DataLabelList.__attrs__
    __nested__ = tuple(name for name in DataLabelList.__nested__ if name != "numFmt")


def _worded(word: str, *, zero: bool = True) -> NumFmt:
    """A number format showing a count with ``word`` after it ("2 Bronze"); without ``zero``, a
    count of none shows nothing."""
    literal = '"' + NOT_IN_XML.sub("", word).replace('"', "'") + '"'
    return NumFmt(f"0 {literal};-0 {literal};" + (f"0 {literal}" if zero else ""), sourceLinked=False)


def _labels(number_format: NumFmt, shade: Shade) -> DataLabelList:
    """Data labels showing each value in ``number_format``, in black or white as ``shade``'s fill needs."""
    colour = text_colour_on(shade.fill) or "000000"
    text = RichText(p=[Paragraph(pPr=ParagraphProperties(defRPr=CharacterProperties(sz=800, solidFill=colour)))])
    return _WordedLabels(numFmt=number_format, txPr=text, **_SHOW_VALUE)


def _show_axes(chart: BarChart) -> None:
    # openpyxl 3.1 leaves <c:delete> unset, which recent Excel reads as "axis hidden".
    chart.x_axis.delete = False
    chart.y_axis.delete = False
