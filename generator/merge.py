"""Merging returns: every input file accounted for, returns grouped by organisation.

:func:`merge_returns` finds the files under the given paths, reads them in parallel (one
process per core), and gives each file a fate in the manifest: merged, superseded (the
same form sent again later, or an identical copy), rejected (with the reader's reason) or
skipped (not a form: a text file, an image, an Office lock file).

Each file is read in a worker process with a time limit and a memory limit
(:class:`generator.returns.guards.Limits`): a file that hangs its reader, exhausts its memory or
crashes it is rejected with a reason, its worker replaced, and the batch goes on.  Merged returns are
grouped by instrument and organisation (the organisation a personalised form was made for,
else the name on the form), each one a respondent.
"""

from __future__ import annotations

import errno
import os
import pickle
import stat
import tempfile
import weakref
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

from generator.model.instrument import Instrument
from generator.model.results import MERGED, REJECTED, SKIPPED, SUPERSEDED, ManifestEntry
from generator.returns import guards
from generator.returns.batch import iter_read
from generator.returns.model import Return
from generator.scoring.rules import ScoringRules, role_of

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


@dataclass
class Merged:
    """All inputs with their fates, and the organisations made of the merged ones.

    Its returns are kept in a temporary file (see :class:`Respondent`), removed when the
    last of them is let go."""

    manifest: list[ManifestEntry]
    organisations: list[OrganisationGroup]


def find_files(paths: Iterable[Path], exclude: Iterable[Path] = ()) -> tuple[list[Path], list[ManifestEntry]]:
    """The files under ``paths`` (folders searched recursively), sorted, each once; and a manifest
    entry for every other entry met, so that nothing in a folder goes unaccounted for.

    Nothing is opened here.  A link is followed: to a file, the file is listed under the link's
    name (once: a second way to the same file is skipped, saying which); to a folder, the folder
    is searched once (a link back to a folder already searched, however it loops, is skipped).
    A link to nothing, a loop of links, a folder that cannot be opened, a path that does not
    exist: rejected, saying which.  A named pipe, a socket, a device: skipped, never opened
    (opening a pipe waits for a writer forever).  Files and folders under ``exclude`` (the
    output folder) are left out.  Names are shown as :func:`generator.returns.guards.file_label`
    shows them."""
    excluded = [p.resolve() for p in exclude]
    found: dict[tuple[int, int], Path] = {}  # each file once, by its device and inode
    searched: dict[tuple[int, int], Path] = {}
    entries: list[ManifestEntry] = []

    def left_out(path: Path) -> bool:
        if not excluded:
            return False
        resolved = path.resolve()
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


def organisation_key(name: str) -> str:
    """Organisation names compared case- and space-insensitively."""
    return " ".join(name.casefold().split())


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
    tick = progress(len(to_read)) if progress else None
    read_ok: list[tuple[Path, _Held, str, float]] = []
    entries: dict[str, ManifestEntry] = {}
    store = _ReturnStore()
    with closing(iter_read(to_read, instruments, tick, limits)) as outcomes:
        for outcome in outcomes:
            # from here on the file is named as outputs can show it (bytes not UTF-8 escaped)
            path, digest, result = Path(guards.file_label(outcome.path)), outcome.sha256, outcome.result
            entry = ManifestEntry(str(path), MERGED, sha256=digest or None)
            if result is None:
                entry.fate, entry.reason = REJECTED, outcome.failure.problem
            else:
                entry.format, entry.organisation = result.format, result.organisation
                read_ok.append((path, _Held.of(result, store), digest, outcome.mtime))
            entries[str(path)] = entry
            manifest.append(entry)

    kept = _drop_superseded(read_ok, entries)
    organisations = _group(kept, rules)
    manifest.sort(key=lambda e: e.file)
    return Merged(manifest, organisations)


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
    """What merging needs of a return (which form, when, whose) while the return itself is stored."""

    form_id: str | None
    date: str | None
    instrument: str
    organisation: str | None
    identity_organisation: str | None
    respondent: str | None
    stored: _StoredReturn

    @classmethod
    def of(cls, result: Return, store: _ReturnStore) -> _Held:
        return cls(
            result.form_id,
            result.date,
            result.instrument,
            result.organisation,
            result.identity_organisation,
            result.respondent,
            store.put(result),
        )


def _drop_superseded(
    read_ok: list[tuple[Path, _Held, str, float]], entries: dict[str, ManifestEntry]
) -> list[tuple[Path, _Held, str]]:
    """Keep the latest return of each form (form date, then file time) and one of identical copies."""
    latest: dict[str, tuple[Path, _Held, str, float]] = {}
    for item in read_ok:
        form_id = item[1].form_id
        if form_id is None:
            continue
        best = latest.get(form_id)
        if best is None or (item[1].date or "", item[3], str(item[0])) > (best[1].date or "", best[3], str(best[0])):
            latest[form_id] = item
    kept, seen_digest = [], {}
    for path, result, digest, _ in read_ok:
        entry = entries[str(path)]
        winner = latest.get(result.form_id) if result.form_id else None
        if winner is not None and winner[0] != path:
            entry.fate, entry.superseded_by = SUPERSEDED, str(winner[0])
            entry.reason = (
                "an identical copy of another file" if winner[2] == digest else "the same form was returned again later"
            )
            continue
        if digest in seen_digest:
            entry.fate, entry.superseded_by = SUPERSEDED, seen_digest[digest]
            entry.reason = "an identical copy of another file"
            continue
        seen_digest[digest] = str(path)
        kept.append((path, result, digest))
    return kept


def _group(kept: list[tuple[Path, _Held, str]], rules: ScoringRules) -> list[OrganisationGroup]:
    groups: dict[str, OrganisationGroup] = {}
    roles: dict[str | None, str] = {}  # the same "completed by" text comes back in many returns
    for path, result, digest in kept:
        named = result.identity_organisation or result.organisation  # the form's identity first
        if named:
            key = f"{result.instrument}\x1f{organisation_key(named)}"
            name = named
        else:
            key, name = f"{result.instrument}\x1ffile:{path}", f"(no organisation: {path.name})"
        group = groups.get(key)
        if group is None:
            group = groups[key] = OrganisationGroup(key.split("\x1f", 1)[1], name, result.instrument)
            if not named:
                group.problems.append(f"{path}: gives no organisation; it is kept on its own under its file name")
        role = roles.get(result.respondent)
        if role is None:
            role = roles[result.respondent] = role_of(result.respondent, rules)
        group.respondents.append(Respondent(result.stored, digest, role))
    return sorted(groups.values(), key=lambda g: (g.instrument, g.key))
