"""consolidated-anonymised.xlsx: the consolidated workbook with nothing that names an organisation.

``--anonymise`` on ``merge`` and ``run`` writes it beside consolidated.xlsx (which the partnership
lead still needs).  It is :class:`~generator.outputs.workbook.ConsolidatedWorkbook` filled with
anonymised copies of the results (:func:`anonymised_organisation`):

- organisations are "Organisation A, B, …" (:func:`generator.anonymise.anonymised_names`; the key
  is written to a file of its own);
- people are "Respondent 1, 2, …" within each organisation, with their roles kept; "agreed with"
  and "rated by" (people's names) are left out;
- file names, form ids and the files' SHA-256 are left out (a file is "File 1, 2, …" in the
  manifest): they name organisations too;
- comments are left out (a comment can name anyone): the Comments sheet says so;
- free text that stays (problems, why a tier, what was typed, a rejected file's reason) has every
  organisation's name, person's name, file name and form id replaced.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from generator.model.instrument import Instrument
from generator.model.results import ManifestEntry, OrganisationResult, ResultsHead

#: What the Comments sheet of the anonymised workbook says instead of the comments.
COMMENTS_LEFT_OUT = (
    "Comments are left out of the anonymised workbook: they can name people and organisations. "
    "They are in consolidated.xlsx."
)
#: What a name, file or form id is replaced by in the free text that stays.
ORGANISATION = "an organisation"
SOMEONE = "a respondent"
A_FILE = "a file"


class Scrubber:
    """Replaces known names (organisations, people, files, form ids) in free text, longest first,
    whatever their capitals; organisation names by their anonymised names."""

    def __init__(self, replacements: Mapping[str, str]) -> None:
        words = sorted((w for w in replacements if w and len(w.strip()) > 1), key=len, reverse=True)
        self.lookup = {w.casefold(): replacements[w] for w in words}
        alternatives = "|".join(re.escape(w) for w in words)
        # whole words only: a respondent called "Jo" leaves "Journey" alone
        self.pattern = re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE) if words else None

    def __call__(self, text: Any) -> Any:
        if not isinstance(text, str) or self.pattern is None:
            return text
        return self.pattern.sub(lambda m: self.lookup.get(m.group().casefold(), ORGANISATION), text)


def _file_forms(path: str | None) -> list[str]:
    """A file as it may be written in text: its path, its name, its name without the extension."""
    if not path:
        return []
    name = Path(path).name
    return [path, name, Path(name).stem]


def sensitive_words(
    names: Mapping[str, str], organisations: Iterable[OrganisationResult], manifest: Iterable[ManifestEntry]
) -> dict[str, str]:
    """Every text that could name an organisation or a person → what replaces it."""
    words: dict[str, str] = {}
    for entry in manifest:
        for form in _file_forms(entry.file) + _file_forms(entry.superseded_by):
            words[form] = A_FILE
        if entry.organisation:
            words[entry.organisation] = names.get(entry.organisation, ORGANISATION)
    for organisation in organisations:
        for respondent in organisation.respondents:
            for form in _file_forms(respondent.file):
                words[form] = A_FILE
            for text in (respondent.respondent, respondent.agreed_with):
                if text:
                    words[text] = SOMEONE
            if respondent.form_id:
                words[respondent.form_id] = A_FILE
    for name, shown in names.items():
        words[name] = shown
    return words


def anonymised_organisation(organisation: OrganisationResult, shown: str, scrub: Scrubber) -> OrganisationResult:
    """A copy of ``organisation`` named ``shown``, its respondents "Respondent 1, 2, …" (roles kept),
    without files, form ids, "agreed with", "rated by" or comments, its free text scrubbed."""
    people = {r.file: f"Respondent {n}" for n, r in enumerate(organisation.respondents, 1)}

    def person(file: str, fallback: str | None = None) -> str | None:
        return people.get(file, fallback and SOMEONE)

    def texts(items: list[str]) -> list[str]:
        return [scrub(item) for item in items]

    respondents = [
        dataclasses.replace(
            r, file="", form_id=None, respondent=people[r.file], agreed_with=None, problems=texts(r.problems)
        )
        for r in organisation.respondents
    ]
    indicators = []
    for indicator in organisation.indicators:
        answers = [
            dataclasses.replace(
                a,
                file="",
                respondent=person(a.file, a.respondent),
                comment=None,
                rated_by=None,
                raw=scrub(a.raw),
                problems=texts(a.problems),
            )
            for a in indicator.answers
        ]
        gaps = [
            dataclasses.replace(
                g, higher=dataclasses.replace(g.higher, file=""), lower=dataclasses.replace(g.lower, file="")
            )
            for g in indicator.perception_gaps
        ]
        indicators.append(dataclasses.replace(indicator, answers=answers, perception_gaps=gaps))
    unclear = [
        dataclasses.replace(u, file="", respondent=person(u.file, u.respondent), typed=scrub(u.typed), why=scrub(u.why))
        for u in organisation.unclear
    ]
    explanation = organisation.explanation
    if explanation is not None:
        explanation = dataclasses.replace(
            explanation,
            sentence=scrub(explanation.sentence),
            set_by=[
                dataclasses.replace(s, file="", respondent=person(s.file, s.respondent)) for s in explanation.set_by
            ],
        )
    return dataclasses.replace(
        organisation,
        key=shown,
        name=shown,
        project=scrub(organisation.project),
        problems=texts(organisation.problems),
        respondents=respondents,
        indicators=indicators,
        unclear=unclear,
        explanation=explanation,
    )


def anonymised_manifest(
    manifest: Iterable[ManifestEntry], names: Mapping[str, str], scrub: Scrubber
) -> list[ManifestEntry]:
    """The manifest with each file as "File 1, 2, …" (the same number where it supersedes another), its
    organisation anonymised, its reason scrubbed and no SHA-256."""
    entries = list(manifest)
    numbers = {entry.file: f"File {n}" for n, entry in enumerate(entries, 1)}
    return [
        dataclasses.replace(
            entry,
            file=numbers[entry.file],
            reason=scrub(entry.reason),
            organisation=names.get(entry.organisation) if entry.organisation else None,
            superseded_by=numbers.get(entry.superseded_by, A_FILE) if entry.superseded_by else None,
            sha256=None,
        )
        for entry in entries
    ]


class AnonymisedWorkbook:
    """consolidated-anonymised.xlsx made as the results are, beside consolidated.xlsx: each
    organisation added is anonymised first.  With no ``names`` it writes nothing (and opens no
    workbook), so a run without ``--anonymise`` can hold one.  Use it in a ``with`` block."""

    def __init__(
        self,
        head: ResultsHead,
        instruments: Mapping[str, Instrument] | None,
        names: Mapping[str, str],
        manifest: list[ManifestEntry],
    ) -> None:
        from generator.outputs.workbook import ConsolidatedWorkbook

        self.names = dict(names)
        self.manifest = manifest
        self.book = ConsolidatedWorkbook(head, instruments) if self.names else None
        self.base = sensitive_words(self.names, [], manifest)

    def __enter__(self) -> AnonymisedWorkbook:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.book is not None:
            self.book.__exit__(*exc)

    def add(self, organisation: OrganisationResult) -> None:
        if self.book is None:
            return
        # the manifest's reasons can name anyone in the results: its scrubber learns them all
        self.base.update(sensitive_words(self.names, [organisation], []))
        scrub = Scrubber(self.base)
        self.book.add(anonymised_organisation(organisation, self.names[organisation.name], scrub))

    def save(self, path: Path) -> Path:
        """Write the workbook at ``path``, atomically; returns ``path``."""
        from generator.outputs.workbook import COMMENTS_SHEET

        assert self.book is not None, "nothing to anonymise"
        comments = self.book.tables[COMMENTS_SHEET]
        comments.add(["", "", "", "", "", "", COMMENTS_LEFT_OUT, ""])
        for organisations in self.book.summaries.values():
            organisations.sort(key=lambda o: (len(o.name), o.name, o.project or "", o.round or ""))
        return self.book.save(path, anonymised_manifest(self.manifest, self.names, Scrubber(self.base)))
