"""The instrument model: a checklist, its scale, sections and indicators.

An instrument is data: everything about "How are we doing? V1.1" lives in
``standards/coproduction-v1.1.yaml``, and the Appendix D charter in
``standards/charter-appendix-d.yaml``; this module knows only the shape of such a file.
A section lists its ``indicators``, or ``parts`` (sub-headings, guidance, context and
indicators in reading order); forms lay sections out as ``tiers`` (criteria columns per
level, V1.1) or as a ``matrix`` (a tick column per level, the charter).
:func:`generator.model.loader.load_instrument` reads and validates one file and returns an
:class:`Instrument`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from generator.errors import UnknownSectionError

if TYPE_CHECKING:
    from generator.returns.answers import AnswerReader

#: How a form lays out a section's table.  ``tiers``: the indicator, one column of
#: criteria per level, one answer column and a comments column (V1.1).  ``matrix``: the
#: statement, one tick column per level of the scale, the comments column and, when the
#: instrument names one, a "rated by" column (the Appendix D charter).
TIERS_LAYOUT = "tiers"
MATRIX_LAYOUT = "matrix"
LAYOUTS = (TIERS_LAYOUT, MATRIX_LAYOUT)
#: The language of an instrument file that does not name one (the built-in ones are English).
DEFAULT_LANGUAGE = "en"


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

    @cached_property
    def answer_reader(self) -> AnswerReader:
        """The reader of typed answers against this scale (it compiles a pattern per word of
        each level), made once: every return read asks for it."""
        from generator.returns.answers import AnswerReader  # the readers' layer, imported when first asked

        return AnswerReader(self)

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
class FormWords:
    """The few words forms print that are neither the published text nor the cover: the
    footer, a row continued on the next page, the Excel workbook's sheet names, summary and
    answer checking.  English by default; a translation gives them in its language
    (``form: words:`` in its file).  ``page_of`` and ``choose_one_of`` are templates: their
    ``{page}``/``{pages}`` and ``{choices}`` are filled in."""

    form: str = "form"
    page: str = "page"
    page_of: str = "Page {page} of {pages}"
    continued: str = "continued"
    cover_sheet: str = "Cover"
    summary_sheet: str = "Summary"
    summary_note: str = "Answers counted per section. The counts update as the form is filled in."
    section: str = "Section"
    not_answered: str = "Not answered"
    indicators: str = "Indicators"
    total: str = "Total"
    form_reference: str = "Form reference"
    not_a_choice: str = "Not one of the choices"
    choose_one_of: str = "Choose one of: {choices}. Leave the cell empty if you have not discussed it yet."

    #: The placeholders each template must keep.
    TEMPLATES = {"page_of": ("{page}", "{pages}"), "choose_one_of": ("{choices}",)}


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
    words: FormWords = field(default_factory=FormWords)


@dataclass(frozen=True)
class Erratum:
    """A suggested correction of the published text, kept apart from it, or a note on it.

    ``id`` names an indicator ("6.2") or a section ("8") whose text holds ``original``
    (a section's text is its title, prompt and its parts' headings, guidance and context),
    or ``preamble`` or ``closing``.  A correction has ``original`` and ``suggested``; a
    ``note`` says what is odd about the text where no correction is suggested (both empty)
    or why one is.
    """

    id: str
    original: str = ""
    suggested: str = ""
    note: str = ""

    @property
    def is_correction(self) -> bool:
        """True when it suggests a change of text (a note alone changes nothing)."""
        return bool(self.original)


@dataclass(frozen=True)
class GlossaryEntry:
    """A short form the instrument's text uses (``term``: "JSNA") and what it stands for."""

    term: str
    meaning: str


@dataclass(frozen=True)
class Instrument:
    """A whole checklist, as loaded from one YAML file.

    ``intro`` is one paragraph (printed on every section page unless the form says
    otherwise); ``preamble`` is the published text before the sections, printed once,
    then ``sections_heading`` over the sections; ``closing`` is the text after them.

    ``language`` is the text's language (a BCP 47 tag).  A translation names the instrument
    it translates in ``translation_of``: it has the same ids in the same structure, its own
    words, and it is that instrument for everything a return says (:attr:`original_id`).
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
    #: the short forms its text uses, in the order the file lists them (forms print them last)
    glossary: tuple[GlossaryEntry, ...] = ()
    #: the corrections :func:`apply_errata` made to this text (empty for the published text)
    applied_errata: tuple[Erratum, ...] = ()
    language: str = DEFAULT_LANGUAGE
    translation_of: str | None = None

    @property
    def document_language(self) -> str:
        """The language its documents declare (for screen readers): the file's, or British
        English for an instrument that does not say (the standards are British)."""
        return "en-GB" if self.language == DEFAULT_LANGUAGE else self.language

    @property
    def original_id(self) -> str:
        """The id returns on this instrument's forms carry: the original's, for a translation."""
        return self.translation_of or self.id

    @property
    def layout(self) -> str:
        """How its forms lay out a section: ``tiers`` (the default) or ``matrix``."""
        return self.form.layout if self.form is not None else TIERS_LAYOUT

    @cached_property
    def indicators(self) -> tuple[Indicator, ...]:
        """Every indicator, in checklist order (worked out once: readers ask for it per file)."""
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

    @cached_property
    def corrected(self) -> Instrument:
        """The instrument with its errata applied (:func:`apply_errata`), worked out once."""
        return apply_errata(self)

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
            "errata": [
                {k: v for k, v in dataclasses.asdict(erratum).items() if v or k != "note"} for erratum in self.errata
            ],
        }
        # The later features' keys, each only when used, placed where a reader expects them.
        extra: dict[str, Any] = {}
        if self.translation_of:
            extra["language"] = self.language
            extra["translation_of"] = self.translation_of
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
        if self.glossary:
            data["glossary"] = [dataclasses.asdict(entry) for entry in self.glossary]
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

    def texts(self) -> Iterator[str]:
        """Every piece of text a form of this instrument prints: titles, the scale, column
        headings, the form's wording, sections, parts, indicators and criteria (not errata)."""
        yield from (self.title, self.subtitle, self.intro, *self.preamble, self.sections_heading, *self.closing)
        yield from (text for level in self.scale.levels for text in (level.label, *level.aliases))
        columns = self.columns
        yield from (columns.indicator, columns.answer, columns.comments, *columns.criteria.values())
        yield columns.rated_by or ""
        if self.form is not None:
            form = self.form
            yield from (form.cover_title, form.instructions_title, *form.instructions, form.answer_placeholder)
            yield from (cover_field.label for cover_field in form.cover)
            yield from (getattr(form.words, name.name) for name in dataclasses.fields(form.words))
        yield from (text for entry in self.glossary for text in (entry.term, entry.meaning))
        for section in self.sections:
            yield from (section.title, section.prompt)
            for part in section.parts:
                yield from (part.heading, *part.guidance, *part.context)
            for indicator in section.indicators:
                yield indicator.title
                yield from (bullet for bullets in indicator.criteria.values() for bullet in bullets)


def apply_errata(instrument: Instrument) -> Instrument:
    """A copy of ``instrument`` with every suggested correction applied to its text; the
    corrections are kept in its ``applied_errata`` (notes change nothing and are dropped)."""
    corrections = [erratum for erratum in instrument.errata if erratum.is_correction]
    sections = []
    for section in instrument.sections:
        fixes = [e for e in corrections if e.id == str(section.number)]
        indicators = []
        for indicator in section.indicators:
            own = [e for e in corrections if e.id == indicator.id]
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
        preamble=tuple(_corrected(p, [e for e in corrections if e.id == "preamble"]) for p in instrument.preamble),
        closing=tuple(_corrected(p, [e for e in corrections if e.id == "closing"]) for p in instrument.closing),
        errata=(),
        applied_errata=(*instrument.applied_errata, *corrections),
    )


def _corrected(text: str, errata: list[Erratum]) -> str:
    for erratum in errata:
        text = text.replace(erratum.original, erratum.suggested)
    return text
