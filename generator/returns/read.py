"""Reading one returned file: check what it is, hand it to the reader for its format.

Readers are bytes-in functions (``read_<format>_return(data, file, instruments, limits=…)``,
and the package as detection opened it, for Word and Excel), imported only when a file of their
format turns up, so the command line starts fast.  The bytes pass
the guards of :mod:`generator.returns.guards` first: the size limit here, the zip container's limits
in :func:`~generator.returns.detect.detect_format`, before any reader sees them.

An action tracker coproduce wrote (an Excel workbook, filled in) is told apart from a form by
detection; it is read by :func:`~generator.returns.tracker_return.read_tracker` where the caller
asks for trackers (``trackers=True``: ``read``, ``merge``), and refused as "not a completed form"
elsewhere, so that code expecting answers never gets a tracker.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING

from generator.errors import CoproduceError, FlattenedPdfError, ReturnReadError, ScanNotOursError
from generator.model.instrument import Instrument
from generator.returns import guards
from generator.returns.detect import detect_format, extension_mismatch
from generator.returns.model import Return
from generator.returns.names import counted_under

if TYPE_CHECKING:
    from generator.returns.tracker_return import TrackerReturn

_READERS = {
    "docx": ("generator.returns.docx_return", "read_docx_return"),
    "xlsx": ("generator.returns.xlsx_return", "read_xlsx_return"),
    "pdf": ("generator.returns.pdf_return", "read_pdf_return"),
}
#: The reader of scans (a PDF of page images, PNG, JPEG, TIFF): it finds one return per
#: printed copy in the file, so it gives a list.
_SCAN_READER = ("generator.returns.scan_return", "read_scan_returns")


_MACROS = "the file can hold macros: only its values were read, nothing in it was run"
#: Why a tracker is refused where only forms are read.
TRACKER_NOT_A_FORM = (
    "is an action tracker written by coproduce, not a completed form: its actions' statuses are read by "
    "`coproduce read`, `merge` and `run`, not as answers"
)


def read_return(
    path: Path,
    instruments: Mapping[str, Instrument],
    limits: guards.Limits = guards.LIMITS,
    *,
    trackers: bool = False,
) -> Return | TrackerReturn:
    """Read the completed form at ``path`` against the available ``instruments`` (id → Instrument),
    within ``limits``.  With ``trackers``, an action tracker coproduce wrote is read too, as a
    :class:`~generator.returns.tracker_return.TrackerReturn`; without, it is refused saying what it is.

    Raises :class:`ReturnReadError` with a one-line message naming the file for anything
    that cannot be read; never another exception.
    """
    file = str(path)
    try:
        data = guards.read_untrusted(path, file, limits)  # a file over the size limit is refused unread
    except OSError as error:
        raise ReturnReadError(file, f"cannot be opened ({open_failure(path, error)})") from error
    return read_return_data(data, file, instruments, limits, trackers=trackers)


def open_failure(path: Path, error: OSError) -> str:
    """Why the file at ``path`` could not be opened, in a few words ("no such file or directory")."""
    return "it is a folder" if path.is_dir() else (error.strerror or str(error)).lower()


def read_return_data(
    data: bytes,
    file: str,
    instruments: Mapping[str, Instrument],
    limits: guards.Limits = guards.LIMITS,
    *,
    trackers: bool = False,
) -> Return | TrackerReturn:
    """Read the completed form whose bytes are ``data`` (the file named ``file`` in messages):
    see :func:`read_return`.  ``data`` must have passed the size limit already.  A scanned
    batch holding several returns is refused here, saying so: :func:`read_returns_data` reads it."""
    results = read_returns_data(data, file, instruments, limits, trackers=trackers)
    if len(results) > 1:
        raise ReturnReadError(
            file, f"is a scanned batch holding {len(results)} returns: read it with `coproduce read` or `merge`"
        )
    return results[0]


def read_returns_data(
    data: bytes,
    file: str,
    instruments: Mapping[str, Instrument],
    limits: guards.Limits = guards.LIMITS,
    *,
    trackers: bool = False,
) -> list[Return | TrackerReturn]:
    """Every return in the file whose bytes are ``data``: one for a form (or tracker), one per
    printed copy for a scan (a PDF of page images, PNG, JPEG, TIFF: see
    :mod:`generator.returns.scan_return`).  A PDF without form fields is read as a scan when
    its pages carry our page codes, else refused as flattened.  Errors as :func:`read_return`."""
    results: list[Return]
    try:
        detected = detect_format(data, file, limits)
        opened = {"package": detected.package} if detected.package is not None else {}
        if detected.tracker:
            if not trackers:
                raise ReturnReadError(file, TRACKER_NOT_A_FORM)
            from generator.returns.tracker_return import read_tracker

            tracker = read_tracker(data, file, instruments, limits=limits, **opened)
            note = extension_mismatch(detected, file)
            tracker.problems += [note] if note else []
            if detected.macro_enabled:
                tracker.problems.append(_MACROS)
            return [tracker]
        if detected.format == "scan":
            results = _read_scan(data, file, instruments, limits)
        else:
            module, function = _READERS[detected.format]
            reader = getattr(import_module(module), function)
            try:
                results = [reader(data, file, instruments, limits=limits, **opened)]
            except FlattenedPdfError as flattened:
                if detected.format != "pdf":
                    raise
                try:  # printed and scanned, perhaps: pages carrying our page codes
                    results = _read_scan(data, file, instruments, limits)
                except ScanNotOursError:
                    raise flattened from None
    except ReturnReadError as error:
        if len(error.problem.splitlines()) < 2:
            raise
        # Text from the file (a field name, an instrument id) or from a library's message can
        # hold line breaks; the message is one line all the same.
        raise type(error)(file, " ".join(error.problem.split())) from error
    except CoproduceError:
        raise
    except MemoryError as error:  # a file built to exhaust memory (a batch's readers run with a memory limit)
        raise guards.UnsafeFileError(
            file, "needs more memory to read than a returned form ever could: it was not read"
        ) from error
    except Exception as error:  # a reader bug or a file no check foresaw: the batch must go on
        raise ReturnReadError(
            file,
            f"could not be read ({type(error).__name__}: {' '.join(str(error).split())}); please report this "
            "with the file",
        ) from error
    note = extension_mismatch(detected, file)
    for result in results:
        if note:
            result.problems.append(note)
        conflict = counted_under(result.organisation, result.identity_organisation)[1]
        if conflict:
            result.problems.append(conflict)
        if detected.macro_enabled:
            result.problems.append(_MACROS)
    return list(results)


def _read_scan(data: bytes, file: str, instruments: Mapping[str, Instrument], limits: guards.Limits) -> list[Return]:
    module, function = _SCAN_READER
    return getattr(import_module(module), function)(data, file, instruments, limits=limits)


def read_trackers(
    paths: Iterable[Path], instruments: Mapping[str, Instrument], limits: guards.Limits = guards.LIMITS
) -> tuple[list[TrackerReturn], list[str]]:
    """The action trackers at ``paths`` (files, or folders searched for workbooks) and notes on
    what was left out: in a folder, the workbooks that are not trackers (forms, other sheets).
    A file given by name that is not a tracker raises :class:`ReturnReadError` naming it."""
    from generator.returns.tracker_return import TrackerReturn

    found: list[TrackerReturn] = []
    notes: list[str] = []
    for path in paths:
        if not path.exists():
            raise ReturnReadError(str(path), "does not exist")
        if not path.is_dir():
            result = read_return(path, instruments, limits, trackers=True)
            if not isinstance(result, TrackerReturn):
                raise ReturnReadError(str(path), "is a returned form, not an action tracker")
            found.append(result)
            continue
        left_out = 0
        for candidate in sorted(path.rglob("*")):
            name = candidate.name.lower()
            if not candidate.is_file() or name.startswith(("~$", ".")) or candidate.suffix.lower() not in _WORKBOOKS:
                continue
            try:
                result = read_return(candidate, instruments, limits, trackers=True)
            except ReturnReadError:
                result = None
            if isinstance(result, TrackerReturn):
                found.append(result)
            else:
                left_out += 1
        if left_out:
            workbooks = f"{left_out} workbooks that are" if left_out > 1 else "1 workbook that is"
            notes.append(f"{path}: {workbooks} not an action tracker left out")
    return found, notes


_WORKBOOKS = (".xlsx", ".xlsm")
