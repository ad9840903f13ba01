"""Merging returns: every input file accounted for, returns grouped by organisation.

:func:`merge_returns` finds the files under the given paths, reads them in parallel (one
process per core), and gives each file a fate in the manifest: merged, superseded (the
same form sent again later, or an identical copy), rejected (with the reader's reason) or
skipped (not a form: a text file, an image, an Office lock file).

Each file is read in a worker process with a time limit and a memory limit
(:class:`generator.safety.Limits`): a file that hangs its reader, exhausts its memory or
crashes it is rejected with a reason, its worker replaced, and the batch goes on.  Merged returns are
grouped by instrument and organisation (the organisation a personalised form was made for,
else the name on the form), each one a respondent.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import signal
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from pathlib import Path

from . import safety
from .errors import CoproduceError
from .instrument import Instrument
from .returns.model import Return
from .returns.read import read_return
from .scoring import ScoringRules, role_of

MERGED, SUPERSEDED, REJECTED, SKIPPED = "merged", "superseded", "rejected", "skipped"

#: Extensions worth reading: forms, and the formats people turn them into (each of
#: those gets a clear rejection saying how to convert it).  Anything else is skipped.
FORM_SUFFIXES = {".docx", ".docm", ".dotx", ".xlsx", ".xlsm", ".pdf", ".doc", ".xls", ".odt", ".ods", ".rtf", ".htm",
                 ".html", ""}  # fmt: skip
_SYSTEM_FILES = {"thumbs.db", "desktop.ini", ".ds_store"}


@dataclass
class ManifestEntry:
    """One input file and what became of it."""

    file: str
    fate: str
    reason: str | None = None
    sha256: str | None = None
    format: str | None = None
    organisation: str | None = None
    superseded_by: str | None = None

    def as_data(self) -> dict:
        return {k: v for k, v in self.__dict__.items()}


@dataclass
class Respondent:
    """A merged return: one respondent of an organisation."""

    result: Return
    sha256: str
    role: str


@dataclass
class OrganisationGroup:
    """The merged returns of one organisation for one instrument."""

    key: str
    name: str
    instrument: str
    respondents: list[Respondent] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


@dataclass
class Merged:
    """All inputs with their fates, and the organisations made of the merged ones."""

    manifest: list[ManifestEntry]
    organisations: list[OrganisationGroup]

    def counts(self) -> dict[str, int]:
        counts = {"found": len(self.manifest), MERGED: 0, SUPERSEDED: 0, REJECTED: 0, SKIPPED: 0}
        for entry in self.manifest:
            counts[entry.fate] += 1
        return counts


def find_files(paths: Iterable[Path], exclude: Iterable[Path] = ()) -> tuple[list[Path], list[ManifestEntry]]:
    """The files under ``paths`` (folders searched recursively), sorted, each once; and
    manifest entries for paths that do not exist.  Files under ``exclude`` are left out."""
    excluded = [p.resolve() for p in exclude]
    found: dict[Path, Path] = {}
    missing = []
    for path in paths:
        if path.is_dir():
            candidates = [p for p in path.rglob("*") if p.is_file()]
        elif path.exists():
            candidates = [path]
        else:
            missing.append(ManifestEntry(str(path), REJECTED, "does not exist"))
            continue
        for candidate in candidates:
            resolved = candidate.resolve()
            if any(resolved.is_relative_to(folder) for folder in excluded):
                continue
            found.setdefault(resolved, candidate)
    return sorted(found.values(), key=str), missing


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


# --- reading in parallel, each file under a time and memory limit -----------------------------

#: What a read gives: (sha256 of the file, the Return or the one-line error, modification time).
Outcome = tuple[str, "Return | str", float]

_WORKER_INSTRUMENTS: Mapping[str, Instrument] = {}


def _start_worker(instruments: Mapping[str, Instrument]) -> None:
    global _WORKER_INSTRUMENTS
    _WORKER_INSTRUMENTS = instruments


def _fingerprint(path: Path) -> tuple[str, float]:
    """The file's sha256 (read a block at a time: a huge file is not held in memory) and mtime."""
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while block := stream.read(1024 * 1024):
            digest.update(block)
    return digest.hexdigest(), path.stat().st_mtime


def _read_one(path: Path) -> Outcome:
    """Read one file: (sha256, the Return or the error message, modification time)."""
    try:
        digest, mtime = _fingerprint(path)
    except OSError as error:
        return "", f"{path}: cannot be opened ({(error.strerror or str(error)).lower()})", 0.0
    try:
        return digest, read_return(path, _WORKER_INSTRUMENTS), mtime
    except CoproduceError as error:
        return digest, str(error), mtime


def _limit_memory(extra: int) -> None:
    """Let this process use at most ``extra`` bytes of address space more than it has now
    (Linux; elsewhere nothing is limited), so a file built to exhaust memory raises
    MemoryError in its reader instead of bringing the machine down."""
    try:
        import resource

        with open("/proc/self/statm") as statm:
            current = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        resource.setrlimit(resource.RLIMIT_AS, (current + extra, resource.RLIM_INFINITY))
    except (ImportError, OSError, ValueError):
        pass


def _reader_main(conn: Connection, instruments: Mapping[str, Instrument], memory: int) -> None:
    """A worker: read each path sent, send back its outcome, until told to stop (None)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle: it stops the workers
    _limit_memory(memory)
    _start_worker(instruments)
    while True:
        try:
            path = conn.recv()
        except (EOFError, OSError):
            return
        if path is None:
            return
        conn.send(_read_one(path))


class _Worker:
    """A reader process, the pipe to it, and the file it is reading (index, deadline)."""

    def __init__(self, context, instruments: Mapping[str, Instrument], limits: safety.Limits):
        self.conn, child = context.Pipe()
        self.process = context.Process(
            target=_reader_main, args=(child, instruments, limits.read_memory_bytes), daemon=True
        )
        self.process.start()
        child.close()
        self.job: tuple[int, float] | None = None

    def stop(self, *, kill: bool = False) -> None:
        if kill:
            self.process.kill()
        else:
            try:
                self.conn.send(None)
            except OSError:
                pass
        self.process.join(timeout=None if kill else 2)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
        self.conn.close()


def _stopped_outcome(path: Path, problem: str) -> Outcome:
    try:
        digest, mtime = _fingerprint(path)
    except OSError:
        digest, mtime = "", 0.0
    return digest, f"{path}: {problem}", mtime


def read_files(
    files: Sequence[Path],
    instruments: Mapping[str, Instrument],
    progress: Callable[[], None] | None = None,
    limits: safety.Limits | None = None,
) -> list[Outcome]:
    """Read ``files`` in worker processes (one per core), each file within ``limits``
    (default :data:`generator.safety.LIMITS`): the outcomes in the order of ``files``.
    ``progress`` is called as each file is done.

    A file whose reading takes longer than ``limits.read_seconds``, or kills its worker,
    gets a one-line error as its outcome; its worker is replaced.
    """
    limits = limits or safety.LIMITS
    outcomes: list[Outcome | None] = [None] * len(files)
    waiting = deque(range(len(files)))
    context = multiprocessing.get_context()
    workers: list[_Worker | None] = [None] * min(os.cpu_count() or 1, len(files))
    finished = False
    try:
        while waiting or any(w is not None and w.job for w in workers):
            for n, worker in enumerate(workers):
                if waiting and (worker is None or worker.job is None):
                    if worker is None:
                        worker = workers[n] = _Worker(context, instruments, limits)
                    try:
                        worker.conn.send(files[waiting[0]])
                    except OSError:  # it died while idle: the next round starts another
                        worker.stop(kill=True)
                        workers[n] = None
                        continue
                    worker.job = (waiting.popleft(), time.monotonic() + limits.read_seconds)
            busy = [w for w in workers if w is not None and w.job]
            first_deadline = min(w.job[1] for w in busy)
            ready = wait([w.conn for w in busy], timeout=max(0.0, first_deadline - time.monotonic()))
            for worker in busy:
                index, deadline = worker.job
                path = files[index]
                if worker.conn in ready:
                    try:
                        outcomes[index] = worker.conn.recv()
                        worker.job = None
                    except (EOFError, OSError):
                        worker.process.join(timeout=5)
                        outcomes[index] = _stopped_outcome(path, _crashed(worker.process.exitcode))
                        worker.stop(kill=True)
                        workers[workers.index(worker)] = None
                elif time.monotonic() >= deadline:
                    worker.stop(kill=True)
                    workers[workers.index(worker)] = None
                    outcomes[index] = _stopped_outcome(
                        path,
                        f"took more than {limits.read_seconds:g} s to read, so reading it was stopped: it may be "
                        "damaged or made to hang a reader; open it and save it again, or enter its answers by hand",
                    )
                else:
                    continue
                if progress:
                    progress()
        finished = True
    finally:  # stop the workers, at once when interrupted
        for worker in workers:
            if worker is not None:
                worker.stop(kill=not finished)
    return outcomes  # type: ignore[return-value]  # every slot is filled


def _crashed(exitcode: int | None) -> str:
    how = f"signal {-exitcode}" if exitcode is not None and exitcode < 0 else f"exit code {exitcode}"
    return (
        f"stopped its reader without an answer ({how}): it may be damaged or made to crash a reader; "
        "please report this with the file"
    )


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
    limits: safety.Limits | None = None,
) -> Merged:
    """Find, read and group the returns under ``paths``; nothing is left out of the manifest.

    ``progress``, if given, is called once with the number of files to read and returns
    a function called after each file.  ``limits`` (default :data:`generator.safety.LIMITS`)
    bound each file's reading, its time included: see :func:`read_files`.
    """
    files, manifest = find_files(paths, exclude)
    to_read = []
    for path in files:
        reason = skip_reason(path)
        if reason:
            manifest.append(ManifestEntry(str(path), SKIPPED, reason))
        else:
            to_read.append(path)
    tick = progress(len(to_read)) if progress else None
    outcomes = read_files(to_read, instruments, tick, limits)

    read_ok: list[tuple[Path, Return, str, float]] = []
    entries: dict[str, ManifestEntry] = {}
    for path, (digest, outcome, mtime) in zip(to_read, outcomes, strict=True):
        entry = ManifestEntry(str(path), MERGED, sha256=digest or None)
        if isinstance(outcome, str):
            entry.fate, entry.reason = REJECTED, outcome.removeprefix(f"{path}: ")
        else:
            entry.format, entry.organisation = outcome.format, outcome.organisation
            read_ok.append((path, outcome, digest, mtime))
        entries[str(path)] = entry
        manifest.append(entry)

    kept = _drop_superseded(read_ok, entries)
    organisations = _group(kept, rules)
    manifest.sort(key=lambda e: e.file)
    return Merged(manifest, organisations)


def _drop_superseded(
    read_ok: list[tuple[Path, Return, str, float]], entries: dict[str, ManifestEntry]
) -> list[tuple[Path, Return, str]]:
    """Keep the latest return of each form (form date, then file time) and one of identical copies."""
    latest: dict[str, tuple[Path, Return, str, float]] = {}
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


def _group(kept: list[tuple[Path, Return, str]], rules: ScoringRules) -> list[OrganisationGroup]:
    groups: dict[str, OrganisationGroup] = {}
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
        group.respondents.append(Respondent(result, digest, role_of(result.respondent, rules)))
    return sorted(groups.values(), key=lambda g: (g.instrument, g.key))
