"""Comparing the names people write: organisations and respondents.

Returns of one organisation name it in many ways ("Delta Care", "delta care ltd", "The Delta
Care", "Hillview CN (north team)"): :func:`organisation_key` compares names case- and
space-insensitively, and :func:`same_organisation` tells whether a cover typed differently from
the pack it came in still names the pack's organisation — it does when the two names share a
word that tells organisations apart ("Hillview"), not only words many names have ("Care",
"Services", "Ltd").
"""

from __future__ import annotations

import re
import unicodedata

#: Words that do not tell one organisation from another.
_LEGAL_WORDS = frozenset({"the", "and", "of", "for", "in", "ltd", "limited", "cic", "plc", "llp", "inc", "cio", "co"})
_COMMON_WORDS = frozenset(
    """care carers services service network community trust group team teams centre center support health
    housing association foundation project projects partnership council charity society company uk north south
    east west city county local social people family families home homes independent living""".split()
)
_WORD = re.compile(r"\w+")


def organisation_key(name: str) -> str:
    """Organisation names compared case- and space-insensitively."""
    return " ".join(name.casefold().split())


def respondent_key(text: str | None) -> str:
    """A "Completed by" text compared case-, space- and punctuation-insensitively ("" when blank)."""
    return " ".join(_words(text or ""))


def same_organisation(a: str, b: str) -> bool:
    """Whether two names written for an organisation name the same one: they share a word that
    tells organisations apart ("Hillview"), or — for names made only of common words — every
    word of one is in the other, once case, punctuation, "the", "&"/"and" and legal forms are
    let go."""
    words_a, words_b = _name_words(a), _name_words(b)
    telling_a, telling_b = words_a - _COMMON_WORDS, words_b - _COMMON_WORDS
    if telling_a and telling_b:
        return bool(telling_a & telling_b)
    if not words_a or not words_b:
        return organisation_key(a) == organisation_key(b)
    return words_a <= words_b or words_b <= words_a


def _words(text: str) -> list[str]:
    return _WORD.findall(unicodedata.normalize("NFKC", text).casefold().replace("&", " and "))


def _name_words(name: str) -> frozenset[str]:
    return frozenset(word for word in _words(name) if word not in _LEGAL_WORDS)


def counted_under(cover: str | None, pack: str | None) -> tuple[str | None, str | None]:
    """(the organisation a return is counted under, a problem when its cover and its pack disagree).

    The rule: the pack's organisation (the one a personalised form was made for) names it when
    the cover is blank or names the same organisation (:func:`same_organisation`).  When the cover
    names another organisation, the cover wins — the people who filled the form say who they are
    — and the problem names both.  A generic form (made for no one) takes its cover's name."""
    if cover and pack and not same_organisation(cover, pack):
        return cover, (
            f"the form was made for '{pack}' but its cover says '{cover}': it is counted under '{cover}' "
            f"(the cover wins); if it is {pack}'s return, correct the cover"
        )
    return (pack or cover), None
