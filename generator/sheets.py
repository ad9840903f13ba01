"""Spreadsheet layout arithmetic shared by the Excel writers (forms, tracker)."""

from __future__ import annotations

_NARROW = set("iljtfrI.,;:'!|()[] ")
_WIDE = set("mwMW@%")


def char_width(char: str) -> float:
    """Estimated width of ``char`` in column units (1.0 for an average lower-case letter)."""
    if char in _NARROW:
        return 0.55
    if char in _WIDE or char.isupper():
        return 1.25
    return 1.0


def wrapped_line_count(text: str, capacity: float) -> int:
    """How many lines ``text`` takes when greedily word-wrapped to ``capacity`` width units
    per line; each "\\n" starts a new paragraph and a word longer than a line breaks anywhere."""
    total = 0
    for paragraph in text.split("\n"):
        lines, used = 1, 0.0
        for word in paragraph.split(" "):
            size = sum(char_width(c) for c in word)
            gap = char_width(" ") if used else 0.0
            if used and used + gap + size > capacity:
                lines, used, gap = lines + 1, 0.0, 0.0
            while size > capacity:
                lines += 1
                size -= capacity
            used += gap + size
        total += lines
    return max(total, 1)
