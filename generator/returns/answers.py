"""The answer normaliser: what people type in "Standard achieved" → a level of the scale.

People decorate answers ("Silver ★", "✓ Bronze", "Gold (achieved 2025)") and abbreviate
them ("B"); the levels' labels and ``aliases`` in the instrument data say which words mean
which level.  Anything a careful person could read two ways ("Bronze/Silver", "working
towards silver", "not gold", "?", "X") is not guessed: it reads as no level, with a
problem that says what was found.  A blank answer is simply unanswered.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from generator.model.instrument import Scale

# Marks people add around an answer that carry no meaning of their own: stars, ticks,
# bullets, check boxes, quotes, and closing punctuation.
_DECORATION = re.compile(r"[★☆✪✯⭐*✓✔☑√✅•·▪■□☐☒\"“”‘’'!.,;:]+")
# Words that make an answer conditional, partial or negative: never read as achieved.
_HEDGES = re.compile(
    r"\b(not|n't|nearly|almost|partly|partially|part|towards?|working|aiming|aim|hope|hoping|maybe|"
    r"possibly|probably|perhaps|between|or|and|close|going|tbc|unsure|unknown|some)\b|[?/+&~]|\bn/?a\b"
)
_NOTE = re.compile(r"\(([^()]*)\)|\[([^\[\]]*)\]")


@dataclass(frozen=True)
class AnswerReading:
    """What an answer means: a level id, or None; and why not, when it is not blank."""

    level: str | None
    problem: str | None = None


def level_words(scale: Scale) -> dict[str, str]:
    """Every word that names a level, case-folded → level id: ids, labels and aliases."""
    return dict(scale.answer_reader.words)  # a table of its own: the reader's is shared


class AnswerReader:
    """Reads answers against one scale (:meth:`read`); the scale keeps one
    (:attr:`~generator.model.instrument.Scale.answer_reader`), rather than one per answer or
    per return: it holds the scale's words and each word's whole-word pattern."""

    def __init__(self, scale: Scale):
        self.scale = scale
        self.words = {
            _fold(word): level.id for level in scale.levels for word in (level.id, level.label, *level.aliases)
        }
        self.patterns = [(re.compile(_pattern(word)), level_id) for word, level_id in self.words.items()]
        self.longest_first = [re.compile(_pattern(word)) for word in sorted(self.words, key=len, reverse=True)]

    def read(self, raw: str | None) -> AnswerReading:
        """Read one typed or chosen answer: see :func:`read_answer`."""
        return _read_answer(raw, self.scale, self)


class ReturnAnswers:
    """The answers of one return read against its scale, each distinct text read once: a
    return repeats its few answers ("Silver" a dozen times).  Make one per return; the
    readings it keeps die with it."""

    def __init__(self, scale: Scale):
        self.scale = scale
        self._reader = scale.answer_reader
        self._readings: dict[str | None, AnswerReading] = {}

    def read(self, raw: str | None) -> AnswerReading:
        """Read one typed or chosen answer: see :func:`read_answer`."""
        if raw not in self._readings:
            self._readings[raw] = self._reader.read(raw)
        return self._readings[raw]


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold().replace("’", "'")
    return " ".join(text.split())


def read_answer(raw: str | None, scale: Scale) -> AnswerReading:
    """Read one typed or chosen answer against ``scale``.

    Returns the level id with no problem, ``AnswerReading(None)`` for a blank, or
    ``AnswerReading(None, problem)`` when the answer cannot be read one way only.
    """
    return scale.answer_reader.read(raw)


def _read_answer(raw: str | None, scale: Scale, vocabulary: AnswerReader) -> AnswerReading:
    if raw is None or not raw.strip():
        return AnswerReading(None)
    text = _fold(raw)
    words = vocabulary.words

    # The whole answer, decoration aside, is a label or an alias: "Silver ★", "✓ bronze", "B".
    plain = " ".join(_DECORATION.sub(" ", text).split())
    if plain in words:
        return AnswerReading(words[plain])

    # The answer with trailing notes set aside: "Gold (achieved 2025)".
    main = " ".join(_DECORATION.sub(" ", _NOTE.sub(" ", text)).split())
    notes = " ".join(a or b for a, b in _NOTE.findall(text))
    if main in words and not _HEDGES.search(notes) and not _mentions(notes, vocabulary, other_than=words[main]):
        return AnswerReading(words[main])

    found = _mentions(plain, vocabulary)
    labels = ", ".join(scale.level(level_id).label for level_id in sorted(found, key=scale.rank))
    if not found:
        return AnswerReading(None, f"'{raw.strip()}' is not one of {', '.join(lv.label for lv in scale.levels)}")
    if len(found) > 1:
        return AnswerReading(None, f"'{raw.strip()}' could mean {labels}: choose one")
    (level_id,) = found
    remainder = _without_words(plain, vocabulary)
    if _HEDGES.search(remainder):
        return AnswerReading(None, f"'{raw.strip()}' does not say {labels} is achieved: choose one")
    return AnswerReading(level_id)


def _pattern(word: str) -> str:
    return r"(?<![\w-])" + re.escape(word) + r"(?![\w-])"


def _mentions(text: str, vocabulary: AnswerReader, other_than: str | None = None) -> set[str]:
    """The levels whose label or alias appears in ``text`` as whole words."""
    found = set()
    for pattern, level_id in vocabulary.patterns:
        if level_id != other_than and pattern.search(text):
            found.add(level_id)
    # "not yet" contains no other level's word, but a one-letter alias like "s" must not be
    # found inside "gold's": whole-word matching above sees to that.
    return found


def _without_words(text: str, vocabulary: AnswerReader) -> str:
    """``text`` with every label and alias removed, longest first ("not yet" before "no")."""
    for pattern in vocabulary.longest_first:
        text = pattern.sub(" ", text)
    return " ".join(text.split())
