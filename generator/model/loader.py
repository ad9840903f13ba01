"""Loading an instrument from its YAML file (``standards/*.yaml``) into an
:class:`~generator.model.instrument.Instrument`.

:func:`load_instrument` reads and validates one file; every mistake is an
:class:`~generator.errors.InstrumentFileError` naming the file, the line and the place.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from generator.errors import InstrumentFileError
from generator.model.instrument import (
    LAYOUTS,
    MATRIX_LAYOUT,
    TIERS_LAYOUT,
    Columns,
    CoverField,
    Erratum,
    FormText,
    FormWords,
    GlossaryEntry,
    Indicator,
    Instrument,
    Level,
    Part,
    Scale,
    Section,
)
from generator.model.yamlfile import YamlMapping, YamlSequence, read_yaml

#: The ``kind`` an instrument file declares (or leaves out).  Other kinds of YAML file
#: may share a standards folder (scoring rules, for one) and are not instruments.
INSTRUMENT_KIND = "instrument"

_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_COLOUR = re.compile(r"^#[0-9A-Fa-f]{6}$")
_FIELD_ID = re.compile(r"^[a-z][a-z0-9_]*$")
# A BCP 47 language tag (RFC 5646), its syntax: language, script, region, variants, private
# use ("cy", "cy-GB", "sr-Cyrl", "en-Grek-x-pseudo"); or private use alone ("x-pseudo").
_LANGUAGE = re.compile(
    r"^(?:[a-z]{2,3}(?:-[a-z]{4})?(?:-(?:[a-z]{2}|\d{3}))?(?:-(?:[a-z\d]{5,8}|\d[a-z\d]{3}))*"
    r"(?:-x(?:-[a-z\d]{1,8})+)?|x(?:-[a-z\d]{1,8})+)$",
    re.IGNORECASE,
)
# What an Excel sheet name cannot hold.
_SHEET_NAME_CHARACTERS = set("[]:*?/\\")


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


def instrument_from_data(data: Any, path: Path, originals: Mapping[str, Instrument] | None = None) -> Instrument:
    """Build an :class:`Instrument` from parsed YAML, checking every key and type.

    ``path`` is used in error messages.  A translation (``translation_of``) is checked
    against its original, looked up in ``originals`` (id → Instrument); without them, among
    the built-in instruments and those in the file's own folder.
    """
    instrument = _Builder(path).instrument(data)
    if instrument.translation_of is None:
        return instrument
    if originals is None:
        originals = _originals_near(path)
    original = originals.get(instrument.translation_of)
    if original is None or original.translation_of is not None:
        available = ", ".join(sorted(i.id for i in originals.values() if i.translation_of is None)) or "none"
        raise InstrumentFileError(
            path,
            f"is a translation of '{instrument.translation_of}', which is not an instrument available here "
            f"(available: {available}); put the original's file in the same standards folder",
            line=_line_of(data, "translation_of"),
        )
    return check_translation(instrument, original, path)


def _originals_near(path: Path) -> dict[str, Instrument]:
    """The instruments a translation loaded by its path may translate: the built-in ones and
    the others in its folder (translations and files that fail to load left out)."""
    from generator.model.catalogue import find_instruments

    folder = path.parent
    extra = [folder] if folder.is_dir() else []
    return {i.id: i for i in find_instruments(extra).instruments.values() if i.translation_of is None}


def check_translation(translation: Instrument, original: Instrument, path: Path) -> Instrument:
    """``translation`` checked against ``original``: the same version, scale, layout, columns,
    cover fields, sections, parts and indicators (the same ids in the same places, the same
    criteria levels with as many criteria each); an :class:`InstrumentFileError` naming the
    file and the first id that differs.  Returns it with what it may leave out taken from the
    original (its version, the levels' colours)."""

    def fail(problem: str, place: str = "") -> InstrumentFileError:
        return InstrumentFileError(
            path, f"{problem} (a translation has the ids and structure of its original)", place=place
        )

    name = f"{original.id} ({original.source.name if original.source else 'built in'})"
    if translation.version and translation.version != original.version:
        raise fail(f"is version {translation.version}, but {name} is version {original.version}")
    if translation.language.casefold() == original.language.casefold():
        raise fail(f"is in '{translation.language}', the language of {name} itself: give its own language")
    if translation.scale.ids != original.scale.ids:
        raise fail(
            f"its levels are {_names(translation.scale.ids)}, but those of {name} are {_names(original.scale.ids)}",
            "scale",
        )
    if translation.scale.cumulative != original.scale.cumulative:
        raise fail(f"'cumulative' should be {str(original.scale.cumulative).lower()}, as in {name}", "scale")
    if translation.layout != original.layout:
        raise fail(f"its layout is '{translation.layout}', but that of {name} is '{original.layout}'", "form")
    _same(fail, "criteria column", set(translation.columns.criteria), set(original.columns.criteria), name, "columns")
    if bool(translation.columns.rated_by) != bool(original.columns.rated_by):
        raise fail(f"{'has' if translation.columns.rated_by else 'lacks'} the 'rated_by' column of {name}", "columns")
    if (translation.form is None) != (original.form is None):
        raise fail(f"{'has' if translation.form else 'lacks'} the 'form' block of {name}", "form")
    if translation.form is not None and original.form is not None:
        _same_list(
            fail,
            "cover field",
            [f.id for f in translation.form.cover],
            [f.id for f in original.form.cover],
            name,
            "form",
        )
    _same_list(fail, "section", [s.number for s in translation.sections], [s.number for s in original.sections], name)
    for section, theirs in zip(translation.sections, original.sections, strict=True):
        where = f"section {section.number}"
        _same_list(
            fail, "indicator", [i.id for i in section.indicators], [i.id for i in theirs.indicators], name, where
        )
        shape = [
            (bool(p.heading), len(p.guidance), len(p.context), [i.id for i in p.indicators]) for p in section.parts
        ]
        if shape != [
            (bool(p.heading), len(p.guidance), len(p.context), [i.id for i in p.indicators]) for p in theirs.parts
        ]:
            raise fail(
                f"its parts (headings, guidance paragraphs, context items and the indicators in each) differ from "
                f"those of section {section.number} of {name}",
                where,
            )
        for indicator, their in zip(section.indicators, theirs.indicators, strict=True):
            where = f"section {section.number}, indicator {indicator.id}"
            _same(fail, "criteria level", set(indicator.criteria), set(their.criteria), name, where)
            for level, bullets in indicator.criteria.items():
                if len(bullets) != len(their.criteria[level]):
                    raise fail(
                        f"has {len(bullets)} {level} criteria, but {indicator.id} of {name} has "
                        f"{len(their.criteria[level])}",
                        where,
                    )
    levels = tuple(
        dataclasses.replace(level, colour=level.colour or their.colour)
        for level, their in zip(translation.scale.levels, original.scale.levels, strict=True)
    )
    return dataclasses.replace(
        translation,
        version=original.version,
        scale=dataclasses.replace(translation.scale, levels=levels),
    )


def _same(fail, what: str, ours: set, theirs: set, name: str, place: str = "") -> None:
    """A translation's ``what`` (a set of ids) against the original's: the first missing or extra one fails."""
    for missing in sorted(theirs - ours, key=str):
        raise fail(f"lacks the {what} '{missing}' of {name}", place)
    for extra in sorted(ours - theirs, key=str):
        raise fail(f"has the {what} '{extra}', which {name} has not", place)


def _same_list(fail, what: str, ours: list, theirs: list, name: str, place: str = "") -> None:
    """Like :func:`_same`, and the ids in the original's order."""
    _same(fail, what, set(ours), set(theirs), name, place)
    if ours != theirs:
        raise fail(
            f"has its {what}s in the order {', '.join(map(str, ours))}, but {name} has {', '.join(map(str, theirs))}",
            place,
        )


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
        # A translation may leave out its version: it is its original's.
        translation = isinstance(data, dict) and "translation_of" in data
        required = ("id", "title", "scale", "columns", "sections") + (() if translation else ("version",))
        optional = (
            "kind",
            "subtitle",
            "intro",
            "preamble",
            "sections_heading",
            "closing",
            "errata",
            "glossary",
            "form",
        )
        top = self.mapping(
            data,
            "",
            None,
            required=required,
            optional=optional + ("language", "translation_of") + (("version",) if translation else ()),
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
            version=self.text(
                top, "version", "", required="translation_of" not in top, hint=' (write it in quotes, e.g. "1.1")'
            ),
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
            **self.language(top),
        )
        if "errata" in top:
            instrument = dataclasses.replace(instrument, errata=self.errata(top, sections, preamble, closing))
        if "glossary" in top:
            instrument = dataclasses.replace(instrument, glossary=self.glossary(top))
        return instrument

    def language(self, top: dict) -> dict[str, Any]:
        """The ``language`` and ``translation_of`` keyword arguments of the instrument: a
        translation must say its language; any file may."""
        found: dict[str, Any] = {}
        if "language" in top:
            language = self.text(top, "language", "")
            if not _LANGUAGE.match(language):
                raise self.fail(
                    f"'language' '{language}' is not a language tag (BCP 47), such as 'cy', 'cy-GB' or 'el'",
                    "",
                    _line_of(top, "language"),
                )
            found["language"] = language
        if "translation_of" in top:
            found["translation_of"] = self.identifier(top, "translation_of", "")
            if "language" not in found:
                raise self.fail(
                    "a translation needs a 'language' (a BCP 47 tag, such as 'cy' for Welsh)",
                    "",
                    _line_of(top, "translation_of"),
                )
            if found["translation_of"] == top.get("id"):
                raise self.fail("'translation_of' names the file's own id", "", _line_of(top, "translation_of"))
        return found

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
            optional=("layout", "repeat_intro", "words"),
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
            words=self.words(form["words"], _line_of(form, "words")) if "words" in form else FormWords(),
        )

    def words(self, value: Any, line: int | None) -> FormWords:
        """The form's own words (``form: words:``), each optional: English where left out."""
        place = "form › words"
        names = tuple(f.name for f in dataclasses.fields(FormWords))
        words = self.mapping(value, place, line, required=(), optional=names)
        given = {name: " ".join(self.text(words, name, place).split()) for name in names if name in words}
        for name, placeholders in FormWords.TEMPLATES.items():
            for placeholder in placeholders:
                if name in given and placeholder not in given[name]:
                    raise self.fail(
                        f"'{name}' should keep {placeholder} where it goes in the sentence",
                        place,
                        _line_of(words, name),
                    )
        for name in ("cover_sheet", "summary_sheet"):
            text = given.get(name, "")
            if len(text) > 31 or _SHEET_NAME_CHARACTERS & set(text) or text.startswith("'") or text.endswith("'"):
                raise self.fail(
                    f"'{name}' is an Excel sheet name: at most 31 characters, none of [ ] : * ? / \\ and no ' at "
                    "either end",
                    place,
                    _line_of(words, name),
                )
        found = FormWords(**given)
        if found.cover_sheet.casefold() == found.summary_sheet.casefold():
            raise self.fail("'cover_sheet' and 'summary_sheet' name the same sheet", place, line)
        return found

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
            entry = self.mapping(
                item, where, items.lines[n - 1], required=("id",), optional=("original", "suggested", "note")
            )
            target = self.text(entry, "id", where, hint=' (write it in quotes, e.g. "6.2")')
            note = self.text(entry, "note", where, required=False)
            if not note or "original" in entry or "suggested" in entry:  # a correction: both texts
                original = self.text(entry, "original", where)
                suggested = self.text(entry, "suggested", where)
            else:  # a note alone
                original = suggested = ""
            if target not in texts:
                raise self.fail(
                    f"'{target}' is neither an indicator id nor a section number"
                    + (" nor 'preamble' or 'closing'" if preamble or closing else ""),
                    where,
                    _line_of(entry, "id"),
                )
            if original and not any(original in text for text in texts[target]):
                raise self.fail(f"the text '{original}' is not in {target}", where, _line_of(entry, "original"))
            errata.append(Erratum(target, original, suggested, note))
        return tuple(errata)

    def glossary(self, top: dict) -> tuple[GlossaryEntry, ...]:
        """The ``glossary`` list: each a ``term`` and its ``meaning``, no term twice."""
        items = self.sequence(top, "glossary", "")
        entries: list[GlossaryEntry] = []
        for n, item in enumerate(items, 1):
            where = f"glossary entry {n}"
            entry = self.mapping(item, where, items.lines[n - 1], required=("term", "meaning"))
            term = self.text(entry, "term", where)
            if term in {e.term for e in entries}:
                raise self.fail(f"the term '{term}' is listed twice", where, _line_of(entry, "term"))
            entries.append(GlossaryEntry(term, " ".join(self.text(entry, "meaning", where).split())))
        return tuple(entries)


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
