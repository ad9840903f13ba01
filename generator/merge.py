"""Merging returns: every input file accounted for, returns grouped by organisation.

:func:`merge_returns` finds the files under the given paths, reads them in parallel (one
process per core), and gives each file a fate in the manifest: merged, superseded (the
same form sent again later, or an identical copy), rejected (with the reader's reason) or
skipped (not a form: a text file, an image, an Office lock file; or an action tracker, whose
statuses are kept apart, in :attr:`Merged.trackers`, never merged as answers).

Each file is read in a worker process with a time limit and a memory limit
(:class:`generator.returns.guards.Limits`): a file that hangs its reader, exhausts its memory or
crashes it is rejected with a reason, its worker replaced, and the batch goes on.  Merged returns are
grouped by instrument and organisation (the organisation a personalised form was made for,
else the name on the form), each one a respondent.
"""

from __future__ import annotations

import dataclasses
import datetime
import errno
import os
import pickle
import stat
import tempfile
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

from generator.forms.paper import FORM_ID_LENGTH
from generator.model.instrument import Instrument
from generator.model.results import MERGED, REJECTED, SKIPPED, SUPERSEDED, EmailSource, ManifestEntry
from generator.returns import guards
from generator.returns.batch import ReadOutcome, iter_read, unpack_containers
from generator.returns.model import ORGANISATION_BY_HAND, Return
from generator.returns.names import counted_under, organisation_key, respondent_key
from generator.returns.tracker_return import TrackerReturn
from generator.scoring.rules import ScoringRules, role_of

#: Where a merge keeps the handwriting cut out of scanned returns, inside its output folder.
SCANS_FOLDER = "scans"
#: The manifest's reason for a form with nothing filled in (a blank form, or a pack never filled).
BLANK_FORM = "a blank form: nothing is filled in (no answer, comment or cover field), so there is nothing to merge"

#: Extensions worth reading: forms, and the formats people turn them into (each of
#: those gets a clear rejection saying how to convert it).  Anything else is skipped.
FORM_SUFFIXES = {
    ".docx",
    ".docm",
    ".dotx",
    ".xlsx",
    ".xlsm",
    ".pdf",
    ".doc",
    ".xls",
    ".odt",
    ".ods",
    ".rtf",
    ".htm",
    ".html",
    ".png",
    ".jpg",
    ".jpeg",
    ".tif",
    ".tiff",
    # emails, mailboxes and zips: their attachments are read (generator/returns/mail.py)
    ".eml",
    ".msg",
    ".mbox",
    ".zip",
    "",
}
_SYSTEM_FILES = {"thumbs.db", "desktop.ini", ".ds_store"}


@dataclass
class Respondent:
    """A merged return: one respondent of an organisation.

    A merge keeps its returns in a temporary file until they are scored (see
    :class:`_ReturnStore`): :attr:`result` reads the return back each time it is asked for,
    so take it once.
    """

    stored: Return | _StoredReturn
    sha256: str
    role: str

    @property
    def result(self) -> Return:
        stored = self.stored
        return stored if isinstance(stored, Return) else stored.load()


@dataclass
class OrganisationGroup:
    """The merged returns of one organisation for one instrument."""

    key: str
    name: str
    instrument: str
    respondents: list[Respondent] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    round: str | None = None
    project: str | None = None
    #: what grouping knew of each respondent's return, while the groups are made
    held: list[_Held] = field(default_factory=list, repr=False)


@dataclass
class Merged:
    """All inputs with their fates, and the organisations made of the merged ones.

    Its returns are kept in a temporary file (see :class:`Respondent`), removed when the
    last of them is let go."""

    manifest: list[ManifestEntry]
    organisations: list[OrganisationGroup]
    #: the action trackers found among the inputs (each "skipped" in the manifest, saying so),
    #: in the order of their files
    trackers: list[TrackerReturn] = field(default_factory=list)
    #: the handwriting cut out of scanned returns (image name → PNG), for ``OUT/scans/``: their
    #: comments say "see image scans/<name>"
    images: dict[str, bytes] = field(default_factory=dict)


def find_files(paths: Iterable[Path], exclude: Iterable[Path] = ()) -> tuple[list[Path], list[ManifestEntry]]:
    """The files under ``paths`` (folders searched recursively), sorted, each once; and a manifest
    entry for every other entry met, so that nothing in a folder goes unaccounted for.

    Nothing is opened here.  A link is followed: to a file, the file is listed under the link's
    name (once: a second way to the same file is skipped, saying which); to a folder, the folder
    is searched once (a link back to a folder already searched, however it loops, is skipped).
    A link to nothing, a loop of links, a folder that cannot be opened, a path that does not
    exist: rejected, saying which.  A named pipe, a socket, a device: skipped, never opened
    (opening a pipe waits for a writer forever).  Files and folders under ``exclude`` (the
    output folder) are left out, except under a path given that is inside one (the demo's
    ``output/demo/returns``).  Names are shown as :func:`generator.returns.guards.file_label`
    shows them."""
    paths = list(paths)
    excluded = [p.resolve() for p in exclude]
    given_inside = [
        resolved
        for resolved in (p.resolve() for p in paths)
        if any(resolved != folder and resolved.is_relative_to(folder) for folder in excluded)
    ]
    found: dict[tuple[int, int], Path] = {}  # each file once, by its device and inode
    searched: dict[tuple[int, int], Path] = {}
    entries: list[ManifestEntry] = []

    def left_out(path: Path) -> bool:
        if not excluded:
            return False
        resolved = path.resolve()
        if any(resolved.is_relative_to(inside) for inside in given_inside):
            return False
        return any(resolved.is_relative_to(folder) for folder in excluded)

    def note(path: Path, fate: str, reason: str) -> None:
        entries.append(ManifestEntry(guards.file_label(path), fate, reason))

    def visit(path: Path) -> None:
        try:
            info = path.stat()  # what a link leads to
        except OSError as error:
            if error.errno == errno.ELOOP:
                note(path, REJECTED, "a link that leads back to itself (a loop of links), not a form")
            elif isinstance(error, FileNotFoundError):
                link = os.path.islink(path)
                note(path, REJECTED, "a link to something that does not exist" if link else "does not exist")
            else:
                note(path, REJECTED, f"cannot be opened ({(error.strerror or str(error)).lower()})")
            return
        key = (info.st_dev, info.st_ino)
        if stat.S_ISDIR(info.st_mode):
            if key in searched:
                if str(searched[key]) != str(path):
                    shown = guards.file_label(searched[key])
                    note(path, SKIPPED, f"a link to a folder already searched ({shown}), not followed again")
                return
            if left_out(path):
                return
            searched[key] = path
            try:
                with os.scandir(path) as listing:
                    names = sorted(entry.name for entry in listing)
            except OSError as error:
                note(path, REJECTED, f"a folder that cannot be opened ({(error.strerror or str(error)).lower()})")
                return
            for name in names:
                visit(path / name)
        elif stat.S_ISREG(info.st_mode):
            if left_out(path):
                return
            first = found.get(key)
            if first is None:
                found[key] = path
            elif str(first) != str(path):  # the same file by another way: the one not a link is listed
                if os.path.islink(first) and not os.path.islink(path):
                    found[key], path, first = path, first, path
                note(path, SKIPPED, f"the same file as {guards.file_label(first)} (a link to it), listed once")
        else:
            note(path, SKIPPED, f"not a file ({_special_kind(info.st_mode)}): it was not opened")

    for path in paths:
        visit(path)
    return sorted(found.values(), key=str), entries


def _special_kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "neither a file nor a folder"


def skip_reason(path: Path) -> str | None:
    """Why ``path`` is not a form worth reading, or None when it should be read."""
    name = path.name.lower()
    if name.startswith("~$") or name.startswith(".~lock"):
        return "an Office lock file, not a form"
    if name in _SYSTEM_FILES or name.startswith("."):
        return "a hidden or system file, not a form"
    if path.suffix.lower() not in FORM_SUFFIXES:
        return f"not a form ({path.suffix.lower()} file)"
    return None


# --- merging --------------------------------------------------------------------------------


def merge_returns(
    paths: Sequence[Path],
    instruments: Mapping[str, Instrument],
    rules: ScoringRules,
    exclude: Iterable[Path] = (),
    progress: Callable[[int], Callable[[], None]] | None = None,
    limits: guards.Limits | None = None,
) -> Merged:
    """Find, read and group the returns under ``paths``; nothing is left out of the manifest.

    ``progress``, if given, is called once with the number of files to read and returns
    a function called after each file.  ``limits`` (default :data:`generator.returns.guards.LIMITS`)
    bound each file's reading, its time included: see :func:`iter_read`.
    """
    files, manifest = find_files(paths, exclude)
    to_read = []
    for path in files:
        reason = skip_reason(path)
        if reason:
            manifest.append(ManifestEntry(guards.file_label(path), SKIPPED, reason))
        else:
            to_read.append(path)
    read_ok: list[_Held] = []
    entries: dict[str, ManifestEntry] = {}
    store = _ReturnStore()
    trackers: list[TrackerReturn] = []
    scanned: list[tuple[Path, str, float, int, Return]] = []  # kept back until the organisations are known
    with (
        tempfile.TemporaryDirectory(prefix="coproduce-attachments-") as attachments,
        closing(_read_unpacked(to_read, instruments, progress, limits, Path(attachments), manifest)) as outcomes,
    ):
        for outcome, source in outcomes:
            # from here on the file is named as outputs can show it (bytes not UTF-8 escaped)
            path, digest = Path(outcome.failure.file if outcome.failure else outcome.name), outcome.sha256
            result = outcome.result
            entry = ManifestEntry(str(path), MERGED, sha256=digest or None).by_email(source)
            if result is None:
                entry.fate = SKIPPED if outcome.failure.own_output else REJECTED
                entry.reason = outcome.failure.problem
            elif isinstance(result, TrackerReturn):
                entry.fate, entry.reason = SKIPPED, tracker_reason(result)
                entry.format, entry.organisation = result.format, result.organisation
                trackers.append(result)
            else:
                entry.format = result.format
                for part, found in enumerate(outcome.results):
                    if isinstance(found, Return) and found.format == "scan":
                        scanned.append((path, digest, outcome.mtime, part, found))
                    elif isinstance(found, Return) and found.is_blank():
                        entry.fate, entry.reason = SKIPPED, BLANK_FORM
                    elif isinstance(found, Return):
                        held = _Held.of(path, digest, outcome.mtime, found, store)
                        entry.organisation = _organisation_of(held)[0]
                        read_ok.append(held)
                if len(outcome.results) > 1:
                    entry.reason = f"a scanned batch: {len(outcome.results)} returns, each a respondent"
            entries[str(path)] = entry
            manifest.append(entry)
    # A scan's page codes name its form, not its organisation: the organisation is the one
    # another return of the same form (the PDF filled on screen) was made for, if any.
    made_for = {
        h.form_id[:FORM_ID_LENGTH]: h.identity_organisation for h in read_ok if h.form_id and h.identity_organisation
    }
    images: dict[str, bytes] = {}
    for path, digest, mtime, part, found in _join_split_scans(scanned, entries):
        if found.images:
            from generator.returns.scan_return import place_images

            images.update(found.images)
            place_images(found, Path(SCANS_FOLDER), SCANS_FOLDER, write=False)
            found.images = {}
        if found.organisation is None and found.form_id and made_for.get(found.form_id[:FORM_ID_LENGTH]):
            found.identity_organisation = made_for[found.form_id[:FORM_ID_LENGTH]]
            found.problems = [
                p
                if not p.startswith(ORGANISATION_BY_HAND)
                else f"{p} (counted under {found.identity_organisation}, the organisation its form was made for)"
                for p in found.problems
            ]
        held = _Held.of(path, digest, mtime, found, store, part)
        entries[str(path)].organisation = entries[str(path)].organisation or _organisation_of(held)[0]
        read_ok.append(held)

    kept = _drop_superseded(read_ok, entries)
    organisations = _group(kept, rules)
    manifest.sort(key=lambda e: e.file)
    return Merged(manifest, organisations, trackers, images)


def _read_unpacked(
    files: list[Path],
    instruments: Mapping[str, Instrument],
    progress: Callable[[int], Callable[[], None]] | None,
    limits: guards.Limits | None,
    folder: Path,
    manifest: list[ManifestEntry],
) -> Iterator[tuple[ReadOutcome, EmailSource | None]]:
    """Each outcome of reading ``files``, emails, mailboxes and zips opened first (their
    attachments saved into ``folder``), with the email it came in; what was found in them and
    not read is added to ``manifest``."""
    unpacked = unpack_containers(files, folder, limits)
    for item in unpacked.not_read:
        manifest.append(ManifestEntry(item.name, item.fate, item.reason).by_email(item.origin))
    tick = progress(len(unpacked.files)) if progress else None
    names = unpacked.names
    with closing(iter_read(unpacked.files, instruments, tick, limits, trackers=True, names=names)) as outcomes:
        for outcome in outcomes:
            name = names.get(outcome.path) or guards.file_label(outcome.path)
            yield dataclasses.replace(outcome, name=name), unpacked.origins.get(name)


def tracker_reason(tracker: TrackerReturn) -> str:
    """The manifest's reason for an action tracker found among the returns."""
    count = len(tracker.actions)
    return (
        f"an action tracker ({count} action{'' if count == 1 else 's'}), not a form: its statuses are reported, "
        "not merged as answers"
    )


class _ReturnStore:
    """Returns kept in a temporary file while a merge runs, so that a batch of any size is
    merged in little memory: each is pickled there as it is read, and unpickled when it is
    scored.  The file holds only what this process wrote; it is removed when the store and
    every return in it are let go."""

    def __init__(self) -> None:
        # Unbuffered: the reader processes forked while it is written must not hold a copy of
        # unwritten bytes (they never write, but a buffer is written out when it is closed).
        self._file = tempfile.TemporaryFile(buffering=0)
        weakref.finalize(self, self._file.close)  # once the last return in it is let go
        self._end = 0

    def put(self, result: Return) -> _StoredReturn:
        data = pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)
        written = os.pwrite(self._file.fileno(), data, self._end)
        if written != len(data):
            raise OSError(f"the merge's temporary file took {written} of {len(data)} bytes (is the disk full?)")
        stored = _StoredReturn(self, self._end, len(data))
        self._end += len(data)
        return stored

    def load(self, offset: int, length: int) -> Return:
        return pickle.loads(os.pread(self._file.fileno(), length, offset))


@dataclass(frozen=True)
class _StoredReturn:
    """Where a return is in its merge's :class:`_ReturnStore`."""

    store: _ReturnStore
    offset: int
    length: int

    def load(self) -> Return:
        return self.store.load(self.offset, self.length)


@dataclass(frozen=True)
class _Held:
    """What merging needs of a return (which form, when, whose, for which round) while the
    return itself is stored."""

    path: Path
    sha256: str
    mtime: float
    form_id: str | None
    date: str | None
    instrument: str
    organisation: str | None
    identity_organisation: str | None
    respondent: str | None
    review_period: str | None
    project: str | None
    stored: _StoredReturn
    #: which of its file's returns it is (a scanned batch holds several)
    part: int = 0
    #: a scanned return's form id and copy, which tell a batch's returns apart
    copy: int | None = None

    @classmethod
    def of(cls, path: Path, sha256: str, mtime: float, result: Return, store: _ReturnStore, part: int = 0) -> _Held:
        return cls(
            path,
            sha256,
            mtime,
            result.form_id,
            result.date,
            result.instrument,
            result.organisation,
            result.identity_organisation,
            result.respondent,
            result.review_period,
            result.project,
            store.put(result),
            part,
            result.copy,
        )

    @property
    def named(self) -> str | None:
        """The organisation this return is counted under (see :func:`_organisation_of`)."""
        return counted_under(self.organisation, self.identity_organisation)[0]

    @property
    def later_key(self) -> tuple[str, float, str]:
        """Orders two returns of one respondent: the later date completed, then the newer file."""
        return (self.date or "", self.mtime, str(self.path))


def _join_split_scans(
    scanned: list[tuple[Path, str, float, int, Return]], entries: dict[str, ManifestEntry]
) -> list[tuple[Path, str, float, int, Return]]:
    """Scanned returns, with the pages of one printed copy that were scanned into several files
    (a scanner writing one image per page) joined into one return: each answer from the file
    whose page holds it.  Returns of one form and copy that are each whole (a copy scanned
    twice) are left as they are: merging reports them."""
    groups: dict[tuple[str | None, int | None], list[tuple[Path, str, float, int, Return]]] = {}
    for item in sorted(scanned, key=lambda item: (str(item[0]), item[3])):
        groups.setdefault((item[4].form_id, item[4].copy), []).append(item)
    joined = []
    for (form_id, _), items in groups.items():
        partial = all(any(r.page is None for r in item[4].responses) for item in items)
        if form_id is None or len({item[0] for item in items}) < 2 or not partial:
            joined += items
            continue
        first = items[0]
        for path, *_ in items[1:]:
            entries[str(path)].reason = f"pages of one printed copy, joined with those in {first[0]} into one return"
        result = _joined_scan([item[4] for item in items], [item[0] for item in items])
        joined.append((first[0], first[1], max(item[2] for item in items), first[3], result))
    return joined


def _joined_scan(parts: list[Return], files: list[Path]) -> Return:
    """One return from ``parts``, the returns read from the files holding the pages of one copy."""
    from generator.returns.scan_return import FLAGGED

    result = dataclasses.replace(parts[0], images={}, problems=[])
    responses = []
    for position, response in enumerate(parts[0].responses):
        read = [part.responses[position] for part in parts if part.responses[position].page is not None]
        if len(read) == 1:
            responses.append(read[0])
        elif not read:
            responses.append(response)
        else:  # one page in two files: scanned twice
            responses.append(
                dataclasses.replace(
                    read[0],
                    achieved=None,
                    problems=[*read[0].problems, f"its page is in more than one of the files; {FLAGGED}"],
                )
            )
    result.responses = responses
    names = ", ".join(str(path) for path in files)
    result.problems = [f"its pages were scanned into {len(files)} files ({names}): joined by their form and copy"]
    for part in parts:
        result.images.update(part.images)
        result.problems += [p for p in part.problems if "missing from the scan" not in p and p not in result.problems]
        for field_name in ("organisation", "identity_organisation", "respondent", "date", "review_period", "project"):
            if getattr(result, field_name) is None:
                setattr(result, field_name, getattr(part, field_name))
    blank = [r.id for r in responses if r.page is None]
    if blank:
        result.problems.append(
            f"{len(blank)} answer{'s are' if len(blank) > 1 else ' is'} on pages missing from every file: blank"
        )
    return result


def _organisation_of(held: _Held) -> tuple[str | None, str | None]:
    """(the organisation ``held`` is counted under, a problem naming both when its cover and its
    pack disagree): see :func:`~generator.returns.names.counted_under`."""
    named, conflict = counted_under(held.organisation, held.identity_organisation)
    return named, f"{held.path}: {conflict} and merge again" if conflict else None


def _drop_superseded(read_ok: list[_Held], entries: dict[str, ManifestEntry]) -> list[_Held]:
    """The returns that count, each file's fate set in ``entries``.

    A return is superseded by an identical file (the same bytes), or by a later return of the
    same form from the same respondent (same form id, "Completed by", organisation, round and
    project): someone sending their form again.  Copies of one form filled by different people
    are different respondents, and all count."""
    latest: dict[tuple, _Held] = {}
    for held in read_ok:
        key = _same_respondent_key(held)
        if key is not None and (key not in latest or held.later_key > latest[key].later_key):
            latest[key] = held
    kept, seen_digest = [], {}
    for held in read_ok:
        entry = entries[str(held.path)]
        key = _same_respondent_key(held)
        winner = latest.get(key) if key is not None else None
        if winner is not None and winner is not held:
            entry.fate, entry.superseded_by = SUPERSEDED, str(winner.path)
            entry.reason = (
                "an identical copy of another file"
                if winner.sha256 == held.sha256
                else f"the same respondent ({held.respondent}) sent the same form again later"
            )
            continue
        if (held.sha256, held.part) in seen_digest:  # (a scanned batch's returns share a file)
            entry.fate, entry.superseded_by = SUPERSEDED, seen_digest[(held.sha256, held.part)]
            entry.reason = "an identical copy of another file"
            continue
        seen_digest[(held.sha256, held.part)] = str(held.path)
        kept.append(held)
    return kept


def _same_respondent_key(held: _Held) -> tuple | None:
    """Returns with equal keys are one respondent sending one form again; None when a return
    cannot be told to be a resend (no form id, or no "Completed by")."""
    who = respondent_key(held.respondent)
    if held.form_id is None or not who:
        return None
    named = held.named
    return (
        held.form_id,
        who,
        organisation_key(named) if named else "",
        round_key(held.review_period),
        organisation_key(held.project) if held.project else "",
    )


def round_key(review_period: str | None) -> str:
    return " ".join((review_period or "").casefold().split())


def _group(kept: list[_Held], rules: ScoringRules) -> list[OrganisationGroup]:
    """Group the returns that count by instrument, organisation, round and project.

    A return that gives no review period (or, on the charter, no project) joins its
    organisation's only round (project) in the batch; when the organisation has several, it is
    kept apart, with a problem saying why."""
    by_organisation: dict[tuple[str, str], list[tuple[_Held, str]]] = {}
    conflicts: dict[int, str] = {}
    for held in kept:
        named, conflict = _organisation_of(held)
        if conflict:
            conflicts[id(held)] = conflict
        org_key = organisation_key(named) if named else f"file:{held.path}" + (f"#{held.part}" if held.part else "")
        by_organisation.setdefault((held.instrument, org_key), []).append((held, named or ""))

    groups: dict[tuple, OrganisationGroup] = {}
    roles: dict[str | None, str] = {}  # the same "completed by" text comes back in many returns
    for (instrument, org_key), members in by_organisation.items():
        rounds = _only_or_none({round_key(h.review_period): h.review_period for h, _ in members if h.review_period})
        projects = _only_or_none({organisation_key(h.project): h.project for h, _ in members if h.project})
        for held, named in members:
            round_, project = held.review_period or rounds[0], held.project or projects[0]
            key = (instrument, org_key, round_key(round_), organisation_key(project) if project else "")
            group = groups.get(key)
            if group is None:
                copy = f", form {held.form_id} copy {held.copy}" if held.copy is not None else ""
                name = named or f"(no organisation: {held.path.name}{copy})"
                group = groups[key] = OrganisationGroup(
                    _group_key(org_key, round_, project), name, instrument, round=round_, project=project
                )
                if not named:
                    group.problems.append(
                        f"{held.path}: gives no organisation; it is kept on its own under its file name"
                    )
            if id(held) in conflicts:
                group.problems.append(conflicts[id(held)])
            if not held.review_period and rounds[1]:
                group.problems.append(
                    f"{held.path}: gives no review period, and {group.name} has returns for {rounds[1]}: "
                    "it is kept apart from them; write the review period on its cover and merge again"
                )
            if not held.project and projects[1]:
                group.problems.append(
                    f"{held.path}: gives no project or piece of work assessed, and {group.name} has returns for "
                    f"{projects[1]}: it is kept apart from them; write the project on its cover and merge again"
                )
            role = roles.get(held.respondent)
            if role is None:
                role = roles[held.respondent] = role_of(held.respondent, rules)
            group.respondents.append(Respondent(held.stored, held.sha256, role))
            group.held.append(held)
    for group in groups.values():
        group.problems.extend(_doubtful_pairs(group))
        group.problems.extend(_far_apart(group))
        del group.held[:]
    return sorted(groups.values(), key=lambda g: (g.instrument, g.key))


def _only_or_none(found: dict[str, str | None]) -> tuple[str | None, str | None]:
    """(the one value found, None) — or (None, the values listed) when there are several, or
    (None, None) when there are none."""
    if len(found) == 1:
        return next(iter(found.values())), None
    if not found:
        return None, None
    return None, " and ".join(sorted(v for v in found.values() if v))


def _group_key(org_key: str, round_: str | None, project: str | None) -> str:
    """The organisation's key in results.json: its name as compared, then its round and project
    where the returns give them."""
    parts = [org_key] + [p for p in (round_, project) if p]
    return " / ".join(parts)


#: Returns of one round dated further apart than this may be from two rounds.
_ROUND_DAYS = 270


def _far_apart(group: OrganisationGroup) -> list[str]:
    """A problem when returns that give no review period are dated so far apart that they may
    be from two review rounds (last year's form and this year's, in one folder)."""
    if group.round is not None:
        return []
    dates = sorted(d for d in (_iso_date(h.date) for h in group.held) if d is not None)
    if len(dates) < 2 or (dates[-1] - dates[0]).days <= _ROUND_DAYS:
        return []
    return [
        f"its returns give no review period and are dated {dates[0].isoformat()} to {dates[-1].isoformat()}: "
        "if they are from different review rounds, write the review period on their covers and merge again"
    ]


def _iso_date(text: str | None) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(text) if text else None
    except ValueError:
        return None


def _doubtful_pairs(group: OrganisationGroup) -> list[str]:
    """Problems for returns both counted that may be one respondent twice: the same "Completed by"
    on two forms, or two returns of one form that give no "Completed by"."""
    problems = []
    seen: dict[tuple, _Held] = {}
    for held in group.held:
        who = respondent_key(held.respondent)
        # (the numbered copies of a print file are different sheets of paper: different respondents)
        key = ("who", who) if who else ("form", held.form_id, held.copy) if held.form_id else None
        if key is None:
            continue
        first = seen.setdefault(key, held)
        if first is held:
            continue
        said = (
            f"both say they were completed by {held.respondent}"
            if who
            else "are copies of one form and give no 'Completed by'"
        )
        problems.append(
            f"{first.path} and {held.path} {said}: both are counted, as two respondents; "
            "if one replaces the other, remove the older file and merge again"
        )
    return problems
