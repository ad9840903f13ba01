"""Action plans as Word documents: the plan contexts of :mod:`generator.plans.context` poured into
docxtpl templates that a user can restyle in Word.

The look and the wording around the data are in the templates (``templates/action-plan.docx``
and ``templates/partnership-plan.docx`` for instruments of tiers, ``…-statements.docx`` for
instruments of statements rated as they stand — see :func:`generator.plans.context.plan_style` — or
the user's own copies); this module only supplies the context, the chart image and the checks.
A template's tags are Jinja, run in a sandbox with autoescape on (a comment like
``<b> & =SUM(A1)`` stays text) and strict about names (a misspelt variable is an error, not
an empty gap).  Besides the context's keys a template can use ``chart`` (the chart image),
the filter ``shade``, which turns a level colour into a cell fill for docxtpl's
``{% cellbg %}``, and the filter ``long_date``, which writes an ISO date as readers write it
("17 March 2026").  Every picture carries alt text (its ``descr``), for screen readers.  The
pictures cut from scanned returns (an answer to check, a handwritten comment) are taken from the
results folder where they can be found (:func:`scans_in`), small, where the typed text would go.
"""

from __future__ import annotations

import difflib
import functools
import io
import re
import zipfile
from collections.abc import Callable, Iterator
from datetime import date, datetime, time, timezone
from importlib import resources
from pathlib import Path
from typing import Any

from docx import Document
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.exceptions import PackageNotFoundError
from docx.oxml.ns import qn
from docx.shared import Mm
from docxtpl import DocxTemplate, InlineImage
from jinja2 import StrictUndefined, TemplateSyntaxError, meta
from jinja2 import TemplateError as JinjaTemplateError
from jinja2.sandbox import SandboxedEnvironment
from lxml import etree
from PIL import Image

from generator.atomic import restamp_zip, write_atomically
from generator.errors import TemplateError
from generator.forms.identity import output_category
from generator.plans import charts
from generator.plans.context import NOT_GIVEN
from generator.returns.dates import long_date

__all__ = [
    "STATEMENT_TEMPLATE_NAMES",
    "TEMPLATE_NAMES",
    "TEMPLATE_VARIABLES",
    "Picture",
    "TemplateError",
    "check_docx_template",
    "check_template",
    "default_template",
    "render_docx_template",
    "render_organisation_plan",
    "render_partnership_plan",
    "shade",
]

#: The two kinds of plan, and the file name of each one's built-in template.
TEMPLATE_NAMES = {"organisation": "action-plan.docx", "partnership": "partnership-plan.docx"}
#: The built-in templates of plans of statements (an instrument whose indicators have no criteria).
STATEMENT_TEMPLATE_NAMES = {
    "organisation": "action-plan-statements.docx",
    "partnership": "partnership-plan-statements.docx",
}

#: The variables a template of each kind can use: the keys of the plan context
#: (:func:`generator.plans.context.organisation_plan`, :func:`generator.plans.context.partnership_plan`) and ``chart``.
TEMPLATE_VARIABLES = {
    "organisation": frozenset(
        {
            "organisation",
            "instrument",
            "review_date",
            "respondents",
            "roles",
            "levels",
            "overall",
            "sections",
            "actions",
            "not_assessed",
            "disagreements",
            "perception_gap_count",
            "chart",
            "style",
            "columns",
            "has_status",
            "action_groups",
            "round",
            "project",
            "unclear",
            "explanation",
            "priorities",
            "level_and_rag",
            "glossary",
        }
    ),
    "partnership": frozenset(
        {
            "instrument",
            "levels",
            "first_tier",
            "organisation_count",
            "organisations",
            "section_numbers",
            "summary",
            "sections",
            "shared_actions",
            "chart",
            "style",
            "columns",
            "statuses",
            "has_status",
            "level_and_rag",
            "glossary",
        }
    ),
}

#: Width of the chart in each kind of plan (16 cm fits A4 portrait, 24 cm A4 landscape).
_CHART_WIDTH = {"organisation": Mm(160), "partnership": Mm(240)}
#: Width of a scan's cut-out of an answer to check, in the plan's first page: small, but readable.
_SCAN_WIDTH = Mm(45)
#: Width of a handwritten comment's picture where the typed comment would go: in a list (plans of
#: tiers) or in a table cell (plans of statements); and the tallest it may be (a picture is cut from
#: a scan that may come from anywhere: a tall one is made narrower, never longer than this).
_HANDWRITING_WIDTH = {"tiers": Mm(70), "statements": Mm(45)}
_HANDWRITING_HEIGHT = Mm(40)
#: The largest picture of a scan a plan takes from the results folder (they are a few kB).
_SCAN_LIMIT = 5_000_000
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
#: The zip time of a plan with no review date, so the same context gives the same bytes.
FALLBACK_TIME = datetime(2000, 1, 1, 12, tzinfo=timezone.utc)
#: docxtpl's own tags, which are not Jinja blocks.
_DOCXTPL_TAGS = {"cellbg", "colspan", "vm", "hm"}
#: Jinja tags that open a block, and the tag that closes each.
_BLOCKS = {"for", "if", "macro", "call", "filter", "with", "block", "raw", "autoescape", "set"}
_MIDDLES = {"else": {"if", "for"}, "elif": {"if"}}
#: The order of a table cell's properties in WordprocessingML (w:tcPr's sequence).
_TC_PR_ORDER = {
    qn(f"w:{tag}"): i
    for i, tag in enumerate(
        (
            "cnfStyle",
            "tcW",
            "gridSpan",
            "hMerge",
            "vMerge",
            "tcBorders",
            "shd",
            "noWrap",
            "tcMar",
            "textDirection",
            "tcFitText",
            "vAlign",
            "hideMark",
            "headers",
            "cellIns",
            "cellDel",
            "cellMerge",
            "tcPrChange",
        )
    )
}
#: Characters Word's XML cannot hold (control characters, lone surrogates); tab and newline stay.
_NOT_XML = re.compile("[\x00-\x08\x0b-\x1f\ud800-\udfff\ufffe\uffff]")
_OPENERS = re.compile(r"\{[{%#]")
_CLOSERS = {"{{": "}}", "{%": "%}", "{#": "#}"}
#: A whole tag: its kind ({, % or #), docxtpl's prefix (p, tr, tc, r) if any, and its body.
_TAG = re.compile(r"^\{([{%#])-?(?:(tr|tc|p|r)(?=\s))?\s*(.*?)\s*-?[}%#]\}$", re.DOTALL)


def default_template(kind: str, style: str = "tiers") -> Path:
    """The built-in template of ``kind`` ("organisation" or "partnership") for plans of
    ``style`` ("tiers", or "statements": see :func:`generator.plans.context.plan_style`).

    A wheel carries the templates as ``generator/templates``; a source checkout has them
    at the top of the repository.
    """
    names = STATEMENT_TEMPLATE_NAMES if style == "statements" else TEMPLATE_NAMES
    name = names[_check_kind(kind)]
    packaged = Path(str(resources.files("generator"))) / "templates" / name
    if packaged.is_file():
        return packaged
    return Path(__file__).resolve().parent.parent.parent / "templates" / name


class Picture:
    """A picture for a template: PNG bytes, its width, and its alt text (``description``: what a
    screen reader says instead of showing it).  A context may hold one anywhere; it is put in
    the document where the template prints it."""

    def __init__(self, png: bytes, width: Any, description: str) -> None:
        self.png, self.width, self.description = png, width, description


class _DescribedImage(InlineImage):
    """docxtpl's InlineImage, with alt text: the picture's ``descr`` (python-docx leaves it empty)."""

    def __init__(self, tpl: DocxTemplate, picture: Picture) -> None:
        super().__init__(tpl, io.BytesIO(picture.png), width=picture.width)
        self.description = picture.description

    def _insert_image(self) -> str:
        inline = self.tpl.current_rendering_part.new_pic_inline(self.image_descriptor, self.width, self.height)
        properties = inline.find(qn("wp:docPr"))
        properties.set("descr", _NOT_XML.sub("", self.description))
        return f'</w:t></w:r><w:r><w:drawing>{inline.xml}</w:drawing></w:r><w:r><w:t xml:space="preserve">'


def render_organisation_plan(
    context: dict[str, Any],
    out: Path,
    template: Path | None = None,
    scans: Callable[[str], bytes | None] | None = None,
) -> Path:
    """Write one organisation's action plan to ``out`` (.docx) from its context
    (:func:`generator.plans.context.organisation_plan`), with ``template`` or the built-in one of the
    context's style.  ``scans`` gives the PNG of a scanned answer to check, or of a comment handwritten
    on a scanned return, by its ``image`` (a path relative to the results folder: :func:`scans_in`), or
    None where there is none; without it the plan names the image instead (a handwritten comment keeps
    its text).  Returns ``out``; raises :class:`TemplateError` if the template cannot be filled in."""
    stamp = _date_time(context.get("review_date"))
    if context.get("style") == "statements":
        chart = charts.section_levels_chart(context)
    else:
        chart = charts.section_points_chart(context)
    context = {**context, "unclear": [_with_picture(u, scans) for u in context.get("unclear", [])]}
    _put_handwriting(context, scans)
    if "priorities" in context:
        checks = [_with_picture(u, scans) for u in context["priorities"].get("checks", [])]
        context["priorities"] = {**context["priorities"], "checks": checks}
    return _render("organisation", context, chart, out, template, stamp, chart_description(context))


def render_partnership_plan(context: dict[str, Any], out: Path, template: Path | None = None) -> Path:
    """Write the partnership plan to ``out`` (.docx) from its context
    (:func:`generator.plans.context.partnership_plan`), with ``template`` or the built-in one of the
    context's style.  Returns ``out``; raises :class:`TemplateError` if the template cannot be filled in."""
    chart = charts.partnership_tiers_chart(context)
    return _render("partnership", context, chart, out, template, FALLBACK_TIME, chart_description(context))


def scans_in(folder: Path) -> Callable[[str], bytes | None]:
    """The pictures of scanned answers kept in a results ``folder`` (``scans/…png``), by their path
    relative to it, as :func:`render_organisation_plan` takes them: None for a path that leaves
    the folder, is not a PNG file, or is missing or too large (a results.json may come from anywhere)."""
    root = Path(folder).resolve()

    def picture(relative: str) -> bytes | None:
        try:
            path = (root / relative).resolve()
            if not path.is_relative_to(root) or path.suffix.lower() != ".png" or not path.is_file():
                return None
            if path.stat().st_size > _SCAN_LIMIT:
                return None
            data = path.read_bytes()
        except (OSError, ValueError):
            return None
        return data if data.startswith(_PNG_SIGNATURE) else None

    return picture


def chart_description(context: dict[str, Any]) -> str:
    """The alt text of a plan's chart: what it shows, and its numbers, in words."""
    sections = context.get("sections", [])
    if "summary" in context:  # the partnership plan: how the answers spread across the levels
        parts = []
        for s in sections:
            totals: dict[str, int] = {}
            for indicator in s.get("indicators", []):
                for count in indicator["counts"]:
                    totals[count["label"]] = totals.get(count["label"], 0) + count["count"]
            parts.append(f"{s['number']} {s['title']}: " + ", ".join(f"{n} {label}" for label, n in totals.items()))
        return "Bar chart of how the organisations' answers spread across the levels, section by section. " + "; ".join(
            parts
        )
    if context.get("style") == "statements":
        parts = [
            f"{s['number']} {s['title']}: "
            + ", ".join(f"{c['count']} {c['label']}" for c in s.get("counts", []))
            + (f", status {s['status']['label']}" if s.get("status", {}).get("label") else "")
            for s in sections
        ]
        return "Bar chart of the statements of each standard at each rating. " + "; ".join(parts)
    parts = [f"{s['number']} {s['title']}: {s['points']} of {s['max_points']} points, {s['label']}" for s in sections]
    return "Bar chart of points per section, each bar in the colour of the section's tier. " + "; ".join(parts)


def _with_picture(item: dict[str, Any], scans: Callable[[str], bytes | None] | None) -> dict[str, Any]:
    """An answer to check with its scanned image as a :class:`Picture` where one is found."""
    png = scans(item["image"]) if scans is not None and item.get("image") else None
    if png is None:
        return {**item, "picture": ""}
    who = item.get("who") or item.get("file") or ""
    description = f"Scan of the answer to {item.get('id', '')} by {who}, to check: {item.get('why', '')}"
    return {**item, "picture": Picture(png, _SCAN_WIDTH, description)}


def _put_handwriting(context: dict[str, Any], scans: Callable[[str], bytes | None] | None) -> None:
    """Give each comment handwritten on a scanned return its picture, where ``scans`` finds it, in
    ``context``'s actions (and the same actions in its ``action_groups``); every other comment an
    empty ``picture``.  The caller's context is not changed (the actions and their comments are copies)."""
    width = _HANDWRITING_WIDTH.get(context.get("style", "tiers"), _HANDWRITING_WIDTH["tiers"])
    copies: dict[int, dict[str, Any]] = {}

    def with_pictures(action: dict[str, Any]) -> dict[str, Any]:
        if id(action) not in copies:
            comments = [_with_handwriting(c, action, scans, width) for c in action.get("comments", [])]
            copies[id(action)] = {**action, "comments": comments}
        return copies[id(action)]

    context["actions"] = [with_pictures(a) for a in context.get("actions", [])]
    context["action_groups"] = [
        {**g, "parts": [{**p, "actions": [with_pictures(a) for a in p["actions"]]} for p in g.get("parts", [])]}
        for g in context.get("action_groups", [])
    ]


def _with_handwriting(
    comment: dict[str, Any], action: dict[str, Any], scans: Callable[[str], bytes | None] | None, width: Any
) -> dict[str, Any]:
    """A comment with the picture of its handwriting (a :class:`Picture`, at most ``width`` wide and
    :data:`_HANDWRITING_HEIGHT` tall) where it has one and ``scans`` finds it; with none ("") otherwise."""
    png = scans(comment["image"]) if scans is not None and comment.get("image") else None
    size = _png_size(png) if png is not None else None
    if size is None:
        return {**comment, "picture": ""}
    pixels_wide, pixels_high = size
    width = min(width, int(_HANDWRITING_HEIGHT * pixels_wide / pixels_high))
    who = comment.get("who") or comment.get("respondent") or NOT_GIVEN
    description = f"Handwritten comment by {who} on {action.get('id', '')} {action.get('title', '')}".rstrip()
    return {**comment, "picture": Picture(png, width, description)}


def _png_size(png: bytes) -> tuple[int, int] | None:
    """The width and height of a PNG in pixels, or None when it is not a picture that can be shown."""
    try:
        with Image.open(io.BytesIO(png)) as image:
            width, height = image.size
            image.verify()
    except (OSError, ValueError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        return None
    return (width, height) if width > 0 and height > 0 else None


def check_template(path: Path, kind: str) -> None:
    """Check that ``path`` is a usable plan template of ``kind`` ("organisation" or
    "partnership"): a .docx file whose tags are whole, whose blocks are closed, and whose
    variables are all known.  Raises :class:`TemplateError` naming the file and the tag."""
    check_docx_template(path, TEMPLATE_VARIABLES[_check_kind(kind)], f"{kind} plan")


def check_docx_template(path: Path, variables: frozenset[str], document_name: str) -> None:
    """Check that ``path`` is a usable docxtpl template of the document called ``document_name``
    in messages ("organisation plan", "progress report"): a .docx whose tags are whole, whose
    blocks are closed, and which uses only ``variables``.  :class:`TemplateError` naming the file
    and the tag."""
    document = _open_docx(path)
    _check_tags(path, document)
    _check_properties(path, document)
    environment = _environment()
    source = _jinja_source(path)
    try:
        used = meta.find_undeclared_variables(environment.parse(source))
    except TemplateSyntaxError as error:  # what the tag-by-tag checks above did not catch
        near = _line_text(source, error.lineno)
        raise TemplateError(path, f"has a broken tag near “{near}”: {error.message}") from error
    unknown = sorted(used - variables - set(environment.globals))
    if unknown:
        raise TemplateError(path, _unknown_variables(unknown, variables, document_name))


def render_docx_template(
    path: Path,
    context: dict[str, Any],
    out: Path,
    stamp: datetime,
    check: Callable[[], None],
    images: dict[str, Picture] | None = None,
    *,
    what: str,
) -> Path:
    """Fill the docxtpl template at ``path`` with ``context`` (text made safe for XML; a
    :class:`Picture` anywhere in it becomes that picture) and ``images`` (variable → picture),
    and write it to ``out`` atomically, its zip stamped ``stamp``, its category saying it is
    ``what`` coproduce wrote ("action plan": so it is never read as a return); returns ``out``.
    When filling fails, ``check()`` (the template's check) runs first, to name a broken tag or
    unknown variable, else :class:`TemplateError` says why."""

    def write(tmp: Path) -> None:
        document = DocxTemplate(path)  # one per output: a DocxTemplate keeps state from a render
        values = _xml_safe({**context, **(images or {})}, lambda picture: _DescribedImage(document, picture))
        try:
            document.render(values, jinja_env=_environment(), autoescape=True)
        except JinjaTemplateError as error:
            check()
            raise TemplateError(path, f"cannot be filled in: {_plain(error)}") from error
        document.docx.core_properties.category = output_category(what)
        body = document.docx.element.body
        _fit_table_grids(body)
        _tidy_cell_properties(body)
        document.save(tmp)
        restamp_zip(tmp, stamp)

    return write_atomically(Path(out), write)


def shade(colour: Any) -> str:
    """The ``shade`` filter: a colour ("#CD7F32", "CD7F32", or "" for none) as a cell fill for
    docxtpl's ``{% cellbg %}`` — "CD7F32", or "auto" (no fill) when there is no colour."""
    text = str(colour or "").strip().lstrip("#")
    return text.upper() if re.fullmatch(r"[0-9A-Fa-f]{6}", text) else "auto"


# --- rendering ----------------------------------------------------------------------------------


def _render(
    kind: str,
    context: dict[str, Any],
    chart: bytes,
    out: Path,
    template: Path | None,
    stamp: datetime,
    description: str,
) -> Path:
    path = Path(template) if template is not None else default_template(kind, context.get("style", "tiers"))
    if template is not None:
        _check_once(path, kind, *_signature(path))
    elif not path.is_file():
        raise TemplateError(path, "the built-in template is missing: reinstall coproduce")
    return render_docx_template(
        path,
        context,
        out,
        stamp,
        lambda: check_template(path, kind),
        {"chart": Picture(chart, _CHART_WIDTH[kind], description)},
        what="action plan" if kind == "organisation" else "partnership plan",
    )


@functools.lru_cache(maxsize=8)
def _check_once(path: Path, kind: str, _where: str, _mtime: int, _size: int) -> None:
    """check_template, once per version of a template file (a run fills it in once per organisation)."""
    check_template(path, kind)


def _signature(path: Path) -> tuple[str, int, int]:
    """What tells one version of a file from another: where it is, when it changed, its size."""
    try:
        status = path.stat()
    except OSError:
        return "", 0, 0
    return str(path.resolve()), status.st_mtime_ns, status.st_size


def _plain(error: JinjaTemplateError) -> str:
    """Jinja's message, in the template's words where it speaks of Python's."""
    message = str(error.message or error)
    if missing := re.search(r"has no attribute '([^']+)'", message):
        return f"it uses .{missing.group(1)}, which that value does not have (see templates/README.md)"
    return message


def _environment() -> SandboxedEnvironment:
    """The Jinja environment of every plan: sandboxed (a template is a file from outside),
    autoescaped (data is text, never XML), strict (a misspelt name fails, not prints nothing)."""
    environment = SandboxedEnvironment(autoescape=True, undefined=StrictUndefined)
    environment.filters["shade"] = shade
    environment.filters["long_date"] = long_date
    return environment


def _xml_safe(value: Any, picture: Callable[[Picture], Any] = lambda p: p) -> Any:
    """A copy of ``value`` whose strings Word can hold: line ends as ``\\n`` (docxtpl makes
    those line breaks), other control characters removed (docxtpl would turn a form feed
    into a page break); each :class:`Picture` made what ``picture`` makes of it."""
    if isinstance(value, str):
        return _NOT_XML.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))
    if isinstance(value, Picture):
        return picture(value)
    if isinstance(value, dict):
        return {key: _xml_safe(item, picture) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_xml_safe(item, picture) for item in value]
    return value


def _fit_table_grids(body: etree._Element) -> None:
    """Give each table's column grid the widths its cells ask for.

    docxtpl's ``{%tc for %}`` repeats a cell but shares the original grid out evenly; Word
    and LibreOffice then draw columns of the wrong widths.  Each cell keeps the width set
    in the template, so the grid is rebuilt from the row with the most cells.
    """
    for table in body.iter(qn("w:tbl")):
        grid = table.find(qn("w:tblGrid"))
        rows = [row.findall(qn("w:tc")) for row in table.findall(qn("w:tr"))]
        if grid is None or not rows:
            continue
        widest = max(rows, key=len)
        widths = [_cell_width(cell) for cell in widest]
        if None in widths or any(_cell_span(cell) != 1 for cell in widest):
            continue
        for column in grid.findall(qn("w:gridCol")):
            grid.remove(column)
        for width in widths:
            etree.SubElement(grid, qn("w:gridCol")).set(qn("w:w"), str(width))


def _tidy_cell_properties(body: etree._Element) -> None:
    """Put each cell's properties in the order Word's schema wants, and make every cell fill
    a colour Word accepts.

    docxtpl's ``{% cellbg %}`` puts the fill first, where Word expects it after the width and
    span; and a template may give ``cellbg`` a colour as "#CD7F32" or "" instead of using
    ``shade``."""
    for properties in body.iter(qn("w:tcPr")):
        children = sorted(properties, key=lambda child: _TC_PR_ORDER.get(child.tag, len(_TC_PR_ORDER)))
        properties[:] = children
        for fill in properties.findall(qn("w:shd")):
            if fill.get(qn("w:fill")) is not None:
                fill.set(qn("w:fill"), shade(fill.get(qn("w:fill"))))


def _cell_width(cell: etree._Element) -> int | None:
    width = cell.find(f"{qn('w:tcPr')}/{qn('w:tcW')}")
    if width is None or width.get(qn("w:type")) != "dxa":
        return None
    try:
        return int(width.get(qn("w:w")))
    except (TypeError, ValueError):
        return None


def _cell_span(cell: etree._Element) -> int:
    span = cell.find(f"{qn('w:tcPr')}/{qn('w:gridSpan')}")
    return int(span.get(qn("w:val"), "1")) if span is not None else 1


def _date_time(value: Any) -> datetime:
    """Noon on the date ``value`` (ISO), or the fallback time: what a plan's zip entries carry."""
    try:
        day = date.fromisoformat(str(value))
    except ValueError:
        return FALLBACK_TIME
    return datetime.combine(day, time(12), tzinfo=timezone.utc) if 1980 < day.year < 2100 else FALLBACK_TIME


# --- checking a template ------------------------------------------------------------------------


def _check_kind(kind: str) -> str:
    if kind not in TEMPLATE_NAMES:
        raise ValueError(f"unknown kind of plan {kind!r}: use one of {', '.join(TEMPLATE_NAMES)}")
    return kind


def _open_docx(path: Path):
    """The template as a python-docx Document; TemplateError if it is not one."""
    if not Path(path).is_file():
        raise TemplateError(path, "the template file does not exist")
    try:
        return Document(str(path))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError, OSError, etree.XMLSyntaxError) as error:
        raise TemplateError(path, f"is not a Word .docx file that can be used as a template ({error})") from error


def _paragraphs(document) -> Iterator[tuple[str, str, bool]]:
    """(where, text, in a table cell) of every paragraph of the body, page headers and page footers, in order."""
    parts = [("the paragraph", document.part.element)]
    for rel in document.part.rels.values():
        if rel.reltype == RT.HEADER:
            parts.append(("the page header", rel.target_part.element))
        elif rel.reltype == RT.FOOTER:
            parts.append(("the page footer", rel.target_part.element))
    for where, element in parts:
        for paragraph in element.iter(qn("w:p")):
            in_cell = paragraph.getparent() is not None and paragraph.getparent().tag == qn("w:tc")
            text = "".join(text.text or "" for text in paragraph.iter(qn("w:t")))
            yield ("a table cell" if in_cell and where == "the paragraph" else where), text, in_cell


def _check_tags(path: Path, document) -> None:
    """Every tag whole within its paragraph and valid on its own; every block closed, by a
    tag of the same kind (``{%p``, ``{%tr``, ``{%tc``)."""
    environment = _environment()
    open_blocks: list[tuple[str, str, str, str]] = []  # keyword, prefix, tag, where
    for where, text, in_cell in _paragraphs(document):
        place = f"in {where} “{_short(text)}”"
        for tag in _tags_of(path, text, place):
            match = _TAG.match(tag)
            if match is None:
                continue
            kind, prefix, body = match.group(1), match.group(2) or "", match.group(3)
            if kind == "{":
                _parse_alone(path, environment, f"{{{{ {body} }}}}", tag, place)
                continue
            if kind == "#":
                continue
            keyword = body.split(maxsplit=1)[0] if body else ""
            if keyword in _DOCXTPL_TAGS:
                if not in_cell:
                    raise TemplateError(path, f"the tag “{tag}” ({place}) only works inside a table cell")
                _parse_alone(path, environment, f"{{{{ {body[len(keyword) :]} }}}}", tag, place)
            elif keyword in _BLOCKS and not (keyword == "set" and "=" in body):
                if keyword in ("for", "if"):
                    _parse_alone(path, environment, f"{{% {body} %}}{{% end{keyword} %}}", tag, place)
                open_blocks.append((keyword, prefix, tag, place))
            elif keyword in _MIDDLES:
                if not open_blocks or open_blocks[-1][0] not in _MIDDLES[keyword]:
                    raise TemplateError(path, f"the tag “{tag}” ({place}) is not inside an if or for block")
                if keyword == "elif":
                    _parse_alone(path, environment, f"{{% if {body[4:]} %}}{{% endif %}}", tag, place)
            elif keyword.startswith("end"):
                opened = keyword[3:]
                if not open_blocks:
                    raise TemplateError(path, f"the tag “{tag}” ({place}) has no “{{% {opened} … %}}” before it")
                top_keyword, top_prefix, top_tag, top_place = open_blocks.pop()
                if top_keyword != opened:
                    raise TemplateError(
                        path,
                        f"the tag “{tag}” ({place}) closes “{top_tag}” ({top_place}), which needs end{top_keyword}",
                    )
                if top_prefix != prefix:
                    raise TemplateError(
                        path,
                        f"the tag “{top_tag}” ({top_place}) is closed by “{tag}” ({place}): "
                        f"both must be of the same kind, {_opening(top_prefix)}",
                    )
    if open_blocks:
        keyword, prefix, tag, place = open_blocks[-1]
        raise TemplateError(
            path, f"the tag “{tag}” ({place}) is never closed: add “{_opening(prefix)} end{keyword} %}}” after it"
        )


def _check_properties(path: Path, document) -> None:
    """docxtpl fills in the document properties (File > Properties) as templates too."""
    environment = _environment()
    properties = document.core_properties
    for name in ("author", "comments", "identifier", "language", "subject", "title"):  # the ones docxtpl renders
        value = getattr(properties, name) or ""
        try:
            environment.parse(value)
        except TemplateSyntaxError as error:
            raise TemplateError(
                path, f"the document property {name} (“{_short(value)}”) has a broken tag: {error.message}"
            ) from error


def _tags_of(path: Path, text: str, place: str) -> Iterator[str]:
    """The tags in a paragraph's text; TemplateError for one not closed in the same paragraph."""
    position = 0
    while (start := _OPENERS.search(text, position)) is not None:
        closer = _CLOSERS[start.group()]
        end = text.find(closer, start.end())
        following = _OPENERS.search(text, start.end())
        if end == -1 or (following is not None and following.start() < end):
            stop = following.start() if following is not None else len(text)
            fragment = _short(text[start.start() : stop].rstrip())
            raise TemplateError(path, f"the tag “{fragment}” ({place}) is not closed: it needs “{closer}”")
        yield text[start.start() : end + 2]
        position = end + 2


def _parse_alone(path: Path, environment: SandboxedEnvironment, source: str, tag: str, place: str) -> None:
    try:
        environment.compile(source)  # compiling, not only parsing, finds unknown filters
    except TemplateSyntaxError as error:
        raise TemplateError(path, f"the tag “{tag}” ({place}) is not valid: {error.message}") from error


def _jinja_source(path: Path) -> str:
    """The Jinja source docxtpl makes of the template: body, headers and footers."""
    template = DocxTemplate(path)
    template.init_docx()
    source = template.patch_xml(template.xml_to_string(template.docx._element.body))
    for uri in (template.HEADER_URI, template.FOOTER_URI):
        for _key, part in template.get_headers_footers(uri):
            source += template.patch_xml(template.get_part_xml(part))
    # docxtpl puts each paragraph on a line of its own, so an error's line is a paragraph.
    return re.sub(r"<w:p([ >])", r"\n<w:p\1", source)


def _line_text(source: str, line: int | None) -> str:
    lines = source.splitlines()
    if not line or line > len(lines):
        return "the end of the template"
    return _short(re.sub(r"<[^>]+>", "", lines[line - 1]))


def _unknown_variables(unknown: list[str], variables: frozenset[str], kind: str) -> str:
    """``kind`` names the document ("organisation plan")."""
    names = []
    for name in unknown:
        close = difflib.get_close_matches(name, variables, n=1)
        names.append(f"{{{{ {name} }}}}" + (f" (did you mean {{{{ {close[0]} }}}}?)" if close else ""))
    listed = ", ".join(sorted(variables))
    return (
        f"uses {', '.join(names)}, which {'is not a variable' if len(names) == 1 else 'are not variables'} "
        f"of the {kind}; its variables are {listed} (see templates/README.md)"
    )


def _opening(prefix: str) -> str:
    return "{%" + prefix


def _short(text: str, width: int = 70) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"
