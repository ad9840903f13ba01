"""Matching a returned form to its instrument, and the text people typed or kept in it to the
instrument's wording.

A form made from a translation names its original instrument and its language
(:func:`instrument_of_form` finds the translation to read it against: its words, its labels);
its return is the original's (:attr:`~generator.model.instrument.Instrument.original_id`).

A row title in a returned form is the indicator title as someone's copy of the checklist
holds it: numbered ("3) ", "1.1 "), in another case, with other punctuation, split over
two lines, with a stray double space or a small typo.  :class:`TitleMatcher` finds the
one indicator such a title names, or none:

1. an exact match of the normalised text (:func:`normalise_title`), the published titles
   and their corrected forms (the instrument's errata) both counting;
2. otherwise a fuzzy match (:mod:`difflib`), accepted only when its similarity is at least
   ``threshold`` and clearly ahead (by ``margin``) of the next indicator's.

A title that normalises the same for two indicators matches neither: a return never has
one title read as two different indicators.

The rows of a matrix form (the Appendix D charter's) start with the statement's id ("C.1 The
partnership will …"), which names the statement before its title does: a row whose first
word is an id of the instrument is that statement, unless the rest of the row is exactly
another statement's title (a row pasted over another's), which names neither.

:class:`HeadingMatcher` tells, just as loosely, which of the instrument's columns
("Standard achieved", "Examples/ Comments/ Areas to improve") a table heading is.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from difflib import SequenceMatcher

from generator.model.instrument import MATRIX_LAYOUT, Indicator, Instrument

#: Fuzzy matches need at least this similarity (difflib's ratio, 0–1) …
TITLE_THRESHOLD = 0.85
#: … and must beat the similarity of the next best indicator by at least this much.
TITLE_MARGIN = 0.05
#: A title followed by a note spans at most this many lines.
_TITLE_LINES = 4
#: Similarity at which a table heading counts as an instrument's column heading.
HEADING_THRESHOLD = 0.8

# Numbering people put before a title: "3) ", "1.1 ", "1.1. ", "A.1 ", "(a) ", "iv. ",
# bullets and dashes.  Letters and roman numerals need their ")" or "." so that a title
# starting "A person …" keeps its first word.
_NUMBERING = re.compile(
    r"^(?:\s*(?:"
    r"[\(\[]?(?:[a-z]\.)?\d+(?:\.\d+)*[\)\]\.:]?(?=\s)"
    r"|[\(\[]?(?:[a-z]|[ivx]+)[\)\]\.]"
    r"|[•·▪◦‣*\-–—]"
    r"))+\s+"
)
_NOT_WORD = re.compile(r"[^\w]+|_")


def instrument_of_form(
    instruments: Mapping[str, Instrument], instrument_id: str, language: str | None
) -> tuple[Instrument | None, str | None]:
    """The instrument to read a form against, and a problem to report, or None.

    ``instrument_id`` and ``language`` are what the form's identity says (the language only
    on forms made from a translation).  The form is read against the translation of that
    instrument into that language when one is among ``instruments``; else against the
    instrument itself, with a problem saying its answers may be in words it does not know.
    (None, None) when ``instruments`` hold no instrument of that id.
    """
    original = instruments.get(instrument_id)
    if original is None:
        return None, None
    if not language or language.casefold() == original.language.casefold():
        return original, None
    for candidate in instruments.values():
        if candidate.translation_of == original.id and candidate.language.casefold() == language.casefold():
            return candidate, None
    return original, (
        f"the form is in the language '{language}', and no translation of {original.id} into it is available "
        f"(add its file to a standards folder: --standards): it was read against {original.id} itself, so "
        "answers typed in that language may not be recognised"
    )


def normalise_title(text: str) -> str:
    """``text`` reduced to what identifies a title: Unicode-normalised, case-folded, without
    leading numbering, every run of punctuation, symbols and white space (line breaks
    included) a single space.  "3) People report\\nfeeling  INCLUDED." → "people report
    feeling included"."""
    text = unicodedata.normalize("NFKC", text).casefold().replace("’", "'").replace("'", "")
    text = _NUMBERING.sub("", text.strip() + " ")
    return " ".join(_NOT_WORD.sub(" ", text).split())


@dataclass(frozen=True)
class TitleMatch:
    """An indicator a title names, how similar the two are (1.0 when exact), and whether
    the normalised texts were equal."""

    indicator: Indicator
    similarity: float
    exact: bool


class TitleMatcher:
    """Finds the indicator of ``instrument`` that a row title names.

    Build one per instrument and call :meth:`match` for each title; the normalised titles
    are worked out once.
    """

    def __init__(self, instrument: Instrument, *, threshold: float = TITLE_THRESHOLD, margin: float = TITLE_MARGIN):
        self.instrument = instrument
        self.threshold = threshold
        self.margin = margin
        corrected = instrument.corrected.indicators if instrument.errata else ()
        owners: dict[str, set[str]] = {}
        for indicator, fixed in zip(instrument.indicators, corrected or instrument.indicators, strict=True):
            for title in {indicator.title, fixed.title}:
                owners.setdefault(normalise_title(title), set()).add(indicator.id)
        by_id = {indicator.id: indicator for indicator in instrument.indicators}
        #: normalised title → indicator, for titles only one indicator has.
        self._exact = {key: by_id[next(iter(ids))] for key, ids in owners.items() if key and len(ids) == 1}
        #: normalised titles two indicators share: they match nothing, exactly or fuzzily.
        self._shared = {key for key, ids in owners.items() if len(ids) > 1}
        # Shared titles stay candidates of the fuzzy match, naming no indicator: a typo of
        # one of them must not be taken for a third indicator.
        candidates: list[tuple[str, Indicator | None]] = list(self._exact.items())
        self._candidates = candidates + [(key, None) for key in sorted(self._shared)]
        #: case-folded id → indicator, for rows that start with their id (matrix forms only:
        #: a V1.1 row numbered "1.1" by hand is matched by its title, as it always was).
        self._ids = (
            {indicator.id.casefold(): indicator for indicator in instrument.indicators}
            if instrument.layout == MATRIX_LAYOUT
            else {}
        )

    def _by_id(self, text: str) -> tuple[Indicator, str] | None:
        """The indicator whose id is the first word of ``text``, and the rest of the text."""
        words = text.split(maxsplit=1)  # any white space: the forms put an en space after the id
        if not words:
            return None
        first, rest = words[0].casefold(), words[1] if len(words) > 1 else ""
        indicator = self._ids.get(first) or self._ids.get(first.rstrip(".:)"))
        return (indicator, rest) if indicator is not None else None

    def match(self, text: str | None) -> Indicator | None:
        """The indicator ``text`` names, or None when it names none clearly.

        When the whole text names none, its first lines may be a title exactly and the
        rest a note ("People feel listened to\\n(see survey)"): the longest such first lines
        that are a title name the indicator.  On a matrix form, a row that starts with a
        statement's id is that statement (see the module docstring)."""
        if self._ids and text:
            by_id = self._by_id(text)
            if by_id is not None:
                indicator, rest = by_id
                title = self.best(rest)
                if title is not None and title.exact and title.indicator.id != indicator.id:
                    return None  # the id of one statement with the words of another: neither
                return indicator
        found = self.best(text)
        if found is not None:
            return found.indicator
        lines = (text or "").splitlines()
        for end in range(min(len(lines) - 1, _TITLE_LINES), 0, -1):
            key = normalise_title(" ".join(lines[:end]))
            if key in self._exact:
                return self._exact[key]
        return None

    def best(self, text: str | None) -> TitleMatch | None:
        """Like :meth:`match`, with the similarity and whether it was exact."""
        key = normalise_title(text or "")
        if not key or key in self._shared:
            return None
        if key in self._exact:
            return TitleMatch(self._exact[key], 1.0, True)
        scores: dict[str, tuple[float, Indicator | None]] = {}
        for candidate, indicator in self._candidates:
            matcher = SequenceMatcher(None, key, candidate, autojunk=False)
            if matcher.real_quick_ratio() < self.threshold - self.margin or matcher.quick_ratio() < (
                self.threshold - self.margin
            ):
                continue
            score = matcher.ratio()
            name = indicator.id if indicator else f"shared: {candidate}"
            if score > scores.get(name, (0.0, None))[0]:
                scores[name] = (score, indicator)
        ranked = sorted(scores.values(), key=lambda pair: pair[0], reverse=True)
        if not ranked or ranked[0][0] < self.threshold or ranked[0][1] is None:
            return None
        if len(ranked) > 1 and ranked[0][0] - ranked[1][0] < self.margin:
            return None
        return TitleMatch(ranked[0][1], ranked[0][0], False)


class HeadingMatcher:
    """Finds which column of the checklist table a heading cell is: ``"indicator"``, a level
    id (its criteria column), ``"answer"`` or ``"comments"``, from the instrument's column
    headings, loosely: equal once normalised, nearly equal, or one's words all among the
    other's ("Comments" for "Examples/ Comments/ Areas to improve", "Standard achieved
    (tick one)" for "Standard achieved").  A heading as like one column as another
    ("Standard") is none of them.

    A matrix form's columns are headed by the levels' labels (its tick columns: a level id is
    their role, as a matrix has no criteria columns) and, when the instrument has one, by the
    "rated by" heading (role ``"rated_by"``)."""

    def __init__(self, instrument: Instrument):
        columns = instrument.columns
        headings = {"indicator": columns.indicator, **columns.criteria, "answer": columns.answer}
        headings["comments"] = columns.comments
        if instrument.layout == MATRIX_LAYOUT:
            headings.update({level.id: level.label for level in instrument.scale.levels})
        if columns.rated_by:
            headings["rated_by"] = columns.rated_by
        self._headings = []
        #: heading words → role, for the headings no other has the same words of
        self._exact: dict[tuple[str, ...], str] = {}
        for role, text in headings.items():
            words = tuple(_heading_words(text))
            self._exact[words] = role if words not in self._exact else ""
        for role, text in headings.items():
            words = _heading_words(text)
            matcher = SequenceMatcher(None, autojunk=False)
            matcher.set_seq2(" ".join(words))  # difflib caches what it learns about the second sequence
            self._headings.append((role, words, set(words), matcher))
        # Longer text is a sentence in a cell, not a heading: passed over unread.
        self._longest = 2 * max(len(text) for text in headings.values()) + 20

    def role(self, text: str) -> str | None:
        """The column ``text`` heads, or None."""
        if len(text) > self._longest:
            return None
        found = _heading_words(text)
        # A heading as written: no other can come within 0.01 of it (two texts under 100
        # characters that differ are less than 0.99 alike), so the scores need not be worked out.
        exact = self._exact.get(tuple(found))
        if exact and found and len(" ".join(found)) < 100:
            return exact
        return self._role(found)

    def _role(self, found: list[str]) -> str | None:
        if not found:
            return None
        scores = sorted(
            ((self._similarity(found, *heading[1:]), heading[0]) for heading in self._headings), reverse=True
        )
        (best, role), runner_up = scores[0], scores[1][0] if len(scores) > 1 else 0.0
        if best < HEADING_THRESHOLD or best - runner_up < 0.01:
            return None
        return role

    @staticmethod
    def _similarity(found: list[str], wanted: list[str], wanted_set: set[str], matcher: SequenceMatcher) -> float:
        if not wanted:
            return 0.0
        if found == wanted:
            return 1.0
        # A heading's words with a few more ("Standard achieved (tick one)"), or some of a
        # heading's words ("Comments"); a sentence that happens to hold them all is no heading.
        found_set = set(found)
        if found_set <= wanted_set or (wanted_set <= found_set and len(found) <= 2 * len(wanted) + 2):
            return HEADING_THRESHOLD
        text = " ".join(found)
        if 2 * min(len(text), len(matcher.b)) / (len(text) + len(matcher.b)) < HEADING_THRESHOLD:
            return 0.0
        matcher.set_seq1(text)
        if matcher.quick_ratio() < HEADING_THRESHOLD:
            return 0.0
        return matcher.ratio()


def _heading_words(text: str) -> list[str]:
    # Singular and plural alike: "Comment" heads the "Comments" column.
    return [word[:-1] if len(word) > 3 and word.endswith("s") else word for word in normalise_title(text).split()]
