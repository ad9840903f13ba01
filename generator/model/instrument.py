"""The instrument model (a checklist: its scale, sections and indicators) and its loader.

An instrument is data: everything about "How are we doing? V1.1" lives in
``standards/coproduction-v1.1.yaml``, and the Appendix D charter in
``standards/charter-appendix-d.yaml``; this module knows only the shape of such a file.
A section lists its ``indicators``, or ``parts`` (sub-headings, guidance, context and
indicators in reading order); forms lay sections out as ``tiers`` (criteria columns per
level, V1.1) or as a ``matrix`` (a tick column per level, the charter).
:func:`load_instrument` reads and validates one file and returns an :class:`Instrument`;
every mistake is an :class:`~generator.errors.InstrumentFileError` naming the file, the
line and the place.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from generator.errors import InstrumentFileError, UnknownSectionError
from generator.model.yamlfile import YamlMapping, YamlSequence, read_yaml

#: The ``kind`` an instrument file declares (or leaves out).  Other kinds of YAML file
#: may share a standards folder (scoring rules, for one) and are not instruments.
INSTRUMENT_KIND = "instrument"

_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_COLOUR = re.compile(r"^#[0-9A-Fa-f]{6}$")
_FIELD_ID = re.compile(r"^[a-z][a-z0-9_]*$")

#: How a form lays out a section's table.  ``tiers``: the indicator, one column of
#: criteria per level, one answer column and a comments column (V1.1).  ``matrix``: the
#: statement, one tick column per level of the scale, the comments column and, when the
#: instrument names one, a "rated by" column (the Appendix D charter).
TIERS_LAYOUT = "tiers"
MATRIX_LAYOUT = "matrix"
LAYOUTS = (TIERS_LAYOUT, MATRIX_LAYOUT)


@dataclass(frozen=True)
class Level:
    """One step of a scale: ``id`` is stored in results, ``label`` is shown to people,
    ``aliases`` are other words people type for it ("B", "None yet")."""

    id: str
    label: str
    colour: str | None = None
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Scale:
    """The answers an indicator can take, from lowest to highest.

    ``cumulative`` means each level includes the criteria of the levels below it
    (V1.1: Silver = Bronze criteria plus Silver criteria).
    """

    levels: tuple[Level, ...]
    cumulative: bool = False

    # Worked out once (scoring asks for them hundreds of thousands of times in a big merge).
    @cached_property
    def ids(self) -> tuple[str, ...]:
        return tuple(level.id for level in self.levels)

    @cached_property
    def _ranks(self) -> dict[str, int]:
        return {level_id: n for n, level_id in reversed(list(enumerate(self.ids)))}

    def level(self, level_id: str) -> Level:
        """The level with this id; ``KeyError`` if the scale has none."""
        for level in self.levels:
            if level.id == level_id:
                return level
        raise KeyError(level_id)

    def rank(self, level_id: str) -> int:
        """Position of the level on the scale: 0 for the lowest; ``ValueError`` if the scale has none."""
        try:
            return self._ranks[level_id]
        except (KeyError, TypeError):
            raise ValueError(f"{level_id!r} is not a level of the scale") from None


@dataclass(frozen=True)
class Indicator:
    """One row of the checklist.  ``criteria`` maps a level id to its bullet sentences."""

    id: str
    title: str
    section: int
    criteria: dict[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class Part:
    """A stretch of a section, in reading order: an optional ``heading`` (a sub-heading, or
    the lead line of a list), ``guidance`` paragraphs to read, ``context`` items shown but
    not rated (what a list of commitments applies to), then the ``indicators`` to rate."""

    heading: str = ""
    guidance: tuple[str, ...] = ()
    context: tuple[str, ...] = ()
    indicators: tuple[Indicator, ...] = ()

    @property
    def is_plain(self) -> bool:
        """True when the part is nothing but indicators (how every V1.1 section reads)."""
        return not (self.heading or self.guidance or self.context)


@dataclass(frozen=True)
class Section:
    """A numbered heading of the checklist with its prompt and its indicators.

    ``indicators`` is always every rated indicator of the section, in order.  ``parts``
    says how they are laid out between sub-headings, guidance and context; a section
    written with plain ``indicators`` has one plain part holding them all.  The two are
    kept in step: given ``parts`` only, ``indicators`` is filled from them; given new
    ``indicators`` with the same ids (``dataclasses.replace``), the parts take them up.
    """

    number: int
    title: str
    prompt: str
    indicators: tuple[Indicator, ...]
    parts: tuple[Part, ...] = ()

    def __post_init__(self) -> None:
        indicators = tuple(self.indicators)
        if all(part.is_plain for part in self.parts):
            parts = (Part(indicators=indicators),) if indicators else ()
        else:
            in_parts = [indicator for part in self.parts for indicator in part.indicators]
            if not indicators:
                indicators = tuple(in_parts)
            elif [i.id for i in in_parts] != [i.id for i in indicators]:
                raise ValueError(
                    f"section {self.number}: its indicators ({', '.join(i.id for i in indicators)}) are not "
                    f"those of its parts ({', '.join(i.id for i in in_parts)})"
                )
            by_id = {indicator.id: indicator for indicator in indicators}
            parts = tuple(
                dataclasses.replace(part, indicators=tuple(by_id[i.id] for i in part.indicators)) for part in self.parts
            )
        object.__setattr__(self, "indicators", indicators)
        object.__setattr__(self, "parts", parts)

    @property
    def has_parts(self) -> bool:
        """True when the section has sub-headings, guidance or context, not just indicators."""
        return not all(part.is_plain for part in self.parts)


@dataclass(frozen=True)
class Columns:
    """Headings of the checklist table: the indicator column, one per criteria level,
    the answer column and the comments column, and optionally a "rated by" column.

    In a matrix layout ``criteria`` is empty and ``answer`` names the rating (its tick
    columns are headed with the levels' labels)."""

    indicator: str
    answer: str
    comments: str
    criteria: dict[str, str] = field(default_factory=dict)
    rated_by: str | None = None


@dataclass(frozen=True)
class CoverField:
    """A question on a form's cover page.  ``id`` names the field in every format
    (a PDF field name, an Excel name), so it is plain lower-case letters, digits and ``_``."""

    id: str
    label: str
    lines: int = 1


@dataclass(frozen=True)
class FormText:
    """The wording of forms made from an instrument: cover page and answer prompt, and
    how the forms are laid out: ``layout`` is one of :data:`LAYOUTS`; ``repeat_intro``
    says whether the instrument's ``intro`` is printed at the top of every section page
    (true) or once, before the first section (false)."""

    cover_title: str
    cover: tuple[CoverField, ...]
    instructions_title: str
    instructions: tuple[str, ...]
    answer_placeholder: str
    layout: str = TIERS_LAYOUT
    repeat_intro: bool = True


@dataclass(frozen=True)
class Erratum:
    """A suggested correction of the published text, kept apart from it.

    ``id`` names an indicator ("6.2") or a section ("8") whose text holds ``original``
    (a section's text is its title, prompt and its parts' headings, guidance and context),
    or ``preamble`` or ``closing``.
    """

    id: str
    original: str
    suggested: str


@dataclass(frozen=True)
class Instrument:
    """A whole checklist, as loaded from one YAML file.

    ``intro`` is one paragraph (printed on every section page unless the form says
    otherwise); ``preamble`` is the published text before the sections, printed once,
    then ``sections_heading`` over the sections; ``closing`` is the text after them.
    """

    id: str
    title: str
    version: str
    scale: Scale
    columns: Columns
    sections: tuple[Section, ...]
    subtitle: str = ""
    intro: str = ""
    errata: tuple[Erratum, ...] = ()
    form: FormText | None = None
    source: Path | None = None
    preamble: tuple[str, ...] = ()
    sections_heading: str = ""
    closing: tuple[str, ...] = ()

    @property
    def layout(self) -> str:
        """How its forms lay out a section: ``tiers`` (the default) or ``matrix``."""
        return self.form.layout if self.form is not None else TIERS_LAYOUT

    @property
    def indicators(self) -> tuple[Indicator, ...]:
        """Every indicator, in checklist order."""
        return tuple(indicator for section in self.sections for indicator in section.indicators)

    def indicator(self, indicator_id: str) -> Indicator:
        """The indicator with this id; ``KeyError`` if there is none."""
        for indicator in self.indicators:
            if indicator.id == indicator_id:
                return indicator
        raise KeyError(indicator_id)

    def section(self, number: int) -> Section:
        """The section with this number; :class:`UnknownSectionError` if there is none."""
        for section in self.sections:
            if section.number == number:
                return section
        numbers = ", ".join(str(s.number) for s in self.sections)
        raise UnknownSectionError(f"{self.id} has no section {number}; its sections are {numbers}.")

    def as_data(self) -> dict[str, Any]:
        """The instrument as JSON-ready data, in the shape DESIGN.md gives for ``show --json``.

        Keys for the later features (``layout``, ``repeat_intro``, ``preamble``,
        ``sections_heading``, ``closing``, ``columns.rated_by``, each section's ``parts``)
        appear only when the instrument uses them, so V1.1's data keeps its shape.
        A part lists its indicators by id; the section's ``indicators`` hold them in full.
        """
        data: dict[str, Any] = {
            "id": self.id,
            "title": self.title,
            "subtitle": self.subtitle,
            "version": self.version,
            "intro": self.intro,
            "scale": [
                {"id": level.id, "label": level.label, **({"colour": level.colour} if level.colour else {})}
                for level in self.scale.levels
            ],
            "cumulative": self.scale.cumulative,
            "columns": {
                "indicator": self.columns.indicator,
                "criteria": dict(self.columns.criteria),
                "answer": self.columns.answer,
                "comments": self.columns.comments,
                **({"rated_by": self.columns.rated_by} if self.columns.rated_by else {}),
            },
            "sections": [
                {
                    "number": section.number,
                    "title": section.title,
                    "prompt": section.prompt,
                    "indicators": [
                        {"id": ind.id, "title": ind.title, "criteria": {k: list(v) for k, v in ind.criteria.items()}}
                        for ind in section.indicators
                    ],
                }
                for section in self.sections
            ],
            "errata": [dataclasses.asdict(erratum) for erratum in self.errata],
        }
        # The later features' keys, each only when used, placed where a reader expects them.
        extra: dict[str, Any] = {}
        if self.layout != TIERS_LAYOUT:
            extra["layout"] = self.layout
        if self.form is not None and not self.form.repeat_intro:
            extra["repeat_intro"] = False
        if self.preamble:
            extra["preamble"] = list(self.preamble)
        if self.sections_heading:
            extra["sections_heading"] = self.sections_heading
        if extra:
            head = list(data)[: list(data).index("scale")]
            data = {**{k: data[k] for k in head}, **extra, **{k: v for k, v in data.items() if k not in head}}
        if self.closing:
            data = {
                **{k: v for k, v in data.items() if k != "errata"},
                "closing": list(self.closing),
                "errata": data["errata"],
            }
        if any(section.has_parts for section in self.sections):
            for entry, section in zip(data["sections"], self.sections, strict=True):
                entry["parts"] = [
                    {
                        "heading": part.heading,
                        "guidance": list(part.guidance),
                        "context": list(part.context),
                        "indicators": [indicator.id for indicator in part.indicators],
                    }
                    for part in section.parts
                ]
        return data


def apply_errata(instrument: Instrument) -> Instrument:
    """A copy of ``instrument`` with every suggested correction applied to its text."""
    sections = []
    for section in instrument.sections:
        fixes = [e for e in instrument.errata if e.id == str(section.number)]
        indicators = []
        for indicator in section.indicators:
            own = [e for e in instrument.errata if e.id == indicator.id]
            indicators.append(
                dataclasses.replace(
                    indicator,
                    title=_corrected(indicator.title, own),
                    criteria={k: tuple(_corrected(b, own) for b in v) for k, v in indicator.criteria.items()},
                )
            )
        parts = tuple(
            dataclasses.replace(
                part,
                heading=_corrected(part.heading, fixes),
                guidance=tuple(_corrected(p, fixes) for p in part.guidance),
                context=tuple(_corrected(c, fixes) for c in part.context),
            )
            for part in section.parts
        )
        sections.append(
            dataclasses.replace(
                section,
                title=_corrected(section.title, fixes),
                prompt=_corrected(section.prompt, fixes),
                indicators=tuple(indicators),
                parts=parts,
            )
        )
    return dataclasses.replace(
        instrument,
        sections=tuple(sections),
        preamble=tuple(
            _corrected(p, [e for e in instrument.errata if e.id == "preamble"]) for p in instrument.preamble
        ),
        closing=tuple(_corrected(p, [e for e in instrument.errata if e.id == "closing"]) for p in instrument.closing),
        errata=(),
    )


def _corrected(text: str, errata: list[Erratum]) -> str:
    for erratum in errata:
        text = text.replace(erratum.original, erratum.suggested)
    return text


def _texts(
    instrument_sections: tuple[Section, ...], preamble: tuple[str, ...] = (), closing: tuple[str, ...] = ()
) -> dict[str, list[str]]:
    """Every piece of text an erratum may refer to, by indicator id, section number,
    ``preamble`` or ``closing``."""
    texts: dict[str, list[str]] = {}
    if preamble:
        texts["preamble"] = list(preamble)
    if closing:
        texts["closing"] = list(closing)
    for section in instrument_sections:
        texts[str(section.number)] = [section.title, section.prompt]
        for part in section.parts:
            texts[str(section.number)] += [part.heading, *part.guidance, *part.context]
        for indicator in section.indicators:
            texts[indicator.id] = [indicator.title, *(b for bullets in indicator.criteria.values() for b in bullets)]
    return texts


# --- loading -------------------------------------------------------------------------


def read_instrument_kind(data: Any) -> str:
    """The ``kind`` a parsed YAML file declares; instrument when it says nothing."""
    if isinstance(data, dict) and isinstance(data.get("kind"), str):
        return data["kind"]
    return INSTRUMENT_KIND


def load_instrument(path: Path | str) -> Instrument:
    """Read, validate and return the instrument defined in the YAML file at ``path``."""
    path = Path(path)
    return instrument_from_data(read_yaml(path), path)


def instrument_from_data(data: Any, path: Path) -> Instrument:
    """Build an :class:`Instrument` from parsed YAML, checking every key and type.

    ``path`` is used in error messages only.
    """
    return _Builder(path).instrument(data)


class _Builder:
    """Walks the parsed YAML, building dataclasses and reporting the first mistake."""

    def __init__(self, path: Path):
        self.path = path

    # error helpers -----------------------------------------------------------------
    def fail(self, problem: str, place: str = "", line: int | None = None) -> InstrumentFileError:
        return InstrumentFileError(self.path, problem, place=place, line=line)

    def mapping(
        self,
        value: Any,
        place: str,
        line: int | None,
        *,
        required: tuple[str, ...],
        optional: tuple[str, ...] | None = (),
    ) -> YamlMapping:
        """Check ``value`` is a mapping holding the ``required`` keys and, unless
        ``optional`` is None, no keys beyond ``required`` and ``optional``."""
        if not isinstance(value, dict):
            raise self.fail(f"should be a block of 'key: value' lines, but is {_describe(value)}", place, line)
        allowed = required + (optional or ())
        for key in value:
            if optional is not None and key not in allowed:
                raise self.fail(f"unknown key '{key}' (expected {_names(allowed)})", place, _key_line(value, key))
        for key in required:
            if key not in value:
                raise self.fail(f"missing key '{key}'", place, getattr(value, "line", line))
        return value

    def text(self, mapping: dict, key: str, place: str, *, required: bool = True, hint: str = "") -> str:
        if key not in mapping:
            if required:
                raise self.fail(f"missing key '{key}'", place, getattr(mapping, "line", None))
            return ""
        value = mapping[key]
        if not isinstance(value, str):
            raise self.fail(f"'{key}' should be text, but is {_describe(value)}{hint}", place, _line_of(mapping, key))
        if not value.strip():
            raise self.fail(f"'{key}' is empty", place, _line_of(mapping, key))
        return value.strip()

    def flag(self, mapping: dict, key: str, place: str, *, default: bool) -> bool:
        """A yes/no setting (YAML true or false); ``default`` when it is not given."""
        value = mapping.get(key, default)
        if not isinstance(value, bool):
            raise self.fail(
                f"'{key}' should be true or false, but is {_describe(value)}", place, _line_of(mapping, key)
            )
        return value

    def identifier(self, mapping: dict, key: str, place: str) -> str:
        value = self.text(mapping, key, place, hint=' (write it in quotes, e.g. "1.1")')
        if not _ID.match(value):
            raise self.fail(
                f"'{key}' '{value}' may hold only letters, digits, '.', '-' and '_'", place, _line_of(mapping, key)
            )
        return value

    def sequence(self, mapping: dict, key: str, place: str) -> YamlSequence:
        value = mapping[key]
        if not isinstance(value, list):
            raise self.fail(
                f"'{key}' should be a list of '- ' items, but is {_describe(value)}", place, _line_of(mapping, key)
            )
        if not value:
            raise self.fail(f"'{key}' is an empty list", place, _line_of(mapping, key))
        return value

    # the file, top down ----------------------------------------------------------------
    def instrument(self, data: Any) -> Instrument:
        if data is None:
            raise self.fail("the file is empty")
        kind = read_instrument_kind(data)
        if kind != INSTRUMENT_KIND:
            raise self.fail(f"'kind' is '{kind}', not '{INSTRUMENT_KIND}'", "", _line_of(data, "kind"))
        top = self.mapping(
            data,
            "",
            None,
            required=("id", "title", "version", "scale", "columns", "sections"),
            optional=("kind", "subtitle", "intro", "preamble", "sections_heading", "closing", "errata", "form"),
        )
        scale = self.scale(top["scale"], _line_of(top, "scale"))
        form = self.form(top["form"], _line_of(top, "form")) if "form" in top else None
        layout = form.layout if form is not None else TIERS_LAYOUT
        columns = self.columns(top["columns"], _line_of(top, "columns"), scale, layout)
        sections = self.sections(top, scale, layout)
        preamble = self.paragraphs(top, "preamble", "", "paragraph") if "preamble" in top else ()
        closing = self.paragraphs(top, "closing", "", "paragraph") if "closing" in top else ()
        instrument = Instrument(
            id=self.identifier(top, "id", ""),
            title=self.text(top, "title", ""),
            version=self.text(top, "version", "", hint=' (write it in quotes, e.g. "1.1")'),
            subtitle=self.text(top, "subtitle", "", required=False),
            intro=self.text(top, "intro", "", required=False),
            scale=scale,
            columns=columns,
            sections=sections,
            form=form,
            source=self.path,
            preamble=preamble,
            sections_heading=self.text(top, "sections_heading", "", required=False),
            closing=closing,
        )
        if "errata" in top:
            instrument = dataclasses.replace(instrument, errata=self.errata(top, sections, preamble, closing))
        return instrument

    def paragraphs(self, mapping: dict, key: str, place: str, what: str) -> tuple[str, ...]:
        """The list of text under ``key``: each item a non-empty text, runs of spaces and
        line breaks inside it joined into one space."""
        items = self.sequence(mapping, key, place)
        for i, item in enumerate(items):
            if not isinstance(item, str) or not item.strip():
                raise self.fail(f"{key} {what} {i + 1} should be text, but is {_describe(item)}", place, items.lines[i])
        return tuple(" ".join(item.split()) for item in items)

    def scale(self, value: Any, line: int | None) -> Scale:
        place = "scale"
        scale = self.mapping(value, place, line, required=("levels",), optional=("cumulative",))
        cumulative = self.flag(scale, "cumulative", place, default=False)
        items = self.sequence(scale, "levels", place)
        if len(items) < 2:
            raise self.fail("a scale needs at least two levels", place, _line_of(scale, "levels"))
        levels: list[Level] = []
        spoken_for: dict[str, str] = {}  # label or alias, case-folded → level id
        for n, item in enumerate(items, 1):
            where = f"scale level {n}"
            entry = self.mapping(
                item, where, items.lines[n - 1], required=("id", "label"), optional=("colour", "aliases")
            )
            level_id = self.identifier(entry, "id", where)
            if level_id in {lv.id for lv in levels}:
                raise self.fail(f"duplicate level id '{level_id}'", where, _line_of(entry, "id"))
            colour = None
            if "colour" in entry:
                colour = self.text(entry, "colour", where)
                if not _COLOUR.match(colour):
                    raise self.fail(
                        f"'colour' '{colour}' should be written #RRGGBB, e.g. #CD7F32", where, _line_of(entry, "colour")
                    )
            label = self.text(entry, "label", where)
            aliases = self.aliases(entry, where)
            for word in (label, *aliases):
                key = " ".join(word.casefold().split())
                if key in spoken_for:
                    raise self.fail(
                        f"'{word}' would mean both '{spoken_for[key]}' and '{level_id}'",
                        where,
                        _line_of(entry, "aliases"),
                    )
                spoken_for[key] = level_id
            levels.append(Level(level_id, label, colour, aliases))
        return Scale(tuple(levels), cumulative)

    def aliases(self, entry: dict, where: str) -> tuple[str, ...]:
        if "aliases" not in entry:
            return ()
        words = self.sequence(entry, "aliases", where)
        for i, word in enumerate(words):
            if not isinstance(word, str) or not word.strip():
                raise self.fail(
                    f"alias {i + 1} should be a word or phrase, but is {_describe(word)}", where, words.lines[i]
                )
        return tuple(" ".join(word.split()) for word in words)

    def form(self, value: Any, line: int | None) -> FormText:
        place = "form"
        form = self.mapping(
            value,
            place,
            line,
            required=("cover_title", "cover", "instructions_title", "instructions", "answer_placeholder"),
            optional=("layout", "repeat_intro"),
        )
        layout = self.text(form, "layout", place, required=False) or TIERS_LAYOUT
        if layout not in LAYOUTS:
            raise self.fail(
                f"'layout' is '{layout}'; it should be one of {_names(LAYOUTS)}", place, _line_of(form, "layout")
            )
        repeat_intro = self.flag(form, "repeat_intro", place, default=True)
        fields: list[CoverField] = []
        items = self.sequence(form, "cover", place)
        for n, item in enumerate(items, 1):
            where = f"form › cover field {n}"
            entry = self.mapping(item, where, items.lines[n - 1], required=("id", "label"), optional=("lines",))
            field_id = self.text(entry, "id", where)
            if not _FIELD_ID.match(field_id):
                raise self.fail(
                    f"cover field id '{field_id}' may hold only lower-case letters, digits and '_', "
                    "starting with a letter",
                    where,
                    _line_of(entry, "id"),
                )
            if field_id in {f.id for f in fields}:
                raise self.fail(f"duplicate cover field id '{field_id}'", where, _line_of(entry, "id"))
            lines = entry.get("lines", 1)
            if isinstance(lines, bool) or not isinstance(lines, int) or not 1 <= lines <= 20:
                raise self.fail(
                    f"'lines' should be a whole number from 1 to 20, but is {_describe(lines)}",
                    where,
                    _line_of(entry, "lines"),
                )
            fields.append(CoverField(field_id, self.text(entry, "label", where), lines))
        steps = self.sequence(form, "instructions", place)
        for i, step in enumerate(steps):
            if not isinstance(step, str) or not step.strip():
                raise self.fail(
                    f"instruction {i + 1} should be a sentence of text, but is {_describe(step)}", place, steps.lines[i]
                )
        return FormText(
            cover_title=self.text(form, "cover_title", place),
            cover=tuple(fields),
            instructions_title=self.text(form, "instructions_title", place),
            instructions=tuple(" ".join(step.split()) for step in steps),
            answer_placeholder=self.text(form, "answer_placeholder", place),
            layout=layout,
            repeat_intro=repeat_intro,
        )

    def level_keys(self, mapping: dict, scale: Scale, place: str) -> None:
        for key in mapping:
            if key not in scale.ids:
                raise self.fail(
                    f"'{key}' is not a level of the scale (its levels are {_names(scale.ids)})",
                    place,
                    _key_line(mapping, key),
                )

    def columns(self, value: Any, line: int | None, scale: Scale, layout: str) -> Columns:
        place = "columns"
        columns = self.mapping(
            value, place, line, required=("indicator", "answer", "comments"), optional=("criteria", "rated_by")
        )
        headings: dict[str, str] = {}
        if "criteria" in columns and layout == MATRIX_LAYOUT:
            raise self.fail(
                "a matrix layout has no criteria columns (its columns are the levels of the scale): "
                "remove 'criteria' here, or use layout 'tiers'",
                place,
                _key_line(columns, "criteria"),
            )
        if "criteria" in columns:
            criteria = self.mapping(
                columns["criteria"],
                "columns › criteria",
                _line_of(columns, "criteria"),
                required=(),
                optional=scale.ids,
            )
            headings = {
                level: self.text(criteria, level, "columns › criteria") for level in scale.ids if level in criteria
            }
        return Columns(
            indicator=self.text(columns, "indicator", place),
            answer=self.text(columns, "answer", place),
            comments=self.text(columns, "comments", place),
            criteria=headings,
            rated_by=self.text(columns, "rated_by", place, required=False) or None,
        )

    def sections(self, top: dict, scale: Scale, layout: str) -> tuple[Section, ...]:
        items = self.sequence(top, "sections", "")
        sections: list[Section] = []
        seen_ids: dict[str, str] = {}
        for n, item in enumerate(items, 1):
            where = f"section {n} of the list"
            entry = self.mapping(
                item,
                where,
                items.lines[n - 1],
                required=("number", "title"),
                optional=("prompt", "indicators", "parts"),
            )
            number = entry["number"]
            if isinstance(number, bool) or not isinstance(number, int):
                raise self.fail(
                    f"'number' should be a whole number, but is {_describe(number)}", where, _line_of(entry, "number")
                )
            where = f"section {number}"
            if number in {s.number for s in sections}:
                raise self.fail(f"duplicate section number {number}", where, _line_of(entry, "number"))
            if "indicators" in entry and "parts" in entry:
                raise self.fail(
                    "has both 'indicators' and 'parts': put the indicators inside the parts",
                    where,
                    _key_line(entry, "parts"),
                )
            if "parts" in entry:
                parts = self.parts(entry, number, scale, layout, seen_ids)
                indicators = tuple(indicator for part in parts for indicator in part.indicators)
                if not indicators:
                    raise self.fail(
                        "has no indicators in any of its parts: a section needs something to rate",
                        where,
                        _key_line(entry, "parts"),
                    )
            elif "indicators" in entry:
                indicators = self.indicators(entry, number, scale, layout, seen_ids, where)
                parts = ()
            else:
                raise self.fail("missing key 'indicators' (or 'parts')", where, getattr(entry, "line", None))
            sections.append(
                Section(
                    number,
                    self.text(entry, "title", where),
                    self.text(entry, "prompt", where, required=False),
                    indicators,
                    parts,
                )
            )
        return tuple(sections)

    def parts(
        self, section: dict, number: int, scale: Scale, layout: str, seen_ids: dict[str, str]
    ) -> tuple[Part, ...]:
        items = self.sequence(section, "parts", f"section {number}")
        parts: list[Part] = []
        for n, item in enumerate(items, 1):
            where = f"section {number}, part {n}"
            entry = self.mapping(
                item, where, items.lines[n - 1], required=(), optional=("heading", "guidance", "context", "indicators")
            )
            if not entry:
                raise self.fail(
                    "is empty: a part needs a 'heading', 'guidance', 'context' or 'indicators'",
                    where,
                    items.lines[n - 1],
                )
            parts.append(
                Part(
                    heading=self.text(entry, "heading", where, required=False),
                    guidance=self.paragraphs(entry, "guidance", where, "paragraph") if "guidance" in entry else (),
                    context=self.paragraphs(entry, "context", where, "item") if "context" in entry else (),
                    indicators=(
                        self.indicators(entry, number, scale, layout, seen_ids, where) if "indicators" in entry else ()
                    ),
                )
            )
        return tuple(parts)

    def indicators(
        self, container: dict, number: int, scale: Scale, layout: str, seen_ids: dict[str, str], place: str
    ) -> tuple[Indicator, ...]:
        """The indicators listed under ``container['indicators']`` (a section or a part at ``place``)."""
        items = self.sequence(container, "indicators", place)
        indicators: list[Indicator] = []
        for n, item in enumerate(items, 1):
            where = f"{place}, indicator {n}"
            entry = self.mapping(item, where, items.lines[n - 1], required=("id", "title"), optional=("criteria",))
            indicator_id = self.identifier(entry, "id", where)
            where = f"{place}, indicator {indicator_id}"
            if indicator_id in seen_ids:
                raise self.fail(
                    f"duplicate indicator id '{indicator_id}' (already used in {seen_ids[indicator_id]})",
                    where,
                    _line_of(entry, "id"),
                )
            seen_ids[indicator_id] = f"section {number}"
            if "criteria" in entry and layout == MATRIX_LAYOUT:
                raise self.fail(
                    "has criteria, but a matrix layout rates each statement as it stands: "
                    "remove 'criteria', or use layout 'tiers'",
                    where,
                    _key_line(entry, "criteria"),
                )
            criteria = self.criteria(entry, scale, where)
            indicators.append(Indicator(indicator_id, self.text(entry, "title", where), number, criteria))
        return tuple(indicators)

    def criteria(self, indicator: dict, scale: Scale, where: str) -> dict[str, tuple[str, ...]]:
        if "criteria" not in indicator:
            return {}
        place = f"{where}, criteria"
        criteria = self.mapping(
            indicator["criteria"], place, _line_of(indicator, "criteria"), required=(), optional=None
        )
        self.level_keys(criteria, scale, place)
        result: dict[str, tuple[str, ...]] = {}
        for level in scale.ids:  # scale order, whatever order the file used
            if level not in criteria:
                continue
            bullets = self.sequence(criteria, level, place)
            for i, bullet in enumerate(bullets):
                if not isinstance(bullet, str) or not bullet.strip():
                    raise self.fail(
                        f"{level} criterion {i + 1} should be a sentence of text, but is {_describe(bullet)}",
                        place,
                        bullets.lines[i],
                    )
            result[level] = tuple(" ".join(b.split()) for b in bullets)
        return result

    def errata(
        self, top: dict, sections: tuple[Section, ...], preamble: tuple[str, ...], closing: tuple[str, ...]
    ) -> tuple[Erratum, ...]:
        items = top["errata"]
        if not isinstance(items, list):
            raise self.fail(
                f"'errata' should be a list of '- ' items, but is {_describe(items)}", "", _line_of(top, "errata")
            )
        texts = _texts(sections, preamble, closing)
        errata = []
        for n, item in enumerate(items, 1):
            where = f"erratum {n}"
            entry = self.mapping(item, where, items.lines[n - 1], required=("id", "original", "suggested"))
            target = self.text(entry, "id", where, hint=' (write it in quotes, e.g. "6.2")')
            original = self.text(entry, "original", where)
            if target not in texts:
                raise self.fail(
                    f"'{target}' is neither an indicator id nor a section number"
                    + (" nor 'preamble' or 'closing'" if preamble or closing else ""),
                    where,
                    _line_of(entry, "id"),
                )
            if not any(original in text for text in texts[target]):
                raise self.fail(f"the text '{original}' is not in {target}", where, _line_of(entry, "original"))
            errata.append(Erratum(target, original, self.text(entry, "suggested", where)))
        return tuple(errata)


def _line_of(mapping: Any, key: Any, default: int | None = None) -> int | None:
    lines = getattr(mapping, "lines", None)
    if isinstance(lines, dict) and key in lines:
        return lines[key]
    return getattr(mapping, "line", default)


def _key_line(mapping: Any, key: Any) -> int | None:
    lines = getattr(mapping, "key_lines", None)
    if isinstance(lines, dict) and key in lines:
        return lines[key]
    return _line_of(mapping, key)


def _describe(value: Any) -> str:
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return f"'{str(value).lower()}' (YAML reads a bare yes/no/on/off as true/false: put the text in quotes)"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the text '{value}'"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a block of keys"
    return type(value).__name__


def _names(names: Iterator[str] | tuple[str, ...]) -> str:
    return ", ".join(f"'{n}'" for n in names)
