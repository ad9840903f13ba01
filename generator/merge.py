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

import gc
import hashlib
import multiprocessing
import os
import pickle
import signal
import sys
import tempfile
import time
import weakref
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from importlib import import_module
from multiprocessing.connection import Connection, wait
from pathlib import Path

from . import safety
from .errors import CoproduceError
from .instrument import Instrument
from .returns.model import Return
from .returns.read import open_failure, read_return_data
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


@dataclass
class Merged:
    """All inputs with their fates, and the organisations made of the merged ones.

    Its returns are kept in a temporary file (see :class:`Respondent`), removed when the
    last of them is let go."""

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

#: Files a worker holds at once: the one it is reading and the next ones, so that it never
#: waits for the parent between files.  It is sent more when it holds fewer than _TOP_UP.
_QUEUE = 4
_TOP_UP = 2

#: The reader a file's suffix suggests, imported before the workers start (see _import_readers).
_FORMAT_OF_SUFFIX = {".docx": "docx", ".docm": "docx", ".dotx": "docx", ".xlsx": "xlsx", ".xlsm": "xlsx", ".pdf": "pdf"}

_WORKER_INSTRUMENTS: Mapping[str, Instrument] = {}


def _fingerprint(path: Path) -> tuple[str, float]:
    """The file's sha256 (read a block at a time: a huge file is not held in memory) and mtime."""
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while block := stream.read(1024 * 1024):
            digest.update(block)
    return digest.hexdigest(), path.stat().st_mtime


def _read_one(path: Path) -> Outcome:
    """Read one file: (sha256, the Return or the error message, modification time).  The
    file is read once, for its digest and its reader both, unless it is over the size limit."""
    file = str(path)
    try:
        mtime = path.stat().st_mtime
        data = safety.read_untrusted(path, file)
    except safety.UnsafeFileError as error:  # too big to read whole: its digest a block at a time
        try:
            digest, mtime = _fingerprint(path)
        except OSError:
            digest = ""
        return digest, str(error), mtime
    except OSError as error:
        return "", f"{file}: cannot be opened ({open_failure(path, error)})", 0.0
    digest = hashlib.sha256(data).hexdigest()
    try:
        return digest, read_return_data(data, file, _WORKER_INSTRUMENTS), mtime
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


def _import_readers(files: Sequence[Path]) -> None:
    """Import, here in the parent, the readers that ``files`` will need by their suffixes, so
    that workers forked from it start with them loaded (once, shared) rather than each
    importing its own.  A file whose content is of another format is still read: its worker
    imports that reader itself."""
    from .returns.read import _READERS

    wanted = {_FORMAT_OF_SUFFIX.get(path.suffix.lower()) for path in files}
    for fmt, (module, _) in _READERS.items():
        if fmt in wanted:
            import_module(module)


def _die_with(parent: int) -> None:
    """Have Linux kill this process when ``parent`` dies, even by SIGKILL (which no handler
    sees): a worker left behind would read on outside any time limit.  Elsewhere a worker
    still stops when its pipe closes, once it is done with the file it is reading."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # 1: PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # it died before we asked
        os._exit(1)


def _reader_main(
    conn: Connection,
    instruments: Mapping[str, Instrument],
    limits: safety.Limits,
    parent: int,
    inherited: list[Connection],
) -> None:
    """A worker: read each path of each list sent, sending back each outcome as soon as it is
    known, until told to stop (None) or its parent is gone."""
    global _WORKER_INSTRUMENTS
    _die_with(parent)
    for other in inherited:  # the parent's ends of the other workers' pipes, copied by fork: held
        other.close()  # here, they would keep those pipes open after the parent's death
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle: it stops the workers
    _limit_memory(limits.read_memory_bytes)
    _WORKER_INSTRUMENTS = instruments
    safety.LIMITS = limits  # this process's own: the readers' guards take their limits from there
    # What the parent made (instruments, modules) lives as long as this process: the collector
    # need not walk it, nor so copy its pages.
    gc.freeze()
    while True:
        try:
            paths = conn.recv()
        except (EOFError, OSError):
            return
        if paths is None:
            return
        for path in paths:
            conn.send(_read_one(path))


class _Worker:
    """A reader process, the pipe to it, and the files it holds (their indexes, in the
    order it reads them) with the time it started reading the first."""

    def __init__(
        self, context, instruments: Mapping[str, Instrument], limits: safety.Limits, others: Iterable[_Worker | None]
    ):
        self.conn, child = context.Pipe()
        inherited = [w.conn for w in others if w is not None]
        self.process = context.Process(
            target=_reader_main, args=(child, instruments, limits, os.getpid(), inherited), daemon=True
        )
        self.process.start()
        child.close()
        self.jobs: deque[int] = deque()
        self.started = 0.0

    def give(self, indexes: list[int], files: Sequence[Path]) -> bool:
        """Send it these files to read after those it holds; False if it has died."""
        try:
            self.conn.send([files[i] for i in indexes])
        except OSError:
            return False
        if not self.jobs:
            self.started = time.monotonic()
        self.jobs.extend(indexes)
        return True

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


def iter_read(
    files: Sequence[Path],
    instruments: Mapping[str, Instrument],
    progress: Callable[[], None] | None = None,
    limits: safety.Limits | None = None,
) -> Iterator[tuple[Path, Outcome]]:
    """Read ``files`` in worker processes (one per core), each file within ``limits``
    (default :data:`generator.safety.LIMITS`): yields ``(path, outcome)`` in the order of
    ``files``, each as soon as it and those before it are read.  ``progress`` is called as
    each file is done.

    A file whose reading takes longer than ``limits.read_seconds``, or kills its worker,
    gets a one-line error as its outcome; its worker is replaced, and the files it held
    next go to another.  Each worker holds a few files at a time and reports each as it
    finishes it, so a file's time runs from when its worker starts on it.  Closing the
    iterator early (or Ctrl-C) kills the workers.
    """
    limits = limits or safety.LIMITS
    _import_readers(files)
    done: dict[int, Outcome] = {}
    waiting = deque(range(len(files)))
    given = 0  # the next index to yield
    context = multiprocessing.get_context()
    workers: list[_Worker | None] = [None] * min(os.cpu_count() or 1, len(files))

    def retire(worker: _Worker) -> None:
        worker.stop(kill=True)
        workers[workers.index(worker)] = None
        worker.jobs.popleft()
        waiting.extendleft(reversed(worker.jobs))  # the files it held next: read by another

    finished = False
    try:
        while given < len(files):
            for n, worker in enumerate(workers):
                if waiting and (worker is None or len(worker.jobs) < _TOP_UP):
                    if worker is None:
                        worker = workers[n] = _Worker(context, instruments, limits, workers)
                    chunk = [waiting.popleft() for _ in range(min(len(waiting), _QUEUE - len(worker.jobs)))]
                    if not worker.give(chunk, files):  # it died while idle: the next round starts another
                        waiting.extendleft(reversed(chunk))
                        worker.stop(kill=True)
                        workers[n] = None
            busy = [w for w in workers if w is not None and w.jobs]
            ready = []
            if busy:
                first_deadline = min(w.started for w in busy) + limits.read_seconds
                ready = wait([w.conn for w in busy], timeout=max(0.0, first_deadline - time.monotonic()))
            for worker in busy:
                index = worker.jobs[0]
                if worker.conn in ready:
                    try:
                        done[index] = worker.conn.recv()
                    except (EOFError, OSError):
                        worker.process.join(timeout=5)
                        done[index] = _stopped_outcome(files[index], _crashed(worker.process.exitcode))
                        retire(worker)
                    else:
                        worker.jobs.popleft()
                        worker.started = time.monotonic()  # it goes straight on to the next it holds
                elif time.monotonic() >= worker.started + limits.read_seconds:
                    retire(worker)
                    done[index] = _stopped_outcome(
                        files[index],
                        f"took more than {limits.read_seconds:g} s to read, so reading it was stopped: it may be "
                        "damaged or made to hang a reader; open it and save it again, or enter its answers by hand",
                    )
                else:
                    continue
                if progress:
                    progress()
            while given in done:
                yield files[given], done.pop(given)
                given += 1
        finished = True
    finally:  # stop the workers, at once when interrupted
        for worker in workers:
            if worker is not None:
                worker.stop(kill=not finished)


def read_files(
    files: Sequence[Path],
    instruments: Mapping[str, Instrument],
    progress: Callable[[], None] | None = None,
    limits: safety.Limits | None = None,
) -> list[Outcome]:
    """The outcomes of reading ``files``, in their order: see :func:`iter_read`."""
    with closing(iter_read(files, instruments, progress, limits)) as outcomes:
        return [outcome for _, outcome in outcomes]


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
    bound each file's reading, its time included: see :func:`iter_read`.
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
    read_ok: list[tuple[Path, _Held, str, float]] = []
    entries: dict[str, ManifestEntry] = {}
    store = _ReturnStore()
    with closing(iter_read(to_read, instruments, tick, limits)) as outcomes:
        for path, (digest, outcome, mtime) in outcomes:
            entry = ManifestEntry(str(path), MERGED, sha256=digest or None)
            if isinstance(outcome, str):
                entry.fate, entry.reason = REJECTED, outcome.removeprefix(f"{path}: ")
            else:
                entry.format, entry.organisation = outcome.format, outcome.organisation
                read_ok.append((path, _Held.of(outcome, store), digest, mtime))
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
