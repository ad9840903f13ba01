"""Reading a batch of returned files in worker processes, each file under a time and memory limit.

:func:`iter_read` reads files in parallel (one process per core): a file that hangs its
reader, exhausts its memory or crashes it gets a one-line error as its outcome, its worker
is replaced, and the batch goes on (limits: :class:`generator.returns.guards.Limits`).
"""

from __future__ import annotations

import gc
import hashlib
import multiprocessing
import os
import signal
import stat
import sys
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from functools import partial
from importlib import import_module
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import TYPE_CHECKING

from generator.errors import CoproduceError, OwnOutputError
from generator.model.instrument import Instrument
from generator.returns import guards
from generator.returns.model import Return
from generator.returns.read import open_failure, read_returns_data

if TYPE_CHECKING:
    from generator.returns.tracker_return import TrackerReturn


@dataclass(frozen=True)
class ReadFailure:
    """Why a file could not be read: ``str()`` of it is the one-line message "file: problem"."""

    file: str
    problem: str
    #: the file is one coproduce wrote that is no form (a plan, the results workbook): left out, not rejected
    own_output: bool = False

    def __str__(self) -> str:
        return f"{self.file}: {self.problem}"


@dataclass(frozen=True)
class ReadOutcome:
    """What reading one file gave: the file's sha256 ("" when it could not be opened), its
    returns (a form's one Return or, when trackers are read, its TrackerReturn; a scanned
    batch's one per printed copy) or why it could not be read (exactly one of the two), and its
    modification time."""

    path: Path
    sha256: str
    results: tuple[Return | TrackerReturn, ...]
    failure: ReadFailure | None
    mtime: float
    #: the file's name in outputs: its path, or for an email's attachment ``reply.eml/form.pdf``
    name: str = ""

    @property
    def result(self) -> Return | TrackerReturn | None:
        """The file's first return (its only one, but for a scanned batch), or None when it failed."""
        return self.results[0] if self.results else None


#: Files a worker holds at once: the one it is reading and the next ones, so that it never
#: waits for the parent between files.  It is sent more when it holds fewer than _TOP_UP.
_QUEUE = 4
_TOP_UP = 2

#: The reader a file's suffix suggests, imported before the workers start (see _import_readers).
_FORMAT_OF_SUFFIX = {".docx": "docx", ".docm": "docx", ".dotx": "docx", ".xlsx": "xlsx", ".xlsm": "xlsx", ".pdf": "pdf"}
_FORMAT_OF_SUFFIX.update(dict.fromkeys((".png", ".jpg", ".jpeg", ".tif", ".tiff"), "scan"))


def _fingerprint(path: Path) -> tuple[str, float]:
    """The file's sha256 (read a block at a time: a huge file is not held in memory) and mtime."""
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while block := stream.read(1024 * 1024):
            digest.update(block)
    return digest.hexdigest(), path.stat().st_mtime


def _failed(path: Path, sha256: str, error: CoproduceError | str, mtime: float, name: str | None = None) -> ReadOutcome:
    file = name or guards.file_label(path)
    problem = str(error).removeprefix(f"{file}: ")
    return ReadOutcome(path, sha256, (), ReadFailure(file, problem, isinstance(error, OwnOutputError)), mtime)


def _read_one(
    path: Path,
    name: str | None,
    instruments: Mapping[str, Instrument],
    limits: guards.Limits,
    trackers: bool = False,
) -> ReadOutcome:
    """Read one file within ``limits``, naming it ``name`` (default: its path) in messages.  The
    file is read once, for its digest and its reader both, unless it is over the size limit."""
    file = name or guards.file_label(path)  # its name in messages and in the Return
    try:
        info = path.stat()
        mtime = info.st_mtime
        if not (stat.S_ISREG(info.st_mode) or stat.S_ISDIR(info.st_mode)):
            # a pipe, a socket, a device: opening a named pipe waits for a writer forever
            return _failed(
                path, "", "is not a file (a named pipe, a socket or a device): it was not opened", mtime, file
            )
        data = guards.read_untrusted(path, file, limits)
    except guards.UnsafeFileError as error:  # too big to read whole: its digest a block at a time
        try:
            digest, mtime = _fingerprint(path)
        except OSError:
            digest = ""
        return _failed(path, digest, error, mtime, file)
    except OSError as error:
        return _failed(path, "", f"cannot be opened ({open_failure(path, error)})", 0.0, file)
    digest = hashlib.sha256(data).hexdigest()
    try:
        results = read_returns_data(data, file, instruments, limits, trackers=trackers)
        return ReadOutcome(path, digest, tuple(results), None, mtime)
    except CoproduceError as error:
        return _failed(path, digest, error, mtime, file)


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
    from generator.returns.read import _READERS, _SCAN_READER

    wanted = {_FORMAT_OF_SUFFIX.get(path.suffix.lower()) for path in files}
    for fmt, (module, _) in [*_READERS.items(), ("scan", _SCAN_READER)]:
        if fmt in wanted:
            import_module(module)
    if "xlsx" in wanted:  # (every workbook is asked whether it is an action tracker)
        import_module("generator.returns.tracker_return")


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
    work: Callable[[Path, str | None], object],
    limits: guards.Limits,
    parent: int,
    inherited: list[Connection],
) -> None:
    """A worker: do ``work`` on each (path, name) of each list sent (read it, or unpack it),
    sending back each outcome as soon as it is known, until told to stop (None) or its parent
    is gone."""
    _die_with(parent)
    for other in inherited:  # the parent's ends of the other workers' pipes, copied by fork: held
        other.close()  # here, they would keep those pipes open after the parent's death
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle: it stops the workers
    _limit_memory(limits.read_memory_bytes)
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
        for path, name in paths:
            conn.send(work(path, name))


class _Worker:
    """A reader process, the pipe to it, and the files it holds (their indexes, in the
    order it reads them) with the time it started reading the first."""

    def __init__(
        self,
        context,
        work: Callable[[Path, str | None], object],
        limits: guards.Limits,
        others: Iterable[_Worker | None],
    ):
        self.conn, child = context.Pipe()
        inherited = [w.conn for w in others if w is not None]
        self.process = context.Process(
            target=_reader_main, args=(child, work, limits, os.getpid(), inherited), daemon=True
        )
        self.process.start()
        child.close()
        self.jobs: deque[int] = deque()
        self.started = 0.0

    def give(self, indexes: list[int], files: Sequence[Path], names: Mapping[Path, str]) -> bool:
        """Send it these files to read after those it holds; False if it has died."""
        try:
            self.conn.send([(files[i], names.get(files[i])) for i in indexes])
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


def _stopped_outcome(path: Path, problem: str, name: str | None = None) -> ReadOutcome:
    try:
        digest, mtime = _fingerprint(path)
    except OSError:
        digest, mtime = "", 0.0
    return _failed(path, digest, problem, mtime, name)


def iter_read(
    files: Sequence[Path],
    instruments: Mapping[str, Instrument],
    progress: Callable[[], None] | None = None,
    limits: guards.Limits | None = None,
    *,
    trackers: bool = False,
    names: Mapping[Path, str] | None = None,
) -> Iterator[ReadOutcome]:
    """Read ``files`` in worker processes (one per core), each file within ``limits`` (default
    :data:`generator.returns.guards.LIMITS`): yields
    the outcome of each in the order of ``files``, each as soon as it and those before it are
    read.  ``progress`` is called as
    each file is done.

    A file whose reading takes longer than ``limits.read_seconds``, or kills its worker,
    gets a :class:`ReadFailure` as its outcome; its worker is replaced, and the files it held
    next go to another.  Each worker holds a few files at a time and reports each as it
    finishes it, so a file's time runs from when its worker starts on it.  Closing the
    iterator early (or Ctrl-C) kills the workers.  With ``trackers``, an action tracker is read
    as a :class:`~generator.returns.tracker_return.TrackerReturn`; without, it fails as not a form.
    ``names`` (path → name) name files in messages and outcomes by other than their paths (the
    attachments of an email, saved in a temporary folder: see :func:`unpack_containers`).
    """
    limits = limits or guards.LIMITS
    _import_readers(files)
    work = partial(_read_one, instruments=instruments, limits=limits, trackers=trackers)
    yield from _iter_work(files, work, limits, progress, names or {})


def _iter_work(
    files: Sequence[Path],
    work: Callable[[Path, str | None], object],
    limits: guards.Limits,
    progress: Callable[[], None] | None,
    names: Mapping[Path, str],
) -> Iterator:
    """Do ``work`` on each of ``files`` in worker processes: see :func:`iter_read`.  A file
    that takes too long or kills its worker gets a :class:`ReadOutcome` failing it."""
    done: dict[int, ReadOutcome] = {}
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
                        worker = workers[n] = _Worker(context, work, limits, workers)
                    chunk = [waiting.popleft() for _ in range(min(len(waiting), _QUEUE - len(worker.jobs)))]
                    if not worker.give(chunk, files, names):  # it died while idle: the next round starts another
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
                        problem = _crashed(worker.process.exitcode)
                        done[index] = _stopped_outcome(files[index], problem, names.get(files[index]))
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
                        names.get(files[index]),
                    )
                else:
                    continue
                if progress:
                    progress()
            while given in done:
                yield done.pop(given)
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
    limits: guards.Limits | None = None,
) -> list[ReadOutcome]:
    """The outcomes of reading ``files``, in their order: see :func:`iter_read`."""
    with closing(iter_read(files, instruments, progress, limits)) as outcomes:
        return list(outcomes)


def _crashed(exitcode: int | None) -> str:
    how = f"signal {-exitcode}" if exitcode is not None and exitcode < 0 else f"exit code {exitcode}"
    return (
        f"stopped its reader without an answer ({how}): it may be damaged or made to crash a reader; "
        "please report this with the file"
    )


# --- emails, mailboxes and zips -------------------------------------------------------------------


@dataclass(frozen=True)
class UnpackOutcome:
    """What opening one file as a container gave: its items (:class:`~generator.returns.mail.Item`),
    or None when it is not a container (an ordinary form: read it), or why it could not be
    opened (``failure``)."""

    path: Path
    items: tuple | None
    failure: ReadFailure | None = None
    mtime: float = 0.0


def _unpack_one(path: Path, name: str | None, limits: guards.Limits) -> UnpackOutcome:
    """Open the file at ``path`` as an email, mailbox or zip, within ``limits``."""
    from generator.returns import mail

    file = name or guards.file_label(path)
    try:
        mtime = path.stat().st_mtime
        data = guards.read_untrusted(path, file, limits)
        if mail.container_kind(data, file) is None:
            return UnpackOutcome(path, None, mtime=mtime)
        return UnpackOutcome(path, tuple(mail.unpack(data, file, limits)), mtime=mtime)
    except OSError as error:
        return UnpackOutcome(path, (), ReadFailure(file, f"cannot be opened ({open_failure(path, error)})"))
    except CoproduceError as error:
        return UnpackOutcome(path, (), ReadFailure(file, str(error).removeprefix(f"{file}: ")))
    except MemoryError:
        return UnpackOutcome(path, (), ReadFailure(file, "needs more memory to open than an email ever could"))
    except Exception as error:  # a file no check foresaw: the batch must go on
        problem = f"could not be opened ({type(error).__name__}); please report this with the file"
        return UnpackOutcome(path, (), ReadFailure(file, problem))


@dataclass
class Unpacked:
    """The files of a batch once its emails, mailboxes and zips are opened: what to read, in
    order (the other files as they are, and each attachment to read saved in a temporary
    folder), each attachment's name (``reply.eml/riverside.pdf``) and the email it came in, and
    what was found and not read (:class:`~generator.returns.mail.Item` with a fate: an email
    with no form, an attachment that is not one, a container that could not be opened)."""

    files: list[Path]
    names: dict[Path, str] = field(default_factory=dict)
    origins: dict[str, object] = field(default_factory=dict)
    not_read: list = field(default_factory=list)


def unpack_containers(files: Sequence[Path], folder: Path, limits: guards.Limits | None = None) -> Unpacked:
    """Open, in worker processes within ``limits`` (time included), each of ``files`` that may be
    an email, a mailbox or a zip (by its name: ``.eml``, ``.msg``, ``.mbox``, ``.zip``, or
    none), and save the attachments to read into ``folder`` (which the caller removes), each
    file dated as its email.  See :class:`Unpacked`."""
    from generator.returns.mail import CONTAINER_SUFFIXES, Item

    limits = limits or guards.LIMITS
    candidates = [path for path in files if path.suffix.lower() in (*CONTAINER_SUFFIXES, "")]
    opened: dict[Path, UnpackOutcome] = {}
    if candidates:
        work = partial(_unpack_one, limits=limits)
        with closing(_iter_work(candidates, work, limits, None, {})) as outcomes:
            for outcome in outcomes:
                if isinstance(outcome, ReadOutcome):  # it took too long, or killed its worker
                    outcome = UnpackOutcome(outcome.path, (), outcome.failure, outcome.mtime)
                opened[outcome.path] = outcome
    unpacked = Unpacked([])
    for path in files:
        outcome = opened.get(path)
        if outcome is None or outcome.items is None and outcome.failure is None:
            unpacked.files.append(path)
            continue
        if outcome.failure is not None:
            unpacked.not_read.append(Item(outcome.failure.file, fate="rejected", reason=outcome.failure.problem))
            continue
        for item in outcome.items:
            if item.fate is not None:
                unpacked.not_read.append(item)
                continue
            saved = folder / f"{len(unpacked.names):05d}{Path(item.name).suffix[:10]}"
            saved.write_bytes(item.data)
            when = item.time if item.time is not None else outcome.mtime
            os.utime(saved, (when, when))
            unpacked.files.append(saved)
            unpacked.names[saved] = item.name
            if item.origin is not None:
                unpacked.origins[item.name] = item.origin
    return unpacked
