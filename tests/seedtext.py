"""Parse the V1.1 seed text (the checklist as published) into plain Python data.

Test-only: the transcription in ``standards/coproduction-v1.1.yaml`` is checked
against what this parser finds in the seed, so the YAML can be proved verbatim.

The seed is a text rendering of the Word checklist: each section repeats the page
heading, then a tab-separated table whose cells hold ``<ul><li>`` bullets.  Rows with an
empty first cell continue the indicator above them (a page break in the original).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from pathlib import Path

LEVELS = ("bronze", "silver", "gold")
_FRAGMENT = re.compile(r"<(li|p)>(.*?)</\1>|([^<]+)", re.S)
_LIST_TAG = re.compile(r"</?ul[^>]*>")
_TAG = re.compile(r"<[^>]+>")


def normalise(text: str) -> str:
    """Collapse runs of whitespace to one space and trim."""
    return re.sub(r"\s+", " ", text).strip()


def cell_fragments(cell: str) -> list[str]:
    """The text of each bullet or paragraph in a cell, debris removed."""
    fragments = []
    for _, inner, bare in _FRAGMENT.findall(_LIST_TAG.sub(" ", cell)):
        text = normalise(html.unescape(_TAG.sub("", inner or bare)))
        text = text.lstrip("•").strip()
        if text.strip("★ "):  # a cell of stars only is layout, not criteria
            fragments.append(text)
    return fragments


@dataclass
class SeedIndicator:
    title: str
    criteria: dict[str, list[str]] = field(default_factory=lambda: {k: [] for k in LEVELS})


@dataclass
class SeedSection:
    number: int
    title: str
    prompt: str = ""
    headers: list[str] = field(default_factory=list)
    indicators: list[SeedIndicator] = field(default_factory=list)


@dataclass
class Seed:
    title: str
    subtitle: str
    intro: str
    sections: list[SeedSection]


def parse_seed(path: Path) -> Seed:
    """Read the seed file into sections, indicators and per-level bullet fragments.

    Continuation fragments are appended to the indicator they continue, so a bullet
    broken across a page appears here as two consecutive fragments.
    """
    title = subtitle = intro = ""
    sections: list[SeedSection] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        heading = re.match(r"^#{2,3} (\d+)\. (.+)$", stripped)
        if heading:
            sections.append(SeedSection(int(heading.group(1)), normalise(heading.group(2))))
        elif stripped.startswith("# ") and not title:
            title = normalise(stripped[2:])
        elif stripped.startswith("## ") and not subtitle:
            subtitle = normalise(stripped[3:])
        elif stripped.startswith("This checklist") and not intro:
            intro = normalise(stripped)
        elif stripped.startswith("*") and stripped.endswith("*") and sections:
            sections[-1].prompt = normalise(stripped.strip("*"))
        elif "\t" in line and sections:
            cells = line.split("\t")
            section = sections[-1]
            if cells[0].startswith("Quality indicator"):
                section.headers = [normalise(c) for c in cells]
                continue
            row_title = normalise(_TAG.sub("", cells[0]))
            per_level = [cell_fragments(c) for c in cells[1:4]]
            if not any(per_level):
                continue  # the lone row of stars under section 6's header
            if row_title:
                section.indicators.append(SeedIndicator(row_title))
            indicator = section.indicators[-1]
            for level, fragments in zip(LEVELS, per_level, strict=True):
                indicator.criteria[level].extend(fragments)
    return Seed(title, subtitle, intro, sections)


def merge_broken_bullets(fragments: list[str]) -> list[str]:
    """Join a fragment that starts in lower case onto the one before it.

    In the seed, a bullet broken by a page break resumes mid-sentence on the next
    page ("…information in a" / "way that that person can understand.").
    """
    bullets: list[str] = []
    for fragment in fragments:
        if bullets and fragment[0].islower():
            bullets[-1] = f"{bullets[-1]} {fragment}"
        else:
            bullets.append(fragment)
    return bullets
