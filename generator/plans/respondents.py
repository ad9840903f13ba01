""" "You said, we did": a short summary in plain words for the people who took part in a review.

The standards ask that outcomes be fed back "in an appropriate format for the individual", so
each organisation's results also go back to its respondents as a one- or two-page Word document:
what the organisation found (its tier in words, what is going well, what needs work), what it
will do next (its first few actions) and by when.  :func:`respondent_summary` makes the context;
:func:`render_respondent_summary` pours it into ``templates/you-said-we-did.docx`` (or the
easy-read ``templates/you-said-we-did-easy-read.docx``, or the user's own copy).

No names of people are printed: the people themselves read it (roles are).  Wherever the summary
quotes the standards, the short forms they use (JSNA, SUs, EEs, …) are replaced by plain words,
and the harder words they keep (co-production, safeguarding, …) are explained in a "Words used
here" box: both lists are data, in ``standards/plain-words.yaml`` (:func:`load_plain_words`).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from generator.errors import InstrumentFileError, PlainWordsError, TemplateError
from generator.model.catalogue import builtin_standards_dir
from generator.model.instrument import Instrument
from generator.model.results import OrganisationResult
from generator.plans.context import organisation_plan
from generator.returns.dates import long_date
from generator.scoring.rules import UNKNOWN_ROLE, Roles, builtin_roles

#: The built-in plain-words file, in the standards folder.
PLAIN_WORDS_FILE = "plain-words.yaml"
PLAIN_WORDS_KIND = "plain-words"
#: The built-in templates: the summary, and its easy-read layout.
TEMPLATE_NAME = "you-said-we-did.docx"
EASY_READ_TEMPLATE_NAME = "you-said-we-did-easy-read.docx"
#: How many points each part of the summary gives: a few, not every indicator.
POINTS = 3
#: How many of an action's things to do are quoted (the rest are in the action plan).
STEPS = 2

#: The variables a summary template can use (the keys of :func:`respondent_summary`'s context).
TEMPLATE_VARIABLES = frozenset(
    {
        "organisation",
        "round",
        "project",
        "instrument",
        "tier",
        "respondent_count",
        "roles",
        "roles_text",
        "going_well",
        "needs_work",
        "actions",
        "more_actions",
        "by_when",
        "words_used",
        "to_check",
    }
)


@dataclass(frozen=True)
class Replacement:
    """A short form (``term``, matched as a whole word, capitals counting) and its plain words."""

    term: str
    plain: str


@dataclass(frozen=True)
class Explanation:
    """A word kept as it is (in any of its ``words`` forms) and what it means."""

    term: str
    words: tuple[str, ...]
    meaning: str


@dataclass
class PlainWords:
    """The glossary of the summaries: what is replaced, what is explained, what each level means
    (instrument id → level id → words)."""

    replacements: list[Replacement] = field(default_factory=list)
    explanations: list[Explanation] = field(default_factory=list)
    levels: dict[str, dict[str, str]] = field(default_factory=dict)

    def plain(self, text: str) -> str:
        """``text`` with every short form replaced by its plain words; a short form in brackets
        right after the words it stands for ("Experts by Experience (EEs)") is dropped."""
        for item in self.replacements:
            text = re.sub(rf"(?i:({re.escape(item.plain)}))\s*\({re.escape(item.term)}\)", r"\1", text)
            text = re.sub(_whole(item.term), lambda _m, plain=item.plain: plain, text)
        return " ".join(text.split())

    def explained(self, texts: Iterable[str]) -> list[dict[str, str]]:
        """The explanations of the words ``texts`` use, in the file's order."""
        joined = "\n".join(texts)
        return [
            {"term": item.term, "meaning": item.meaning}
            for item in self.explanations
            if any(re.search(_whole(word), joined, re.IGNORECASE) for word in item.words)
        ]

    def level_words(self, instrument: str, level: str | None) -> str:
        return self.levels.get(instrument, {}).get(level or "", "")


def _whole(term: str) -> str:
    """A pattern matching ``term`` as a whole word (not inside a longer word or a hyphenated one)."""
    words = r"\s+".join(re.escape(part) for part in term.split())
    return rf"(?<![\w-]){words}(?![\w-])" if term[-1:].isalnum() else rf"(?<![\w-]){words}"


def builtin_plain_words_file() -> Path:
    return builtin_standards_dir() / PLAIN_WORDS_FILE


def load_plain_words(path: Path | None = None) -> PlainWords:
    """The plain words of ``path`` (default: the built-in ``standards/plain-words.yaml``);
    :class:`PlainWordsError` naming the file and the entry when it cannot be used."""
    from generator.model.yamlfile import read_yaml

    path = Path(path) if path is not None else builtin_plain_words_file()
    try:
        data = read_yaml(path)
    except InstrumentFileError as error:
        raise PlainWordsError(f"{path}: {error.problem}") from error
    if not isinstance(data, dict) or data.get("kind") != PLAIN_WORDS_KIND:
        raise PlainWordsError(f"{path}: is not a plain-words file (it needs the line 'kind: {PLAIN_WORDS_KIND}')")

    def entries(key: str) -> list[dict[str, Any]]:
        items = data.get(key) or []
        if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
            raise PlainWordsError(f"{path}: '{key}' must be a list of entries, each with a term")
        return items

    def text(item: dict[str, Any], key: str, where: str) -> str:
        value = item.get(key)
        if not isinstance(value, str) or not value.strip():
            raise PlainWordsError(f"{path}: {where} has no '{key}' (it needs some text)")
        return value.strip()

    replacements = []
    for n, item in enumerate(entries("replace"), 1):
        where = f"entry {n} of 'replace'"
        replacements.append(Replacement(text(item, "term", where), text(item, "with", f"'{item.get('term')}'")))
    explanations = []
    for n, item in enumerate(entries("explain"), 1):
        term = text(item, "term", f"entry {n} of 'explain'")
        words = item.get("words") or [term]
        if not isinstance(words, list) or not all(isinstance(w, str) and w.strip() for w in words):
            raise PlainWordsError(f"{path}: the words of '{term}' must be a list of words")
        explanations.append(Explanation(term, tuple(w.strip() for w in words), text(item, "meaning", f"'{term}'")))
    levels = data.get("levels") or {}
    if not isinstance(levels, dict) or not all(isinstance(v, dict) for v in levels.values()):
        raise PlainWordsError(f"{path}: 'levels' must give, for each instrument, each level's words")
    return PlainWords(
        replacements,
        explanations,
        {str(k): {str(level): str(words).strip() for level, words in v.items()} for k, v in levels.items()},
    )


# --- the context -----------------------------------------------------------------------------------


def next_round(round_: str | None) -> str | None:
    """The review after ``round_``: "2026-27" after "2025-26", "2026/2027" after "2025/2026", 2026
    after 2025; None for a round of another shape."""
    text = (round_ or "").strip()
    if match := re.fullmatch(r"(\d{4})([-/–])(\d{2}|\d{4})", text):
        first, dash, second = int(match[1]), match[2], match[3]
        following = str(int(second) + 1).zfill(len(second))[-len(second) :]
        return f"{first + 1}{dash}{following}"
    if re.fullmatch(r"\d{4}", text):
        return str(int(text) + 1)
    return None


def by_when(round_: str | None, by: str | None = None) -> str:
    """When the actions will be done, as the summary says it: "by 31 March 2027" for ``by`` an ISO
    date, "by <by>" for other text, else "by the next review, in 2026-27" from the round."""
    if by and by.strip():
        text = " ".join(by.split())
        try:
            date.fromisoformat(text)
        except ValueError:
            return text if text.lower().startswith("by ") else f"by {text}"
        return f"by {long_date(text)}"
    following = next_round(round_)
    return f"by the next review, in {following}" if following else "by the next review"


def _spread(items: list[dict[str, Any]], count: int) -> list[dict[str, Any]]:
    """The first ``count`` of ``items`` (in order), taking one per section before a second from any."""
    chosen: list[dict[str, Any]] = []
    sections: set[int] = set()
    for item in items:
        if len(chosen) < count and item["section"] not in sections:
            chosen.append(item)
            sections.add(item["section"])
    for item in items:
        if len(chosen) < count and item not in chosen:
            chosen.append(item)
    return sorted(chosen, key=items.index)


def sentences(text: str) -> list[str]:
    """``text`` cut into its sentences (and the parts of a list joined by ";"), for one idea a line."""
    parts = re.split(r"(?<=[.!?;])\s+(?=[A-Z“\"'(])", " ".join(text.split()))
    lines = [part.rstrip(";").strip() for part in parts if part.strip()]
    return [line[:1].upper() + line[1:] for line in lines]


def _and(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1] if names else ""


def respondent_summary(
    org: OrganisationResult,
    instrument: Instrument,
    words: PlainWords,
    roles: Roles | None = None,
    by: str | None = None,
    points: int = POINTS,
) -> dict[str, Any]:
    """The context of one organisation's "You said, we did" summary: its tier in words, up to
    ``points`` indicators going well (at its best level, from different sections), the sections
    that need most work, its first ``points`` actions (next level's first things to do) and when
    they will be done (``by``, or the next review after the results' round).  Text quoted from the
    standards is in plain words (``words``); no respondent's name is in it."""
    roles = roles or builtin_roles()
    plan = organisation_plan(org, instrument, roles)
    scale = instrument.scale
    quoted: list[str] = []

    def plain(text: str) -> str:
        result = words.plain(text)
        quoted.append(result)
        return result

    ranks = {lv.id: n for n, lv in enumerate(scale.levels)}
    order = {indicator.id: n for n, indicator in enumerate(instrument.indicators)}
    answered = [i for i in org.indicators if i.consensus is not None]
    going_well: list[dict[str, Any]] = []
    if answered:
        best = max(ranks[i.consensus] for i in answered)
        if best > 0:  # the lowest level ("Not yet", "Not met") is not going well
            candidates = [
                {"id": i.id, "section": i.section, "title": i.title, "level": scale.level(i.consensus).label}
                for i in sorted(answered, key=lambda i: order[i.id])
                if ranks[i.consensus] == best
            ]
            going_well = [
                _with_headline({**item, "title": plain(item["title"])}) for item in _spread(candidates, points)
            ]
    ranked_sections = [s for s in plan["sections"] if s["tier"] is not None and s["tier"] != scale.levels[-1].id]
    ranked_sections.sort(key=lambda s: (ranks[s["tier"]], s["number"]))
    needs_work = [
        {"number": s["number"], "title": plain(_section_title(s["title"])), "level": s["label"]}
        for s in ranked_sections[:points]
    ]
    actions = []
    for action in _spread(plan["actions"], points):
        steps = [c for c in action["criteria"] if " ".join(c.split()) != " ".join(action["title"].split())]
        shown = [plain(step) for step in steps[:STEPS]]
        title = plain(action["title"])
        actions.append(
            {
                "id": action["id"],
                "title": title,
                "now": action["current"],
                "next": action["next"],
                "steps": shown,
                "more": len(steps) - len(shown),
                "headline": sentences(title)[0] if title else "",
                # easy read: the rest of the title, then the things to do, one sentence a line
                "lines": sentences(title)[1:] + [line for step in shown for line in sentences(step)],
            }
        )
    role_counts = Counter(r.role for r in org.respondents)
    role_names = [roles.name(role) for role in role_counts if role != UNKNOWN_ROLE]
    tier_words = words.level_words(instrument.id, org.tier) or (
        f"We are at {plan['overall']['label']}." if org.tier else ""
    )
    return {
        "organisation": org.name,
        "round": org.round or "",
        "project": org.project or "",
        "instrument": {"id": instrument.id, "title": instrument.title, "version": instrument.version},
        "tier": {
            "id": org.tier or "",
            "label": plan["overall"]["label"],
            "colour": plan["overall"]["colour"],
            "words": tier_words,
            "lines": sentences(tier_words),
            "complete": org.complete,
        },
        "respondent_count": len(org.respondents),
        "roles": role_names,
        "roles_text": _and(role_names),
        "going_well": going_well,
        "needs_work": needs_work,
        "actions": actions,
        "more_actions": max(0, len(plan["actions"]) - len(actions)),
        "by_when": by_when(org.round, by),
        "words_used": words.explained(quoted),
        "to_check": len(org.unclear),
    }


def _with_headline(item: dict[str, Any]) -> dict[str, Any]:
    """``item`` with ``headline``: the first sentence of its title (what easy read shows)."""
    return {**item, "headline": (sentences(item["title"]) or [""])[0]}


def _section_title(title: str) -> str:
    """A section's title without its number ("3) Empowerment …" → "Empowerment …")."""
    return re.sub(r"^\s*\d+\s*[).:-]\s*", "", title)


# --- the document ----------------------------------------------------------------------------------


def default_summary_template(easy_read: bool = False) -> Path:
    """The built-in summary template (the easy-read one with ``easy_read``)."""
    from importlib import resources

    name = EASY_READ_TEMPLATE_NAME if easy_read else TEMPLATE_NAME
    packaged = Path(str(resources.files("generator"))) / "templates" / name
    if packaged.is_file():
        return packaged
    return Path(__file__).resolve().parent.parent.parent / "templates" / name


def check_summary_template(path: Path) -> None:
    """Check that ``path`` is a usable summary template: a .docx whose tags are whole and closed
    and whose variables are all known.  :class:`TemplateError` naming the file and the tag."""
    from generator.plans import documents

    documents.check_docx_template(path, TEMPLATE_VARIABLES, "summary for respondents")


def render_respondent_summary(
    context: dict[str, Any], out: Path, template: Path | None = None, *, easy_read: bool = False
) -> Path:
    """Write the summary of ``context`` (:func:`respondent_summary`) to ``out`` (.docx) with
    ``template`` or the built-in one (easy-read with ``easy_read``); returns ``out``."""
    from generator.plans import documents

    path = Path(template) if template is not None else default_summary_template(easy_read)
    if template is not None:
        check_summary_template(path)
    elif not path.is_file():
        raise TemplateError(path, "the built-in template is missing: reinstall coproduce")
    return documents.render_docx_template(
        path,
        context,
        out,
        documents.FALLBACK_TIME,
        lambda: check_summary_template(path),
        what="summary for respondents",
    )
